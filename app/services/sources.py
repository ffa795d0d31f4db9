"""Sources: registration, health, OPML, claiming due sources and recording their polls."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import delete, func, insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.crawlers.urls import InvalidURLError, host_of, normalise_url, url_hash
from app.db import Database, skip_locked
from app.errors import Conflict, InvalidInput, NotFound, RateLimited
from app.models import Article, FetchAttempt, FetchStatus, Source, SourceKind, utcnow
from app.models.base import UTCDateTime
from app.services.pagination import decode_cursor, encode_cursor

# Detection and OPML import the parsers (lxml, feedparser): imported by the functions that
# detect or read OPML, not by every command that claims sources.
if TYPE_CHECKING:
    from app.crawlers.detect import Detection
    from app.crawlers.fetch import Fetcher


@dataclass(frozen=True, slots=True)
class NewSource:
    url: str
    kind: SourceKind = SourceKind.FEED
    name: str | None = None
    language: str | None = None
    tier: int = 2
    enabled: bool = True
    poll_interval_override: int | None = None
    selector: str | None = None
    category: str | None = None
    format: str | None = None  # what detection found, when it ran


@dataclass(frozen=True, slots=True)
class ClaimedSource:
    """What a crawl needs to know about a source, detached from any session."""

    id: int
    url: str
    kind: str
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    poll_interval: int
    poll_interval_override: int | None
    error_count: int
    selector: str | None
    last_fetched_at: datetime | None = None


async def create_source(session: AsyncSession, *, data: NewSource) -> Source:
    try:
        url = normalise_url(data.url)
    except InvalidURLError as exc:
        raise InvalidInput(str(exc)) from None
    key = url_hash(url)
    existing = await session.scalar(select(Source.id).where(Source.url_hash == key))
    if existing is not None:
        raise Conflict(f"source already registered as id {existing}", source_id=existing)
    source = Source(
        url=url,
        url_hash=key,
        kind=data.kind,
        name=(data.name or host_of(url))[:200],
        language=data.language,
        tier=data.tier,
        enabled=data.enabled,
        poll_interval_override=data.poll_interval_override,
        poll_interval=data.poll_interval_override or 900,
        selector=data.selector,
        category=data.category,
        format=data.format,
        next_check_at=utcnow(),
    )
    session.add(source)
    await session.flush()
    return source


async def detect_source(fetcher: Fetcher, *, url: str, now: datetime) -> Detection:
    """Fetch `url` and tell what kind of source it is; InvalidInput (422) says what was found
    and what to try when it is nothing Pantau reads, or cannot be fetched."""
    from app.crawlers.detect import UnrecognisedSource, detect_kind
    from app.crawlers.fetch import FetchError
    from app.crawlers.parsers import ParseError

    try:
        url = normalise_url(url)
    except InvalidURLError as exc:
        raise InvalidInput(str(exc)) from None
    try:
        result = await fetcher.fetch(url)
    except FetchError as exc:
        raise InvalidInput(
            f"could not fetch {url} to detect its kind: {exc.reason}. Try: check the URL, "
            "or give `kind` (feed, sitemap, listing, article) to register it without detection",
            found=exc.reason,
            hint="check the URL, or give kind explicitly",
            fetched=False,
        ) from None
    try:
        return detect_kind(result.body, url=result.url, headers=result.headers, now=now)
    except UnrecognisedSource as exc:
        raise InvalidInput(str(exc), found=exc.found, hint=exc.hint) from None
    except ParseError as exc:  # refused before reading (an XML entity declaration, say)
        raise InvalidInput(
            f"{url} cannot be read safely: {exc}", found=str(exc), hint="give another URL"
        ) from None


async def get_source(session: AsyncSession, *, source_id: int) -> Source:
    source = await session.get(Source, source_id)
    if source is None:
        raise NotFound(f"source {source_id} does not exist")
    return source


async def list_sources(
    session: AsyncSession, *, limit: int, cursor: str | None = None, unhealthy: bool | None = None
) -> tuple[Sequence[Source], str | None]:
    """Sources in id order; `unhealthy` keeps only failing (true) or healthy (false) ones."""
    query = select(Source).order_by(Source.id).limit(limit + 1)
    if cursor:
        (after_id,) = decode_cursor(cursor, kinds=(int,))
        query = query.where(Source.id > after_id)
    if unhealthy is True:
        query = query.where(Source.error_count > 0)
    elif unhealthy is False:
        query = query.where(Source.error_count == 0)
    rows = list((await session.scalars(query)).all())
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


UPDATABLE = frozenset(
    {
        "enabled",
        "name",
        "tier",
        "language",
        "poll_interval_override",
        "selector",
        "category",
        "kind",
    }
)


async def update_source(
    session: AsyncSession, *, source_id: int, changes: dict[str, object]
) -> Source:
    """Apply an admin's changes; a re-enabled source or a new interval is checked soon."""
    source = await get_source(session, source_id=source_id)
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))}")
    if changes.get("name", "") is None:
        raise InvalidInput("name cannot be null")
    for name in ("enabled", "tier", "kind"):
        if name in changes and changes[name] is None:
            raise InvalidInput(f"{name} cannot be null")
    now = utcnow()
    if "kind" in changes and changes["kind"] != source.kind:
        # Read the body afresh as its new kind at once: a 304 or the same body hash would
        # otherwise skip the next poll. Its articles and fetch log stay.
        source.etag = source.last_modified = source.body_hash = source.format = None
        source.next_check_at = now
    if changes.get("enabled") is True and not source.enabled:
        source.next_check_at = now
    if "poll_interval_override" in changes:
        override = changes["poll_interval_override"]
        if isinstance(override, int):
            source.poll_interval = override
            source.next_check_at = min(source.next_check_at, now + timedelta(seconds=override))
    for name, value in changes.items():
        setattr(source, name, value)
    await session.flush()
    return source


