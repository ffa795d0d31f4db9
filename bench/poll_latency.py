"""Polling latency while a crawl writes: p50 / p99 / max of dashboard polls against a running
`pantau serve`, idle and while `pantau crawl --once` (a separate process) stores, scores and
groups a farm's new articles, in the same run, on SQLite and PostgreSQL (issue 18: p99 1.5 s
for issues and 3.3 s for articles under a crawl, against 10-20 ms p50).

    PANTAU_SHARED_DIR=/work/shared PYTHONPATH=. python bench/poll_latency.py \
        [--pollers 60] [--idle-seconds 30] [--backends sqlite,postgresql]

Pollers: a third re-read `/v1/issues` with If-None-Match, a third `/v1/articles` with
If-None-Match, a third follow `/v1/articles?changed_after=`; each about once a second. The
last line gives p99 under the crawl against the idle p99 of the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy import update

from app.db import Database
from app.models import Source
from tests.farm.corpus import load_articles
from tests.farm.server import FarmServer
from tests.farm.site import Site
from tests.hardening.live import ROOT, LiveServer

OUTLETS = ["okezone", "tempo", "sindonews", "kompas", "wowkeren", "tribunnews", "kapanlagi"]
PG_ADMIN = os.environ.get("PANTAU_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


async def poller(
    http: httpx.AsyncClient,
    headers: dict[str, str],
    kind: int,
    until: list[float],
    out: list[float],
) -> None:
    etag: str | None = None
    cursor = "0"
    await asyncio.sleep(random.random())
    while time.monotonic() < until[0]:
        path, params = [("/v1/issues", {}), ("/v1/articles", {"limit": "50"})][kind % 2]
        request_headers = dict(headers)
        if kind == 2:
            path, params = "/v1/articles", {"changed_after": cursor}
        elif etag:
            request_headers["If-None-Match"] = etag
        started = time.monotonic()
        response = await http.get(path, params=params, headers=request_headers)
        out.append(time.monotonic() - started)
        if response.status_code == 200:
            if kind == 2:
                cursor = response.json()["page"].get("next_cursor") or cursor
            else:
                etag = response.headers.get("etag")
        elif response.status_code != 304:
            raise RuntimeError(f"{path}: {response.status_code} {response.text[:200]}")
        await asyncio.sleep(0.8 + 0.4 * random.random())


async def phase(
    server: LiveServer,
    pollers: int,
    seconds: float | None,
    crawl: list[str] | None,
    env: dict[str, str],
) -> tuple[list[float], float]:
    """Latencies of every poll for `seconds`, or while `crawl` runs; (latencies, seconds)."""
    until = [time.monotonic() + (seconds or 3600)]
    out: list[float] = []
    limits = httpx.Limits(max_connections=pollers, max_keepalive_connections=pollers)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60, limits=limits) as http:
        tasks = [
            asyncio.create_task(poller(http, server.headers("viewer"), i % 3, until, out))
            for i in range(pollers)
        ]
        started = time.monotonic()
        if crawl is not None:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "app", *crawl, cwd=ROOT, env=env,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            code = await process.wait()
            until[0] = time.monotonic()
            if code != 0:
                raise RuntimeError(f"crawl exited {code}")
        await asyncio.gather(*tasks)
    return out, time.monotonic() - started


def figures(latencies: list[float]) -> str:
    ms = sorted(x * 1000 for x in latencies)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return f"p50 {statistics.median(ms):.0f} ms, p99 {p99:.0f} ms, max {ms[-1]:.0f} ms ({len(ms)})"


def p99(latencies: list[float]) -> float:
    ms = sorted(x * 1000 for x in latencies)
    return ms[min(len(ms) - 1, int(len(ms) * 0.99))]


async def make_due(url: str) -> None:
    database = Database(url)
    try:
        async with database.writer.begin() as session:
            past = datetime.now(UTC) - timedelta(minutes=1)
            await session.execute(update(Source).values(next_check_at=past))
    finally:
        await database.dispose()


async def bench(backend: str, pollers: int, idle_seconds: float) -> tuple[float, float, str]:
    site = Site(load_articles(per_outlet=400, outlets=OUTLETS), holdback=300)
    site.configure(full_content=True)
    pg_name = None
    with tempfile.TemporaryDirectory() as tmp, FarmServer(site) as farm:
        if backend == "sqlite":
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'poll.db'}"
        else:
            pg_name = f"pantau_poll_{os.getpid()}"
            admin = await asyncpg.connect(PG_ADMIN)
            await admin.execute(f'CREATE DATABASE "{pg_name}"')
            await admin.close()
            url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
            url += f"/{pg_name}"
        try:
            server = LiveServer(
                url,
                Path(tmp),
                env={"PANTAU_LOG_LEVEL": "WARNING", "PANTAU_ALLOW_PRIVATE_NETWORKS": "true"},
            )
            with server:
                async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as setup:
                    for slug in OUTLETS:
                        made = await setup.post(
                            "/v1/sources",
                            headers=server.headers("admin"),
                            json={"url": farm.feed_url(slug)},
                        )
                        assert made.status_code == 201, made.text
                env = server._env()
                env.update(
                    PANTAU_ALLOW_PRIVATE_NETWORKS="true", PANTAU_PER_HOST_MIN_INTERVAL_MS="0"
                )
                # The first crawl fills the database (100 articles an outlet), then idle polls.
                await phase(server, 1, None, ["crawl", "--once"], env)
                idle, _ = await phase(server, pollers, idle_seconds, None, env)
                for slug in OUTLETS:
                    site.publish_next(slug, 300)
                await make_due(url)
                busy, crawl_seconds = await phase(server, pollers, None, ["crawl", "--once"], env)
        finally:
            if pg_name:
                admin = await asyncpg.connect(PG_ADMIN)
                await admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
                await admin.close()
    line = (
        f"{backend}: idle {figures(idle)}; under a crawl of {len(OUTLETS) * 300} new articles "
        f"({crawl_seconds:.0f} s) {figures(busy)}"
    )
    print(line, flush=True)
    return p99(idle), p99(busy), line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pollers", type=int, default=60)
    parser.add_argument("--idle-seconds", type=float, default=30.0)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    parts = []
    for backend in args.backends.split(","):
        idle, busy, _ = asyncio.run(bench(backend, args.pollers, args.idle_seconds))
        parts.append(f"{backend} {busy:.0f} ms vs idle {idle:.0f} ms")
    print(
        f"poll p99 under a crawl against idle, {args.pollers} pollers: {'; '.join(parts)} "
        f"({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
