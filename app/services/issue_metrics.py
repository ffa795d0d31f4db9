"""Recompute what an issue shows from its live articles: counts, outlets, watchlists hit,
metrics, severity with its breakdown, title and top terms; and reopen a dismissed issue whose
severity rose past the margin.

Used by the clustering stage (with fresh clustering snapshots), by analyst labels and
re-scoring (tone changed), by watchlist re-matching (watchlists changed) and by merge/split.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key

from app.feed.clustering import IssueState, central_title
from app.feed.severity import ArticleSignal, issue_metrics, score
from app.models import (
    Article,
    ArticleWatchlist,
    Issue,
    IssueArticle,
    IssueEvent,
    IssueStatus,
    Source,
    WatchedEntity,
    Watchlist,
    utcnow,
)
from app.models.base import core_table
from app.services.feed_config import FeedConfig

SYSTEM = "system"


def state_to_json(state: IssueState) -> dict[str, Any]:
    return {
        "centroid": [[t, round(w, 6)] for t, w in state.centroid],
        "count": state.member_count,
        "story_groups": sorted(state.story_groups),
        "entities": sorted(state.entities),
        "outlets": sorted(state.outlets),
        "watchlists": sorted(state.watchlists),
        "headlines": [[t, round(w, 6)] for t, w in state.headlines],
    }


def snapshot_state(
    data: Mapping[str, Any] | None,
    article_count: int,
    first_seen: datetime,
    last_seen: datetime,
    *,
    key: str,
) -> IssueState | None:
    """An issue's clustering snapshot from its stored columns (None when it has none)."""
    if not data:
        return None
    return IssueState(
        key=key,
        centroid=tuple((str(t), float(w)) for t, w in data.get("centroid", [])),
        member_count=int(data.get("count", article_count)),
        first_seen=first_seen,
        last_seen=last_seen,
        story_groups=frozenset(int(g) for g in data.get("story_groups", [])),
        entities=frozenset(str(e) for e in data.get("entities", [])),
        outlets=frozenset(str(o) for o in data.get("outlets", [])),
        watchlists=frozenset(int(w) for w in data.get("watchlists", [])),
        # Snapshots stored before the headline bonus have none: such an issue gains no bonus
        # until its next member joins (or a merge/split rebuilds it).
        headlines=tuple((str(t), float(w)) for t, w in data.get("headlines", [])),
    )


def mentioned(targets: Sequence[Mapping[str, Any]] | None) -> dict[str, float]:
    """Per-entity negativity of the entities an article actually mentions."""
    out: dict[str, float] = {}
    for t in targets or ():
        if isinstance(t, Mapping) and int(t.get("mentions") or 0) > 0 and t.get("name"):
            out[str(t["name"])] = float(t.get("negativity") or 0.0)
    return out


@dataclass(frozen=True, slots=True)
class Recomputed:
    issue_id: int
    old_severity: float
    severity: float
    reopened: bool
    # With a replaced snapshot written as columns: (updated_at, article_count, first_seen_at,
    # last_seen_at) as written, and the snapshot as stored (`state_to_json`).
    written: tuple[tuple[datetime, int, datetime, datetime], dict[str, Any]] | None = None


@dataclass(slots=True)
class _Member:
    article_id: int
    published_at: datetime
    outlet: str
    title: str
    label: str | None
    signal: ArticleSignal


async def _members(session: AsyncSession, issue_ids: Sequence[int]) -> dict[int, list[_Member]]:
    rows = await session.execute(
        select(
            IssueArticle.issue_id,
            Article.id,
            Article.published_at,
            Article.outlet,
            Article.title,
            Article.label,
            Article.negativity,
            Article.targets,
            Source.tier,
        )
        .join(Article, Article.id == IssueArticle.article_id)
        .outerjoin(Source, Source.id == Article.source_id)
        .where(IssueArticle.issue_id.in_(issue_ids), Article.deleted_at.is_(None))
        .order_by(Article.published_at, Article.id)
    )
    out: dict[int, list[_Member]] = {}
    for issue_id, aid, published, outlet, title, label, neg, targets, tier in rows:
        signal = ArticleSignal(
            published_at=published,
            outlet=outlet or "",
            negativity=float(neg or 0.0),
            target_negativity=mentioned(targets),
            tier=int(tier or 2),
        )
        out.setdefault(issue_id, []).append(
            _Member(aid, published, outlet or "", title or "", label, signal)
        )
    return out


