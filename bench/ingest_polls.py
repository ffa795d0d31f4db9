"""Unchanged-feed polls per second, CPU ms per poll, and peak RSS of a worker with N sources.

    python bench/ingest_polls.py [--sources 10000] [--concurrency 16] [--batch 200]
                                 [--backends sqlite postgresql] [--pg-workers 2]

Starts the news farm in its own process (so it does not share the worker's GIL), registers N
sources that point at the farm's 36 feeds (a distinct utm_ query string each, so N rows that
the farm answers from its render cache), stores each feed's current ETag on its rows, and then
runs one `Crawler.crawl_due()` pass in a fresh child process per backend: every poll is a
conditional GET answered 304, which writes the source row and a fetch_attempts row. The child
reports wall time, its own CPU time and its peak RSS (`ru_maxrss`). With `--pg-workers N`,
PostgreSQL also runs N worker processes at once on the same sources (they split the due rows
through SKIP LOCKED claims, as `pantau worker` replicas do); their polls/s is all polls over
the span from the first start to the last end. Before and after the worker runs, a bare asyncio
HTTP/1.1 loop (keep-alive, no database, same concurrency) sends the same N conditional GETs to
the same farm: the ceiling of this machine in this run, which each figure is reported against.
The farm is one host, so per-host politeness is lifted to the concurrency for the benchmark (in
production it is per publisher). Concurrency and batch default to the production settings.
Needs the shared corpus and, for PostgreSQL, a server at PANTAU_TEST_PG_DSN (default
postgresql://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.crawlers.fetch import Fetcher, FetchOptions  # noqa: E402
from app.crawlers.urls import url_hash  # noqa: E402
from app.db import Database  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from app.models import Source, utcnow  # noqa: E402
from app.pipeline.cycle import Crawler  # noqa: E402
from app.scoring import load_scorer  # noqa: E402

PG_DSN = os.environ.get("PANTAU_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
FEEDS = ("/rss.xml", "/atom.xml", "/feed.json", "/rdf.xml")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_farm() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    farm = subprocess.Popen(
        [sys.executable, "-m", "tests.farm", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(base + "/robots.txt", timeout=1).status_code == 200:
                return farm, base
        except httpx.HTTPError:
            time.sleep(0.1)
    farm.kill()
    raise SystemExit("the farm did not start (is the shared corpus there?)")


async def farm_feeds(base: str) -> tuple[list[str], dict[str, str | None]]:
    """The farm's feed URLs and each one's current ETag."""
    async with httpx.AsyncClient() as http:
        robots = (await http.get(base + "/robots.txt")).text
        slugs = [
            line.split("/")[1]
            for line in robots.splitlines()
            if line.startswith("Disallow: /") and line.count("/") >= 3
        ]
        feeds = [f"{base}/{slug}{path}" for slug in slugs for path in FEEDS]
        etags = {f: (await http.get(f)).headers.get("etag") for f in feeds}
    return feeds, etags


async def ceiling(base: str, count: int, concurrency: int) -> dict[str, float]:
    """The same conditional GETs as the worker's polls, from a bare asyncio HTTP/1.1 loop with
    keep-alive and no database: what this machine and the farm allow, measured in the run."""
    feeds, etags = await farm_feeds(base)
    host, port = base.removeprefix("http://").split(":")
    requests = [
        (
            f"GET {feed.removeprefix(base)}?utm_source={n} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"If-None-Match: {etags[feed]}\r\n\r\n"
        ).encode()
        for n in range(count)
        for feed in [feeds[n % len(feeds)]]
    ]
    statuses: set[str] = set()

    async def worker(offset: int) -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        for request in requests[offset::concurrency]:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            statuses.add(head[9:12].decode())
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length" and int(value):
                    await reader.readexactly(int(value))
        writer.close()

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker(k) for k in range(concurrency)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "polls": count,
        "wall_s": wall,
        "polls_per_s": count / wall,
        "cpu_ms_per_poll": cpu * 1000 / count,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "statuses": ",".join(sorted(statuses)),
    }


async def seed(url: str, base: str, count: int) -> None:
    """N sources over the farm's feeds, each already holding the feed's current ETag."""
    database = Database(url)
    await upgrade(database.engine)
    feeds, etags = await farm_feeds(base)
    now = utcnow() - timedelta(seconds=1)
    rows = []
    for n in range(count):
        feed = feeds[n % len(feeds)]
        # A distinct URL per row that the farm answers from its render cache (it ignores utm_
        # parameters): a publisher answers a conditional GET from its validators, it does not
        # render the feed again for every subscriber. URL normalisation drops utm_ parameters
        # too, so the unique key is hashed from a distinct spelling.
        source_url = f"{feed}?utm_source={n}"
        rows.append(
            {
                "url": source_url,
                "url_hash": url_hash(f"{feed}?s={n}"),
                "name": f"bench {n}",
                "etag": etags[feed],
                "next_check_at": now,
                "poll_interval": 900,
            }
        )
    async with database.writer.begin() as session:
        for start in range(0, len(rows), 2000):
            await session.execute(Source.__table__.insert(), rows[start : start + 2000])
    await database.dispose()


async def child(
    url: str, concurrency: int, batch: int, wait_for_go: bool = False
) -> dict[str, float]:
    database = Database(url)
    options = FetchOptions(
        user_agent="PantauBench/1",
        allow_private_networks=True,
        global_concurrency=concurrency,
        per_host_concurrency=concurrency,
        per_host_min_interval_ms=0,  # as measured: the production default is 500 ms
    )
    crawler = Crawler(
        database=database,
        fetcher=Fetcher(options),
        scorer=load_scorer(),
        concurrency=concurrency,
        batch_size=batch,
    )
    if wait_for_go:
        print("ready", flush=True)
        sys.stdin.readline()
    started_at = time.time()
    cpu, wall = time.process_time(), time.perf_counter()
    outcomes = await crawler.crawl_due()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    await crawler.fetcher.aclose()
    await database.dispose()
    statuses = {o.status for o in outcomes}
    return {
        "polls": len(outcomes),
        "started_at": started_at,
        "cpu_s": cpu,
        "wall_s": wall,
        "polls_per_s": len(outcomes) / wall,
        "cpu_ms_per_poll": cpu * 1000 / max(1, len(outcomes)),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "statuses": ",".join(sorted(statuses)),
    }


async def pg_database() -> tuple[str, str]:
    name = f"pantau_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    base, _, _ = PG_DSN.rpartition("/")
    return name, f"{base.replace('postgresql://', 'postgresql+asyncpg://', 1)}/{name}"


async def drop_pg(name: str) -> None:
    admin = await asyncpg.connect(PG_DSN)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


def run_child(url: str, args: argparse.Namespace) -> dict[str, float]:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            url,
            "--concurrency",
            str(args.concurrency),
            "--batch",
            str(args.batch),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_ceiling(base: str, args: argparse.Namespace) -> dict[str, float]:
    command = [sys.executable, __file__, "--ceiling-child", base, "--sources", str(args.sources)]
    command += ["--concurrency", str(args.concurrency)]
    out = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_children(url: str, args: argparse.Namespace, workers: int) -> dict[str, float]:
    """`workers` children polling the same sources at once, started together."""
    command = [sys.executable, __file__, "--child", url, "--concurrency", str(args.concurrency)]
    command += ["--batch", str(args.batch), "--wait"]
    children = [
        subprocess.Popen(
            command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        for _ in range(workers)
    ]
    for c in children:
        assert c.stdout is not None and c.stdout.readline().strip() == "ready"
    for c in children:
        assert c.stdin is not None
        c.stdin.write("go\n")
        c.stdin.flush()
    results = []
    for c in children:
        out, _ = c.communicate(timeout=900)
        assert c.returncode == 0
        results.append(json.loads(out.strip().splitlines()[-1]))
    span = max(r["started_at"] + r["wall_s"] for r in results) - min(
        r["started_at"] for r in results
    )
    polls = sum(r["polls"] for r in results)
    return {
        "polls": polls,
        "wall_s": span,
        "polls_per_s": polls / span,
        "cpu_ms_per_poll": sum(r["cpu_s"] for r in results) * 1000 / max(1, polls),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in results),
        "statuses": ",".join(sorted({s for r in results for s in r["statuses"].split(",")})),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=16)  # PANTAU_CRAWL_CONCURRENCY
    parser.add_argument("--batch", type=int, default=200)  # PANTAU_CRAWL_BATCH_SIZE
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument(
        "--pg-workers", type=int, default=0, help="also run N PostgreSQL workers at once"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--wait", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--ceiling-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ceiling_child:
        result = asyncio.run(ceiling(args.ceiling_child, args.sources, args.concurrency))
        print(json.dumps(result))
        return
    if args.child:
        result = asyncio.run(child(args.child, args.concurrency, args.batch, args.wait))
        print(json.dumps(result))
        return
    runs = list(args.backends)
    if args.pg_workers > 1:
        runs.append(f"postgresql x{args.pg_workers}")

    farm, base = start_farm()
    results: dict[str, dict[str, float]] = {}
    ceilings: list[dict[str, float]] = []
    load_at_start = os.getloadavg()[0]
    try:
        ceilings.append(run_ceiling(base, args))
        with tempfile.TemporaryDirectory() as tmp:
            for backend in runs:
                pg_name = None
                if backend == "sqlite":
                    url = f"sqlite+aiosqlite:///{tmp}/bench.db"
                else:
                    pg_name, url = asyncio.run(pg_database())
                try:
                    asyncio.run(seed(url, base, args.sources))
                    if backend.startswith("postgresql x"):
                        results[backend] = run_children(url, args, args.pg_workers)
                    else:
                        results[backend] = run_child(url, args)
                finally:
                    if pg_name:
                        asyncio.run(drop_pg(pg_name))
        ceilings.append(run_ceiling(base, args))
    finally:
        farm.terminate()
        farm.wait()

    print(
        f"machine: {platform.machine()} {os.cpu_count()} CPUs, {platform.platform()}, "
        f"Python {platform.python_version()}"
    )
    limit = sum(c["polls_per_s"] for c in ceilings) / len(ceilings)
    for name, c in zip(("ceiling before", "ceiling after"), ceilings, strict=True):
        print(
            f"{name:>15}: bare asyncio client, no database: {c['polls_per_s']:.0f} polls/s "
            f"({c['statuses']}), {c['cpu_ms_per_poll']:.2f} CPU ms/poll"
        )
    for backend, r in results.items():
        print(
            f"{backend:>15}: {r['polls']:.0f} polls ({r['statuses']}) in {r['wall_s']:.1f} s = "
            f"{r['polls_per_s']:.0f} polls/s ({r['polls_per_s'] / limit:.2f} of the ceiling), "
            f"{r['cpu_ms_per_poll']:.2f} CPU ms/poll, peak RSS {r['peak_rss_mb']:.0f} MB"
        )
    summary = ", ".join(
        f"{b} {r['polls_per_s']:.0f} polls/s ({r['polls_per_s'] / limit:.2f} of the ceiling) "
        f"{r['cpu_ms_per_poll']:.2f} ms CPU/poll"
        for b, r in results.items()
    )
    rss = max(r["peak_rss_mb"] for r in results.values())
    print(
        f"ingest polls: {summary}; ceiling {limit:.0f} polls/s; worker peak RSS {rss:.0f} MB "
        f"with {args.sources} sources (load average {load_at_start:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end)"
    )


if __name__ == "__main__":
    main()
