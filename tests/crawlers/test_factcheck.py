"""Fact-check feeds and listings into claims, verdicts normalised."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.crawlers.factcheck import claim_rows, parse_factcheck, verdict_of

NOW = datetime(2025, 11, 5, tzinfo=UTC)
FIXTURE = Path(__file__).parent / "fixtures" / "social" / "turnbackhoax.rss"


@pytest.mark.parametrize(
    ("title", "verdict", "label", "claim"),
    [
        ("[HOAKS] Video banjir", "hoax", "HOAKS", "Video banjir"),
        ("[SALAH] Foto lama", "false", "SALAH", "Foto lama"),
        ("[DISINFORMASI] Surat edaran", "disinformation", "DISINFORMASI", "Surat edaran"),
        ("[MISINFORMASI] x y", "misinformation", "MISINFORMASI", "x y"),
        ("[Menyesatkan] Klaim obat", "misleading", "MENYESATKAN", "Klaim obat"),
        ("[FITNAH] Tuduhan", "defamation", "FITNAH", "Tuduhan"),
        ("[KONTEN YANG DIMANIPULASI] Video", "manipulated", "KONTEN YANG DIMANIPULASI", "Video"),
        ("(HOAX) : Pesan berantai", "hoax", "HOAX", "Pesan berantai"),
        ("[CEK FAKTA] [SALAH] Narasi", "false", "SALAH", "Narasi"),
    ],
)
def test_verdicts_are_normalised(title: str, verdict: str, label: str, claim: str) -> None:
    assert verdict_of(title) == (verdict, label, claim)


@pytest.mark.parametrize("title", ["Berita biasa", "[VIDEO] Banjir", "[HOAKS]", ""])
def test_titles_without_a_verdict_are_not_claims(title: str) -> None:
    assert verdict_of(title) is None


def test_feed_becomes_claim_rows() -> None:
    feed = parse_factcheck(FIXTURE.read_bytes(), now=NOW)
    skipped: dict[str, int] = {}
    rows = claim_rows(feed.items, source_id=3, fetched_at=NOW, skipped=skipped)
    assert [r["verdict"] for r in rows] == ["hoax", "false"]
    assert rows[1]["claim"] == "Vaksin COVID-19 Mengandung Chip Pelacak dari Bill Gates"
    assert rows[0]["publisher"] == "turnbackhoax.id"
    assert skipped == {"item without a recognised verdict (not a claim)": 1}


def test_html_listing_of_tagged_links() -> None:
    page = b"""<!doctype html><html><body><ul>
    <li><a href="/berita/123">[HOAKS] Pesan Berantai Pemblokiran WhatsApp</a></li>
    <li><a href="/berita/124">Siaran Pers Menteri</a></li>
    <li><a href="/berita/123">[HOAKS] Pesan Berantai Pemblokiran WhatsApp</a></li>
    </ul></body></html>"""
    feed = parse_factcheck(page, now=NOW, url="https://www.komdigi.go.id/berita/hoaks")
    assert [i.url for i in feed.items] == ["https://www.komdigi.go.id/berita/123"]
    (row,) = claim_rows(feed.items, source_id=None, fetched_at=NOW)
    assert row["claim"] == "Pesan Berantai Pemblokiran WhatsApp" and row["verdict"] == "hoax"