async def _watchlists_hit(session: AsyncSession, issue_ids: Sequence[int]) -> dict[int, list[int]]:
    rows = await session.execute(
        select(IssueArticle.issue_id, ArticleWatchlist.watchlist_id)
        .join(ArticleWatchlist, ArticleWatchlist.article_id == IssueArticle.article_id)
        .where(IssueArticle.issue_id.in_(issue_ids))
        .distinct()
    )
    out: dict[int, list[int]] = {}
    for issue_id, wid in rows:
        out.setdefault(issue_id, []).append(wid)
    return {k: sorted(v) for k, v in out.items()}


@dataclass(slots=True)
class _Row:
    """An issue's recounted columns when no ORM object holds it (set like an `Issue`)."""

    id: int
    title: str
    status: str
    severity: float
    article_count: int
    negative_count: int
    first_seen_at: datetime
    last_seen_at: datetime
    top_terms: list[str]
    watchlist_ids: list[int]
    outlets: list[str]
    negative_share: float
    velocity: float
    velocity_ratio: float
    reach: float
    severity_breakdown: dict[str, Any] | None
    cluster_state: dict[str, Any] | None
    dismissed_reason: str | None
    dismissed_severity: float | None

    def params(self, now: datetime) -> dict[str, Any]:
        values = {f"b_{name}": getattr(self, name) for name in _COLUMNS}
        return {"b_id": self.id, "b_updated_at": now, **values}


# The columns a recount reads and writes; an issue not loaded in the session is read and
# written as these columns (one executemany UPDATE for the lot: the ORM's flush sends one
# UPDATE per issue on drivers without a reliable executemany row count, such as asyncpg).
_COLUMNS = tuple(f.name for f in fields(_Row) if f.name != "id")
_ISSUES = core_table(Issue)
_WRITE_ISSUE = (
    update(_ISSUES)
    .where(_ISSUES.c.id == bindparam("b_id"))
    .values(
        {
            name: bindparam(f"b_{name}", type_=_ISSUES.c[name].type)
            for name in (*_COLUMNS, "updated_at")
        }
    )
)


async def _issues(
    session: AsyncSession, ids: Sequence[int], *, with_state: bool
) -> dict[int, Issue | _Row]:
    """The issues to recount: the session's own object where it holds one (its caller may
    go on using it), else the columns as a `_Row`. Columns the recount always overwrites
    (and the snapshot, unless `with_state`) are not read: decoding JSON is most of a read."""
    held: dict[int, Issue | _Row] = {}
    for issue_id in ids:
        obj = session.identity_map.get(identity_key(Issue, issue_id))
        if isinstance(obj, Issue):
            held[issue_id] = obj
    rest = [i for i in ids if i not in held]
    if rest:
        unread: dict[str, Any] = {"watchlist_ids": [], "outlets": [], "severity_breakdown": None}
        if not with_state:
            unread["cluster_state"] = None
        names = [name for name in _COLUMNS if name not in unread]
        rows = await session.execute(
            select(_ISSUES.c.id, *(_ISSUES.c[name] for name in names)).where(_ISSUES.c.id.in_(rest))
        )
        for row in rows:
            held[row[0]] = _Row(row[0], **unread, **dict(zip(names, row[1:], strict=True)))
    return held