async def delete_source(session: AsyncSession, *, source_id: int) -> None:
    """Delete a source and its fetch log; its articles stay, detached from it."""
    await get_source(session, source_id=source_id)
    await session.execute(delete(FetchAttempt).where(FetchAttempt.source_id == source_id))
    await session.execute(
        update(Article).where(Article.source_id == source_id).values(source_id=None)
    )
    await session.execute(delete(Source).where(Source.id == source_id))


async def recent_item_counts(
    session: AsyncSession, *, source_ids: Sequence[int], now: datetime | None = None
) -> dict[int, int]:
    """Articles ingested per source in the 24 hours before `now`."""
    if not source_ids:
        return {}
    since = (now or utcnow()) - timedelta(hours=24)
    rows = await session.execute(
        select(Article.source_id, func.count())
        .where(Article.source_id.in_(source_ids), Article.fetched_at >= since)
        .group_by(Article.source_id)
    )
    return {int(sid): int(n) for sid, n in rows.all() if sid is not None}


async def list_attempts(
    session: AsyncSession, *, source_id: int, limit: int, cursor: str | None = None
) -> tuple[Sequence[FetchAttempt], str | None]:
    """A source's fetch attempts, newest first, with a keyset cursor."""
    await get_source(session, source_id=source_id)
    query = (
        select(FetchAttempt)
        .where(FetchAttempt.source_id == source_id)
        .order_by(FetchAttempt.started_at.desc(), FetchAttempt.id.desc())
        .limit(limit + 1)
    )
    if cursor:
        started, after_id = decode_cursor(cursor, kinds=(datetime, int))
        query = query.where(
            or_(
                FetchAttempt.started_at < started,
                (FetchAttempt.started_at == started) & (FetchAttempt.id < after_id),
            )
        )
    rows = list((await session.scalars(query)).all())
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(last.started_at, last.id)
    return rows[:limit], next_cursor


async def all_sources(session: AsyncSession) -> Sequence[Source]:
    return (await session.scalars(select(Source).order_by(Source.id))).all()


async def claim_due_sources(
    session: AsyncSession, *, worker: str, now: datetime, limit: int, lease_seconds: int
) -> list[ClaimedSource]:
    """Lease up to `limit` due sources to `worker`.

    On PostgreSQL, `FOR UPDATE SKIP LOCKED` lets any number of workers claim concurrently without
    waiting on or double-claiming each other's rows; SQLite serialises writers, so the same
    UPDATE is already atomic there. A lease that expires (a worker died) makes the source due again.
    """
    due = (
        select(Source.id)
        .where(
            Source.enabled.is_(True),
            Source.next_check_at <= now,
            or_(Source.claimed_until.is_(None), Source.claimed_until < now),
        )
        .order_by(Source.next_check_at, Source.id)
        .limit(limit)
    )
    due = skip_locked(session, due)
    ids = list((await session.scalars(due)).all())
    if not ids:
        return []
    lease = now + timedelta(seconds=lease_seconds)
    claimed = await session.scalars(
        update(Source)
        .where(Source.id.in_(ids), or_(Source.claimed_until.is_(None), Source.claimed_until < now))
        .values(claimed_until=lease, claimed_by=worker)
        .returning(Source)
    )
    return [_claimed(s) for s in claimed.all()]


