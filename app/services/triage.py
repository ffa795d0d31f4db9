"""Triage: the status state machine, assignee and notes, merge and split, and the audit trail.

Every change writes an ``issue_events`` row with who made it (the API key's name) and why (the
optional comment). Statuses move along::

    new ──► monitoring ──► escalated ──► resolved
     │          │   ▲          │            │
     │          │   └──────────┘            └──► monitoring (reopened by hand)
     └──────────┴──► dismissed (false_positive | not_relevant) ──► new | monitoring (undo)

``new`` may also go straight to escalated or resolved. Anything else is a 409. A dismissed
issue remembers its severity; the clustering stage reopens it when more articles lift the
severity past ``reopen_margin`` (services/issue_metrics.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, InvalidInput, NotFound
from app.models import DismissReason, Issue, IssueArticle, IssueEvent, IssueStatus, utcnow
from app.services.changes import record_change
from app.services.clustering import rebuild_states
from app.services.feed_config import FeedConfig
from app.services.issue_metrics import SYSTEM, recompute_issues

S = IssueStatus
TRANSITIONS: dict[IssueStatus, frozenset[IssueStatus]] = {
    S.NEW: frozenset({S.MONITORING, S.ESCALATED, S.RESOLVED, S.DISMISSED}),
    S.MONITORING: frozenset({S.ESCALATED, S.RESOLVED, S.DISMISSED}),
    S.ESCALATED: frozenset({S.MONITORING, S.RESOLVED}),
    S.RESOLVED: frozenset({S.MONITORING}),
    S.DISMISSED: frozenset({S.NEW, S.MONITORING}),
}


@dataclass(frozen=True, slots=True)
class IssueChanges:
    """Fields to change; None leaves a field as it is (an empty assignee clears it)."""

    status: IssueStatus | None = None
    dismissed_reason: DismissReason | None = None
    assignee: str | None = None
    notes: str | None = None
    comment: str | None = None


# A merge chain longer than this is a cycle (the API never makes one); it stops the walk.
_MAX_CHAIN = 1000


async def survivor_of(session: AsyncSession, *, issue_id: int) -> int | None:
    """The live issue a merged issue ended up in (following merges of merges), or None when
    the issue itself is live."""
    survivor: int | None = None
    current = issue_id
    for _ in range(_MAX_CHAIN):
        into = await session.scalar(select(Issue.merged_into_id).where(Issue.id == current))
        if into is None:
            return survivor
        survivor = current = into
    return survivor


async def merged_family(session: AsyncSession, *, issue_id: int) -> list[int]:
    """The issue and every issue merged into it, directly or through merges of merges: the
    issues whose events and comments are this issue's history."""
    family, frontier = [issue_id], [issue_id]
    while frontier and len(family) < _MAX_CHAIN:
        found = (
            await session.scalars(select(Issue.id).where(Issue.merged_into_id.in_(frontier)))
        ).all()
        frontier = [i for i in found if i not in family]
        family += frontier
    return family


async def live_issue(session: AsyncSession, issue_id: int) -> Issue:
    issue = await session.get(Issue, issue_id)
    if issue is None:
        raise NotFound(f"issue {issue_id} does not exist")
    if issue.merged_into_id is not None:
        survivor = await survivor_of(session, issue_id=issue_id)
        raise Conflict(
            f"issue {issue_id} was merged into issue {issue.merged_into_id}; "
            f"its history and new work belong to issue {survivor}",
            merged_into=issue.merged_into_id,
            survivor=survivor,
        )
    return issue


def _event(issue_id: int, actor: str, action: str, **values: object) -> IssueEvent:
    return IssueEvent(issue_id=issue_id, actor=actor, action=action, at=utcnow(), **values)


def _status_change(issue: Issue, changes: IssueChanges, actor: str) -> IssueEvent | None:
    current = IssueStatus(issue.status)
    target = changes.status
    if target is None or target == current:
        if changes.dismissed_reason is not None and current != S.DISMISSED:
            raise InvalidInput("dismissed_reason is only for dismissing an issue")
        if (
            changes.dismissed_reason is not None
            and changes.dismissed_reason != issue.dismissed_reason
        ):
            before, issue.dismissed_reason = issue.dismissed_reason, changes.dismissed_reason
            return _event(
                issue.id,
                actor,
                "status",
                from_value=f"dismissed:{before}",
                to_value=f"dismissed:{changes.dismissed_reason.value}",
                reason=changes.comment,
            )
        return None
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current]))
        raise Conflict(
            f"an issue cannot go from {current.value} to {target.value} (allowed: {allowed})",
            status_from=current.value,
            status_to=target.value,
            allowed=sorted(s.value for s in TRANSITIONS[current]),
        )
    details: dict[str, object] = {"severity": issue.severity}
    if target == S.DISMISSED:
        if changes.dismissed_reason is None:
            raise InvalidInput(
                "dismissing needs a dismissed_reason: false_positive or not_relevant"
            )
        issue.dismissed_reason = changes.dismissed_reason.value
        issue.dismissed_severity = issue.severity
        details["dismissed_reason"] = issue.dismissed_reason
    elif changes.dismissed_reason is not None:
        raise InvalidInput("dismissed_reason is only for dismissing an issue")
    else:
        issue.dismissed_reason = None
        issue.dismissed_severity = None
    issue.status = target.value
    return _event(
        issue.id,
        actor,
        "status",
        from_value=current.value,
        to_value=target.value,
        reason=changes.comment,
        details=details,
    )


