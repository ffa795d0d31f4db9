"""Soak: a real `pantau serve` ingesting from the local farm while N dashboard pollers poll it.

Half the pollers sync with `changed_after` (following `next_cursor`), half re-read the first
page with `If-None-Match`; each waits about a second between polls. The server process's RSS
and open file descriptors (and, on PostgreSQL, its connections) are sampled every second.
Used by tests/hardening/test_soak.py (30 s) and bench/soak.py (`--minutes 10`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy import func, select

from app.db import Database
from app.models import Article
from tests.farm.server import FarmServer
from tests.hardening.live import LiveServer


@dataclass
class SoakReport:
    seconds: float = 0.0
    requests: int = 0
    not_modified: int = 0
    errors: list[str] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)  # bytes, one sample a second
    fds: list[int] = field(default_factory=list)
    connections: list[int] = field(default_factory=list)
    articles: int = 0
    per_poller: list[int] = field(default_factory=list)  # answered requests, by poller
    last_answer: list[float] = field(default_factory=list)  # seconds into the run, by poller

    def after_warmup(self, series: list[int]) -> tuple[int, int]:
        """(first, last) of a series once the first quarter (warm-up) has passed."""
        start = series[len(series) // 4] if series else 0
        return start, series[-1] if series else 0

    def line(self) -> str:
        rss0, rss1 = self.after_warmup(self.rss)
        fd0, fd1 = self.after_warmup(self.fds)
        conns = ""
        if self.connections:
            c0, c1 = self.after_warmup(self.connections)
            conns = f", db connections {c0} -> {c1}"
        return (
            f"soak: {self.requests} requests ({self.not_modified} x 304), "
            f"{len(self.errors)} errors, RSS {rss0 / 2**20:.1f} -> {rss1 / 2**20:.1f} MiB, "
            f"fds {fd0} -> {fd1} (besides client connections){conns}, "
            f"{self.articles} articles ingested, "
            f"{self.seconds:.0f} s"
        )


def _proc(pid: int, port: int) -> tuple[int, int]:
    """RSS and open descriptors of the server, not counting the pollers' connections to it.

    How many client sockets are open follows the pollers' latency (slower answers, more
    connections in flight), so a leak shows in the descriptors left once they are set aside.
    """
    status = Path(f"/proc/{pid}/status").read_text()
    rss_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
    clients: set[str] = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] != "0A":  # 0A: the listening socket
                clients.add(f"socket:[{fields[9]}]")
    others = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(FileNotFoundError):  # closed while we looked
            others += os.readlink(fd) not in clients
    return rss_kb * 1024, others


async def _poller(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    report: SoakReport,
    stop: float,
    sync: bool,
    index: int,
) -> None:
    started = time.monotonic()
    cursor = "0"
    etag: str | None = None
    await asyncio.sleep(random.random())
    while time.monotonic() < stop:
        params = {"changed_after": cursor} if sync else {"limit": "50"}
        request_headers = dict(headers)
        if etag and not sync:
            request_headers["If-None-Match"] = etag
        try:
            response = await client.get("/v1/articles", params=params, headers=request_headers)
        except httpx.HTTPError as exc:
            report.errors.append(f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(1)
            continue
        report.requests += 1
        report.per_poller[index] += 1
        report.last_answer[index] = time.monotonic() - started
        if response.status_code == 304:
            report.not_modified += 1
        elif response.status_code != 200:
            report.errors.append(f"{response.status_code} {response.text[:200]}")
        elif sync:
            cursor = response.json()["page"].get("next_cursor") or cursor
        else:
            etag = response.headers.get("etag")
        await asyncio.sleep(0.8 + 0.4 * random.random())


async def run_soak(
    *,
    database_url: str,
    workdir: Path,
    farm: FarmServer,
    outlets: list[str],
    seconds: float,
    pollers: int = 100,
    pg_admin_dsn: str | None = None,
) -> SoakReport:
    report = SoakReport()
    env = {
        "PANTAU_SCHEDULER_ENABLED": "true",
        "PANTAU_SCHEDULER_TICK_SECONDS": "1",
        "PANTAU_ALLOW_PRIVATE_NETWORKS": "true",
        "PANTAU_POLL_MIN_SECONDS": "10",
        "PANTAU_PER_HOST_MIN_INTERVAL_MS": "0",
        "PANTAU_ETAG_CACHE_SECONDS": "1",
        "PANTAU_LOG_LEVEL": "WARNING",
    }
    with LiveServer(database_url, workdir, env=env) as server:
        assert server.process is not None
        pid = server.process.pid
        port = httpx.URL(server.base_url).port or 80
        admin = server.headers("admin")
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as setup:
            for slug in outlets:
                created = await setup.post(
                    "/v1/sources", headers=admin, json={"url": farm.feed_url(slug)}
                )
                assert created.status_code == 201, created.text
        limits = httpx.Limits(max_connections=pollers, max_keepalive_connections=pollers)
        started = time.monotonic()
        stop = started + seconds
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30, limits=limits) as http:
            report.per_poller = [0] * pollers
            report.last_answer = [0.0] * pollers
            tasks = [
                asyncio.create_task(
                    _poller(http, server.headers("viewer"), report, stop, i % 2 == 0, i)
                )
                for i in range(pollers)
            ]
            pg = await asyncpg.connect(pg_admin_dsn) if pg_admin_dsn else None
            name = database_url.rsplit("/", 1)[1]
            try:
                while time.monotonic() < stop:
                    await asyncio.sleep(1)
                    rss, fds = _proc(pid, port)
                    report.rss.append(rss)
                    report.fds.append(fds)
                    if pg is not None:
                        count = await pg.fetchval(
                            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", name
                        )
                        report.connections.append(int(count))
                    for slug in outlets:  # the farm keeps publishing
                        if random.random() < 0.2:
                            farm.site.publish_next(slug, 1)
            finally:
                if pg is not None:
                    await pg.close()
            await asyncio.gather(*tasks)
        report.seconds = time.monotonic() - started
        database = Database(database_url)
        try:
            async with database.sessionmaker() as session:
                count = await session.scalar(select(func.count()).select_from(Article))
            report.articles = int(count or 0)
        finally:
            await database.dispose()
        log = server.log_text()
        if "Traceback" in log:
            report.errors.append("server log has a traceback")
    return report
