"""The clustering stage: matched, scored articles join issues (app/feed/clustering.py).

One batch is one transaction: claim pending articles, load the snapshots of the issues open
around the batch's time span (and of the issues already holding the batch's story groups, so
a late syndicated copy still joins its story's issue), place every article with the pure
``Clusterer``, then write new issues, links, snapshots and metrics with a handful of bulk
statements. On PostgreSQL an advisory lock serialises the stage (two workers clustering at
once would each open an issue for the same event); SQLite's writer lock already does.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Text, cast, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import lock_job, one_of, skip_locked
from app.feed.clustering import (
    ClusterConfig,
    Clusterer,
    ClusterItem,
    Idf,
    IssueState,
    Terms,
    fit_idf,
    headline_vector,
    item_terms,
    remember_terms,
    uncounted,
    vectorize,
)
from app.models import Article, ArticleWatchlist, Issue, IssueArticle, IssueEvent, utcnow
from app.models.base import core_table
from app.services.feed_config import FeedConfig
from app.services.issue_metrics import (
    SYSTEM,
    Recomputed,
    mentioned,
    recompute_issues,
    snapshot_state,
)

_LOCK_KEY = 0x50414E544156  # the advisory lock that serialises clustering
LEAD_CHARS = 1200  # enough text for the lead words clustering reads

# Counts the terms of (title, lead) pairs somewhere else (the CPU pool's processes); without
# one, this process counts them as it reads them.
TermCounter = Callable[[list[tuple[str, str]]], Awaitable[list[Terms]]]


async def count_uncounted(
    documents: Sequence[tuple[str, str]], config: FeedConfig, counter: TermCounter | None
) -> None:
    """Have `counter` count the documents whose term counts this process does not hold."""
    if counter is None:
        return
    missing = uncounted(documents, config.cluster)
    if missing:
        for (title, text), terms in zip(missing, await counter(missing), strict=True):
            remember_terms(title, text, config.cluster, terms)


async def lock_clustering(session: AsyncSession) -> None:
    """Serialise clustering across workers for the rest of this transaction."""
    await lock_job(session, _LOCK_KEY)


def _lead() -> ColumnElement[str]:
    return func.substr(func.coalesce(Article.body, Article.summary, ""), 1, LEAD_CHARS)


# --- IDF: fitted on the newest articles, cached per database --------------------------------


def _database_key(session: AsyncSession) -> str:
    bind = session.get_bind()
    return str(bind.url) if hasattr(bind, "url") else "default"


@dataclass(slots=True)
class _Fitted:
    at: float
    count: int
    idf: Idf


_IDF: dict[str, _Fitted] = {}


async def current_idf(
    session: AsyncSession, *, config: FeedConfig, counter: TermCounter | None = None
) -> Idf:
    """The IDF of the newest ``idf_sample`` articles, refitted when stale or the store grew.

    Small stores refit on every change (cheap); large ones every ``idf_ttl_seconds`` or after
    10% growth, so a batch costs one count query. With `counter`, the articles whose terms were
    not counted yet are counted there (the CPU pool) before the fit.
    """
    key = _database_key(session)
    count = int(await session.scalar(select(func.count()).select_from(Article)) or 0)
    cached = _IDF.get(key)
    now = time.monotonic()
    if cached is not None and now - cached.at < config.idf_ttl_seconds:
        small = cached.count < 1000
        if (small and cached.count == count) or (
            not small and abs(count - cached.count) <= 0.1 * cached.count
        ):
            return cached.idf
    rows = await session.execute(
        select(Article.title, _lead())
        .where(Article.deleted_at.is_(None))
        .order_by(Article.id.desc())
        .limit(config.idf_sample)
    )
    documents = [(t or "", x or "") for t, x in rows]
    await count_uncounted(documents, config, counter)
    idf = fit_idf(documents, config.cluster)
    _IDF[key] = _Fitted(now, count, idf)
    return idf


# --- the stage --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClusterOutcome:
    clustered: int
    new_issues: list[int]
    recomputed: list[Recomputed]


async def _claim(session: AsyncSession, limit: int) -> list[tuple[ClusterItem, int]]:
    query = (
        select(
            Article.id,
            Article.published_at,
            Article.title,
            _lead(),
            Article.outlet,
            Article.targets,
            Article.story_group_id,
        )
        .where(
            Article.scored_at.is_not(None),
            Article.matched_at.is_not(None),
            Article.grouped_at.is_(None),
        )
        .order_by(Article.id)
        .limit(limit)
    )
    query = skip_locked(session, query, of=Article)
    rows = (await session.execute(query)).all()
    if not rows:
        return []
    links: dict[int, set[int]] = {}
    for aid, wid in await session.execute(
        select(ArticleWatchlist.article_id, ArticleWatchlist.watchlist_id).where(
            ArticleWatchlist.article_id.in_([r[0] for r in rows])
        )
    ):
        links.setdefault(aid, set()).add(wid)
    items = []
    for aid, published, title, lead, outlet, targets, group in rows:
        item = ClusterItem(
            id=f"a{aid}",
            published_at=published,
            title=title or "",
            text=lead or "",
            outlet=outlet or "",
            entities=frozenset(mentioned(targets)),
            story_group_id=group,
            watchlists=frozenset(links.get(aid, ())),
        )
        items.append((item, aid))
    items.sort(key=lambda pair: (pair[0].published_at, pair[1]))
    return items


# What says a stored snapshot changed: the issue's updated_at (every write of an issue sets it)
# with the columns a snapshot is read with (article count, first and last seen).
_Version = tuple[datetime, int, datetime, datetime]
STATE_CHUNK = 1000  # issue ids per IN list when reading snapshots (SQLite's parameter limit)


async def _open_issues(
    session: AsyncSession, items: Sequence[ClusterItem], config: FeedConfig
) -> dict[str, _Version]:
    """The issues open around the batch and those holding its story groups, by clusterer key,
    with the version of their stored snapshots (not the snapshots: most are held already)."""
    window = config.cluster.window
    lo = min(i.published_at for i in items) - window
    hi = max(i.published_at for i in items) + window
    groups = sorted({i.story_group_id for i in items if i.story_group_id is not None})
    near = (Issue.last_seen_at >= lo) & (Issue.first_seen_at <= hi)
    condition: ColumnElement[bool] = near
    if groups:
        holding = (
            select(IssueArticle.issue_id)
            .join(Article, Article.id == IssueArticle.article_id)
            .where(one_of(session, Article.story_group_id, groups))
        )
        condition = or_(near, Issue.id.in_(holding))
    rows = await session.execute(
        select(
            Issue.id, Issue.updated_at, Issue.article_count, Issue.first_seen_at, Issue.last_seen_at
        ).where(condition, Issue.merged_into_id.is_(None), Issue.cluster_state.is_not(None))
    )
    return {f"i{i}": (updated, count, first, last) for i, updated, count, first, last in rows}


async def _stored_states(
    session: AsyncSession, keys: Sequence[str]
) -> dict[str, tuple[_Version, IssueState]]:
    """The stored snapshots of these issues, each with the version it was read at. Only the
    columns a snapshot needs, the snapshot as its stored text: an ORM Issue would decode every
    JSON column."""
    ids = sorted(int(k[1:]) for k in keys)
    out: dict[str, tuple[_Version, IssueState]] = {}
    for start in range(0, len(ids), STATE_CHUNK):
        rows = await session.execute(
            select(
                Issue.id,
                Issue.updated_at,
                Issue.article_count,
                Issue.first_seen_at,
                Issue.last_seen_at,
                cast(Issue.cluster_state, Text),
            ).where(
                one_of(session, Issue.id, ids[start : start + STATE_CHUNK]),
                Issue.merged_into_id.is_(None),
            )
        )
        for issue_id, updated, count, first, last, raw in rows:
            key = f"i{issue_id}"
            data = json.loads(raw) if raw is not None else None
            state = snapshot_state(data, count, first, last, key=key)
            if state is not None:
                out[key] = ((updated, count, first, last), state)
    return out


@dataclass(slots=True)
class _Held:
    """A clusterer kept between batches, holding exactly the issues in `stored`, each as its
    stored snapshot says at the version noted there. The issues a batch touched are held as
    the batch stored them (their snapshots rounded as `state_to_json` rounds them, which is
    what reading them back gives), so the next batch reads only the snapshots of issues new to
    it or written by someone else since."""

    clusterer: Clusterer
    stored: dict[str, _Version]


_HELD: dict[tuple[str, ClusterConfig], _Held] = {}


async def _clusterer(
    session: AsyncSession, key: tuple[str, ClusterConfig], idf: Idf, wanted: dict[str, _Version]
) -> _Held:
    """A clusterer holding the issues of `wanted` as stored: the held one brought up to date
    (issues changed, gone or new since the previous batch read again), which gives the same
    placements as one built from every snapshot afresh, at the cost of the changes only."""
    # Taken out while in use and put back once the batch is placed (`cluster_pending`): a
    # failure half-way leaves no half-updated clusterer behind.
    held = _HELD.pop(key, None)
    if held is None:
        held = _Held(Clusterer(idf=idf, config=key[1]), {})
    stale = [k for k, version in held.stored.items() if wanted.get(k) != version]
    held.clusterer.remove(stale)
    for k in stale:
        del held.stored[k]
    fresh = await _stored_states(session, [k for k in wanted if k not in held.stored])
    held.clusterer.load(state for _, state in fresh.values())
    held.stored.update({k: version for k, (version, _) in fresh.items()})
    held.clusterer.idf = idf
    return held


async def cluster_pending(
    session: AsyncSession,
    *,
    limit: int,
    config: FeedConfig | None = None,
    counter: TermCounter | None = None,
) -> ClusterOutcome:
    """Cluster up to ``limit`` pending articles in the caller's transaction; `counter` counts
    the terms this process does not hold yet (see `current_idf`)."""
    config = config or FeedConfig()
    await lock_clustering(session)
    claimed = await _claim(session, limit)
    if not claimed:
        return ClusterOutcome(0, [], [])
    items = [item for item, _ in claimed]
    await count_uncounted([(i.title, i.text) for i in items], config, counter)
    idf = await current_idf(session, config=config, counter=counter)
    held_key = (_database_key(session), config.cluster)
    held = await _clusterer(session, held_key, idf, await _open_issues(session, items, config))
    clusterer = held.clusterer
    placed = [(aid, clusterer.add(item).issue_key) for item, aid in claimed]
    touched_keys = {key for _, key in placed}
    states = clusterer.snapshots(touched_keys)
    # Held again below as stored, once written; a failure before leaves them out.
    clusterer.remove(touched_keys)
    for key in touched_keys:
        held.stored.pop(key, None)
    _HELD[held_key] = held

    # New issues: one INSERT for the lot (ids come back in order).
    new_keys = sorted({key for _, key in placed if key.startswith("a")})
    new_rows = [
        {
            "title": next(i.title for i in items if i.id == key),
            "first_seen_at": states[key].first_seen,
            "last_seen_at": states[key].last_seen,
        }
        for key in new_keys
    ]
    ids: dict[str, int] = {}
    if new_rows:
        now = utcnow()
        for row in new_rows:
            row.update(created_at=now, updated_at=now)
        created = (await session.scalars(insert(Issue).returning(Issue.id), new_rows)).all()
        ids.update(zip(new_keys, created, strict=True))
        await session.execute(
            insert(core_table(IssueEvent)),
            [{"issue_id": i, "actor": SYSTEM, "action": "created", "at": now} for i in created],
        )
    ids.update({key: int(key[1:]) for _, key in placed if key.startswith("i")})
    now = utcnow()
    await session.execute(
        insert(core_table(IssueArticle)),
        [{"article_id": aid, "issue_id": ids[key], "added_at": now} for aid, key in placed],
    )
    await session.execute(
        update(Article).where(Article.id.in_([aid for aid, _ in placed])).values(grouped_at=now)
    )
    touched = {ids[key]: states[key] for _, key in placed}
    recomputed = await recompute_issues(
        session, issue_ids=list(touched), config=config, states=touched
    )
    if _HELD.get(held_key) is held:
        _hold_written(held, recomputed)
    return ClusterOutcome(len(placed), [ids[k] for k in new_keys], recomputed)


def _hold_written(held: _Held, recomputed: Sequence[Recomputed]) -> None:
    """Hold the issues a batch wrote as a later batch would read them back: their snapshots
    as stored (rounded), at the version written. Should the transaction not commit, the
    stored versions differ and the next batch reads them again."""
    written = [r for r in recomputed if r.written is not None]
    states = []
    for r in written:
        assert r.written is not None
        version, data = r.written
        key = f"i{r.issue_id}"
        state = snapshot_state(data, version[1], version[2], version[3], key=key)
        if state is not None:
            states.append(state)
            held.stored[key] = version
    held.clusterer.load(states)


async def rebuild_states(
    session: AsyncSession, *, issue_ids: Sequence[int], config: FeedConfig
) -> dict[int, IssueState]:
    """Clustering snapshots rebuilt from the issues' current members (after a merge or split)."""
    rows = (
        await session.execute(
            select(
                IssueArticle.issue_id,
                Article.id,
                Article.published_at,
                Article.title,
                _lead(),
                Article.outlet,
                Article.targets,
                Article.story_group_id,
            )
            .join(Article, Article.id == IssueArticle.article_id)
            .where(IssueArticle.issue_id.in_(issue_ids), Article.deleted_at.is_(None))
            .order_by(Article.published_at, Article.id)
        )
    ).all()
    links: dict[int, set[int]] = {}
    for aid, wid in await session.execute(
        select(ArticleWatchlist.article_id, ArticleWatchlist.watchlist_id).where(
            ArticleWatchlist.article_id.in_([r[1] for r in rows])
        )
    ):
        links.setdefault(aid, set()).add(wid)
    idf = await current_idf(session, config=config)
    members: dict[int, list[ClusterItem]] = {}
    for issue_id, aid, published, title, lead, outlet, targets, group in rows:
        members.setdefault(issue_id, []).append(
            ClusterItem(
                id=f"a{aid}",
                published_at=published,
                title=title or "",
                text=lead or "",
                outlet=outlet or "",
                entities=frozenset(mentioned(targets)),
                story_group_id=group,
                watchlists=frozenset(links.get(aid, ())),
            )
        )
    out = {}
    for issue_id, items in members.items():
        centroid: dict[str, float] = {}
        headlines: dict[str, float] = {}
        for item in items:
            for term, weight in vectorize(
                item_terms(item.title, item.text, config.cluster), idf
            ).items():
                centroid[term] = centroid.get(term, 0.0) + weight
            for term, weight in headline_vector(item.title, idf).items():
                headlines[term] = headlines.get(term, 0.0) + weight
        top = sorted(centroid.items(), key=lambda kv: (-kv[1], kv[0]))[
            : config.cluster.centroid_terms
        ]
        heads = sorted(headlines.items(), key=lambda kv: (-kv[1], kv[0]))[
            : config.cluster.headline_terms
        ]
        out[issue_id] = IssueState(
            key=f"i{issue_id}",
            centroid=tuple(top),
            member_count=len(items),
            first_seen=items[0].published_at,
            last_seen=max(i.published_at for i in items),
            story_groups=frozenset(i.story_group_id for i in items if i.story_group_id is not None),
            entities=frozenset().union(*(i.entities for i in items)),
            outlets=frozenset(i.outlet for i in items),
            watchlists=frozenset().union(*(i.watchlists for i in items)),
            headlines=tuple(heads),
        )
    return out


async def skip_unclusterable(session: AsyncSession) -> int | None:
    """Set aside the next article `cluster_pending` would take (it failed alone): marked
    grouped, in no issue. Returns its id."""
    article_id = await session.scalar(
        select(Article.id)
        .where(
            Article.scored_at.is_not(None),
            Article.matched_at.is_not(None),
            Article.grouped_at.is_(None),
        )
        .order_by(Article.id)
        .limit(1)
    )
    if article_id is not None:
        await session.execute(
            update(Article).where(Article.id == article_id).values(grouped_at=utcnow())
        )
    return article_id