def _claimed(s: Source) -> ClaimedSource:
    return ClaimedSource(
        id=s.id,
        url=s.url,
        kind=s.kind,
        etag=s.etag,
        last_modified=s.last_modified,
        body_hash=s.body_hash,
        poll_interval=s.poll_interval,
        poll_interval_override=s.poll_interval_override,
        error_count=s.error_count,
        selector=s.selector,
        last_fetched_at=s.last_fetched_at,
    )


async def claim_source(
    session: AsyncSession,
    *,
    source_id: int,
    worker: str,
    now: datetime,
    lease_seconds: int,
    min_gap_seconds: int,
) -> ClaimedSource:
    """Lease one source now, due or not ("poll now"), under the same lease as the scheduler's
    claims: a source another worker is fetching is a Conflict, and one fetched less than
    `min_gap_seconds` ago is RateLimited (politeness towards the publisher)."""
    source = await get_source(session, source_id=source_id)
    if source.claimed_until is not None and source.claimed_until > now:
        raise Conflict(
            f"source {source_id} is being fetched by {source.claimed_by} right now; "
            "its result will show in its attempts",
            source_id=source_id,
        )
    if source.last_fetched_at is not None:
        wait = min_gap_seconds - (now - source.last_fetched_at).total_seconds()
        if wait > 0:
            raise RateLimited(
                f"source {source_id} was fetched {int(min_gap_seconds - wait)} s ago; to be "
                f"polite to its publisher it is fetched at most once every {min_gap_seconds} s",
                headers={"Retry-After": str(int(wait) + 1)},
            )
    claimed = await session.scalars(
        update(Source)
        .where(
            Source.id == source_id,
            or_(Source.claimed_until.is_(None), Source.claimed_until < now),
        )
        .values(claimed_until=now + timedelta(seconds=lease_seconds), claimed_by=worker)
        .returning(Source)
    )
    row = claimed.one_or_none()
    if row is None:  # claimed by a worker between the read and the update
        raise Conflict(f"source {source_id} is being fetched right now", source_id=source_id)
    return _claimed(row)


@dataclass(frozen=True, slots=True)
class PollReport:
    """What a "poll now" did: the poll's outcome and when the source is due again."""

    source_id: int
    status: str
    http_status: int | None
    items_seen: int
    new_items: int
    error: str | None
    next_check_at: datetime


class SourcePolling(Protocol):
    """Polls one source at once (pipeline/poll_now.py); the API holds one in `app.state`."""

    async def poll(self, database: Database, source_id: int) -> PollReport: ...


@dataclass(frozen=True, slots=True)
class Poll:
    """The writes that close a successful poll: the source row's new values and its attempt."""

    source: dict[str, object]
    attempt: dict[str, object]


async def record_polls(session: AsyncSession, *, polls: Sequence[Poll]) -> None:
    """Write finished polls' source rows and attempts (executemany: at a thousand polls a
    second, a statement per poll is the bottleneck)."""
    if not polls:
        return
    groups: dict[frozenset[str], list[dict[str, object]]] = {}
    for poll in polls:
        groups.setdefault(frozenset(poll.source), []).append(poll.source)
    for rows in groups.values():  # executemany needs the same columns in every row
        await session.execute(update(Source), rows)
    await session.execute(insert(FetchAttempt), [p.attempt for p in polls])


async def release_claims(
    session: AsyncSession, *, worker: str, source_ids: Sequence[int] | None = None
) -> int:
    """Give back `worker`'s leases (all of them, or those of `source_ids`) without a poll: the
    sources are due again at once for any worker. Returns how many were released."""
    query = update(Source).where(Source.claimed_by == worker, Source.claimed_until.is_not(None))
    if source_ids is not None:
        if not source_ids:
            return 0
        query = query.where(Source.id.in_(list(source_ids)))
    result = await session.execute(query.values(claimed_until=None, claimed_by=None))
    return int(getattr(result, "rowcount", 0) or 0)


async def extend_claims(
    session: AsyncSession, *, worker: str, source_ids: Sequence[int], until: datetime
) -> None:
    """Renew `worker`'s leases still held on `source_ids` (the batch in flight) until `until`."""
    if source_ids:
        await session.execute(
            update(Source)
            .where(
                Source.id.in_(list(source_ids)),
                Source.claimed_by == worker,
                Source.claimed_until.is_not(None),
            )
            .values(claimed_until=until)
        )


@dataclass(frozen=True, slots=True)
class PollFailure:
    """A failed poll: why, and when the source is due again."""

    reason: str
    kind: str
    http_status: int | None
    errors: int  # consecutive errors, this one included
    retry_at: datetime


