"""The short soak: `pantau crawl --once` as a real process, with its CPU pool, over one copy
of every member of issue 18's classes and the healthy feeds among them (both backends). It
exits 0, every healthy item is stored and scored, and the whole process tree (the command, the
pool's forkserver and workers) stays under 600 MB. The long run is bench/hostile_soak.py."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from app.db import Database
from app.models import Article, SourceKind
from app.services import sources as source_service
from tests.hardening.classes import FEED_PATHS, SITEMAP_PATHS, ClassServer
from tests.hardening.live import ROOT
from tests.hardening.memory import CEILING_MB, tree_pss_kb

COPIES = 1
HEALTHY_SLUGS = ("oka", "okb", "y1", "ex")  # healthy items of healthy and hostile feeds


@pytest.fixture(scope="module")
def farm() -> Iterator[ClassServer]:
    with ClassServer() as server:
        yield server


@pytest.mark.timeout(600)
async def test_crawl_once_over_the_hostile_classes_stays_under_600_mb(
    db: Database, farm: ClassServer
) -> None:
    async with db.writer.begin() as session:
        for copy in range(COPIES):
            for path in [*FEED_PATHS, *SITEMAP_PATHS]:
                kind = SourceKind.SITEMAP if path in SITEMAP_PATHS else SourceKind.FEED
                data = source_service.NewSource(url=farm.url(f"{path}?copy={copy}"), kind=kind)
                await source_service.create_source(session, data=data)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")}
    env.update(
        PANTAU_DATABASE_URL=db.url,
        PANTAU_LOG_JSON="false",
        PANTAU_ALLOW_PRIVATE_NETWORKS="true",
        PANTAU_PER_HOST_MIN_INTERVAL_MS="0",
        PANTAU_PER_HOST_CONCURRENCY="8",
        PANTAU_PARSE_TIMEOUT_SECONDS="4",
        PANTAU_FETCH_TOTAL_TIMEOUT="20",
        PANTAU_STARTER_SOURCES="",
        PANTAU_CPU_WORKERS="2",  # the pool as in production, on this machine's two cores
    )
    code, stderr, peak_kb = await asyncio.to_thread(_crawl_once, env)
    assert code == 0, stderr[-3000:]
    assert peak_kb / 1024 < CEILING_MB, peak_kb / 1024

    healthy = {f"{farm.base}/read/{slug}/{n}" for slug in HEALTHY_SLUGS for n in range(2)}
    async with db.sessionmaker() as session:
        rows = (
            await session.execute(
                select(Article.url, Article.label).where(Article.url.in_(healthy))
            )
        ).all()
    assert {url for url, _ in rows} == healthy
    assert all(label is not None for _, label in rows), rows


def _crawl_once(env: dict[str, str]) -> tuple[int, str, int]:
    """(exit code, stderr, peak PSS of the process tree in kB) of `pantau crawl --once`."""
    with tempfile.TemporaryFile("w+") as log:  # a pipe would fill and stall the command
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "crawl", "--once"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
            text=True,
        )
        peak_kb = 0
        while process.poll() is None:
            peak_kb = max(peak_kb, tree_pss_kb(process.pid))
            time.sleep(0.2)
        log.seek(0)
        return process.returncode, log.read(), peak_kb
