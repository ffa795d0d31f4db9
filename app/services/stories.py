"""Story groups: syndicated copies of one story across outlets, found by near-duplicate text.

Every article whose text is settled (no page pending) joins a story group: the group of an
earlier article with the same content hash or a similar MinHash (found through shared LSH bands
stored in `story_bands`, within `WINDOW` of its publish time), or a new group of its own. The
group keeps the copy count, the number of outlets and who published first.

Assignment runs one transaction at a time (a PostgreSQL advisory lock; SQLite's writer lock)
so two workers never open two groups for two copies of the same story.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.crawlers.neardup import SAME_STORY, bands, signature, similarity
from app.db import is_postgres
from app.models import Article, StoryBand, StoryGroup, TextState

WINDOW = timedelta(days=3)
BAND_CHUNK = 5000  # band keys per IN list: under SQLite's bound-parameter limit
_LOCK_KEY = 0x50414E544155  # "PANTAU": the advisory lock that serialises story assignment


async def lock_story_assignment(session: AsyncSession) -> None:
    """Serialise story assignment across workers for the rest of this transaction."""
    if is_postgres(session):
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    # SQLite: the writer transaction already holds the database's only write lock.


async def assign_pending_stories(session: AsyncSession, *, limit: int) -> int:
    """Give up to `limit` settled articles a story group; returns how many were assigned.

    Batched: one query for content-hash matches, one for LSH band candidates, one insert of
    the new groups, one of the bands and one recount, whatever the batch size.
    """
    await lock_story_assignment(session)
    query = (
        select(Article)
        .where(
            Article.story_group_id.is_(None),
            Article.deleted_at.is_(None),
            or_(Article.text_state.is_(None), Article.text_state != TextState.PENDING),
        )
        .order_by(Article.published_at, Article.id)
        .limit(limit)
    )
    articles = list((await session.scalars(query)).all())
    if not articles:
        return 0
    missing = [a for a in articles if a.minhash is None]
    sigs = await asyncio.to_thread(_signatures, [a.body or a.summary for a in missing])
    for article, sig in zip(missing, sigs, strict=True):
        article.minhash = sig
    keys = {a.id: bands(a.minhash) if a.minhash else [] for a in articles}
    by_hash = await _groups_by_content(session, articles)
    candidates = await _band_candidates(session, articles, keys)
    chosen: dict[int, int | StoryGroup] = {}  # article id -> existing group id or a new group
    batch_bands: dict[int, list[Article]] = {}  # this batch's own bands, for copies within it
    for article in articles:
        target = _choose(article, keys[article.id], by_hash, candidates, batch_bands, chosen)
        if target is None:
            target = StoryGroup(
                title=article.title,
                first_article_id=article.id,
                first_outlet=article.outlet,
                first_published_at=article.published_at,
            )
            session.add(target)
        chosen[article.id] = target
        if article.content_hash and article.body:
            by_hash.setdefault(article.content_hash, target)
        for key in keys[article.id]:
            batch_bands.setdefault(key, []).append(article)
    await session.flush()  # ids for the new groups
    touched: set[int] = set()
    for article in articles:
        target = chosen[article.id]
        article.story_group_id = target if isinstance(target, int) else target.id
        touched.add(article.story_group_id)
    rows = [
        {"band": key, "article_id": a.id, "published_at": a.published_at}
        for a in articles
        for key in set(keys[a.id])
    ]
    if rows:
        await session.execute(insert(StoryBand), rows)
    await session.flush()
    await _recount_many(session, touched)
    return len(articles)


def _signatures(texts: Sequence[str | None]) -> list[bytes | None]:
    return [signature(t) for t in texts]


async def _groups_by_content(
    session: AsyncSession, articles: list[Article]
) -> dict[str, int | StoryGroup]:
    hashes = {a.content_hash for a in articles if a.content_hash and a.body}
    if not hashes:
        return {}
    found = await session.execute(
        select(Article.content_hash, Article.story_group_id).where(
            Article.content_hash.in_(hashes), Article.story_group_id.is_not(None)
        )
    )
    return {h: g for h, g in found.all() if h is not None and g is not None}


@dataclass(slots=True)
class _Candidate:
    group_id: int
    minhash: bytes
    published_at: datetime


async def _band_candidates(
    session: AsyncSession, articles: list[Article], keys: dict[int, list[int]]
) -> dict[int, list[_Candidate]]:
    wanted = {k for ks in keys.values() for k in ks}
    if not wanted:
        return {}
    low = min(a.published_at for a in articles) - WINDOW
    high = max(a.published_at for a in articles) + WINDOW
    found: dict[int, list[_Candidate]] = {}
    listed = sorted(wanted)
    for start in range(0, len(listed), BAND_CHUNK):
        rows = await session.execute(
            select(StoryBand.band, Article.story_group_id, Article.minhash, Article.published_at)
            .join(Article, StoryBand.article_id == Article.id)
            .where(
                StoryBand.band.in_(listed[start : start + BAND_CHUNK]),
                StoryBand.published_at.between(low, high),
                Article.story_group_id.is_not(None),
                Article.deleted_at.is_(None),
            )
        )
        for band, group_id, minhash, published in rows.all():
            if group_id is not None and minhash is not None:
                found.setdefault(band, []).append(_Candidate(group_id, minhash, published))
    return found


def _choose(
    article: Article,
    keys: list[int],
    by_hash: dict[str, int | StoryGroup],
    candidates: dict[int, list[_Candidate]],
    batch_bands: dict[int, list[Article]],
    chosen: dict[int, int | StoryGroup],
) -> int | StoryGroup | None:
    if article.content_hash and article.body and article.content_hash in by_hash:
        return by_hash[article.content_hash]
    if article.minhash is None:
        return None
    best: int | StoryGroup | None = None
    best_score = SAME_STORY
    for key in keys:
        for candidate in candidates.get(key, []):
            if abs(candidate.published_at - article.published_at) > WINDOW:
                continue
            score = similarity(article.minhash, candidate.minhash)
            if score >= best_score:
                best, best_score = candidate.group_id, score
        for other in batch_bands.get(key, []):
            if other.minhash is None or abs(other.published_at - article.published_at) > WINDOW:
                continue
            score = similarity(article.minhash, other.minhash)
            if score >= best_score:
                best, best_score = chosen[other.id], score
    return best


async def _recount_many(session: AsyncSession, group_ids: set[int]) -> None:
    if not group_ids:
        return
    ids = sorted(group_ids)
    counts = await session.execute(
        select(Article.story_group_id, func.count(), func.count(func.distinct(Article.outlet)))
        .where(Article.story_group_id.in_(ids), Article.deleted_at.is_(None))
        .group_by(Article.story_group_id)
    )
    firsts = await session.execute(
        select(Article)
        .where(Article.story_group_id.in_(ids), Article.deleted_at.is_(None))
        .order_by(Article.story_group_id, Article.published_at, Article.id)
    )
    groups = {
        g.id: g
        for g in (await session.scalars(select(StoryGroup).where(StoryGroup.id.in_(ids)))).all()
    }
    for group_id, copies, outlets in counts.all():
        if group_id is None:
            continue
        group = groups[group_id]
        group.copy_count, group.outlet_count = int(copies), int(outlets)
    seen: set[int] = set()
    for article in firsts.scalars().all():
        if article.story_group_id is None or article.story_group_id in seen:
            continue
        seen.add(article.story_group_id)
        group = groups[article.story_group_id]
        group.first_article_id = article.id
        group.first_outlet = article.outlet
        group.first_published_at = article.published_at
        group.title = article.title


async def recount_group(session: AsyncSession, *, group_id: int) -> None:
    """Recompute a group's counts and first publication (after an article left it)."""
    group = await session.get(StoryGroup, group_id)
    if group is None:
        return
    group.copy_count = group.outlet_count = 0
    group.first_article_id = None
    await _recount_many(session, {group_id})
