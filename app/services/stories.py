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
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.crawlers.neardup import SAME_STORY, bands, signatures, similarities
from app.db import is_postgres, lock_job, one_of
from app.models import Article, StoryBand, StoryGroup, TextState, utcnow
from app.models.base import core_table

WINDOW = timedelta(days=3)
BAND_CHUNK = 5000  # band keys per IN list: under SQLite's bound-parameter limit
_LOCK_KEY = 0x50414E544155  # "PANTAU": the advisory lock that serialises story assignment


async def lock_story_assignment(session: AsyncSession) -> None:
    """Serialise story assignment across workers for the rest of this transaction."""
    await lock_job(session, _LOCK_KEY)


# Computes MinHash signatures for a batch of texts somewhere else (the CPU pool's processes);
# the default is a thread of this process.
Signer = Callable[[list[str | None]], Awaitable[list[bytes | None]]]


@dataclass(slots=True)
class _Pending:
    """The columns of an article waiting for its story group that assignment reads."""

    id: int
    title: str
    outlet: str | None
    published_at: datetime
    content_hash: str | None
    has_body: bool
    minhash: bytes | None


async def assign_pending_stories(
    session: AsyncSession, *, limit: int, sign: Signer | None = None, scored_only: bool = False
) -> int:
    """Give up to `limit` settled articles a story group; returns how many were assigned.

    Batched: one query for the batch, one for content-hash matches, one for LSH band
    candidates, one insert of the new groups, one of the bands, one bulk update of the
    articles and one recount, whatever the batch size. Only the columns assignment needs are
    read (never the bodies, except of articles still without a signature). With
    `scored_only`, only articles already scored are taken (the score stage assigns the others
    with its own row write, `plan_stories`).
    """
    await lock_story_assignment(session)
    settled = [
        Article.story_group_id.is_(None),
        Article.deleted_at.is_(None),
        or_(Article.text_state.is_(None), Article.text_state != TextState.PENDING),
    ]
    if scored_only:
        settled.append(Article.scored_at.is_not(None))
    rows = (
        await session.execute(
            select(*_PENDING_COLUMNS)
            .where(*settled)
            .order_by(Article.published_at, Article.id)
            .limit(limit)
        )
    ).all()
    if not rows:
        return 0
    articles = [_Pending(*row) for row in rows]
    missing = [a for a in articles if a.minhash is None]
    signed: dict[int, bytes | None] = {}
    if missing:
        text_of = func.coalesce(func.nullif(Article.body, ""), Article.summary)  # body or summary
        found = await session.execute(
            select(Article.id, text_of).where(Article.id.in_([a.id for a in missing]))
        )
        texts: dict[int, str | None] = dict(found.all())
        batch = [texts.get(a.id) for a in missing]
        sigs = await sign(batch) if sign is not None else await asyncio.to_thread(signatures, batch)
        for article, sig in zip(missing, sigs, strict=True):
            article.minhash = signed[article.id] = sig
    plan = await _assign(session, articles, signed)
    updates: list[dict[str, object]] = [
        {"id": a.id, "story_group_id": plan.group_of[a.id]} for a in articles if a.id not in signed
    ]
    updates_signed: list[dict[str, object]] = [
        {"id": a.id, "story_group_id": plan.group_of[a.id], "minhash": signed[a.id]}
        for a in articles
        if a.id in signed
    ]
    for params in (updates, updates_signed):  # executemany needs the same columns in every row
        if params:
            await session.execute(update(Article), params)
    await finish_stories(session, plan)
    return len(articles)


_PENDING_COLUMNS = (
    Article.id,
    Article.title,
    Article.outlet,
    Article.published_at,
    Article.content_hash,
    func.coalesce(Article.body, "") != "",  # `article.body` is truthy
    Article.minhash,
)


@dataclass(frozen=True, slots=True)
class StoryPlan:
    """Story groups chosen for a batch, not yet written onto the article rows.

    `group_of` maps article id to its group; `signed` holds the signatures computed for the
    batch (to store with the group). The caller writes both onto the rows, then calls
    `finish_stories`, which recounts the groups that existed before (they are counted from
    the rows, so after the write).
    """

    group_of: dict[int, int]
    signed: dict[int, bytes | None]
    existing: frozenset[int]