async def update_issue(
    session: AsyncSession, *, issue_id: int, changes: IssueChanges, actor: str
) -> Issue:
    """Apply a triage change; each changed field becomes an audit event carrying the comment.

    A comment alone is an event of its own (action ``comment``). A change that would change
    nothing and says nothing is refused (422), so no request is silently dropped.
    """
    comment = (changes.comment or "").strip() or None
    changes = replace(changes, comment=comment)
    issue = await live_issue(session, issue_id)
    events: list[IssueEvent] = []
    status_event = _status_change(issue, changes, actor)
    if status_event is not None:
        events.append(status_event)
    if changes.assignee is not None:
        assignee = " ".join(changes.assignee.split()) or None
        if assignee != issue.assignee:
            events.append(
                _event(
                    issue.id,
                    actor,
                    "assignee",
                    from_value=issue.assignee,
                    to_value=assignee,
                    reason=changes.comment,
                )
            )
            issue.assignee = assignee
    if changes.notes is not None and changes.notes != (issue.notes or ""):
        events.append(
            _event(
                issue.id,
                actor,
                "notes",
                from_value=issue.notes,
                to_value=changes.notes,
                reason=changes.comment,
            )
        )
        issue.notes = changes.notes or None
    if not events:
        if comment is None:
            raise InvalidInput(
                "nothing to change: the request sets no field to a new value and has no comment",
                current={"status": issue.status, "assignee": issue.assignee},
            )
        events.append(_event(issue.id, actor, "comment", reason=comment))
    session.add_all(events)
    await session.flush()
    return issue


async def list_comments(session: AsyncSession, *, issue_id: int) -> Sequence[IssueEvent]:
    """Every event of the issue, and of the issues merged into it, that carries an analyst's
    comment, oldest first (the system's reasons, such as a reopening, are not comments)."""
    family = await merged_family(session, issue_id=issue_id)
    rows = await session.scalars(
        select(IssueEvent)
        .where(
            IssueEvent.issue_id.in_(family),
            IssueEvent.reason.is_not(None),
            IssueEvent.actor != SYSTEM,
            # The merged issue's own `merged` event, always in the family, carries the comment.
            IssueEvent.action != "merged_from",
        )
        .order_by(IssueEvent.id)
    )
    return rows.all()


async def list_events(session: AsyncSession, *, issue_id: int) -> Sequence[IssueEvent]:
    """The issue's audit trail, oldest first, with the trails of the issues merged into it
    (each event keeps the ``issue_id`` it was made on): a merge never hides a comment or a
    triage decision."""
    if await session.get(Issue, issue_id) is None:
        raise NotFound(f"issue {issue_id} does not exist")
    family = await merged_family(session, issue_id=issue_id)
    rows = await session.scalars(
        select(IssueEvent).where(IssueEvent.issue_id.in_(family)).order_by(IssueEvent.id)
    )
    return rows.all()


async def merge_issues(
    session: AsyncSession,
    *,
    issue_id: int,
    into: int,
    actor: str,
    comment: str | None = None,
    config: FeedConfig | None = None,
) -> Issue:
    """Move every article of ``issue_id`` into ``into``; the merged issue stays as a
    tombstone (``merged_into_id``) and pollers get ``{"id", "merged_into"}``. Its events stay
    its own rows and are read through ``into`` (``list_events``, ``list_comments``)."""
    if issue_id == into:
        raise InvalidInput("an issue cannot be merged into itself")
    source = await live_issue(session, issue_id)
    target = await live_issue(session, into)
    await session.execute(
        update(IssueArticle).where(IssueArticle.issue_id == source.id).values(issue_id=target.id)
    )
    source.merged_into_id = target.id
    session.add_all(
        [
            _event(source.id, actor, "merged", to_value=str(target.id), reason=comment),
            _event(
                target.id,
                actor,
                "merged_from",
                from_value=str(source.id),
                reason=comment,
                details={"articles": source.article_count},
            ),
        ]
    )
    await session.flush()
    await record_change(
        session, entity="issue", entity_id=source.id, kind="merge", merged_into=target.id
    )
    config = config or FeedConfig()
    states = await rebuild_states(session, issue_ids=[target.id], config=config)
    await recompute_issues(session, issue_ids=[target.id], config=config, states=states)
    return target


async def split_issue(
    session: AsyncSession,
    *,
    issue_id: int,
    article_ids: Sequence[int],
    actor: str,
    comment: str | None = None,
    config: FeedConfig | None = None,
) -> Issue:
    """Move the given articles of an issue into a new issue (status new)."""
    source = await live_issue(session, issue_id)
    wanted = sorted(set(article_ids))
    members = set(
        (
            await session.scalars(
                select(IssueArticle.article_id).where(IssueArticle.issue_id == source.id)
            )
        ).all()
    )
    strangers = [a for a in wanted if a not in members]
    if strangers:
        raise InvalidInput(
            f"articles {', '.join(map(str, strangers))} are not in issue {issue_id}",
            article_ids=strangers,
        )
    if len(wanted) == len(members):
        raise InvalidInput("a split must leave at least one article in the issue")
    now = utcnow()
    new = Issue(title=source.title, first_seen_at=now, last_seen_at=now)
    session.add(new)
    await session.flush()
    await session.execute(
        update(IssueArticle).where(IssueArticle.article_id.in_(wanted)).values(issue_id=new.id)
    )
    session.add_all(
        [
            _event(
                source.id,
                actor,
                "split",
                to_value=str(new.id),
                reason=comment,
                details={"article_ids": wanted},
            ),
            _event(
                new.id,
                actor,
                "split_from",
                from_value=str(source.id),
                reason=comment,
                details={"article_ids": wanted},
            ),
        ]
    )
    await session.flush()
    config = config or FeedConfig()
    states = await rebuild_states(session, issue_ids=[source.id, new.id], config=config)
    await recompute_issues(session, issue_ids=[source.id, new.id], config=config, states=states)
    return new
