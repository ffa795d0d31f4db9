"""The crawl stage: claim due sources, fetch, parse, store, reschedule.

Due sources are claimed in batches under a lease (services/sources.py; SKIP LOCKED on
PostgreSQL). Each is fetched (conditional GET; page kinds through robots.txt), its items
gathered by kind (crawlers/discover.py), turned into rows (crawlers/rows.py) and stored through
the dedup layers (services/articles.py). The poll then reschedules the source: an adaptive
interval after a success, a graded backoff after a failure (crawlers/scheduling.py), and a
`fetch_attempts` row either way. A failure is recorded on the source row, never raised: one bad
source must not stop the batch.

Discovery, detection and search parsing are imported when a fetch returns something to read:
a cron `crawl --once` with nothing due never loads them.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import socket
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.config import default
from app.crawlers.fetch import FailureKind, Fetcher, FetchError, FetchResult
from app.crawlers.parsers import MAX_ITEMS, FeedItem, ParsedFeed, ParseError, storable
from app.crawlers.pool import CpuPool
from app.crawlers.rows import article_rows
from app.crawlers.scheduling import (
    PollPolicy,
    error_delay,
    freshness_seconds,
    publishing_interval,
    success_interval,
)
from app.db import Database
from app.models import FetchStatus, SourceKind
from app.services import articles as article_service
from app.services import claims as claim_service
from app.services import pages as page_service
from app.services import sources as source_service
from app.services.pages import PAGE_QUEUE_FULL
from app.services.sources import ClaimedSource, Poll, PollFailure

logger = logging.getLogger(__name__)


MAX_ETAG_CHARS = 1000
MAX_LAST_MODIFIED_CHARS = 100  # the column's width; a real HTTP date is 29 characters
MAX_NOTES_CHARS = 2000


def validator(value: str | None, limit: int) -> str | None:
    """A conditional-GET validator worth storing and sending back, or None."""
    if value is None or len(value) > limit or not value.isprintable():
        return None
    return value


def skip_summary(skipped: dict[str, int]) -> str | None:
    """'3 × unusable URL; 1 × publish time ...': the attempt row's record of what was left out."""
    if not skipped:
        return None
    text = storable("; ".join(f"{n} × {reason}" for reason, n in sorted(skipped.items())))
    return (text or "")[:MAX_NOTES_CHARS] or None


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(slots=True)
class SourceOutcome:
    source_id: int
    status: FetchStatus
    new_items: int = 0
    error: str | None = None


