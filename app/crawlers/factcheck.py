"""Fact-check publishers' feeds and listings as claims (pure).

Indonesian fact-checkers title each debunk with a bracketed verdict: "[HOAKS] Video ...",
"[SALAH] Foto ...", "[DISINFORMASI] ...", "[MISINFORMASI] ...", "[MENYESATKAN] ...",
"[FITNAH] ..." (turnbackhoax.id by Mafindo, cekfakta.com, the ministry's hoax reports, the
outlets' "Cek Fakta" sections). A feed (RSS/Atom, read by `parsers.parse_feed`) or an HTML
listing of such links gives one claim per debunk: the claim text (the title without its tag),
the verdict normalised (`VERDICTS`) and as published, the debunk URL and its date. An item
without a recognised verdict is not a claim and is counted as skipped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import lxml.etree
import lxml.html

from app.crawlers.parsers import (
    _HTML_START,
    MAX_ITEMS,
    FeedItem,
    ParsedFeed,
    ParseError,
    _tidy,
    parse_feed,
    storable,
)
from app.crawlers.urls import InvalidURLError, host_of, normalise_url, url_hash

# Published labels (upper case, spaces folded) -> the normalised verdict.
VERDICTS: dict[str, str] = {
    "HOAKS": "hoax",
    "HOAX": "hoax",
    "SALAH": "false",
    "DISINFORMASI": "disinformation",
    "MISINFORMASI": "misinformation",
    "MALINFORMASI": "malinformation",
    "MENYESATKAN": "misleading",
    "FITNAH": "defamation",
    "PENIPUAN": "scam",
    "SATIRE": "satire",
    "SATIRE/PARODI": "satire",
    "PARODI": "satire",
    "KONTEN YANG DIMANIPULASI": "manipulated",
    "KONTEN MANIPULASI": "manipulated",
    "MANIPULASI": "manipulated",
    "KONTEN PALSU": "fabricated",
    "KONTEN TIRUAN": "impostor",
    "KONEKSI YANG SALAH": "false_connection",
    "KONTEKS YANG SALAH": "false_context",
    "KONTEKS SALAH": "false_context",
    "TIDAK TERBUKTI": "unproven",
    "BELUM TERBUKTI": "unproven",
    "SEBAGIAN BENAR": "half_true",
    "KLARIFIKASI": "clarification",
    "BENAR": "true",
    "FAKTA": "true",
}
# Verdicts that say the claim is not true: what "debunked" means for matches and alerts.
DEBUNKED = frozenset(VERDICTS.values()) - {"true", "clarification", "half_true", "unproven"}
_TAG = re.compile(r"^\s*[\[(【]\s*([^\]\)】]{2,40}?)\s*[\])】]\s*[:\-–]?\s*")
NO_VERDICT = "item without a recognised verdict (not a claim)"
MAX_CLAIM_CHARS = 1000


def verdict_of(title: str) -> tuple[str, str, str] | None:
    """(normalised verdict, label as published, the title without its tag), or None.

    Several tags ("[HOAKS] [SALAH] ...") are all stripped; the first recognised one counts."""
    rest, found = title, None
    while (match := _TAG.match(rest)) is not None:
        label = " ".join(match.group(1).upper().split())
        if found is None and label in VERDICTS:
            found = label
        rest = rest[match.end() :]
    if found is None:
        return None
    claim = _tidy(rest) or ""
    return (VERDICTS[found], found, claim) if claim else None


def parse_factcheck(
    body: bytes,
    *,
    now: datetime,
    url: str = "",
    headers: Mapping[str, str] | None = None,
    max_items: int = MAX_ITEMS,
) -> ParsedFeed:
    """Debunks from a fact-checker's feed, or from an HTML listing of verdict-tagged links."""
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if _HTML_START.match(stripped):
        return _listing(stripped, url=url, max_items=max_items)
    feed = parse_feed(body, headers=headers, now=now, max_items=max_items)
    feed.format = f"factcheck-{feed.format}"
    return feed


def _listing(body: bytes, *, url: str, max_items: int) -> ParsedFeed:
    try:
        root = lxml.html.document_fromstring(body)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ParseError(f"unreadable fact-check listing: {exc}"[:500]) from None
    feed = ParsedFeed(format="factcheck-listing")
    seen: set[str] = set()
    for anchor in root.xpath("//a[@href]"):
        text = _tidy(anchor.text_content() or "") or ""
        if not _TAG.match(text):
            continue
        link = urljoin(url, anchor.get("href"))
        if link in seen:
            continue
        seen.add(link)
        if len(feed.items) >= max_items:
            feed.skip(f"items over the per-feed cap of {max_items} (not read)")
            continue
        feed.items.append(FeedItem(url=link, title=text))
    if not feed.items and not seen:
        raise ParseError("no verdict-tagged links ([HOAKS], [SALAH], ...) on this fact-check page")
    return feed


def claim_rows(
    items: Sequence[FeedItem],
    *,
    source_id: int | None,
    fetched_at: datetime,
    skipped: dict[str, int] | None = None,
) -> list[dict[str, Any]]:
    """One claim row per debunk URL; items without a verdict or a usable URL are counted."""
    rows: dict[str, dict[str, Any]] = {}

    def skip(reason: str) -> None:
        if skipped is not None:
            skipped[reason] = skipped.get(reason, 0) + 1

    for item in items:
        found = verdict_of(storable(item.title) or "")
        if found is None:
            skip(NO_VERDICT)
            continue
        verdict, label, claim = found
        try:
            link = normalise_url(item.url)
        except InvalidURLError:
            skip("unusable URL")
            continue
        published = item.published if item.published and item.published_trusted else fetched_at
        rows.setdefault(
            url_hash(link),
            {
                "source_id": source_id,
                "url": link,
                "url_hash": url_hash(link),
                "publisher": host_of(link)[:200],
                "title": (storable(item.title) or "")[:2000],
                "claim": claim[:MAX_CLAIM_CHARS],
                "verdict": verdict,
                "verdict_label": label[:40],
                "published_at": published,
                "fetched_at": fetched_at,
                "created_at": fetched_at,
                "updated_at": fetched_at,
            },
        )
    return list(rows.values())