async def plan_stories(
    session: AsyncSession, *, ids: Sequence[int], signed: Mapping[int, bytes | None]
) -> StoryPlan:
    """Choose story groups for the given articles (those still without one and not deleted),
    in publication order, as `assign_pending_stories` does; `signed` gives the signatures of
    articles stored without one (computed by the caller, e.g. with the article's score).

    Takes the story lock for the rest of the transaction; new groups and their bands are
    inserted here, the article rows are left to the caller (`StoryPlan`).
    """
    await lock_story_assignment(session)
    if not ids:
        return StoryPlan({}, {}, frozenset())
    rows = (
        await session.execute(
            select(*_PENDING_COLUMNS)
            .where(
                Article.id.in_(list(ids)),
                Article.story_group_id.is_(None),
                Article.deleted_at.is_(None),
            )
            .order_by(Article.published_at, Article.id)
        )
    ).all()
    articles = [_Pending(*row) for row in rows]
    used: dict[int, bytes | None] = {}
    for article in articles:
        if article.minhash is None:
            article.minhash = used[article.id] = signed.get(article.id)
    return await _assign(session, articles, used)


async def finish_stories(session: AsyncSession, plan: StoryPlan) -> None:
    """Recount the groups of a plan that existed before it (after the rows were written)."""
    await _recount_many(session, set(plan.existing))


@dataclass(slots=True, eq=False)
class _NewGroup:
    """A story group opened by this batch (inserted once the batch is placed)."""

    members: list[_Pending]
    id: int = 0


async def _assign(
    session: AsyncSession, articles: list[_Pending], signed: dict[int, bytes | None]
) -> StoryPlan:
    """Choose each article's group (in the given order), insert the new groups (counted from
    their members here) and the articles' bands."""
    keys = {a.id: bands(a.minhash) if a.minhash else [] for a in articles}
    by_hash = await _groups_by_content(session, articles)
    candidates = await _band_candidates(session, articles, keys)
    chosen: dict[int, int | _NewGroup] = {}  # article id -> existing group id or a new group
    batch_bands: dict[int, list[_Pending]] = {}  # this batch's own bands, for copies within it
    fresh: list[_NewGroup] = []
    for article in articles:
        target = _choose(article, keys[article.id], by_hash, candidates, batch_bands, chosen)
        if target is None:
            target = _NewGroup([])
            fresh.append(target)
        if isinstance(target, _NewGroup):
            target.members.append(article)
        chosen[article.id] = target
        if article.content_hash and article.has_body:
            by_hash.setdefault(article.content_hash, target)
        for key in keys[article.id]:
            batch_bands.setdefault(key, []).append(article)
    if fresh:
        # A group opened in this batch holds only this batch's articles: counted here, and
        # inserted with one Core statement (the ORM's unit of work cost more than the choice).
        # Groups that existed before are recounted from the database (`finish_stories`).
        now = utcnow()
        created = await session.scalars(
            insert(core_table(StoryGroup)).returning(
                core_table(StoryGroup).c.id, sort_by_parameter_order=True
            ),
            [_fresh_row(group, now) for group in fresh],
        )
        for group, group_id in zip(fresh, created.all(), strict=True):
            group.id = group_id
    await _insert_bands(session, articles, keys)
    return StoryPlan(
        {a.id: _group_id(chosen[a.id]) for a in articles},
        signed,
        frozenset(t for t in chosen.values() if isinstance(t, int)),
    )


# PostgreSQL: every band of a batch in one statement, three arrays unnested into rows.
_INSERT_BANDS_PG = text(
    "INSERT INTO story_bands (band, article_id, published_at) "
    "SELECT * FROM unnest(CAST(:bands AS bigint[]), CAST(:ids AS integer[]),"
    " CAST(:times AS timestamptz[]))"
)


