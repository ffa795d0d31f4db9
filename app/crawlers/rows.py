"""Feed items as article rows, and the keys the dedup layers compare (pure).

A row is what `services.articles.insert_rows` stores: the URL normalised and hashed (its
identity), server-controlled text made storable, and two keys that recognise a re-posted copy
from the same outlet: the content hash (normalised title and text) and the title key. Pure
functions, so the CPU pool builds the rows while it parses a feed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from app.crawlers.dates import bounded_time
from app.crawlers.parsers import FeedItem, storable
from app.crawlers.urls import InvalidURLError, host_of, normalise_url, url_hash
from app.models import TextState

MIN_TITLE_WORDS = 3  # "Foto", "Video: Live" are section labels, not titles worth comparing
_NON_WORD = re.compile(r"\W+", re.UNICODE)


def content_hash(title: str, text: str | None) -> str:
    """Hash of the normalised title and text: equal for byte-different copies of one story."""
    normalised = _NON_WORD.sub(" ", f"{title}\n{text or ''}".lower()).strip()
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def title_key(title: str | None) -> str | None:
    """Hash of a title lower-cased with punctuation folded, or None for a too-short title."""
    words = _NON_WORD.sub(" ", (title or "").lower()).split()
    if len(words) < MIN_TITLE_WORDS:
        return None
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()


def article_row(
    item: FeedItem, *, source_id: int | None, fetched_at: datetime
) -> dict[str, Any] | None:
    """The row for one item, or None when its URL is not one we can store.

    The publish time passes `dates.bounded_time` once more (listing links and callers outside
    the parsers build items too): an impossible one becomes the fetch time, untrusted.
    """
    try:
        url = normalise_url(item.url)
    except InvalidURLError:
        return None
    published, trusted, _dropped = bounded_time(item.published, now=fetched_at)
    # Control characters out first: PostgreSQL refuses NUL, and one would fail the whole feed.
    title = storable(item.title) or ""
    summary, body, author = storable(item.summary), storable(item.body), storable(item.author)
    text = body or summary
    return {
        "source_id": source_id,
        "url": url,
        "url_hash": url_hash(url),
        "guid": storable(item.guid),
        "outlet": host_of(url),
        "title": title[:2000],
        "summary": summary,
        "body": body,
        "author": (author or None) and author[:300],
        "published_at": published or fetched_at,
        "published_trusted": bool(published) and trusted and item.published_trusted,
        "fetched_at": fetched_at,
        "content_hash": content_hash(title, text) if text else None,
        "title_key": title_key(title),
        # Without a body the page stage fetches and extracts the article before it is scored;
        # a post is all there is (its link is the post itself, not a page to extract).
        "text_state": None if body or item.kind == "post" else TextState.PENDING,
        "kind": item.kind,
        "platform": item.platform,
        "engagement": item.engagement,
        "created_at": fetched_at,
        "updated_at": fetched_at,
    }


def article_rows(
    items: Sequence[FeedItem],
    *,
    source_id: int | None,
    fetched_at: datetime,
    skipped: dict[str, int] | None = None,
) -> list[dict[str, Any]]:
    """The rows for these items, one per URL (feeds repeat GUIDs and links).

    An item that cannot become a row is left out and counted by reason in `skipped`; the
    others are kept whatever it was (one bad item never loses the feed).
    """
    rows: dict[str, dict[str, Any]] = {}
    for item in items:
        try:
            row = article_row(item, source_id=source_id, fetched_at=fetched_at)
            reason = "unusable URL" if row is None else None
        except Exception as exc:  # any other surprise in one item: skip that item only
            row, reason = None, f"item could not be stored ({type(exc).__name__})"
        if row is not None:
            rows.setdefault(row["url_hash"], row)
        elif skipped is not None and reason is not None:
            skipped[reason] = skipped.get(reason, 0) + 1
    return list(rows.values())