async def recompute_issues(
    session: AsyncSession,
    *,
    issue_ids: Sequence[int],
    config: FeedConfig | None = None,
    states: Mapping[int, IssueState] | None = None,
) -> list[Recomputed]:
    """Recount and rescore the given issues; ``states`` replaces their clustering snapshots."""
    config = config or FeedConfig()
    ids = sorted(set(issue_ids))
    if not ids:
        return []
    await session.flush()  # pending changes of held issues and links count (autoflush did)
    replaced = states is not None and all(i in states for i in ids)
    issues = await _issues(session, ids, with_state=not replaced)
    members = await _members(session, ids)
    hits = await _watchlists_hit(session, ids)
    watchlists = {w.id: w for w in await session.scalars(select(Watchlist))}
    entity_names = {e.id: e.name for e in await session.scalars(select(WatchedEntity))}
    all_watched = set(entity_names.values())
    out = []
    now = utcnow()
    for issue_id in ids:
        issue = issues.get(issue_id)
        if issue is None:
            continue
        replaced = states is not None and issue_id in states
        if replaced:
            assert states is not None
            issue.cluster_state = state_to_json(states[issue_id])
        rows = members.get(issue_id, [])
        hit = hits.get(issue_id, [])
        lists = [watchlists[w] for w in hit if w in watchlists]
        watched = {entity_names[e] for w in lists for e in w.entity_ids or () if e in entity_names}
        priority = max((w.priority for w in lists), default=1)
        old = issue.severity
        _apply(issue, rows, hit, watched or all_watched, priority, config)
        reopened = _maybe_reopen(session, issue, old, config)
        written = None
        if replaced and isinstance(issue, _Row) and issue.cluster_state is not None:
            version = (now, issue.article_count, issue.first_seen_at, issue.last_seen_at)
            written = (version, issue.cluster_state)
        out.append(Recomputed(issue_id, old, issue.severity, reopened, written))
    params = [i.params(now) for i in issues.values() if isinstance(i, _Row)]
    if params:
        await session.execute(_WRITE_ISSUE, params)
    await session.flush()
    return out


def _apply(
    issue: Issue | _Row,
    rows: Sequence[_Member],
    hit: list[int],
    watched: set[str],
    priority: int,
    config: FeedConfig,
) -> None:
    issue.watchlist_ids = hit
    issue.article_count = len(rows)
    issue.negative_count = sum(1 for m in rows if m.label == "negative")
    issue.outlets = sorted({m.outlet for m in rows if m.outlet})
    if not rows:
        issue.severity = 0.0
        issue.negative_share = issue.velocity = issue.velocity_ratio = issue.reach = 0.0
        issue.severity_breakdown = None
        return
    issue.first_seen_at = rows[0].published_at
    issue.last_seen_at = max(m.published_at for m in rows)
    signals = [m.signal for m in rows]
    # Velocity is taken at the issue's latest article: how fast it was going when last seen.
    metrics = issue_metrics(
        signals, watched=watched, priority=priority, now=issue.last_seen_at, config=config.severity
    )
    result = score(metrics, config.severity)
    issue.severity = result.score
    issue.negative_share = round(metrics.negative_share, 4)
    issue.velocity = round(metrics.velocity.recent_per_hour, 3)
    issue.velocity_ratio = round(metrics.velocity.ratio, 3)
    issue.reach = round(metrics.reach.score, 3)
    issue.severity_breakdown = {
        "components": result.components,
        "explanation": result.explanation,
        "priority": priority,
        "watched_entities": sorted(watched),
        "outlets_by_tier": {str(k): v for k, v in metrics.reach.outlets_by_tier.items()},
    }
    centroid = {str(t): float(w) for t, w in (issue.cluster_state or {}).get("centroid", [])}
    issue.top_terms = list(centroid)[:10]
    title = (
        central_title([r.title for r in rows], centroid, config.cluster)
        if centroid
        else rows[0].title
    )
    issue.title = title or issue.title


def _maybe_reopen(
    session: AsyncSession, issue: Issue | _Row, old: float, config: FeedConfig
) -> bool:
    if issue.status != IssueStatus.DISMISSED or issue.dismissed_severity is None:
        return False
    bar = issue.dismissed_severity + config.reopen_margin
    if issue.severity < bar:
        return False
    reason = (
        f"severity rose from {issue.dismissed_severity:.0f} at dismissal to "
        f"{issue.severity:.0f} (reopen margin {config.reopen_margin:g})"
    )
    session.add(
        IssueEvent(
            issue_id=issue.id,
            actor=SYSTEM,
            action="reopened",
            from_value=IssueStatus.DISMISSED.value,
            to_value=IssueStatus.NEW.value,
            reason=reason,
            details={
                "dismissed_reason": issue.dismissed_reason,
                "severity_before": old,
                "severity": issue.severity,
            },
        )
    )
    issue.status = IssueStatus.NEW
    issue.dismissed_reason = None
    issue.dismissed_severity = None
    return True