async def _insert_bands(
    session: AsyncSession, articles: list[_Pending], keys: dict[int, list[int]]
) -> None:
    """Insert the articles' bands (32 rows per article).

    On PostgreSQL, one INSERT of three unnested arrays: an executemany of 6,400 rows a batch
    cost the driver and the server a bind and an execution per row. On SQLite, the driver's
    executemany: SQLAlchemy's would convert every row's parameters on its own (the publish
    time once per band, about 1 CPU second per 3,001 articles), so each article's time goes
    through the column type's bind processor once, and the rows are handed to the driver as
    they are, in the order of the compiled statement's positional parameters.
    """
    if not any(keys[a.id] for a in articles):
        return
    if is_postgres(session):
        bands: list[int] = []
        ids: list[int] = []
        times: list[datetime] = []
        for article in articles:
            for key in set(keys[article.id]):
                bands.append(key)
                ids.append(article.id)
                times.append(article.published_at)
        await session.execute(_INSERT_BANDS_PG, {"bands": bands, "ids": ids, "times": times})
        return
    connection = await session.connection()
    dialect = connection.dialect
    table = core_table(StoryBand)
    compiled = insert(table).compile(dialect=dialect, column_keys=[c.name for c in table.c])
    order = compiled.positiontup
    if order is None:  # not a positional paramstyle: never the case for sqlite and asyncpg
        raise RuntimeError(f"story bands: {dialect.name} has a named paramstyle")
    bind_time = table.c.published_at.type.dialect_impl(dialect).bind_processor(dialect)
    band_at, article_at, time_at = (order.index(n) for n in ("band", "article_id", "published_at"))
    rows: list[tuple[object, ...]] = []
    for article in articles:
        row: list[object] = [None] * len(order)
        row[article_at] = article.id
        row[time_at] = bind_time(article.published_at) if bind_time else article.published_at
        for key in set(keys[article.id]):
            row[band_at] = key
            rows.append(tuple(row))
    await connection.exec_driver_sql(compiled.string, rows)


def _group_id(target: int | _NewGroup) -> int:
    return target if isinstance(target, int) else target.id


def _fresh_row(group: _NewGroup, now: datetime) -> dict[str, object]:
    first = min(group.members, key=lambda a: (a.published_at, a.id))
    return {
        "title": first.title,
        "first_article_id": first.id,
        "first_outlet": first.outlet,
        "first_published_at": first.published_at,
        "copy_count": len(group.members),
        "outlet_count": len({a.outlet for a in group.members if a.outlet is not None}),
        "created_at": now,
        "updated_at": now,
    }


async def _groups_by_content(
    session: AsyncSession, articles: list[_Pending]
) -> dict[str, int | _NewGroup]:
    hashes = {a.content_hash for a in articles if a.content_hash and a.has_body}
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
    """An earlier article that shares a band with the batch (fetched once, however many)."""

    id: int
    group_id: int
    minhash: bytes
    published_at: datetime


async def _band_candidates(
    session: AsyncSession, articles: list[_Pending], keys: dict[int, list[int]]
) -> dict[int, list[_Candidate]]:
    """Band key -> the grouped articles in that band (in article id order), within the window.

    Two queries: band -> article ids (the band rows only), then each distinct article's group,
    signature and time once. A copy shares many of its 32 bands with its original; reading the
    signature per band row fetched and compared it up to 32 times."""
    wanted = {k for ks in keys.values() for k in ks}
    if not wanted:
        return {}
    low = min(a.published_at for a in articles) - WINDOW
    high = max(a.published_at for a in articles) + WINDOW
    ids_of: dict[int, list[int]] = {}
    listed = sorted(wanted)
    for start in range(0, len(listed), BAND_CHUNK):
        rows = await session.execute(
            select(StoryBand.band, StoryBand.article_id).where(
                one_of(session, StoryBand.band, listed[start : start + BAND_CHUNK]),
                StoryBand.published_at.between(low, high),
            )
        )
        for band, article_id in rows.all():
            ids_of.setdefault(band, []).append(article_id)
    distinct = sorted({i for ids in ids_of.values() for i in ids})
    known: dict[int, _Candidate] = {}
    for start in range(0, len(distinct), BAND_CHUNK):
        found = await session.execute(
            select(Article.id, Article.story_group_id, Article.minhash, Article.published_at).where(
                Article.id.in_(distinct[start : start + BAND_CHUNK]),
                Article.story_group_id.is_not(None),
                Article.deleted_at.is_(None),
                Article.minhash.is_not(None),
            )
        )
        for article_id, group_id, minhash, published in found.all():
            if group_id is None or minhash is None:
                continue
            known[article_id] = _Candidate(article_id, group_id, minhash, published)
    return {band: [known[i] for i in sorted(ids) if i in known] for band, ids in ids_of.items()}


