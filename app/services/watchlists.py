"""Watchlists: CRUD, the match stage, background re-matching and the "test this query" scan.

A watchlist's query is parsed with ``app.feed.query.parse`` against the watched entities'
alias table (``entity:KPK``); a syntax error is an ``InvalidQuery`` (422) carrying the
position and what was expected. Compiled queries are cached per (id, updated_at).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, bindparam, delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import Database, drain_jobs, insert_or_ignore, is_postgres, skip_locked
from app.errors import Conflict, InvalidInput, InvalidQuery, NotFound
from app.feed.document import Document
from app.feed.query import Explanation, Query, QuerySyntaxError, parse
from app.models import (
    Article,
    ArticleWatchlist,
    IssueArticle,
    JobState,
    RematchJob,
    Source,
    WatchedEntity,
    Watchlist,
    WatchlistSearchSource,
    utcnow,
)
from app.scoring import Entity
from app.services.feed_config import FeedConfig
from app.services.issue_metrics import recompute_issues
from app.services.search_sources import disable_unlinked

MAX_TEST_SCAN = 5000
_COMPILED: dict[tuple[int, datetime, str], Query] = {}


# --- parsing --------------------------------------------------------------------------------


async def entity_table(session: AsyncSession) -> list[Entity]:
    """Every watched entity (active or not): what ``entity:`` may name."""
    rows = await session.scalars(select(WatchedEntity).order_by(WatchedEntity.id))
    return [Entity(r.name, tuple(r.aliases or ())) for r in rows]


def _effective_query(query: str, entity_names: Sequence[str]) -> str:
    """A blank query on a watchlist with entities means "any of its entities"."""
    if query.strip():
        return query
    return " OR ".join(f'entity:"{name}"' for name in entity_names)


def compile_query(query: str, entities: list[Entity]) -> Query:
    """Parse or raise ``InvalidQuery`` (422) with ``position`` and ``expected``."""
    try:
        return parse(query, entities=entities)
    except QuerySyntaxError as exc:
        raise InvalidQuery(
            str(exc), position=exc.position, expected=exc.expected, query=query
        ) from None


async def _entity_names(session: AsyncSession, entity_ids: Sequence[int]) -> list[str]:
    if not entity_ids:
        return []
    rows = (
        await session.execute(
            select(WatchedEntity.id, WatchedEntity.name).where(WatchedEntity.id.in_(entity_ids))
        )
    ).all()
    found: dict[int, str] = dict(rows)
    missing = [i for i in entity_ids if i not in found]
    if missing:
        raise InvalidInput(f"unknown entity ids: {', '.join(map(str, missing))}")
    return [found[i] for i in entity_ids]


async def _compiled(
    session: AsyncSession, watchlists: Sequence[Watchlist]
) -> list[tuple[int, Query]]:
    out = []
    table: list[Entity] | None = None
    for w in watchlists:
        key = (w.id, w.updated_at, w.query)
        query = _COMPILED.get(key)
        if query is None:
            table = table if table is not None else await entity_table(session)
            names = await _entity_names(session, w.entity_ids or [])
            try:
                query = parse(_effective_query(w.query, names), entities=table)
            except (QuerySyntaxError, InvalidInput):
                continue  # an entity it named was deleted: it matches nothing until edited
            if len(_COMPILED) > 1000:
                _COMPILED.clear()
            _COMPILED[key] = query
        out.append((w.id, query))
    return out


async def watchlists_needing(
    session: AsyncSession, *, table: list[Entity], entity_id: int | None = None
) -> list[Watchlist]:
    """Watchlists that would break if the entity table became `table`: those whose query no
    longer parses (it names a removed entity, or an alias that changed), and those listing
    `entity_id` (one about to be deleted) in their entities."""
    out = []
    for watchlist in (await session.scalars(select(Watchlist).order_by(Watchlist.id))).all():
        if entity_id is not None and entity_id in (watchlist.entity_ids or []):
            out.append(watchlist)
            continue
        if not watchlist.query.strip():
            continue
        try:
            parse(watchlist.query, entities=table)
        except QuerySyntaxError:
            out.append(watchlist)
    return out


# --- CRUD -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WatchlistData:
    name: str | None = None
    query: str | None = None
    priority: int | None = None
    entity_ids: Sequence[int] | None = None
    active: bool | None = None


async def _check_name_free(session: AsyncSession, name: str, watchlist_id: int | None) -> None:
    query = select(Watchlist.id).where(func.lower(Watchlist.name) == name.lower())
    if watchlist_id is not None:
        query = query.where(Watchlist.id != watchlist_id)
    existing = await session.scalar(query)
    if existing is not None:
        raise Conflict(f"watchlist {name!r} already exists as id {existing}", watchlist_id=existing)


async def _validate(session: AsyncSession, query: str, entity_ids: Sequence[int]) -> None:
    names = await _entity_names(session, entity_ids)
    if not query.strip() and not names:
        raise InvalidQuery(
            "the query is empty", position=0, expected="a term, or entity_ids", query=query
        )
    compile_query(_effective_query(query, names), await entity_table(session))


async def _start_rematch(session: AsyncSession, watchlist_id: int) -> RematchJob:
    await session.execute(
        update(RematchJob)
        .where(
            RematchJob.watchlist_id == watchlist_id,
            RematchJob.state.in_([JobState.PENDING, JobState.RUNNING]),
        )
        .values(state=JobState.CANCELLED, finished_at=utcnow())
    )
    total = await session.scalar(
        select(func.count()).select_from(Article).where(Article.deleted_at.is_(None))
    )
    job = RematchJob(watchlist_id=watchlist_id, state=JobState.PENDING, total=int(total or 0))
    session.add(job)
    await session.flush()
    return job


async def refresh_watchlists(session: AsyncSession, *, watchlist_ids: Sequence[int]) -> None:
    """An entity they use changed: recompile their queries and re-match stored articles."""
    if not watchlist_ids:
        return
    now = utcnow()
    for watchlist in (
        await session.scalars(select(Watchlist).where(Watchlist.id.in_(watchlist_ids)))
    ).all():
        watchlist.updated_at = now  # a new compiled-query cache key (the aliases changed)
        if watchlist.active:
            await _start_rematch(session, watchlist.id)
    await session.flush()


async def create_watchlist(
    session: AsyncSession, *, data: WatchlistData, actor: str
) -> tuple[Watchlist, RematchJob]:
    name = " ".join((data.name or "").split())
    if not name:
        raise InvalidInput("the watchlist name must not be blank")
    await _check_name_free(session, name, None)
    query, entity_ids = data.query or "", list(data.entity_ids or [])
    await _validate(session, query, entity_ids)
    watchlist = Watchlist(
        name=name,
        query=query,
        priority=data.priority or 3,
        entity_ids=entity_ids,
        active=True if data.active is None else data.active,
        created_by=actor,
    )
    session.add(watchlist)
    await session.flush()
    return watchlist, await _start_rematch(session, watchlist.id)


async def get_watchlist(session: AsyncSession, *, watchlist_id: int) -> Watchlist:
    watchlist = await session.get(Watchlist, watchlist_id)
    if watchlist is None:
        raise NotFound(f"watchlist {watchlist_id} does not exist")
    return watchlist


async def list_watchlists(
    session: AsyncSession, *, active: bool | None = None
) -> Sequence[Watchlist]:
    query = select(Watchlist).order_by(Watchlist.id)
    if active is not None:
        query = query.where(Watchlist.active.is_(active))
    return (await session.scalars(query)).all()


async def update_watchlist(
    session: AsyncSession, *, watchlist_id: int, data: WatchlistData
) -> tuple[Watchlist, RematchJob | None]:
    """Change fields; a new query, entity list or re-activation re-matches stored articles."""
    watchlist = await get_watchlist(session, watchlist_id=watchlist_id)
    rematch = False
    if data.name is not None:
        name = " ".join(data.name.split())
        if not name:
            raise InvalidInput("the watchlist name must not be blank")
        await _check_name_free(session, name, watchlist_id)
        watchlist.name = name
    query = data.query if data.query is not None else watchlist.query
    entity_ids = list(data.entity_ids) if data.entity_ids is not None else watchlist.entity_ids
    if query != watchlist.query or entity_ids != list(watchlist.entity_ids or []):
        await _validate(session, query, entity_ids)
        watchlist.query, watchlist.entity_ids = query, entity_ids
        rematch = True
    if data.priority is not None:
        watchlist.priority = data.priority
    if data.active is not None:
        rematch = rematch or (data.active and not watchlist.active)
        watchlist.active = data.active
    watchlist.updated_at = utcnow()
    await session.flush()
    job = await _start_rematch(session, watchlist.id) if rematch and watchlist.active else None
    return watchlist, job


async def delete_watchlist(session: AsyncSession, *, watchlist_id: int) -> None:
    """Delete the watchlist; its search sources no other watchlist uses are disabled."""
    watchlist = await get_watchlist(session, watchlist_id=watchlist_id)
    await session.execute(
        delete(ArticleWatchlist).where(ArticleWatchlist.watchlist_id == watchlist_id)
    )
    searches = list(
        await session.scalars(
            select(WatchlistSearchSource.source_id).where(
                WatchlistSearchSource.watchlist_id == watchlist_id
            )
        )
    )
    await session.execute(
        delete(WatchlistSearchSource).where(WatchlistSearchSource.watchlist_id == watchlist_id)
    )
    await session.delete(watchlist)
    await session.flush()
    await disable_unlinked(session, source_ids=searches)


async def latest_job(session: AsyncSession, *, watchlist_id: int) -> RematchJob:
    await get_watchlist(session, watchlist_id=watchlist_id)
    job = await session.scalar(
        select(RematchJob)
        .where(RematchJob.watchlist_id == watchlist_id)
        .order_by(RematchJob.id.desc())
        .limit(1)
    )
    if job is None:
        raise NotFound(f"watchlist {watchlist_id} has no re-match job")
    return job


# --- matching ---------------------------------------------------------------------------------


def _document(title: str | None, body: str | None, summary: str | None, source: str) -> Document:
    return Document(title or "", body or summary or "", source)


def _source_label() -> ColumnElement[str]:
    return func.coalesce(Source.name, "") + " " + func.coalesce(Article.outlet, "")


async def _insert_links(session: AsyncSession, rows: list[dict[str, object]]) -> None:
    if not rows:
        return
    for start in range(0, len(rows), 2000):
        await session.execute(
            insert_or_ignore(session, ArticleWatchlist).values(rows[start : start + 2000])
        )


async def match_pending(session: AsyncSession, *, limit: int) -> int:
    """The match stage: scored, unmatched articles against every active watchlist."""
    query = (
        select(Article.id, Article.title, Article.body, Article.summary, _source_label())
        .outerjoin(Source, Source.id == Article.source_id)
        .where(Article.scored_at.is_not(None), Article.matched_at.is_(None))
        .order_by(Article.id)
        .limit(limit)
    )
    query = skip_locked(session, query, of=Article)
    rows = (await session.execute(query)).all()
    if not rows:
        return 0
    now = utcnow()
    documents = [(aid, _document(t, b, s, source)) for aid, t, b, s, source in rows]
    await _store_matches(session, documents, now)
    await session.execute(
        update(Article).where(Article.id.in_([r[0] for r in rows])).values(matched_at=now)
    )
    return len(rows)


@dataclass(frozen=True, slots=True)
class MatchText:
    """What matching reads of an article already loaded (the score stage has these columns)."""

    article_id: int
    title: str | None
    body: str | None
    summary: str | None
    source_id: int | None
    outlet: str | None


async def match_texts(session: AsyncSession, *, texts: Sequence[MatchText], now: datetime) -> None:
    """Match loaded articles against every active watchlist and store the links; the caller
    sets their ``matched_at`` (with the rest of its row update, so a row is written once)."""
    if not texts:
        return
    source_ids = {t.source_id for t in texts if t.source_id is not None}
    names: dict[int, str | None] = {}
    if source_ids:
        found = await session.execute(
            select(Source.id, Source.name).where(Source.id.in_(source_ids))
        )
        names = {sid: name for sid, name in found.all()}  # noqa: C416 (rows, not pairs)

    def label(text: MatchText) -> str:  # as _source_label(): source name, a space, outlet
        name = names.get(text.source_id) if text.source_id is not None else None
        return f"{name or ''} {text.outlet or ''}"

    documents = [(t.article_id, _document(t.title, t.body, t.summary, label(t))) for t in texts]
    await _store_matches(session, documents, now)


async def _store_matches(
    session: AsyncSession, documents: Sequence[tuple[int, Document]], now: datetime
) -> None:
    lists = await _compiled(
        session, (await session.scalars(select(Watchlist).where(Watchlist.active))).all()
    )
    links: list[dict[str, object]] = []
    for aid, doc in documents:
        links.extend(
            {"article_id": aid, "watchlist_id": wid, "matched_at": now}
            for wid, q in lists
            if q.matches(doc)
        )
    await _insert_links(session, links)


async def rematch_batch(session: AsyncSession, *, job_id: int, config: FeedConfig) -> bool:
    """One committed step of a re-match job; False once the job has nothing left to do."""
    query = select(RematchJob).where(
        RematchJob.id == job_id, RematchJob.state.in_([JobState.PENDING, JobState.RUNNING])
    )
    query = skip_locked(session, query)
    job = await session.scalar(query)
    if job is None:
        return False
    watchlist = await session.get(Watchlist, job.watchlist_id)
    compiled = await _compiled(session, [watchlist]) if watchlist is not None else []
    if not compiled:
        job.state, job.finished_at, job.error = JobState.FAILED, utcnow(), "query does not parse"
        return False
    _, matcher = compiled[0]
    rows = (
        await session.execute(
            select(Article.id, Article.title, Article.body, Article.summary, _source_label())
            .outerjoin(Source, Source.id == Article.source_id)
            .where(Article.id > job.after_id, Article.deleted_at.is_(None))
            .order_by(Article.id)
            .limit(config.rematch_batch)
        )
    ).all()
    job.state = JobState.RUNNING
    if rows:
        ids = [r[0] for r in rows]
        hits = {aid for aid, t, b, s, src in rows if matcher.matches(_document(t, b, s, src))}
        before = set(
            (
                await session.scalars(
                    select(ArticleWatchlist.article_id).where(
                        ArticleWatchlist.watchlist_id == job.watchlist_id,
                        ArticleWatchlist.article_id.in_(ids),
                    )
                )
            ).all()
        )
        gone = before - hits
        if gone:
            await session.execute(
                delete(ArticleWatchlist).where(
                    ArticleWatchlist.watchlist_id == job.watchlist_id,
                    ArticleWatchlist.article_id.in_(gone),
                )
            )
        now = utcnow()
        await _insert_links(
            session,
            [
                {"article_id": a, "watchlist_id": job.watchlist_id, "matched_at": now}
                for a in sorted(hits - before)
            ],
        )
        changed = sorted(gone | (hits - before))
        if changed:
            issue_ids = (
                await session.scalars(
                    select(IssueArticle.issue_id).where(IssueArticle.article_id.in_(changed))
                )
            ).all()
            await recompute_issues(session, issue_ids=list(issue_ids), config=config)
        job.after_id = ids[-1]
        job.done += len(rows)
        job.matched += len(hits)
    if len(rows) < config.rematch_batch:
        job.state, job.finished_at = JobState.DONE, utcnow()
        job.total = max(job.total, job.done)
        return False
    return True


async def run_rematch_jobs(database: Database, *, config: FeedConfig) -> int:
    """Work through open re-match jobs, oldest first, within ``rematch_seconds``."""
    return await drain_jobs(
        database,
        select(RematchJob.id)
        .where(RematchJob.state.in_([JobState.PENDING, JobState.RUNNING]))
        .order_by(RematchJob.id),
        lambda session, job_id: rematch_batch(session, job_id=job_id, config=config),
        seconds=config.rematch_seconds,
    )


# --- "test this query" --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueryHit:
    article: Article
    explanation: Explanation


@dataclass(frozen=True, slots=True)
class QueryScan:
    query: Query
    scanned: int
    matched: int
    hits: list[QueryHit]


async def scan_query(
    session: AsyncSession, *, query: str, limit: int, scan: int, entity_ids: Sequence[int] = ()
) -> QueryScan:
    """Run a query over the newest ``scan`` stored articles; the first ``limit`` hits with
    which terms occurred (``explain``)."""
    names = await _entity_names(session, entity_ids)
    compiled = compile_query(_effective_query(query, names), await entity_table(session))
    rows = (
        await session.execute(
            select(Article, _source_label())
            .outerjoin(Source, Source.id == Article.source_id)
            .where(Article.deleted_at.is_(None))
            .order_by(Article.published_at.desc(), Article.id.desc())
            .limit(min(scan, MAX_TEST_SCAN))
        )
    ).all()
    hits: list[QueryHit] = []
    matched = 0
    for article, source in rows:
        doc = _document(article.title, article.body, article.summary, source)
        if compiled.matches(doc):
            matched += 1
            if len(hits) < limit:
                hits.append(QueryHit(article, compiled.explain(doc)))
    return QueryScan(compiled, len(rows), matched, hits)


# --- article filters ----------------------------------------------------------------------------


def in_watchlists(watchlist_ids: Sequence[int]) -> ColumnElement[bool]:
    """Articles matched by any of these watchlists."""
    return Article.id.in_(
        select(ArticleWatchlist.article_id).where(ArticleWatchlist.watchlist_id.in_(watchlist_ids))
    )


_MENTIONS_PG = text(
    "EXISTS (SELECT 1 FROM jsonb_array_elements(COALESCE(articles.targets, '[]'::jsonb)) t "
    "WHERE lower(t->>'name') IN :names AND COALESCE((t->>'mentions')::int, 0) > 0)"
).bindparams(bindparam("names", expanding=True))
_MENTIONS_SQLITE = text(
    "EXISTS (SELECT 1 FROM json_each(COALESCE(articles.targets, '[]')) t "
    "WHERE lower(json_extract(t.value, '$.name')) IN :names "
    "AND COALESCE(json_extract(t.value, '$.mentions'), 0) > 0)"
).bindparams(bindparam("names", expanding=True))


def mentions_entities(session: AsyncSession, entities: Sequence[str]) -> ColumnElement[bool]:
    """Articles whose scorer result mentions one of these watched entities (by name, any case)."""
    clause = _MENTIONS_PG if is_postgres(session) else _MENTIONS_SQLITE
    names = [e.casefold() for e in entities]
    return clause.bindparams(names=names)  # type: ignore[return-value]


async def skip_unmatchable(session: AsyncSession) -> int | None:
    """Set aside the next article `match_pending` would take (it failed alone): marked matched,
    with no watchlist. Returns its id."""
    article_id = await session.scalar(
        select(Article.id)
        .where(Article.scored_at.is_not(None), Article.matched_at.is_(None))
        .order_by(Article.id)
        .limit(1)
    )
    if article_id is not None:
        await session.execute(
            update(Article).where(Article.id == article_id).values(matched_at=utcnow())
        )
    return article_id
