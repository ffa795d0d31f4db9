"""Issues: the feed analysts and dashboards poll."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status

from app.db import SessionDep
from app.errors import InvalidInput
from app.models import Issue, IssueStatus
from app.routers.conventions import collection_version, next_link, sync_page_info
from app.routers.deps import ERROR_RESPONSES, LIST_RESPONSES, Analyst, CurrentKey, Viewer
from app.routers.params import ChangedAfter, Cursor, PathId, Since, Tz, Until, window
from app.schemas.claim import IssueDebunk
from app.schemas.common import DbId, PageInfo, Tombstone
from app.schemas.issue import (
    IssueArticleRead,
    IssueComment,
    IssueDetail,
    IssueEventList,
    IssueEventRead,
    IssueMerge,
    IssuePage,
    IssueRead,
    IssueSplit,
    IssueStoryRead,
    IssueUpdate,
)
from app.services import claims as claim_service
from app.services import issues as service
from app.services import triage
from app.services.changes import Position

router = APIRouter(
    prefix="/v1/issues", tags=["issues"], dependencies=[Viewer], responses=ERROR_RESPONSES
)

IssueSort = Literal[
    "-last_seen_at", "last_seen_at", "-first_seen_at", "-severity", "-article_count"
]


async def to_reads(session: SessionDep, issues: Sequence[Issue]) -> list[IssueRead]:
    """The issues as served, each with its story groups."""
    stories = await service.issue_stories(session, issue_ids=[i.id for i in issues])
    out = []
    for issue in issues:
        read = IssueRead.model_validate(issue)
        count, top = stories.get(issue.id, (0, []))
        read.story_count = count
        read.stories = [IssueStoryRead.model_validate(s) for s in top]
        out.append(read)
    return out


async def to_read(session: SessionDep, issue: Issue) -> IssueRead:
    return (await to_reads(session, [issue]))[0]


class IssueQuery:
    """The issue filters, shared by the feed and the CSV export."""

    def __init__(
        self,
        scope: Annotated[
            Literal["watched", "all"],
            Query(
                description=(
                    "`watched` (default): the team's feed, issues with an article matched by "
                    "an active watchlist that are neither dismissed nor resolved (`status` "
                    "replaces the status part). `all`: every issue, any status."
                )
            ),
        ] = "watched",
        status: Annotated[
            list[IssueStatus] | None,
            Query(description="Only issues in these triage statuses (repeat the parameter)."),
        ] = None,
        watchlist: Annotated[
            list[DbId] | None,
            Query(
                description="Only issues with an article matched by one of these watchlists "
                "(ids, repeatable; active or not)."
            ),
        ] = None,
        min_severity: Annotated[
            float | None, Query(ge=0, le=100, description="Severity at least this.")
        ] = None,
        max_severity: Annotated[
            float | None, Query(ge=0, le=100, description="Severity at most this.")
        ] = None,
        since: Since = None,
        until: Until = None,
        tz: Tz = "Asia/Jakarta",
    ) -> None:
        lower, upper = window(since, until, tz)
        statuses = tuple(s.value for s in status or ())
        watched = scope == "watched"
        self.tz = tz
        self.filters = service.IssueFilters(
            statuses=statuses,
            min_severity=min_severity,
            max_severity=max_severity,
            since=lower,
            until=upper,
            watchlist_ids=tuple(watchlist or ()),
            watched_only=watched,
            open_only=watched and not statuses,
        )
        self.used = scope != "watched" or any(
            v is not None for v in (status, watchlist, min_severity, max_severity, since, until)
        )


@router.get(
    "",
    summary="The team's issue feed, newest activity first",
    dependencies=[collection_version("issue")],
    responses=LIST_RESPONSES,
)
async def list_issues(
    request: Request,
    response: Response,
    session: SessionDep,
    params: Annotated[IssueQuery, Depends()],
    sort: Annotated[IssueSort, Query(description="Order; `-` means descending.")] = (
        "-last_seen_at"
    ),
    limit: Annotated[int, Query(ge=1, le=200, description="Page size.")] = 50,
    cursor: Cursor = None,
    changed_after: ChangedAfter = None,
) -> IssuePage:
    """Issues ordered by `sort` (ties by id) with a keyset cursor, or, with `changed_after`,
    every issue changed since the cursor, plus tombstones for deleted and merged ones.

    By default only what the team watches and still has to handle: issues with an article
    matched by an active watchlist, not dismissed or resolved. `scope=all` lists every
    issue; `status=` picks the statuses; `watchlist=` narrows to given watchlists.
    `since`/`until` bound the latest activity (`last_seen_at`). Send `If-None-Match` with the
    ETag of the previous answer: an unchanged feed answers 304 without running the query.
    A query parameter the endpoint does not know answers 422 naming it.
    """
    if changed_after is not None:
        if params.used or cursor is not None or sort != "-last_seen_at":
            raise InvalidInput("changed_after cannot be combined with filters, sort or cursor")
        return await _sync(request, response, session, changed_after, limit)
    rows, next_cursor = await service.list_issues(
        session, limit=limit, cursor=cursor, filters=params.filters, sort=sort
    )
    return IssuePage(
        items=list(await to_reads(session, rows)),
        page=PageInfo(next_cursor=next_cursor, next=next_link(request, cursor=next_cursor)),
    )


async def _sync(
    request: Request, response: Response, session: SessionDep, changed_after: str, limit: int
) -> IssuePage:
    items, batch = await service.sync_issues(
        session, after=Position.decode(changed_after), limit=limit
    )
    reads = {r.id: r for r in await to_reads(session, [i.issue for i in items if i.issue])}
    out: list[IssueRead | Tombstone] = [
        reads[i.id] if i.issue is not None else Tombstone(id=i.id, merged_into=i.merged_into)
        for i in items
    ]
    return IssuePage(items=out, page=sync_page_info(request, response, batch))


@router.get("/{issue_id}", summary="Get one issue with its articles")
async def get_issue(issue_id: PathId, session: SessionDep) -> IssueDetail:
    """One issue and its articles, newest first."""
    issue, articles = await service.get_issue(session, issue_id=issue_id)
    comments = await triage.list_comments(session, issue_id=issue_id)
    debunks = (await claim_service.issue_debunks(session, issue_ids=[issue_id])).get(issue_id, [])
    base = await to_read(session, issue)
    if issue.merged_into_id is not None:
        base.survivor_id = await triage.survivor_of(session, issue_id=issue_id)
    return IssueDetail(
        **base.model_dump(),
        articles=[IssueArticleRead.model_validate(a) for a in articles],
        comments=[IssueComment.model_validate(c) for c in comments],
        debunks=[
            IssueDebunk(
                claim_id=c.id,
                claim=c.claim,
                verdict=c.verdict,
                verdict_label=c.verdict_label,
                url=c.url,
                publisher=c.publisher,
                documents=n,
                score=score,
            )
            for c, n, score in debunks
        ],
    )


CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "Not allowed from the issue's current state (the problem "
        "lists the allowed statuses), or the issue was merged"
    }
}


@router.patch(
    "/{issue_id}",
    dependencies=[Analyst],
    summary="Triage an issue: status, assignee, notes",
    responses=CONFLICT,
)
async def update_issue(
    issue_id: PathId, body: IssueUpdate, session: SessionDep, key: CurrentKey
) -> IssueRead:
    """Move the issue through new → monitoring → escalated → resolved, or dismiss it with a
    reason; set the assignee or notes; or just comment. Every change is recorded with the
    key's name and the comment (`GET /v1/issues/{id}/events`); a comment alone is a `comment`
    event, shown in the issue's `comments`. A request that changes nothing and has no comment
    answers 422."""
    changes = triage.IssueChanges(
        status=body.status,
        dismissed_reason=body.dismissed_reason,
        assignee=body.assignee,
        notes=body.notes,
        comment=body.comment,
    )
    issue = await triage.update_issue(session, issue_id=issue_id, changes=changes, actor=key.name)
    return await to_read(session, issue)


@router.get("/{issue_id}/events", summary="The audit trail of an issue")
async def list_issue_events(issue_id: PathId, session: SessionDep) -> IssueEventList:
    """Every change, oldest first: creation, status, assignee, notes, comments, merge, split,
    reopen, with who made it and why. The events of issues merged into this one are included
    (their `issue_id` says where they were made); a merged issue names its `survivor_id`."""
    rows = await triage.list_events(session, issue_id=issue_id)
    return IssueEventList(
        items=[IssueEventRead.model_validate(e) for e in rows],
        survivor_id=await triage.survivor_of(session, issue_id=issue_id),
    )


@router.post(
    "/{issue_id}/merge",
    dependencies=[Analyst],
    summary="Merge this issue into another",
    responses=CONFLICT,
)
async def merge_issue(
    issue_id: PathId, body: IssueMerge, session: SessionDep, key: CurrentKey
) -> IssueRead:
    """Move every article into `into` and answer with it. The merged issue leaves the feed;
    `changed_after` pollers get `{"id": <this>, "deleted": true, "merged_into": <into>}`."""
    target = await triage.merge_issues(
        session, issue_id=issue_id, into=body.into, actor=key.name, comment=body.comment
    )
    return await to_read(session, target)


@router.post(
    "/{issue_id}/split",
    dependencies=[Analyst],
    status_code=status.HTTP_201_CREATED,
    summary="Split articles off into a new issue",
    responses=CONFLICT,
)
async def split_issue(
    issue_id: PathId, body: IssueSplit, session: SessionDep, key: CurrentKey
) -> IssueRead:
    """Move the listed articles of this issue into a new issue (status new) and answer with
    the new issue; both are re-scored."""
    new = await triage.split_issue(
        session,
        issue_id=issue_id,
        article_ids=body.article_ids,
        actor=key.name,
        comment=body.comment,
    )
    return await to_read(session, new)