def _choose(
    article: _Pending,
    keys: list[int],
    by_hash: dict[str, int | _NewGroup],
    candidates: dict[int, list[_Candidate]],
    batch_bands: dict[int, list[_Pending]],
    chosen: dict[int, int | _NewGroup],
) -> int | _NewGroup | None:
    """The group of the most similar candidate at or above `SAME_STORY`, else None.

    Each distinct candidate is compared once. Ties go to the candidate seen last in band
    order (per band: earlier articles, then this batch's), as when every band's candidates
    were compared in turn and an equal score replaced the best."""
    if article.content_hash and article.has_body and article.content_hash in by_hash:
        return by_hash[article.content_hash]
    if article.minhash is None:
        return None
    # (kind, id) in order of each candidate's last sighting, latest first.
    sightings: list[tuple[bool, int]] = []
    for key in keys:
        sightings += [(False, c.id) for c in candidates.get(key, ())]
        sightings += [(True, o.id) for o in batch_bands.get(key, ())]
    if not sightings:
        return None
    latest_first = list(dict.fromkeys(reversed(sightings)))
    stored = {c.id: c for key in keys for c in candidates.get(key, ())}
    batch = {o.id: o for key in keys for o in batch_bands.get(key, ())}
    targets: list[int | _NewGroup] = []
    sigs: list[bytes] = []
    for in_batch, ident in latest_first:
        other = batch[ident] if in_batch else stored[ident]
        if other.minhash is None or abs(other.published_at - article.published_at) > WINDOW:
            continue
        targets.append(chosen[ident] if in_batch else stored[ident].group_id)
        sigs.append(other.minhash)
    if not sigs:
        return None
    scores = similarities(article.minhash, sigs)
    best_score = max(scores)
    if best_score < SAME_STORY:
        return None
    return targets[scores.index(best_score)]  # the first at the top = the last sighted


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
        select(
            Article.story_group_id, Article.id, Article.outlet, Article.published_at, Article.title
        )
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
    for group_id, article_id, outlet, published_at, title in firsts.all():
        if group_id is None or group_id in seen:
            continue
        seen.add(group_id)
        group = groups[group_id]
        group.first_article_id = article_id
        group.first_outlet = outlet
        group.first_published_at = published_at
        group.title = title


async def recount_group(session: AsyncSession, *, group_id: int) -> None:
    """Recompute a group's counts and first publication (after an article left it)."""
    group = await session.get(StoryGroup, group_id)
    if group is None:
        return
    group.copy_count = group.outlet_count = 0
    group.first_article_id = None
    await _recount_many(session, {group_id})


async def skip_unassignable(session: AsyncSession, *, scored_only: bool = False) -> int | None:
    """Set aside the next article `assign_pending_stories` would take (it failed alone): a story
    group of its own, stamped with its fetch time, no bands. Returns its id."""
    settled = [
        Article.story_group_id.is_(None),
        Article.deleted_at.is_(None),
        or_(Article.text_state.is_(None), Article.text_state != TextState.PENDING),
    ]
    if scored_only:
        settled.append(Article.scored_at.is_not(None))
    row = (
        await session.execute(
            select(Article.id, Article.title, Article.outlet, Article.fetched_at)
            .where(*settled)
            .order_by(Article.published_at, Article.id)
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    article_id, title, outlet, fetched_at = row
    group = StoryGroup(
        title=title or "",
        first_article_id=article_id,
        first_outlet=outlet,
        first_published_at=fetched_at,
    )
    session.add(group)
    await session.flush()
    await session.execute(
        update(Article).where(Article.id == article_id).values(story_group_id=group.id)
    )
    return int(article_id)
