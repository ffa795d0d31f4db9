"""Article rows and their dedup keys, built from feed items without a database."""

from __future__ import annotations

from datetime import UTC, datetime

from app.crawlers.parsers import FeedItem
from app.crawlers.rows import article_rows, content_hash, title_key
from app.models import TextState

NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def test_content_hash_is_equal_for_byte_different_copies_of_one_story() -> None:
    assert content_hash("Banjir Jakarta!", "Air  naik.") == content_hash(
        "banjir jakarta", "air naik"
    )
    assert content_hash("Banjir Jakarta", "Air naik") != content_hash("Banjir Bekasi", "Air naik")


def test_title_key_folds_case_and_punctuation_and_skips_section_labels() -> None:
    assert title_key("KPK Tetapkan Tersangka!") == title_key("kpk tetapkan: tersangka")
    assert title_key("Video: Live") is None and title_key(None) is None


def test_rows_are_one_per_url_and_wait_for_their_page_without_a_body() -> None:
    items = [
        FeedItem(url="https://example.id/a?utm_source=x", title="Satu dua tiga", summary="s"),
        FeedItem(url="https://example.id/a", title="Satu dua tiga lagi"),
        FeedItem(url="not a url"),
        FeedItem(url="https://example.id/b", title="Empat lima enam", body="isi\x00 penuh"),
    ]
    rows = article_rows(items, source_id=7, fetched_at=NOW)
    assert [r["url"] for r in rows] == ["https://example.id/a", "https://example.id/b"]
    assert rows[0]["text_state"] == TextState.PENDING and rows[0]["published_at"] == NOW
    assert rows[1]["text_state"] is None and "\x00" not in rows[1]["body"]
    assert rows[1]["content_hash"] == content_hash("Empat lima enam", rows[1]["body"])