@dataclass(slots=True)
class CrawlStage:
    database: Database
    fetcher: Fetcher
    pool: CpuPool
    policy: PollPolicy
    concurrency: int
    batch_size: int
    worker: str
    clock: Callable[[], datetime]
    sitemap_max_children: int = 5
    max_items: int = MAX_ITEMS
    max_pending_pages: int = default("max_pending_pages_per_source")
    parse_time_limit: float | None = default("parse_timeout_seconds")
    max_resolve: int = 30  # search-result links followed to their publisher per poll

    async def run_pending(self, *, stored: asyncio.Event | None = None) -> list[SourceOutcome]:
        """Claim and crawl due sources until none is due.

        Every source crawled is rescheduled at least a minute past the clock, so one call
        fetches each due source once. Sources are claimed a few at a time (`claim_size`) and
        fetched `concurrency` at once, a slot taking the next claimed source as soon as it is
        free; the next claim is taken while the last is fetched, so a worker holds at most
        about two claims beyond its fetch slots and the rest of the due sources are left to
        the other workers. The reschedules of unchanged polls are written in one transaction
        per claim, while fetching goes on (their sources stay leased until then, so nobody
        claims them twice). `stored` is set whenever a source has committed new articles.
        """
        outcomes: list[SourceOutcome] = []
        held: set[int] = set()  # leased to this call: renewed while in flight
        keeper = asyncio.create_task(self._keep_leases(held))
        queue: deque[ClaimedSource] = deque()
        fetching: set[asyncio.Task[SourceOutcome]] = set()
        claiming: asyncio.Task[list[ClaimedSource]] | None = None
        unchanged: list[Poll] = []
        writing: asyncio.Task[None] | None = None
        due = True  # the last claim found due sources
        try:
            while True:
                if claiming is None and due and len(queue) < self.claim_size:
                    claiming = asyncio.create_task(self._claim())
                while queue and len(fetching) < self.concurrency:
                    source = queue.popleft()
                    fetching.add(asyncio.create_task(self._fetch(source, unchanged, stored)))
                if claiming is None and not fetching:
                    return outcomes
                waiting: set[asyncio.Task[object]] = {*fetching, *([claiming] if claiming else [])}
                done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                for task in [t for t in fetching if t in done]:
                    fetching.discard(task)
                    outcomes.append(task.result())
                if claiming in done:
                    claimed, claiming = claiming.result(), None
                    due = bool(claimed)
                    held.update(s.id for s in claimed)
                    queue.extend(claimed)
                    writing = self._flush(unchanged, writing)
        finally:
            keeper.cancel()
            for task in fetching:
                task.cancel()
            await asyncio.gather(*fetching, return_exceptions=True)
            if claiming is not None:  # a claim in flight (or failed): its sources are held too
                claiming.cancel()
                (extra,) = await asyncio.gather(claiming, return_exceptions=True)
                if isinstance(extra, list):
                    held.update(s.id for s in extra)
            writing = self._flush(unchanged, writing)
            try:
                if writing is not None:
                    await writing
            finally:
                # Whatever is still leased here was claimed and not polled (a cancelled cycle,
                # a shutdown, a failed write): released now, not left until the lease runs out.
                await self._release(held)

    async def _fetch(
        self, source: ClaimedSource, unchanged: list[Poll], stored: asyncio.Event | None
    ) -> SourceOutcome:
        outcome = await self.crawl_source(source, unchanged=unchanged)
        if stored is not None and outcome.new_items:
            stored.set()
        return outcome

    def _flush(
        self, unchanged: list[Poll], previous: asyncio.Task[None] | None
    ) -> asyncio.Task[None] | None:
        """Write the unchanged polls gathered so far after the previous write (one at a time,
        so a source's poll is never written twice)."""
        if not unchanged:
            return previous
        polls = unchanged[:]
        unchanged.clear()

        async def write() -> None:
            if previous is not None:
                await previous
            await self._record(polls)

        return asyncio.create_task(write())

    @property
    def claim_size(self) -> int:
        """Sources per claim: the fetch concurrency, at most `batch_size`.

        A claim of `batch_size` (200 by default) took a whole 200-source farm into one
        worker and left its replicas idle; a claim this size keeps the fetch slots full (the
        next claim is taken while the last one is fetched) and leaves the rest to others."""
        return max(1, min(self.batch_size, self.concurrency))

    @property
    def lease_seconds(self) -> int:
        """One fetch's whole budget twice over, plus a minute; `_keep_leases` renews the leases
        of a batch still in flight, so a crashed worker's sources are free again in minutes
        (the lease used to cover a whole batch: 27 minutes by default)."""
        return int(self.fetcher.options.total_timeout * 2 + 60)

    async def _claim(self) -> list[ClaimedSource]:
        async with self.database.writer.begin() as session:
            return await source_service.claim_due_sources(
                session,
                worker=self.worker,
                now=self.clock(),
                limit=self.claim_size,
                lease_seconds=self.lease_seconds,
            )

    async def _keep_leases(self, held: set[int]) -> None:
        """Renew this call's leases every third of a lease until cancelled."""
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            try:
                async with self.database.writer.begin() as session:
                    await source_service.extend_claims(
                        session,
                        worker=self.worker,
                        source_ids=sorted(held),
                        until=self.clock() + timedelta(seconds=self.lease_seconds),
                    )
            except Exception:  # a missed renewal only shortens the lease
                logger.exception("lease renewal failed", extra={"worker": self.worker})

    async def _release(self, source_ids: set[int]) -> None:
        try:
            async with self.database.writer.begin() as session:
                await source_service.release_claims(
                    session, worker=self.worker, source_ids=sorted(source_ids)
                )
        except Exception:  # the leases then expire on their own, minutes later
            logger.exception("lease release failed", extra={"worker": self.worker})

    async def crawl_source(
        self, source: ClaimedSource, *, unchanged: list[Poll] | None = None
    ) -> SourceOutcome:
        """Fetch and store one claimed source; every failure is recorded on its row.

        With `unchanged` given, the writes of a 304 or same-hash poll (the source row and its
        attempt) are appended there for the caller to write with its batch in one transaction;
        at a thousand polls a second, a transaction per unchanged poll is the bottleneck.
        """
        started = self.clock()
        try:
            from app.crawlers.discover import PAGE_KINDS

            get = self.fetcher.fetch_page if source.kind in PAGE_KINDS else self.fetcher.fetch
            result = await get(source.url, etag=source.etag, last_modified=source.last_modified)
            return await self._store(source, result, started, unchanged=unchanged)
        except (FetchError, ParseError) as exc:
            return await self._record_failure(source, exc, started)
        except Exception as exc:  # the job boundary: one bad source must not stop the batch
            logger.exception("crawl failed", extra={"source_id": source.id, "url": source.url})
            return await self._record_failure(source, exc, started)

    async def _hint(self, kind: str, result: FetchResult, now: datetime) -> str:
        """What a body that failed to parse as `kind` looks like instead ("" when unknown).

        Detection reads the whole body again, and a body that failed to parse is often hostile
        (one that ran past the parse time limit would take as long again), so it runs in the
        pool under the same limit; past it, or on any error, there is no hint.
        """
        from app.crawlers.detect import mismatch_hints

        job = (kind, result.body, result.url, dict(result.headers), now)
        try:
            (hint,) = await self.pool.map_batch(
                mismatch_hints, [job], time_limit=self.parse_time_limit
            )
        except Exception:  # the hint is advice: the poll's own error stands without it
            logger.info("no hint for a failed parse", extra={"url": result.url}, exc_info=True)
            return ""
        return hint

    async def _store(
        self,
        source: ClaimedSource,
        result: FetchResult,
        started: datetime,
        *,
        unchanged: list[Poll] | None = None,
    ) -> SourceOutcome:
        now = self.clock()
        body_hash = hashlib.sha256(result.body).hexdigest() if result.body else None
        if result.not_modified or (body_hash and body_hash == source.body_hash):
            return await self._unchanged(source, result, started, now, unchanged)
        from app.crawlers.discover import gather_items

        try:
            feed = await gather_items(
                source.kind,
                result,
                fetcher=self.fetcher,
                pool=self.pool,
                selector=source.selector,
                max_children=self.sitemap_max_children,
                now=now,
                source_id=source.id,
                max_items=self.max_items,
                time_limit=self.parse_time_limit,
            )
        except ParseError as exc:  # say what the body is instead, when it is something known
            hint = await self._hint(source.kind, result, now)
            if not hint:
                raise
            raise ParseError(f"{exc}{hint}") from None
        if source.kind == SourceKind.NEWS_SEARCH:
            feed.rows = await self._resolve_search(source, feed, now)
        rows = feed.rows
        if rows is None:
            rows = article_rows(
                feed.items, source_id=source.id, fetched_at=now, skipped=feed.skipped
            )
        async with self.database.writer.begin() as session:
            if feed.claims is not None:  # a fact-check source: its items are claims
                new_ids = await claim_service.insert_claims(session, rows=feed.claims)
            else:
                new_ids = await article_service.insert_rows(session, source_id=source.id, rows=rows)
                over = await page_service.cap_pending_pages(
                    session, source_id=source.id, new_ids=new_ids, limit=self.max_pending_pages
                )
                if over:
                    feed.skip(f"pages not queued: {PAGE_QUEUE_FULL}", over)
        elapsed = (now - source.last_fetched_at).total_seconds() if source.last_fetched_at else None
        interval = success_interval(
            self.policy,
            current=source.poll_interval,
            new_items=len(new_ids),
            override=source.poll_interval_override,
            ttl_seconds=feed.ttl_minutes * 60 if feed.ttl_minutes else None,
            max_age_seconds=freshness_seconds(result.headers, now=now),
            publish_interval=publishing_interval(
                (i.published for i in feed.items if i.published and i.published_trusted), now=now
            ),
            elapsed_seconds=elapsed,
        )
        notes = skip_summary(feed.skipped)
        if notes:
            logger.warning(
                "items skipped", extra={"source_id": source.id, "url": source.url, "notes": notes}
            )
        poll = self._poll(
            source,
            result,
            started,
            status=FetchStatus.OK,
            interval=interval,
            new_items=len(new_ids),
            items_seen=len(feed.items),
            body_hash=body_hash,
            notes=notes,
            format=feed.format,
        )
        await self._record([poll])
        return SourceOutcome(source.id, FetchStatus.OK, new_items=len(new_ids))

    async def _resolve_search(
        self, source: ClaimedSource, feed: ParsedFeed, now: datetime
    ) -> list[dict[str, object]]:
        """A news search's items as the publishers' article rows.

        Items this source already stored (by GUID) are not fetched again; each other link to
        the search engine is followed through the fetch guard (robots.txt at every hop,
        public addresses only) to the publisher's URL, at most `max_resolve` a poll. A link
        that does not lead to its named publisher is skipped and counted. The rows then meet
        the outlets' own feeds on the URL hash, and the same outlet's title (services/dedup).
        """
        async with self.database.sessionmaker() as session:
            known = await article_service.known_guids(
                session, source_id=source.id, guids=[i.guid for i in feed.items if i.guid]
            )
        todo = [i for i in feed.items if not (i.guid and i.guid in known)]
        if len(todo) > self.max_resolve:
            feed.skip(
                "search results over the per-poll cap (left for later)",
                len(todo) - self.max_resolve,
            )
            todo = todo[: self.max_resolve]
        semaphore = asyncio.Semaphore(4)
        from app.crawlers.search import needs_resolving, resolved_publisher_url

        async def resolve(item: FeedItem) -> FeedItem | None:
            if not needs_resolving(item):
                return item
            async with semaphore:
                try:
                    result = await self.fetcher.fetch_page(item.url)
                except FetchError as exc:
                    feed.skip(f"search link not followed ({exc.kind.value})")
                    return None
            final = resolved_publisher_url(item, result.url)
            if final is None:
                feed.skip("search link did not lead to its publisher")
                return None
            item.url = final
            return item

        resolved = [i for i in await asyncio.gather(*(resolve(i) for i in todo)) if i]
        rows = article_rows(resolved, source_id=source.id, fetched_at=now, skipped=feed.skipped)
        async with self.database.sessionmaker() as session:
            return await article_service.drop_outlet_copies(session, rows=rows)

    async def _unchanged(
        self,
        source: ClaimedSource,
        result: FetchResult,
        started: datetime,
        now: datetime,
        unchanged: list[Poll] | None,
    ) -> SourceOutcome:
        """A 304 or a body with the same hash: only reschedule."""
        status = FetchStatus.NOT_MODIFIED if result.not_modified else FetchStatus.UNCHANGED
        interval = success_interval(
            self.policy,
            current=source.poll_interval,
            new_items=0,
            override=source.poll_interval_override,
            max_age_seconds=freshness_seconds(result.headers, now=now),
        )
        poll = self._poll(source, result, started, status=status, interval=interval)
        if unchanged is None:
            await self._record([poll])
        else:
            unchanged.append(poll)
        return SourceOutcome(source.id, status)

    def _poll(
        self,
        source: ClaimedSource,
        result: FetchResult,
        started: datetime,
        *,
        status: FetchStatus,
        interval: int,
        new_items: int = 0,
        items_seen: int = 0,
        body_hash: str | None = None,
        notes: str | None = None,
        format: str | None = None,
    ) -> Poll:
        now = self.clock()
        values: dict[str, object] = {
            "id": source.id,
            "last_status": status,
            "last_http_status": result.status,
            "error_count": 0,
            "failing_since": None,
            "last_success_at": now,
            "last_fetched_at": now,
            "poll_interval": interval,
            "next_check_at": now + timedelta(seconds=interval),
            "claimed_until": None,
            "claimed_by": None,
        }
        if status == FetchStatus.OK:
            # A validator too long to be real is not kept (a cut one would be wrong to send).
            values["etag"] = validator(result.headers.get("etag"), MAX_ETAG_CHARS)
            values["last_modified"] = validator(
                result.headers.get("last-modified"), MAX_LAST_MODIFIED_CHARS
            )
            values["body_hash"] = body_hash
            values["format"] = (format or "")[:32] or None
        attempt: dict[str, object] = {
            "source_id": source.id,
            "started_at": started,
            "finished_at": now,
            "status": status,
            "http_status": result.status,
            "duration_ms": result.elapsed_ms,
            "bytes": len(result.body),
            "items_seen": items_seen,
            "new_items": new_items,
            "worker": self.worker,
            "notes": notes,
        }
        return Poll(source=values, attempt=attempt)

    async def _record(self, polls: list[Poll]) -> None:
        """Write finished polls in one transaction for the lot."""
        if not polls:
            return
        async with self.database.writer.begin() as session:
            await source_service.record_polls(session, polls=polls)

    async def _record_failure(
        self, source: ClaimedSource, exc: Exception, started: datetime
    ) -> SourceOutcome:
        """Record a failed poll. Never raises: the failure handler is where a hostile value
        (a header, a reason) would otherwise end the batch with the source still leased."""
        now = self.clock()
        try:
            failure = self._failure(source, exc, now)
        except Exception:
            logger.exception("failure classification failed", extra={"source_id": source.id})
            failure = PollFailure(
                reason=f"internal error: {type(exc).__name__}",
                kind=FailureKind.SOFT.value,
                http_status=None,
                errors=source.error_count + 1,
                retry_at=now + timedelta(seconds=self.policy.soft_error_base_seconds),
            )
        try:
            return await self._write_failure(source, failure, started, now)
        except Exception:
            logger.exception("recording a failure failed", extra={"source_id": source.id})
            await self._release({source.id})
            return SourceOutcome(source.id, FetchStatus.ERROR, error=failure.reason)

    async def _write_failure(
        self, source: ClaimedSource, failure: PollFailure, started: datetime, now: datetime
    ) -> SourceOutcome:
        logger.warning(
            "source fetch failed",
            extra={
                "source_id": source.id,
                "url": source.url,
                "reason": failure.reason,
                "errors": failure.errors,
            },
        )
        async with self.database.writer.begin() as session:
            await source_service.record_failure(
                session,
                source_id=source.id,
                failure=failure,
                started=started,
                now=now,
                worker=self.worker,
            )
        return SourceOutcome(source.id, FetchStatus.ERROR, error=failure.reason)

    def _failure(self, source: ClaimedSource, exc: Exception, now: datetime) -> PollFailure:
        """Why the poll failed, and the backoff its kind earns."""
        if isinstance(exc, FetchError):
            reason, kind, status, retry_after = exc.reason, exc.kind, exc.status, exc.retry_after
        elif isinstance(exc, ParseError):
            reason, kind, status, retry_after = str(exc), FailureKind.HARD, 200, None
        else:
            reason = f"internal error: {exc!r}"[:1000]
            kind, status, retry_after = FailureKind.SOFT, None, None
        errors = source.error_count + 1
        delay = error_delay(
            self.policy,
            consecutive_errors=errors,
            kind=kind,
            retry_after=retry_after,
            status=status,
        )
        return PollFailure(
            reason=storable(reason) or "",  # server-controlled text goes into the row
            kind=kind.value,
            http_status=status,
            errors=errors,
            retry_at=now + timedelta(seconds=delay),
        )
