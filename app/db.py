"""Engine and session factories, the FastAPI session dependency, and the dialect helpers.

The same code runs on SQLite and PostgreSQL. Where PostgreSQL has a better tool, it is used
behind one small function here with its SQLite equivalent: the upsert (`insert_or_ignore`,
`upsert`), claims that skip rows another worker holds (`skip_locked`, `skip_claimed`), a lock
that serialises one job across workers (`lock_job`), and `= ANY(array)` for long id lists
(`one_of`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    Select,
    any_,
    bindparam,
    event,
    func,
    literal,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, QueryableAttribute

from app.textsearch import sqlite_stem

if TYPE_CHECKING:
    from fastapi import Depends, Request

Sessionmaker = async_sessionmaker[AsyncSession]
T = TypeVar("T")
WRITER_OPTION = "pantau_writer"


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin (the documented
    # recipe for working SAVEPOINTs and for choosing BEGIN IMMEDIATE below).
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    # WAL lets the API read while the scheduler writes; NORMAL is durable across app crashes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
    # The stemmed full-text index's triggers call it (textsearch.py; migration a17b00000001).
    dbapi_conn.create_function("pantau_stem", 2, sqlite_stem, deterministic=True)


def _sqlite_begin(conn: Any) -> None:
    # Writers take the write lock up front: a deferred transaction that read first and then
    # tries to write fails at once with SQLITE_BUSY if another writer committed in between.
    immediate = conn.get_execution_options().get(WRITER_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_engine(url: str, *, echo: bool = False, pool_size: int = 10) -> AsyncEngine:
    """Create the async engine for either backend, with the pragmas SQLite needs."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    return create_async_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
    )


def create_sessionmaker(engine: AsyncEngine, *, writer: bool = False) -> Sessionmaker:
    """Sessions for readers, or (`writer=True`) for transactions that will write."""
    bind = engine.execution_options(**{WRITER_OPTION: True}) if writer else engine
    return async_sessionmaker(bind, expire_on_commit=False)


class Database:
    """The engine and both session factories a process uses."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = create_engine(url, echo=echo)
        self.sessionmaker = create_sessionmaker(self.engine)
        self.writer = create_sessionmaker(self.engine, writer=True)
        # Writes started beside a request (an API key's last use): disposing waits for them,
        # so none is cut off holding a connection.
        self._beside: set[asyncio.Task[None]] = set()

    def beside(self, task: asyncio.Task[None]) -> None:
        """Keep `task` (a write on this database) until it is done; `dispose` waits for it."""
        self._beside.add(task)
        task.add_done_callback(self._beside.discard)

    async def dispose(self) -> None:
        while self._beside:
            await asyncio.gather(*self._beside, return_exceptions=True)
        await self.engine.dispose()


def is_postgres(session_or_engine: Bind) -> bool:
    """Whether the session's (or engine's) backend is PostgreSQL."""
    if isinstance(session_or_engine, AsyncSession):
        return session_or_engine.get_bind().dialect.name == "postgresql"
    return session_or_engine.dialect.name == "postgresql"


Bind = AsyncSession | AsyncEngine
Insert = postgresql.Insert | sqlite.Insert


def dialect_insert(bind: Bind, model: type[DeclarativeBase]) -> Insert:
    """`INSERT` in the bind's dialect, which both backends extend with `ON CONFLICT`."""
    return postgresql.insert(model) if is_postgres(bind) else sqlite.insert(model)


def insert_or_ignore(
    bind: Bind, model: type[DeclarativeBase], *, index_elements: Sequence[str] | None = None
) -> Insert:
    """`INSERT .. ON CONFLICT DO NOTHING` (on `index_elements`, else on any unique key): the
    natural-key insert that a repeated ingestion never doubles."""
    return dialect_insert(bind, model).on_conflict_do_nothing(index_elements=index_elements)


def upsert(
    bind: Bind,
    model: type[DeclarativeBase],
    *,
    index_elements: Sequence[str],
    set_: dict[str, Any],
) -> Insert:
    """`INSERT .. ON CONFLICT (index_elements) DO UPDATE SET set_`."""
    return dialect_insert(bind, model).on_conflict_do_update(
        index_elements=index_elements, set_=set_
    )


