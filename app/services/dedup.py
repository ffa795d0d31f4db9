"""The dedup layers in front of the article upsert (the URL-hash unique key is the last one);
the keys they compare are computed with the row (crawlers/rows.py).

1. tombstones: an article an analyst deleted is never imported again;
2. per-source title window: the same outlet publishing the same normalised title within
   `TITLE_WINDOW` is one article (outlets re-post with new URLs and GUIDs);
3. per-source content hash: byte-different copies of the same title and text are one article.
Across outlets, copies are kept and grouped into story groups instead (services/stories.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Article, Tombstone

TITLE_WINDOW = timedelta(hours=48)


async def tombstoned(session: AsyncSession, hashes: Iterable[str]) -> set[str]:
    wanted = list(set(hashes))
    if not wanted:
        return set()
    rows = await session.scalars(select(Tombstone.url_hash).where(Tombstone.url_hash.in_(wanted)))
    return set(rows.all())


async def drop_known(
    session: AsyncSession, *, source_id: int | None, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The rows that none of the dedup layers recognises (also among themselves)."""
    dead = await tombstoned(session, (r["url_hash"] for r in rows))
    rows = [r for r in rows if r["url_hash"] not in dead]
    if source_id is None or not rows:
        return rows
    titles = {r["title_key"] for r in rows if r["title_key"]}
    contents = {r["content_hash"] for r in rows if r["content_hash"]}
    seen_titles: dict[str, list[datetime]] = {}
    seen_content: set[str] = set()
    if titles:
        found = await session.execute(
            select(Article.title_key, Article.published_at).where(
                Article.source_id == source_id, Article.title_key.in_(titles)
            )
        )
        for key, published in found.all():
            if key is not None:
                seen_titles.setdefault(key, []).append(published)
    if contents:
        found_hashes = await session.scalars(
            select(Article.content_hash).where(
                Article.source_id == source_id, Article.content_hash.in_(contents)
            )
        )
        seen_content = {h for h in found_hashes.all() if h is not None}
    kept: list[dict[str, Any]] = []
    for row in rows:
        key, published, digest = row["title_key"], row["published_at"], row["content_hash"]
        if digest is not None and digest in seen_content:
            continue
        if key and any(
            abs(published - other) <= TITLE_WINDOW for other in seen_titles.get(key, [])
        ):
            continue
        kept.append(row)
        if digest is not None:
            seen_content.add(digest)
        if key:
            seen_titles.setdefault(key, []).append(published)
    return kept
