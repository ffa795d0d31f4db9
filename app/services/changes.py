"""The change log: incremental sync (`changed_after`) that cannot miss late commits, and the
cheap collection fingerprints behind ETags.

Triggers write a `changes` row for every insert, update and delete of the synced tables (see the
migration `6580c87c9b20`); `record_change` adds what a trigger cannot know, such as a merge.

Why a reader never misses a late commit: a row's sync position is (txid, seq), where txid is
its writing transaction's id. On PostgreSQL a reader only returns rows whose txid is below
`pg_snapshot_xmin(pg_current_snapshot())`, the oldest transaction still in flight: every
transaction below it has ended, so all their rows are already visible, and every transaction
that can still commit has a txid at or above it, so its rows sort after anything returned. On
SQLite writers are serialised (one write lock held to commit), so seq order is commit order and
txid is always 0.

Why an ETag cannot hide a late commit: a fingerprint is (floor, count, max_seq), where floor is
a txid at or below the oldest transaction in flight when it was taken and count is the number
of visible rows with txid >= floor. Rows below floor can no longer change, rows at or above it
only accumulate, so an equal count for the same floor means an equal set of changes.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    exists,
    func,
    insert,
    literal,
    literal_column,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import Sessionmaker, is_postgres
from app.errors import InvalidInput
from app.models import Change, ChangeKind
from app.services.pagination import decode_cursor, encode_cursor

_PG_TXID = "pg_current_xact_id()::text::bigint"
_PG_WATERMARK = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
START = "0"  # the changed_after value that means "from the beginning"
_CURSOR_TAG = "sync"


async def record_change(
    session: AsyncSession,
    *,
    entity: str,
    entity_id: int,
    kind: ChangeKind | str,
    merged_into: int | None = None,
) -> None:
    """Log a change in the caller's transaction (triggers already log plain writes).

    Use it for what a trigger cannot see, e.g. `kind="merge", merged_into=3` when issue 7 is
    merged into issue 3; the sync feed then answers `{"id": 7, "merged_into": 3}`.
    """
    kind = ChangeKind(kind)
    if (kind is ChangeKind.MERGE) != (merged_into is not None):
        raise ValueError("merged_into is required for merges and only for merges")
    txid: ColumnElement[int] = (
        literal_column(_PG_TXID, BigInteger()) if is_postgres(session) else literal(0)
    )
    await session.execute(
        insert(Change).values(
            entity=entity, entity_id=entity_id, kind=kind.value, merged_into=merged_into, txid=txid
        )
    )


# --- incremental sync ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Position:
    txid: int = 0
    seq: int = 0

    def encode(self) -> str:
        return encode_cursor(_CURSOR_TAG, self.txid, self.seq)

    @classmethod
    def decode(cls, value: str) -> Position:
        if value == START:
            return cls()
        tag, txid, seq = decode_cursor(value, kinds=(str, int, int))
        if tag != _CURSOR_TAG:
            raise InvalidInput("invalid changed_after: pass back a sync cursor, or 0 to start")
        return cls(txid=txid, seq=seq)


@dataclass(frozen=True, slots=True)
class EntityChange:
    """The net change of one entity within a batch: its latest kind."""

    entity_id: int
    kind: ChangeKind
    merged_into: int | None


@dataclass(frozen=True, slots=True)
class ChangeBatch:
    changes: list[EntityChange]
    position: Position
    has_more: bool
    held_back: bool  # committed changes exist that are not yet safe to hand out


def _watermark(session: AsyncSession) -> ColumnElement[int]:
    if is_postgres(session):
        return select(literal_column(_PG_WATERMARK, BigInteger())).scalar_subquery()
    return literal(2**62)


async def read_changes(
    session: AsyncSession, *, entity: str, after: Position, limit: int
) -> ChangeBatch:
    """Changes after `after` in (txid, seq) order, only up to the safe watermark."""
    watermark = _watermark(session)
    query = (
        select(Change.seq, Change.txid, Change.entity_id, Change.kind, Change.merged_into)
        .where(
            Change.entity == entity,
            tuple_(Change.txid, Change.seq) > tuple_(literal(after.txid), literal(after.seq)),
            Change.txid < watermark,
        )
        .order_by(Change.txid, Change.seq)
        .limit(limit + 1)
    )
    rows = (await session.execute(query)).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    position = Position(txid=rows[-1].txid, seq=rows[-1].seq) if rows else after
    held_back = False
    if not has_more and is_postgres(session):
        held_back = bool(
            await session.scalar(
                select(
                    exists().where(
                        Change.entity == entity,
                        tuple_(Change.txid, Change.seq)
                        > tuple_(literal(position.txid), literal(position.seq)),
                    )
                )
            )
        )
    # Collapse to the net change per entity. Within one transaction a delete or merge wins
    # over the upserts the same transaction's row updates logged around it.
    latest: dict[int, tuple[int, EntityChange]] = {}
    for row in rows:
        change = EntityChange(row.entity_id, ChangeKind(row.kind), row.merged_into)
        previous = latest.pop(row.entity_id, None)
        if (
            previous is not None
            and previous[0] == row.txid
            and change.kind is ChangeKind.UPSERT
            and previous[1].kind is not ChangeKind.UPSERT
        ):
            change = previous[1]
        latest[row.entity_id] = (row.txid, change)  # re-inserted: dict order = last change
    return ChangeBatch(
        changes=[c for _, c in latest.values()],
        position=position,
        has_more=has_more,
        held_back=held_back,
    )


# --- fingerprints for ETags ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fingerprint:
    floor: int
    count: int
    max_seq: int

    def token(self) -> str:
        return f"{self.floor:x}.{self.count:x}.{self.max_seq:x}"


_TOKEN = re.compile(r"^([0-9a-f]{1,16})\.([0-9a-f]{1,16})\.([0-9a-f]{1,16})$")


def parse_token(token: str) -> Fingerprint | None:
    match = _TOKEN.match(token)
    if match is None:
        return None
    floor, count, max_seq = (int(g, 16) for g in match.groups())
    return Fingerprint(floor, count, max_seq)


async def take_fingerprint(session: AsyncSession, *, entity: str) -> Fingerprint:
    """The current fingerprint of an entity's change log (one indexed query)."""
    max_seq = select(func.coalesce(func.max(Change.seq), 0)).where(Change.entity == entity)
    if not is_postgres(session):
        return Fingerprint(0, 0, int(await session.scalar(max_seq) or 0))
    floor = literal_column(_PG_WATERMARK, BigInteger()).label("floor")
    w = select(floor).cte("w")
    count = (
        select(func.count())
        .select_from(Change)
        .where(Change.entity == entity, Change.txid >= w.c.floor)
        .scalar_subquery()
    )
    row = (await session.execute(select(w.c.floor, count, max_seq.scalar_subquery()))).one()
    return Fingerprint(int(row[0]), int(row[1]), int(row[2]))


