"""The page stage: fetch article pages for pending articles, extract them, store the text.

Batches are leased from the database (services/pages.py), fetched with a small concurrency
through the shared fetcher, and extracted in the process pool. While one batch is extracted
and stored, the next is already being claimed and fetched, so fetching (I/O) and extraction
(CPU on every core) overlap. No transaction is open during fetching or extraction.

Pages go through robots.txt (`Fetcher.fetch_page`, at every redirect hop): a disallowed page
fails for good with the reason, an unreachable robots.txt is retried like any soft failure, and
a host's Crawl-delay (or Request-rate) spaces its page fetches. A page whose host is not free
within `max_host_wait` is not waited for: it goes back to the queue until the host's next turn
(no attempt counted, no failure), and the batch's other pages go on. A slow host's pages thus
come one per turn across batches and runs, and a batch never waits out a long delay.

The spacing lives in the fetcher's `HostLimiter`, per process: two workers fetching pages of
the same host space their own requests, not each other's.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.config import default
from app.crawlers.extract import Extracted, ExtractJob, extract_batch
from app.crawlers.fetch import FailureKind, Fetcher, FetchError, FetchResult
from app.crawlers.politeness import HostBusy
from app.crawlers.pool import CpuPool, PoolTimeout
from app.db import Database
from app.models import utcnow
from app.services import pages as page_service
from app.services.pages import PageJob, PageOutcome

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class PageStats:
    claimed: int = 0
    extracted: int = 0
    duplicates: int = 0
    failed: int = 0
    deferred: int = 0  # claimed, then given back until the host's next turn


@dataclass(slots=True)
class PageStage:
    database: Database
    fetcher: Fetcher
    pool: CpuPool
    concurrency: int = 8
    batch_size: int = 32
    # Seconds a page may wait for its host's next turn; beyond that it is deferred.
    max_host_wait: float = 5.0
    parse_time_limit: float | None = default("parse_timeout_seconds")  # per page
    clock: Callable[[], datetime] = utcnow
    stats: PageStats = field(default_factory=PageStats)

    async def run_pending(self) -> PageStats:
        """Work the queue until no unclaimed pending article is left."""
        self.stats = PageStats()
        semaphore = asyncio.Semaphore(self.concurrency)
        # Pages wait for their host's turn at most `max_host_wait`, a wave of `concurrency` at a
        # time: the lease covers that, so another worker does not claim (and fetch again) pages
        # still waiting. It no longer grows with the Crawl-delay: longer waits are deferred.
        waves = -(-self.batch_size // self.concurrency)
        lease = int(self.fetcher.options.total_timeout * 2 + 120 + waves * self.max_host_wait)
        in_flight: set[asyncio.Task[None]] = set()
        # Overlap: up to one extraction batch per pool worker while the next batch is fetched.
        depth = max(1, self.pool.workers)
        while True:
            async with self.database.writer.begin() as session:
                jobs = await page_service.claim_pending_pages(
                    session, now=self.clock(), limit=self.batch_size, lease_seconds=lease
                )
            if not jobs:
                break
            self.stats.claimed += len(jobs)
            deferred: list[tuple[int, datetime]] = []
            failed: list[tuple[PageJob, str, bool]] = []
            fetched = await asyncio.gather(
                *(self._fetch_one(job, semaphore, deferred, failed) for job in jobs)
            )
            self.stats.deferred += len(deferred)
            if deferred or failed:  # one transaction for the batch's deferrals and failures
                async with self.database.writer.begin() as session:
                    await page_service.defer_pages(session, deferred)
                    await page_service.fail_pages(session, failed, now=self.clock())
            ready = [(job, result) for job, result in zip(jobs, fetched, strict=True) if result]
            task = asyncio.create_task(self._extract_and_store(ready))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
            if len(in_flight) >= depth:
                await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
        if in_flight:
            await asyncio.gather(*in_flight)
        return self.stats

    async def _fetch_one(
        self,
        job: PageJob,
        semaphore: asyncio.Semaphore,
        deferred: list[tuple[int, datetime]],
        failed: list[tuple[PageJob, str, bool]],
    ) -> FetchResult | None:
        from app.crawlers.discover import ACCEPT_HTML  # the parsers: only with pages to fetch

        async with semaphore:
            try:
                return await self.fetcher.fetch_page(
                    job.url, accept=ACCEPT_HTML, max_wait=self.max_host_wait
                )
            except HostBusy as busy:
                wait = max(0.0, busy.ready_at - time.monotonic())
                logger.debug(
                    "page deferred until its host is free",
                    extra={"article_id": job.article_id, "host": busy.host, "wait": wait},
                )
                deferred.append((job.article_id, self.clock() + timedelta(seconds=wait)))
            except FetchError as exc:
                failed.append(self._failure(job, exc.reason, exc.kind == FailureKind.HARD))
            except Exception as exc:  # the job boundary: one bad page must not stop the batch
                logger.exception("page fetch failed", extra={"article_id": job.article_id})
                failed.append(self._failure(job, f"internal error: {exc!r}", False))
        return None

    async def _extract_and_store(self, ready: list[tuple[PageJob, FetchResult]]) -> None:
        if not ready:
            return
        jobs = [
            ExtractJob(result.body, result.url, result.headers.get("content-type"))
            for _, result in ready
        ]
        limit = self.parse_time_limit
        try:
            extracted = await self.pool.map_batch(
                extract_batch, jobs, time_limit=limit * len(jobs) if limit else None
            )
        except PoolTimeout:
            # A page that takes the whole batch's time: extract one by one, so only it fails.
            for one in ready:
                await self._extract_alone(one)
            return
        except Exception as exc:  # a crashed pool process: retry these pages later
            logger.exception("extraction batch failed", extra={"pages": len(jobs)})
            failures = [
                self._failure(job, f"extraction failed: {exc!r}", False) for job, _ in ready
            ]
            async with self.database.writer.begin() as session:
                await page_service.fail_pages(session, failures, now=self.clock())
            return
        await self._store(ready, extracted)

    async def _extract_alone(self, page: tuple[PageJob, FetchResult]) -> None:
        job, result = page
        extract = ExtractJob(result.body, result.url, result.headers.get("content-type"))
        try:
            extracted = await self.pool.map_batch(
                extract_batch, [extract], time_limit=self.parse_time_limit
            )
        except PoolTimeout as exc:
            await self._fail(job, f"extraction {exc}", permanent=True)
            return
        except Exception as exc:
            logger.exception("extraction failed", extra={"article_id": job.article_id})
            await self._fail(job, f"extraction failed: {exc!r}", permanent=False)
            return
        await self._store([page], extracted)

    async def _store(
        self, ready: list[tuple[PageJob, FetchResult]], extracted: list[Extracted]
    ) -> None:
        outcomes = [
            PageOutcome(job.article_id, item.content, result.url, item.signature)
            for (job, result), item in zip(ready, extracted, strict=True)
        ]
        async with self.database.writer.begin() as session:
            stored = await page_service.store_pages(session, outcomes, now=self.clock())
        for outcome, state in zip(outcomes, stored, strict=True):
            if state == "done" and outcome.content.text:
                self.stats.extracted += 1
            elif state in ("duplicate", "tombstoned"):
                self.stats.duplicates += 1
            else:
                self.stats.failed += 1

    def _failure(self, job: PageJob, reason: str, permanent: bool) -> tuple[PageJob, str, bool]:
        """Count and log a failed page; the caller records it (with its batch's others)."""
        self.stats.failed += 1
        logger.info(
            "page not extracted",
            extra={"article_id": job.article_id, "url": job.url, "reason": reason},
        )
        return job, reason, permanent

    async def _fail(self, job: PageJob, reason: str, *, permanent: bool) -> None:
        failure = self._failure(job, reason, permanent)
        async with self.database.writer.begin() as session:
            await page_service.fail_pages(session, [failure], now=self.clock())
