"""Publish times from outside: the sane window, and Indonesian date lines with their time of day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.crawlers.dates import DATE_OUT_OF_RANGE, bounded_time, indonesian_date_line
from app.crawlers.extract import extract_page
from app.crawlers.parsers import parse_feed, parse_sitemap
from app.crawlers.rows import article_rows

NOW = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
PLUS7 = timezone(timedelta(hours=7))


@pytest.mark.parametrize(
    "value",
    [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(1, 1, 1, 0, 30, tzinfo=PLUS7),  # overflows when moved to UTC
        datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-5))),  # overflows too
        datetime(1969, 12, 31, tzinfo=UTC),
        NOW + timedelta(days=3),
        datetime(2999, 1, 1),  # naive
    ],
)
def test_impossible_times_are_dropped_with_a_reason(value: datetime) -> None:
    assert bounded_time(value, now=NOW) == (None, False, DATE_OUT_OF_RANGE)


def test_plausible_times_are_kept_in_utc_and_a_near_future_one_is_not_trusted() -> None:
    assert bounded_time(datetime(2026, 12, 5, 6, 0, tzinfo=PLUS7), now=NOW) == (
        datetime(2026, 12, 4, 23, 0, tzinfo=UTC),
        True,
        None,
    )
    assert bounded_time(NOW + timedelta(hours=12), now=NOW) == (
        NOW + timedelta(hours=12),
        False,
        None,
    )
    assert bounded_time(None, now=NOW) == (None, False, None)


def _rss(dates: list[str]) -> bytes:
    items = "".join(
        f"<item><link>https://news.example/read/{i}</link><title>Berita nomor {i} hari ini</title>"
        f"<pubDate>{d}</pubDate></item>"
        for i, d in enumerate(dates)
    )
    return f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


def test_a_feed_with_year_one_and_year_9999_dates_keeps_its_items_and_counts_the_dates() -> None:
    feed = parse_feed(
        _rss(
            [
                "Mon, 01 Jan 0001 00:00:00 GMT",
                "Fri, 31 Dec 9999 23:59:59 GMT",
                "Sat, 05 Dec 2026 06:00:00 +0700",
            ]
        ),
        now=NOW,
    )
    assert [i.published for i in feed.items] == [
        None,
        None,
        datetime(2026, 12, 4, 23, 0, tzinfo=UTC),
    ]
    rows = article_rows(feed.items, source_id=None, fetched_at=NOW, skipped=feed.skipped)
    assert [r["published_at"] for r in rows][:2] == [NOW, NOW]  # the fetch time, untrusted
    assert [r["published_trusted"] for r in rows] == [False, False, True]


def test_json_feed_and_sitemap_dates_pass_the_same_gate() -> None:
    body = (
        b'{"version": "https://jsonfeed.org/version/1.1", "items": ['
        b'{"id": "1", "url": "https://a.example/1", "date_published": "0001-01-01T00:00:00+07:00"},'
        b'{"id": "2", "url": "https://a.example/2", "date_published": "2026-12-05T06:00:00+07:00"}'
        b"]}"
    )
    feed = parse_feed(body, now=NOW)
    assert [i.published for i in feed.items] == [None, datetime(2026, 12, 4, 23, tzinfo=UTC)]
    assert feed.skipped == {DATE_OUT_OF_RANGE: 1}
    sitemap = (
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://a.example/x</loc><lastmod>9999-12-31</lastmod></url></urlset>"
    )
    parsed, _children = parse_sitemap(sitemap, now=NOW)
    assert parsed.items[0].published is None and parsed.skipped == {DATE_OUT_OF_RANGE: 1}


@pytest.mark.parametrize(
    ("line", "expected", "zoned"),
    [
        ("Sabtu, 05 Desember 2026 - 06:00 WIB", datetime(2026, 12, 5, 6, 0, tzinfo=PLUS7), True),
        ("Kamis, 22 Maret 2019 | 14:05 WIB", datetime(2019, 3, 22, 14, 5, tzinfo=PLUS7), True),
        ("5 Des 2026 pukul 06.00 WITA", datetime(2026, 12, 4, 22, 0, tzinfo=UTC), True),
        ("Jumat, 4/12/2026, 21:30 WIT", datetime(2026, 12, 4, 12, 30, tzinfo=UTC), True),
        ("Senin, 7 Agustus 2023 10:15", datetime(2023, 8, 7, 10, 15, tzinfo=PLUS7), False),
        ("diubah 30 Nop 2024, 23:59:01 WIB", datetime(2024, 11, 30, 23, 59, tzinfo=PLUS7), True),
    ],
)  # fmt: skip
def test_indonesian_date_lines_keep_time_of_day_and_zone(
    line: str, expected: datetime, zoned: bool
) -> None:
    found, has_zone = indonesian_date_line(f"Oleh Redaksi  {line}  Jakarta - Isi berita")
    assert found == expected and has_zone is zoned


def test_text_without_a_date_line_gives_none() -> None:
    for text in (
        "Pada 5 hari 2026 pukul 06.00",
        "Skor 2-1 pada menit 90",
        "31 Februari 2026 10:00",
    ):
        assert indonesian_date_line(text) == (None, False)


def _page(date_line: str, head: str = "") -> str:
    body = " ".join(f"Kalimat ke-{i} tentang banjir besar di Jakarta Utara." for i in range(15))
    return (
        f'<html lang="id"><head><title>Banjir</title>{head}</head><body>'
        '<div class="sidebar"><span class="date">Senin, 7 Desember 2026 | 09:00 WIB</span></div>'
        f'<h1>Banjir Rendam Jakarta</h1><div class="read__info">{date_line}</div>'
        f"<article><p>{body}</p></article></body></html>"
    )


def test_article_page_date_line_keeps_the_time_of_day_in_utc() -> None:
    """Issue 17: "Sabtu, 05 Desember 2026 - 06:00 WIB" had become 00:00 WIB."""
    content = extract_page(
        _page("Sabtu, 05 Desember 2026 - 06:00 WIB"), url="https://a.example/r/1", now=NOW
    )
    assert content.published == datetime(2026, 12, 4, 23, 0, tzinfo=UTC)
    assert content.published_trusted is True


def test_a_day_only_meta_date_gets_its_time_from_the_date_line() -> None:
    meta = '<meta property="article:published_time" content="2026-12-05">'
    content = extract_page(
        _page("Sabtu, 05 Desember 2026 pukul 06.00 WITA", meta),
        url="https://a.example/r/1",
        now=NOW,
    )
    assert content.published == datetime(2026, 12, 4, 22, 0, tzinfo=UTC)


def test_a_zoned_meta_time_wins_over_the_date_line() -> None:
    meta = '<meta property="article:published_time" content="2026-12-05T06:07:00+07:00">'
    content = extract_page(
        _page("Sabtu, 05 Desember 2026 - 06:00 WIB", meta), url="https://a.example/r/1", now=NOW
    )
    assert content.published == datetime(2026, 12, 4, 23, 7, tzinfo=UTC)