async def count_since(session: AsyncSession, *, entity: str, floor: int) -> int:
    query = (
        select(func.count())
        .select_from(Change)
        .where(Change.entity == entity, Change.txid >= floor)
    )
    return int(await session.scalar(query) or 0)


async def unchanged_since(session: AsyncSession, *, entity: str, seen: Fingerprint) -> bool:
    """Whether the entity's visible changes are exactly those `seen` described."""
    if not is_postgres(session):
        current = await take_fingerprint(session, entity=entity)
        return current.max_seq == seen.max_seq
    return await count_since(session, entity=entity, floor=seen.floor) == seen.count


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class _Entry:
    fingerprint: Fingerprint
    modified_at: datetime
    checked: float
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass(frozen=True, slots=True)
class Version:
    fingerprint: Fingerprint
    modified_at: datetime  # when this process first saw these changes (Last-Modified)


class VersionCache:
    """Per-process fingerprints, refreshed at most every `ttl` seconds.

    A cached fingerprint is kept while the set of changes it describes is unchanged, so every
    client of this process sees one stable ETag. Answers may lag the database by up to `ttl`.
    """

    def __init__(self, ttl: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._verdicts: dict[tuple[str, Fingerprint], tuple[float, bool]] = {}

    def _now(self) -> float:
        return self._clock()

    async def current(self, entity: str, sessionmaker: Sessionmaker) -> Version:
        entry = self._entries.get(entity)
        if entry is not None and self._now() - entry.checked < self.ttl:
            return Version(entry.fingerprint, entry.modified_at)
        if entry is None:
            entry = self._entries.setdefault(entity, _Entry(Fingerprint(-1, -1, -1), _EPOCH, -1e18))
        elif entry.lock.locked() and entry.fingerprint.floor >= 0:
            # Another request is refreshing: answer from the previous fingerprint, so at most
            # one refresh query is in flight per entity and nobody queues behind it.
            return Version(entry.fingerprint, entry.modified_at)
        async with entry.lock:
            if self._now() - entry.checked >= self.ttl:
                await self._refresh(entity, entry, sessionmaker)
        return Version(entry.fingerprint, entry.modified_at)

    async def _refresh(self, entity: str, entry: _Entry, sessionmaker: Sessionmaker) -> None:
        async with sessionmaker() as session:
            old = entry.fingerprint
            same = old.floor >= 0 and await unchanged_since(session, entity=entity, seen=old)
            if not same:
                entry.fingerprint = await take_fingerprint(session, entity=entity)
                # Last-Modified has one-second resolution: keep it strictly increasing here.
                now = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
                entry.modified_at = max(now, entry.modified_at + timedelta(seconds=1))
        entry.checked = self._now()

    async def unchanged(self, entity: str, seen: Fingerprint, sessionmaker: Sessionmaker) -> bool:
        """Whether a fingerprint a client holds (from any process) is still current."""
        version = await self.current(entity, sessionmaker)
        if seen == version.fingerprint:
            return True
        if seen.floor == version.fingerprint.floor or seen.floor <= 0:
            return False  # same floor, different count or max: changed (SQLite: floor 0)
        key = (entity, seen)
        cached = self._verdicts.get(key)
        if cached is not None and self._now() - cached[0] < self.ttl:
            return cached[1]
        async with sessionmaker() as session:
            verdict = await unchanged_since(session, entity=entity, seen=seen)
        if len(self._verdicts) > 1024:
            self._verdicts.clear()
        self._verdicts[key] = (self._now(), verdict)
        return verdict
