"""Faults with nothing lost: after each one, a re-run reaches exactly the articles of an
undisturbed run (none lost, none doubled) and the interruption is visible in the database.

- the scoring step raises (a scorer double at the external-dependency boundary);
- `pantau crawl --once` is killed with SIGKILL in the middle of a batch;
- PostgreSQL drops every connection of the test database mid-crawl
  (`pg_terminate_backend`; restarting the shared server would hit other people's tests);
- the SQLite default's disk fills up (a 16 MiB tmpfs mounted for the test; needs root).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import func, select

from app.crawlers.fetch import Fetcher
from app.crawlers.pool import CpuPool
from app.db import Database
from app.migrate import upgrade
from app.models import Article, FetchAttempt, Source
from app.pipeline.cycle import Crawler
from app.scoring import load_scorer
from app.scoring.scorer import Scorer
from app.services import sources as source_service
from tests.conftest import PG_ADMIN_DSN, truncate_all
from tests.farm.fixtures import articles_or_skip
from tests.farm.server import FarmServer
from tests.farm.site import Site
from tests.fetching import local_fetch_options

ROOT = Path(__file__).resolve().parents[2]
OUTLETS = ("kompas", "tempo", "okezone", "sindonews")
OPTIONS = local_fetch_options(
    user_agent="PantauFaults/1", total_timeout=20, allow_private_networks=True
)


@pytest.fixture(scope="module")
def farm() -> Iterator[FarmServer]:
    site = Site(articles_or_skip(per_outlet=15, outlets=list(OUTLETS)), holdback=0)
    site.configure(full_content=True)
    with FarmServer(site) as server:
        yield server


def feeds(farm: FarmServer) -> list[str]:
    return [farm.feed_url(slug, kind) for slug in OUTLETS for kind in ("rss", "atom")]


def crawler_for(database: Database, **kw: Any) -> Crawler:
    return Crawler(
        database=database,
        fetcher=Fetcher(OPTIONS),
        scorer=kw.pop("scorer", None) or load_scorer(),
        pool=CpuPool(workers=0),
        **kw,
    )


async def register(database: Database, urls: Sequence[str]) -> None:
    async with database.writer.begin() as session:
        for url in urls:
            await source_service.create_source(session, data=source_service.NewSource(url=url))


async def article_keys(database: Database) -> list[str]:
    """Every stored article's natural key, sorted; a double would show as a repeat."""
    async with database.sessionmaker() as session:
        return sorted((await session.scalars(select(Article.url_hash))).all())


def worker_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")}
    env.update(
        PYTHONPATH=str(ROOT),
        PANTAU_DATABASE_URL=database_url,
        PANTAU_ALLOW_PRIVATE_NETWORKS="true",
        PANTAU_PER_HOST_MIN_INTERVAL_MS="0",
        PANTAU_STARTER_SOURCES="",
        PANTAU_LOG_JSON="false",
    )
    return env


async def rerun(database: Database, *, days: int = 1) -> None:
    """A later pass: the clock moved past every lease and backoff, so all sources are due."""
    crawler = crawler_for(database)
    later = crawler.clock() + timedelta(days=days)
    crawler.clock = lambda: later
    try:
        await crawler.run_once()
    finally:
        await crawler.fetcher.aclose()


@pytest.fixture
async def baseline(db: Database, farm: FarmServer) -> list[str]:
    """The article keys of an undisturbed run; the database is emptied again afterwards."""
    farm.clear_rules()
    await register(db, feeds(farm))
    crawler = crawler_for(db)
    try:
        await crawler.run_once()
    finally:
        await crawler.fetcher.aclose()
    keys = await article_keys(db)
    assert len(keys) == len(OUTLETS) * 15
    await truncate_all(db)
    return keys


class FailingScorer:
    """The real scorer, except that `score_many` raises on chosen calls (1-based)."""

    def __init__(self, inner: Scorer, fail_on: set[int]) -> None:
        self.inner = inner
        self.fail_on = fail_on
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def score_many(self, items: Any, **kw: Any) -> Any:
        self.calls += 1
        if self.calls in self.fail_on:
            raise RuntimeError("scoring service unavailable (injected)")
        return self.inner.score_many(items, **kw)


async def test_scoring_step_raising_loses_nothing(
    db: Database, farm: FarmServer, baseline: list[str]
) -> None:
    """The scorer down: the run fails, every article stays stored and queued, and the next run
    scores them all (none is set aside for the scorer's fault)."""
    await register(db, feeds(farm))
    scorer = FailingScorer(load_scorer(), fail_on=set(range(1, 1000)))
    crawler = crawler_for(db, scorer=scorer)  # type: ignore[arg-type]
    try:
        with pytest.raises(RuntimeError, match="injected"):
            await crawler.run_once()
    finally:
        await crawler.fetcher.aclose()
    assert await unscored_count(db) == len(baseline)  # visible on the rows: stored, not scored
    await rerun(db)
    assert await article_keys(db) == baseline
    assert await unscored_count(db) == 0
    assert await set_aside_count(db) == 0


