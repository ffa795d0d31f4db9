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
from functools import lru_cache

from sqlalchemy import ColumnElement, Text, cast, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import lock_job, skip_locked
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


_Stored = tuple[int, str | None, int, datetime, datetime]  # id, snapshot text, count, first, last


async def _open_rows(
    session: AsyncSession, items: Sequence[ClusterItem], config: FeedConfig
) -> list[_Stored]:
    """The stored snapshots of the issues open around the batch and of those holding its
    story groups."""
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
            .where(Article.story_group_id.in_(groups))
        )
        condition = or_(near, Issue.id.in_(holding))
    # Only the columns a snapshot needs, the snapshot as its stored text: an ORM Issue would
    # decode every JSON column, and most open issues are unchanged since the previous batch.
    rows = await session.execute(
        select(
            Issue.id,
            cast(Issue.cluster_state, Text),
            Issue.article_count,
            Issue.first_seen_at,
            Issue.last_seen_at,
        ).where(condition, Issue.merged_into_id.is_(None), Issue.cluster_state.is_not(None))
    )
    return [(int(i), raw, count, first, last) for i, raw, count, first, last in rows]


@dataclass(slots=True)
class _Held:
    """A clusterer kept between batches, holding exactly the issues in `stored`, each as its
    stored snapshot says (the issues a batch touched are dropped after it: their new
    snapshots are rounded when stored, so they are loaded again from the database)."""

    clusterer: Clusterer
    stored: dict[str, _Stored]


_HELD: dict[tuple[str, ClusterConfig], _Held] = {}


def _clusterer(key: tuple[str, ClusterConfig], idf: Idf, rows: Sequence[_Stored]) -> _Held:
    """A clusterer holding the issues of `rows` as stored: the held one brought up to date
    (issues changed, gone or new since the previous batch reloaded), which gives the same
    placements as one built from every snapshot afresh, at the cost of the changes only."""
    wanted = {f"i{row[0]}": row for row in rows if row[1] is not None}
    # Taken out while in use and put back once the batch is placed (`cluster_pending`): a
    # failure half-way leaves no half-updated clusterer behind.
    held = _HELD.pop(key, None)
    if held is None:
        held = _Held(Clusterer(idf=idf, config=key[1]), {})
    stale = [k for k, row in held.stored.items() if wanted.get(k) != row]
    held.clusterer.remove(stale)
    for k in stale:
        del held.stored[k]
    fresh = {k: row for k, row in wanted.items() if k not in held.stored}
    held.clusterer.load(state for row in fresh.values() if (state := _snapshot(*row)) is not None)
    held.stored.update(fresh)
    held.clusterer.idf = idf
    return held


def _snapshot(
    issue_id: int, raw: str | None, count: int, first: datetime, last: datetime
) -> IssueState | None:
    """The snapshot of a stored issue (immutable), decoded once per distinct stored value."""
    return None if raw is None else _decoded(issue_id, raw, count, first, last)


@lru_cache(maxsize=8192)
def _decoded(
    issue_id: int, raw: str, count: int, first: datetime, last: datetime
) -> IssueState | None:
    return snapshot_state(json.loads(raw), count, first, last, key=f"i{issue_id}")


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
    held = _clusterer(held_key, idf, await _open_rows(session, items, config))
    clusterer = held.clusterer
    placed = [(aid, clusterer.add(item).issue_key) for item, aid in claimed]
    touched_keys = {key for _, key in placed}
    states = clusterer.snapshots(touched_keys)
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
    return ClusterOutcome(len(placed), [ids[k] for k in new_keys], recomputed)


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