S = TypeVar("S", bound=Select[*tuple[Any, ...]])  # a SELECT of any columns


def skip_locked(session: AsyncSession, query: S, *, of: Any = None) -> S:
    """A claim's SELECT: on PostgreSQL `FOR UPDATE SKIP LOCKED` (of `of`, else every table), so
    any number of workers split a queue without waiting on or double-claiming each other's rows.
    SQLite has one writer at a time: a writer transaction's rows are already its own."""
    if is_postgres(session):
        return query.with_for_update(skip_locked=True, of=of)
    return query


def skip_claimed(
    session: AsyncSession, ids: Select[int], *, namespace: int, limit: int
) -> Select[int]:
    """The first `limit` ids of `ids` (one integer column, ordered) that no other transaction
    has claimed in `namespace` (an int4), each then claimed until this transaction ends.

    On PostgreSQL a claim is a transaction-level advisory lock on (`namespace`, id), tried in
    the query's order until `limit` are held. Unlike `skip_locked` it locks no row, so the
    other stages keep writing the rows while the claimant works on them (the claim-match
    stage encodes for tens of seconds). OFFSET 0 keeps the query whole (not flattened into
    this one), so the ids are ordered before any lock is tried and none past the limit is
    taken. A claim can win an id whose previous claimant committed after this query's
    snapshot was taken: the write that closes the work re-checks that the row is pending.
    SQLite has one writer at a time: the first `limit` ids, and the same re-check."""
    if not is_postgres(session):
        return ids.limit(limit)
    ordered = ids.offset(0).subquery()
    key = ordered.c[0]
    claimed = func.pg_try_advisory_xact_lock(literal(namespace, Integer), key)
    return select(key).where(claimed).limit(limit)


async def lock_job(session: AsyncSession, key: int) -> None:
    """Serialise one job (`key`) across workers for the rest of this transaction: a
    transaction-level advisory lock on PostgreSQL; on SQLite the writer transaction already
    holds the database's only write lock."""
    if is_postgres(session):
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


async def drain_jobs(
    database: Database,
    open_ids: Select[int],
    step: Callable[[AsyncSession, int], Awaitable[bool]],
    *,
    seconds: float,
) -> int:
    """Run ``step`` (one batch of a job, in its own write transaction; True while the job has
    more) on each open job of ``open_ids`` in order, until the time is up. Returns the steps."""
    deadline = time.monotonic() + seconds
    steps = 0
    async with database.sessionmaker() as session:
        jobs = (await session.scalars(open_ids)).all()
    for job_id in jobs:
        more = True
        while more and time.monotonic() < deadline:
            async with database.writer.begin() as session:
                more = await step(session, job_id)
            steps += 1
    return steps


def one_of(
    session: AsyncSession, column: QueryableAttribute[T] | ColumnElement[T], values: Sequence[T]
) -> ColumnElement[bool]:
    """`column IN (values)`; on PostgreSQL `column = ANY($1)` with the values as one array.

    A long IN list is compiled into one cast bind parameter per value on every execution
    (about 0.3 CPU s per 100,000 values on asyncpg); the array is one parameter, and the
    planner uses the column's index for either form.
    """
    if is_postgres(session):
        array = bindparam(None, list(values), type_=ARRAY(column.expression.type))
        return column == any_(array)
    return column.in_(values)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: commit on success, roll back on error."""
    database: Database = request.app.state.database
    sessionmaker = database.sessionmaker if request.method in ("GET", "HEAD") else database.writer
    async with sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


if TYPE_CHECKING:
    SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


def __getattr__(name: str) -> object:
    # `SessionDep` is built on first use, by the routers: FastAPI costs a command that serves
    # no API (`pantau crawl --once` from cron) a third of a second to import.
    if name != "SessionDep":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from fastapi import Depends, Request

    dependency = Annotated[AsyncSession, Depends(get_session, scope="function")]
    # FastAPI resolves `get_session`'s annotation (a string here) in this module's globals.
    globals().update(Request=Request, SessionDep=dependency)
    return dependency