async def test_scoring_batch_raising_once_is_scored_one_by_one(
    db: Database, farm: FarmServer, baseline: list[str]
) -> None:
    """A batch that breaks the scorer once: its articles are scored one by one in the same run,
    each with a label."""
    await register(db, feeds(farm))
    scorer = FailingScorer(load_scorer(), fail_on={1})
    crawler = crawler_for(db, scorer=scorer)  # type: ignore[arg-type]
    try:
        await crawler.run_once()
    finally:
        await crawler.fetcher.aclose()
    assert scorer.calls > 2  # the batch, then its articles alone
    assert await article_keys(db) == baseline
    assert await unscored_count(db) == 0
    assert await set_aside_count(db) == 0


async def unscored_count(db: Database) -> int:
    async with db.sessionmaker() as session:
        count = await session.scalar(
            select(func.count()).select_from(Article).where(Article.scored_at.is_(None))
        )
    return int(count or 0)


async def set_aside_count(db: Database) -> int:
    async with db.sessionmaker() as session:
        count = await session.scalar(
            select(func.count()).select_from(Article).where(Article.score_error.is_not(None))
        )
    return int(count or 0)


@pytest.mark.slow
async def test_worker_killed_mid_batch_loses_nothing(
    db: Database, farm: FarmServer, baseline: list[str], tmp_path: Path
) -> None:
    await register(db, feeds(farm))
    for slug in OUTLETS[2:]:
        farm.slow(f"/{slug}/*", 30)  # these hang while the others finish
    env = worker_env(db.url)
    worker = subprocess.Popen(  # noqa: ASYNC220 - started once, watched through the database
        [sys.executable, "-m", "app", "crawl", "--once"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        done = 0
        while time.monotonic() < deadline and done < 4:
            await asyncio.sleep(0.2)
            async with db.sessionmaker() as session:
                done = await session.scalar(select(func.count()).select_from(FetchAttempt)) or 0
        assert done >= 4, "the worker never finished its fast sources"
        assert worker.poll() is None, "the worker finished before it could be killed"
        os.kill(worker.pid, signal.SIGKILL)  # kill -9 in the middle of the batch
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    farm.clear_rules()
    async with db.sessionmaker() as session:
        stuck = (
            await session.scalars(
                select(Source.id).where(
                    Source.claimed_by.is_not(None), Source.last_status.is_(None)
                )
            )
        ).all()
    assert len(stuck) == 4  # visible: claimed by the dead worker, no attempt, lease running
    partial = await article_keys(db)
    assert 0 < len(partial) < len(baseline)
    await rerun(db)
    assert await article_keys(db) == baseline


@pytest.fixture
def postgresql_only(backend: str) -> None:
    """Skips before the fixtures listed after it (the baseline crawl) are built."""
    if backend != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no server connection to lose")


@pytest.fixture
def sqlite_only(backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("the disk of the SQLite default")


@pytest.mark.slow
async def test_postgres_connections_terminated_mid_crawl_loses_nothing(
    db: Database, postgresql_only: None, farm: FarmServer, baseline: list[str]
) -> None:
    await register(db, feeds(farm))
    for slug in OUTLETS[2:]:
        farm.slow(f"/{slug}/*", 3)
    own = Database(db.url)  # the crawler's own pool, as a worker process would have
    crawler = crawler_for(own)
    name = db.url.rsplit("/", 1)[1]
    terminated = 0
    try:
        task = asyncio.create_task(crawler.run_once())
        await asyncio.sleep(1.0)  # the fast feeds are stored, the slow ones are in flight
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            # The outage: no new connections to this database, every open one dropped, for
            # longer than the slow fetches take (only this test's database is touched).
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            rows = await admin.fetch(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()",
                name,
            )
            terminated = sum(1 for r in rows if r[0])
            await asyncio.sleep(4)
        finally:
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            await admin.close()
        with contextlib.suppress(Exception):  # the outage may surface here; that is the point
            await task
    finally:
        await crawler.fetcher.aclose()
    assert terminated >= 1
    farm.clear_rules()
    async with db.sessionmaker() as session:
        visible = await session.scalar(
            select(func.count())
            .select_from(Source)
            .where((Source.claimed_by.is_not(None)) | (Source.last_status == "error"))
        )
    assert visible >= 1  # the interrupted sources show: leased, or an error recorded
    try:
        await rerun(own)
    finally:
        await own.dispose()
    assert await article_keys(db) == baseline


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a size-limited tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.slow
async def test_sqlite_disk_full_loses_nothing(
    db: Database, sqlite_only: None, farm: FarmServer, baseline: list[str], tiny_disk: Path
) -> None:
    database = Database(f"sqlite+aiosqlite:///{tiny_disk / 'pantau.db'}")
    await upgrade(database.engine)
    await register(database, feeds(farm))
    await database.dispose()
    free = os.statvfs(tiny_disk)
    filler = tiny_disk / "filler"
    filler.write_bytes(b"\0" * (free.f_bavail * free.f_frsize - 96 * 1024))  # ~96 KiB left
    # The crawl runs as `pantau crawl --once` in its own process, as cron would run it.
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "app", "crawl", "--once"],
        cwd=tiny_disk.parent,
        env=worker_env(database.url),
        capture_output=True,
        text=True,
        timeout=240,
    )
    partial = await article_keys(database)
    assert done.returncode != 0 or len(partial) < len(baseline), "the disk never filled"
    assert "full" in (done.stdout + done.stderr).lower()  # said so, not silently
    filler.unlink()  # space again
    try:
        await rerun(database)
        assert await article_keys(database) == baseline
    finally:
        await database.dispose()
