"""Ingestion throughput on the local news farm, on SQLite and PostgreSQL in one run.

    python bench/ingest_throughput.py [--pg postgresql://postgres@127.0.0.1:5432/postgres]

The farm (tests/farm, built from ../shared/data/news/articles.jsonl) runs in two child
processes, so serving does not share this process's GIL: one with full-content feeds (feed-only
sources) and one with summary-only feeds and news sitemaps (pages must be fetched). Measured:

- parse-only ceiling: feed bodies already in memory -> items/s (one core);
- extraction-only ceiling: article pages already in memory -> pages/s in the process pool;
- fetch + extract ceiling: pages fetched from the farm and extracted, no database, no scoring;
- feed items -> scored rows/s end to end (crawl, parse, upsert, stories, score, group);
- article pages/s through the page stage (claim, fetch, extract, store) and its ratio to the
  fetch + extract ceiling; extraction quality as main-text token F1 against the known bodies.
The last line is the headline figure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CPUINFO = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
sys.path.insert(0, str(ROOT))


def serve_farm(port: int, full_content: bool) -> None:
    """Child process: the whole farm, feeds carrying every story."""
    from tests.farm.corpus import load_articles
    from tests.farm.model import OutletConfig
    from tests.farm.server import FarmServer
    from tests.farm.site import Site

    config = OutletConfig(feed_size=1000, full_content=full_content, news_sitemap_size=100)
    server = FarmServer(Site(load_articles(), config=config), port=port, log_limit=1000)
    server.start()
    print("ready", flush=True)
    sys.stdin.read()  # until the parent closes our stdin
    server.stop()


def start_farm(full_content: bool) -> tuple[subprocess.Popen[str], str]:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    child = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve-farm",
            str(port),
            "--full" if full_content else "--summary",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    return child, f"http://127.0.0.1:{port}"


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these processes so far (/proc/<pid>/stat)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def pool_pids(pool) -> list[int]:  # type: ignore[no-untyped-def]
    executor = pool._executor
    return list(getattr(executor, "_processes", {}) or {}) if executor is not None else []


def f1(got: str | None, want: str) -> float:
    a = Counter(re.findall(r"\w+", (got or "").lower()))
    b = Counter(re.findall(r"\w+", want.lower()))
    common = sum((a & b).values())
    if not common:
        return 0.0
    p, r = common / sum(a.values()), common / sum(b.values())
    return 2 * p * r / (p + r)


async def make_database(kind: str, pg_dsn: str, tmp: Path) -> tuple[str, object]:
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{tmp / 'bench.db'}", None
    import asyncpg

    name = f"pantau_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(pg_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    base = pg_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{name}", name


async def drop_database(pg_dsn: str, name: object) -> None:
    if name is None:
        return
    import asyncpg

    admin = await asyncpg.connect(pg_dsn)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


async def run(args: argparse.Namespace) -> None:
    from app.crawlers.discover import ACCEPT_HTML
    from app.crawlers.extract import ExtractJob, extract_batch
    from app.crawlers.fetch import Fetcher, FetchOptions
    from app.crawlers.parsers import parse_feed, parse_sitemap
    from app.crawlers.pool import CpuPool
    from app.db import Database
    from app.migrate import upgrade
    from app.scoring import load_scorer
    from tests.farm.corpus import OUTLETS, load_articles
    from tests.farm.model import Story

    cpus = len(os.sched_getaffinity(0))
    model = next(
        (line.split(":", 1)[1].strip() for line in CPUINFO.splitlines()
         if line.startswith("model name")), platform.processor(),
    )  # fmt: skip
    print(f"machine: {platform.system()} {platform.machine()}, {cpus} CPUs ({model}), "
          f"Python {platform.python_version()}")  # fmt: skip
    bodies = {s.path: s.body for s in map(Story.from_article, load_articles())}
    slugs = sorted(o.slug for o in OUTLETS.values())
    # Loopback politeness, as the figures in bench/README.md were measured (the production
    # defaults space requests to one host 500 ms apart).
    options = FetchOptions(
        user_agent="PantauBench/1",
        allow_private_networks=True,
        global_concurrency=64,
        per_host_concurrency=4,
        per_host_min_interval_ms=0,
    )
    pool = CpuPool()
    scorer = load_scorer()
    full_farm, full_url = start_farm(True)
    page_farm, page_url = start_farm(False)
    results: dict[str, float] = {}
    try:
        fetcher = Fetcher(options)
        # ---- parse-only ceiling
        feeds = [(await fetcher.fetch(f"{full_url}/{s}/rss.xml")).body for s in slugs]
        started, items = time.perf_counter(), 0
        for _ in range(2):
            items += sum(len(parse_feed(body).items) for body in feeds)
        results["parse"] = items / (time.perf_counter() - started)
        print(f"parse-only ceiling: {results['parse']:.0f} feed items/s (one core)")

        # ---- pages to use: every outlet's news sitemap (newest 100 each)
        urls: list[str] = []
        for slug in slugs:
            sitemap, _ = parse_sitemap(
                (await fetcher.fetch(f"{page_url}/{slug}/sitemap-news.xml")).body
            )
            urls += [i.url for i in sitemap.items]
        await pool.map_batch(extract_batch, [ExtractJob(b"<html></html>", page_url)] * pool.workers)

        # ---- extraction-only ceiling
        fetched = [await fetcher.fetch(u, accept=ACCEPT_HTML) for u in urls[:300]]
        jobs = [ExtractJob(r.body, r.url, r.headers.get("content-type")) for r in fetched]
        batches = [jobs[i : i + 32] for i in range(0, len(jobs), 32)]
        started = time.perf_counter()
        done = await asyncio.gather(*(pool.map_batch(extract_batch, b) for b in batches))
        results["extract"] = len(jobs) / (time.perf_counter() - started)
        print(
            f"extraction-only ceiling: {results['extract']:.0f} pages/s ({pool.workers} processes)"
        )
        scores = [
            f1(e.content.text, bodies[re.sub(r"^.*?/(?=read/)", "/", r.url)])
            for r, e in zip(fetched, [e for b in done for e in b], strict=True)
        ]
        results["f1"] = sum(scores) / len(scores)
        print(f"extraction quality: main-text token F1 mean {results['f1']:.3f}, "
              f"min {min(scores):.3f} over {len(scores)} farm pages")  # fmt: skip

        # ---- fetch + extract ceiling (no database, no scoring), same concurrency as the stage
        semaphore = asyncio.Semaphore(8)

        async def get(url: str) -> ExtractJob:
            async with semaphore:
                r = await fetcher.fetch(url, accept=ACCEPT_HTML)
                return ExtractJob(r.body, r.url, r.headers.get("content-type"))

        started = time.perf_counter()
        pending: set[asyncio.Task[object]] = set()
        for i in range(0, len(urls), 32):
            batch = await asyncio.gather(*(get(u) for u in urls[i : i + 32]))
            pending.add(asyncio.ensure_future(pool.map_batch(extract_batch, list(batch))))
            if len(pending) >= pool.workers:
                _done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        await asyncio.gather(*pending)
        results["ceiling"] = len(urls) / (time.perf_counter() - started)
        print(f"fetch + extract ceiling: {results['ceiling']:.0f} pages/s over {len(urls)} pages")
        await fetcher.aclose()

        for kind in ("sqlite", "postgresql"):
            with tempfile.TemporaryDirectory() as tmp:
                url, name = await make_database(kind, args.pg, Path(tmp))
                database = Database(url)
                try:
                    await upgrade(database.engine)
                    await measure(
                        kind, database, options, scorer, pool, full_url, page_url, slugs, results
                    )
                finally:
                    await database.dispose()
                    await drop_database(args.pg, name)
    finally:
        for child in (full_farm, page_farm):
            assert child.stdin is not None
            child.stdin.close()
            child.wait(timeout=30)
        pool.shutdown()
    worst_pages = min(results["pages_sqlite"], results["pages_postgresql"])
    worst_items = min(results["items_sqlite"], results["items_postgresql"])
    print(
        f"ingest: {worst_items:.0f} feed items/s end to end (target 300), "
        f"{worst_pages:.0f} pages/s with extraction (target 40) = "
        f"{worst_pages / results['ceiling']:.2f} of the fetch+extract ceiling (target 0.70), "
        f"extraction F1 {results['f1']:.3f} (worst backend shown)"
    )


async def measure(kind, database, options, scorer, pool, full_url, page_url, slugs, results):  # type: ignore[no-untyped-def]
    from app.crawlers.fetch import Fetcher
    from app.models import SourceKind
    from app.pipeline.cycle import Crawler
    from app.services import sources as source_service

    async with database.writer.begin() as session:
        for slug in slugs:
            await source_service.create_source(
                session, data=source_service.NewSource(url=f"{full_url}/{slug}/rss.xml")
            )
    crawler = Crawler(
        database=database, fetcher=Fetcher(options), scorer=scorer, pool=pool, batch_size=50
    )  # the batch the figures were measured with
    # One `Crawler.run_once`, as the scheduler and `pantau crawl --once` run it: the crawl, with
    # what it stores scored (in the pool) and grouped while later sources are still fetched,
    # then pages and the last stories, scoring, matching and clustering.
    main_cpu, pool_cpu = cpu_seconds([os.getpid()]), cpu_seconds(pool_pids(pool))
    load = os.getloadavg()[0]
    started = time.perf_counter()
    summary = await crawler.run_once()
    elapsed = time.perf_counter() - started
    main_cpu = cpu_seconds([os.getpid()]) - main_cpu
    pool_cpu = cpu_seconds(pool_pids(pool)) - pool_cpu
    scored = summary.scored
    results[f"items_{kind}"] = scored / elapsed
    print(f"[{kind}] feed-only: {summary.new_items} items -> {scored} scored and "
          f"{summary.grouped} grouped ({summary.stories} stories) in {elapsed:.1f} s = "
          f"{scored / elapsed:.0f} items/s")  # fmt: skip
    print(f"[{kind}] feed-only CPU: main process {main_cpu:.1f} s, pool {pool_cpu:.1f} s, "
          f"total {main_cpu + pool_cpu:.1f} s; load average {load:.1f} -> "
          f"{os.getloadavg()[0]:.1f}")  # fmt: skip

    async with database.writer.begin() as session:
        for slug in slugs:
            await source_service.create_source(
                session,
                data=source_service.NewSource(
                    url=f"{page_url}/{slug}/sitemap-news.xml", kind=SourceKind.SITEMAP
                ),
            )
    await crawler.crawl_due()
    started = time.perf_counter()
    pages = await crawler.fetch_pages()
    elapsed = time.perf_counter() - started
    results[f"pages_{kind}"] = pages / elapsed
    ratio = pages / elapsed / results["ceiling"]
    print(f"[{kind}] page stage: {pages} pages fetched, extracted and stored in {elapsed:.1f} s "
          f"= {pages / elapsed:.0f} pages/s = {ratio:.2f} of ceiling")  # fmt: skip
    started = time.perf_counter()
    scored, _grouped = await crawler.process_pending()
    print(f"[{kind}] then stories + scoring + grouping of {scored} rows: "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    await crawler.fetcher.aclose()


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--serve-farm":
        serve_farm(int(sys.argv[2]), sys.argv[3] == "--full")
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
