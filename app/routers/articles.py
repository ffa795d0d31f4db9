"""Articles: the scored news items, newest first, with full-text search."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from app.db import SessionDep
from app.errors import InvalidInput
from app.routers.conventions import collection_version, next_link, sync_page_info
from app.routers.deps import ERROR_RESPONSES, LIST_RESPONSES, Viewer
from app.routers.params import ChangedAfter, Cursor, PathId, Since, Tz, Until, window
from app.schemas.article import ArticleDetail, ArticlePage, ArticleRead
from app.schemas.common import DbId, PageInfo, Tombstone
from app.services import articles as service
from app.services.changes import Position
from app.services.search import parse_query

router = APIRouter(
    prefix="/v1/articles", tags=["articles"], dependencies=[Viewer], responses=ERROR_RESPONSES
)

Label = Literal["negative", "neutral", "positive"]


def to_read(row: service.ArticleRow) -> ArticleRead:
    read = ArticleRead.model_validate(row.article, from_attributes=True)
    read.issue_id = row.issue_id
    read.highlight = row.highlight
    return read


class ArticleQuery:
    """The article filters, shared by the list and the CSV export."""

    def __init__(
        self,
        q: Annotated[
            str | None,
            Query(
                max_length=300,
                description=(
                    "Full-text search in Indonesian and English: words (all must match), "
                    '"quoted phrases", `-excluded`, `OR`. Title counts more than body.'
                ),
                examples=['banjir "jalan tol" -hoaks'],
            ),
        ] = None,
        source_id: Annotated[
            list[DbId] | None, Query(description="Only these sources (repeatable).")
        ] = None,
        outlet: Annotated[
            list[str] | None,
            Query(
                description="Only these outlets, by host (repeatable).", examples=["antaranews.com"]
            ),
        ] = None,
        language: Annotated[
            list[Literal["id", "en"]] | None, Query(description="Only these languages.")
        ] = None,
        kind: Annotated[
            list[Literal["article", "post"]] | None,
            Query(
                description="Only news articles, only public social posts, or both (default).",
                examples=["post"],
            ),
        ] = None,
        label: Annotated[list[Label] | None, Query(description="Only these labels.")] = None,
        min_negativity: Annotated[
            float | None, Query(ge=0, le=1, description="Negativity at least this.")
        ] = None,
        max_negativity: Annotated[
            float | None, Query(ge=0, le=1, description="Negativity at most this.")
        ] = None,
        watchlist: Annotated[
            list[DbId] | None,
            Query(description="Only articles matched by these watchlists (ids, repeatable)."),
        ] = None,
        entity: Annotated[
            list[str] | None,
            Query(
                description="Only articles mentioning these watched entities (names, repeatable).",
                examples=["KPK"],
            ),
        ] = None,
        since: Since = None,
        until: Until = None,
        tz: Tz = "Asia/Jakarta",
    ) -> None:
        lower, upper = window(since, until, tz)
        self.tz = tz
        self.filters = service.ArticleFilters(
            source_ids=tuple(source_id or ()),
            outlets=tuple(outlet or ()),
            languages=tuple(language or ()),
            kinds=tuple(kind or ()),
            labels=tuple(label or ()),
            min_negativity=min_negativity,
            max_negativity=max_negativity,
            since=lower,
            until=upper,
            search=parse_query(q) if q else None,
            watchlist_ids=tuple(watchlist or ()),
            entities=tuple(entity or ()),
        )
        self.used = any(
            v is not None
            for v in (
                q,
                source_id,
                outlet,
                language,
                kind,
                label,
                min_negativity,
                max_negativity,
                since,
                until,
                watchlist,
                entity,
            )
        )


@router.get(
    "",
    summary="List or search articles",
    dependencies=[collection_version("article")],
    responses=LIST_RESPONSES,
)
async def list_articles(
    request: Request,
    response: Response,
    session: SessionDep,
    params: Annotated[ArticleQuery, Depends()],
    sort: Annotated[
        Literal["-published_at", "published_at"],
        Query(description="Order by publish time; `-` means newest first."),
    ] = "-published_at",
    limit: Annotated[int, Query(ge=1, le=200, description="Page size.")] = 50,
    cursor: Cursor = None,
    changed_after: ChangedAfter = None,
) -> ArticlePage:
    """Articles matching the filters in `sort` order with a keyset cursor; with `q`, each
    carries a `highlight`. With `changed_after`: every article changed since the cursor, and
    tombstones for deleted ones. Unchanged collections answer 304 to `If-None-Match`.
    """
    if changed_after is not None:
        if params.used or cursor is not None or sort != "-published_at":
            raise InvalidInput("changed_after cannot be combined with filters, sort or cursor")
        return await _sync(request, response, session, changed_after, limit)
    rows, next_cursor = await service.list_articles(
        session, filters=params.filters, limit=limit, cursor=cursor, sort=sort
    )
    return ArticlePage(
        items=[to_read(r) for r in rows],
        page=PageInfo(next_cursor=next_cursor, next=next_link(request, cursor=next_cursor)),
    )


async def _sync(
    request: Request, response: Response, session: SessionDep, changed_after: str, limit: int
) -> ArticlePage:
    items, batch = await service.sync_articles(
        session, after=Position.decode(changed_after), limit=limit
    )
    out: list[ArticleRead | Tombstone] = [
        to_read(i.row) if i.row is not None else Tombstone(id=i.id) for i in items
    ]
    return ArticlePage(items=out, page=sync_page_info(request, response, batch))


@router.get("/{article_id}", summary="Get one article with its text and score explanation")
async def get_article(article_id: PathId, session: SessionDep) -> ArticleDetail:
    """One article, its text, score explanation and per-entity results."""
    article, issue_id = await service.get_article(session, article_id=article_id)
    detail = ArticleDetail.model_validate(article, from_attributes=True)
    detail.issue_id = issue_id
    return detail
