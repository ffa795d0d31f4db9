"""The public social parsers on fixtures in each platform's real format (see each file's header)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.crawlers.parsers import ParseError
from app.crawlers.rows import article_rows
from app.crawlers.social import (
    count,
    parse_bluesky,
    parse_mastodon,
    parse_reddit,
    parse_telegram,
    parse_youtube,
    post_title,
)

FIXTURES = Path(__file__).parent / "fixtures" / "social"
NOW = datetime(2025, 11, 5, tzinfo=UTC)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_youtube_channel_feed() -> None:
    feed = parse_youtube(fixture("youtube_channel.xml"), now=NOW)
    assert feed.format == "youtube-atom" and feed.title == "KOMPASTV"
    first, live = feed.items
    assert first.url == "https://www.youtube.com/watch?v=Ab3dEfGh1Jk"
    assert first.kind == "post" and first.platform == "youtube" and first.author == "KOMPASTV"
    assert first.title.startswith("Banjir Bandang Terjang Kota Batu")
    assert "BPBD mencatat ratusan warga mengungsi" in (first.body or "")
    assert first.engagement == {"views": 48211, "likes": 1532}
    assert first.published == datetime(2025, 11, 4, 9, 15, 2, tzinfo=UTC)
    assert live.body == "LIVE - Sidang Paripurna DPR"  # no description: the title is the text
    assert live.engagement == {"views": 0, "likes": 0}


def test_youtube_refuses_what_is_not_its_feed() -> None:
    with pytest.raises(ParseError, match="YouTube"):
        parse_youtube(b"<rss version='2.0'><channel/></rss>", now=NOW)
    with pytest.raises(ParseError, match="entity"):
        parse_youtube(
            b'<!DOCTYPE f [<!ENTITY a "x">]><feed xmlns="http://www.w3.org/2005/Atom"/>', now=NOW
        )


def test_mastodon_tag_rss() -> None:
    feed = parse_mastodon(fixture("mastodon_tag.rss"), now=NOW)
    assert feed.format == "mastodon-rss"
    (post,) = feed.items  # the photo-only status has no text: skipped and counted
    assert feed.skipped == {"post without text (skipped)": 1}
    assert post.author == "@warga_batu@mastodon.social" and post.platform == "mastodon"
    assert post.body is not None and post.body.startswith("Air sudah masuk rumah")
    assert "#banjir" in post.body and "<" not in post.body


def test_mastodon_public_timeline_json() -> None:
    feed = parse_mastodon(fixture("mastodon_tag.json"), now=NOW)
    assert feed.format == "mastodon-api"
    own, boost = feed.items
    assert own.engagement == {"replies": 3, "reposts": 41, "likes": 57}
    assert own.author == "@warga_batu@mastodon.social"
    # A boost is read as the original status: its author, text and counts.
    assert boost.url == "https://kolektiva.social/@relawan/113410000000000007"
    assert boost.author == "@relawan@kolektiva.social"
    assert (
        boost.body == "Posko relawan dibuka di balai desa Bumiaji.\n\nButuh selimut dan air bersih."
    )
    assert boost.title == "Posko relawan dibuka di balai desa Bumiaji."


def test_bluesky_profile_rss_and_search() -> None:
    rss = parse_bluesky(fixture("bluesky_profile.rss"), now=NOW)
    (post,) = rss.items
    assert post.author == "@infobencana.bsky.social" and post.platform == "bluesky"
    assert post.published == datetime(2025, 11, 4, 10, 5, tzinfo=UTC)
    search = parse_bluesky(fixture("bluesky_search.json"), now=NOW)
    (hit,) = search.items  # the like record is not a post
    assert hit.url == "https://bsky.app/profile/infobencana.bsky.social/post/3lab2cdefgh2k"
    assert hit.engagement == {"replies": 2, "reposts": 18, "likes": 40, "quotes": 1}
    assert hit.body == post.body
    with pytest.raises(ParseError, match="posts"):
        parse_bluesky(b'{"error": "InvalidRequest"}', now=NOW)


def test_reddit_search_atom() -> None:
    feed = parse_reddit(fixture("reddit_search.atom"), now=NOW)
    (post,) = feed.items
    assert post.title == "Banjir bandang di Batu, jalan ke Malang aman?"
    assert post.author == "/u/arek_malang" and post.platform == "reddit"
    assert post.body is not None and "submitted by" not in post.body
    assert post.body.startswith("Ada yang tahu kondisi jalan Batu - Malang?")


def test_telegram_channel_preview() -> None:
    feed = parse_telegram(
        fixture("telegram_channel.html"), now=NOW, url="https://t.me/s/infobaturaya"
    )
    assert feed.title == "Info Batu Raya" and feed.format == "telegram-preview"
    newest, first = feed.items  # newest first; the photo-only message is skipped
    assert feed.skipped == {"post without text (skipped)": 1}
    assert newest.engagement == {"views": 1_200_000}
    assert first.url == "https://t.me/infobaturaya/5120" and first.author == "@infobaturaya"
    assert (
        first.body is not None
        and first.body.split("\n")[0] == "⚠️ Banjir bandang di Bumiaji, Kota Batu."
    )
    assert first.engagement == {"views": 12_300}
    assert first.published == datetime(2025, 11, 4, 9, 20, 7, tzinfo=UTC)
    with pytest.raises(ParseError, match="Telegram"):
        parse_telegram(b"<html><body><p>login</p></body></html>", now=NOW)


def test_posts_become_rows_of_kind_post_without_a_page_fetch() -> None:
    feed = parse_telegram(fixture("telegram_channel.html"), now=NOW)
    rows = article_rows(feed.items, source_id=1, fetched_at=NOW)
    assert {r["kind"] for r in rows} == {"post"} and {r["platform"] for r in rows} == {"telegram"}
    assert all(r["text_state"] is None for r in rows)
    assert rows[0]["engagement"] == {"views": 1_200_000}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("856", 856),
        ("12.3K", 12_300),
        ("1,2K", 1_200),
        ("1.2M", 1_200_000),
        ("1,204", 1204),
        ("", None),
        ("lots", None),
        ("9" * 40, None),
        (True, None),
        (-3, None),
        (7, 7),
    ],
)
def test_counts_as_platforms_print_them(text: object, value: int | None) -> None:
    assert count(text) == value


def test_post_title_is_the_first_line_cut_at_a_word() -> None:
    assert post_title("Satu baris\nkedua") == "Satu baris"
    long = "kata " * 60
    title = post_title(long)
    assert len(title) <= 141 and title.endswith("…") and not title.endswith(" …")