async def record_failure(
    session: AsyncSession,
    *,
    source_id: int,
    failure: PollFailure,
    started: datetime,
    now: datetime,
    worker: str,
) -> None:
    """Record a failed poll on the source row (its lease released) and as an attempt."""
    await session.execute(
        update(Source)
        .where(Source.id == source_id)
        .values(
            last_status=FetchStatus.ERROR,
            last_http_status=failure.http_status,
            error_count=failure.errors,
            last_error=failure.reason,
            last_error_at=now,
            last_error_kind=failure.kind,
            failing_since=func.coalesce(Source.failing_since, literal(now, UTCDateTime())),
            last_fetched_at=now,
            next_check_at=failure.retry_at,
            claimed_until=None,
            claimed_by=None,
        )
    )
    session.add(
        FetchAttempt(
            source_id=source_id,
            started_at=started,
            finished_at=now,
            status=FetchStatus.ERROR,
            http_status=failure.http_status,
            duration_ms=int((now - started).total_seconds() * 1000),
            error=failure.reason,
            worker=worker,
        )
    )


@dataclass(frozen=True, slots=True)
class ImportReport:
    added: int
    existing: int
    invalid: list[str]
    detected: dict[str, str] = field(default_factory=dict)  # url -> what detection found
    undetected: dict[str, str] = field(default_factory=dict)  # url -> why it was not fetched


@dataclass(frozen=True, slots=True)
class OpmlDetection:
    """Kinds detected for an OPML document's outlines, found before its import transaction."""

    kinds: Mapping[str, Detection]
    invalid: Mapping[str, str]  # url -> why it is not a source Pantau reads
    unreached: Mapping[str, str]  # url -> why it could not be fetched (its stated kind stays)


async def detect_opml(
    fetcher: Fetcher, *, body: bytes, now: datetime, concurrency: int = 8
) -> OpmlDetection:
    """Detect the kind of every outline that does not state one (`pantauKind`).

    OPML's `type="rss"` is what every reader writes, whatever the URL serves, so it is no
    evidence; Pantau's own export states the kind, which is trusted. The fetcher's politeness
    holds (per-host spacing and caps), and `concurrency` bounds the fetches in flight.
    """
    from app.crawlers.opml import parse_opml

    kinds: dict[str, Detection] = {}
    invalid: dict[str, str] = {}
    unreached: dict[str, str] = {}
    gate = asyncio.Semaphore(concurrency)

    async def one(url: str) -> None:
        async with gate:
            try:
                kinds[url] = await detect_source(fetcher, url=url, now=now)
            except InvalidInput as exc:
                # Unreachable now (down, offline) is not proof of a wrong URL: it is registered
                # as stated and its polls will say why it fails; unreadable content is refused.
                (unreached if exc.extra.get("fetched") is False else invalid)[url] = exc.detail

    await asyncio.gather(*(one(o.url) for o in parse_opml(body) if o.kind_given is False))
    return OpmlDetection(kinds=kinds, invalid=invalid, unreached=unreached)


async def import_opml(
    session: AsyncSession, *, body: bytes, detected: OpmlDetection | None = None
) -> ImportReport:
    """Register every outline of an OPML document; existing URLs are left as they are.

    With `detected` (detect_opml, run before this transaction: no transaction waits on the
    network), outlines without a stated kind get the detected one, and those detection found
    unreadable are reported invalid with its explanation instead of being registered.
    """
    from app.crawlers.opml import parse_opml

    added = existing = 0
    invalid: list[str] = []
    notes: dict[str, str] = {}
    for outline in parse_opml(body):
        found = detected.kinds.get(outline.url) if detected else None
        if detected and outline.url in detected.invalid:
            invalid.append(f"{outline.url}: {detected.invalid[outline.url]}")
            continue
        try:
            kind = SourceKind(found.kind if found else outline.kind)
        except ValueError:
            invalid.append(f"{outline.url}: unknown kind {outline.kind!r}")
            continue
        if found:
            notes[outline.url] = found.note
        data = NewSource(
            url=outline.url,
            kind=kind,
            format=found.format if found else None,
            name=outline.name,
            language=outline.language,
            tier=outline.tier or 2,
            category=outline.category,
            selector=outline.selector,
        )
        try:
            async with session.begin_nested():
                await create_source(session, data=data)
            added += 1
        except Conflict:
            existing += 1
        except InvalidInput as exc:
            invalid.append(f"{outline.url}: {exc.detail}")
    return ImportReport(
        added=added,
        existing=existing,
        invalid=invalid,
        detected=notes,
        undetected=dict(detected.unreached) if detected else {},
    )


async def export_opml(session: AsyncSession) -> bytes:
    from app.crawlers.opml import Outline, render_opml

    return render_opml(
        Outline(
            url=s.url,
            name=s.name,
            kind=s.kind,
            language=s.language,
            tier=s.tier,
            category=s.category,
            selector=s.selector,
        )
        for s in await all_sources(session)
    )
