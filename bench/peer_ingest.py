"""Pantau against newsboat (a C++ feed reader, no scoring) on the same local farm, same run.

    PYTHONPATH=. python bench/peer_ingest.py [--feeds 200] [--items 50] [--workers 1 2 3]
        [--repeat-startup 5] [--no-peer] [--profile]

The farm (a child process, so serving does not share our GIL) serves `--feeds` RSS 2.0 feeds
of `--items` full-content items each, rendered by the news farm's own RSS writer
(tests/farm/feeds.py) from the shared news: item k of the farm is article k mod 3,001 published
by feed k // items, so about feeds x items / 3,001 outlets carry each story (as syndicated
copies, `tests.farm.site.syndicated_copy`: a changed title, a dateline, word swaps) and story
grouping has real work. Feeds answer ETag / If-None-Match with 304, as the farm does.

Measured, in this order, in one run:

1. newsboat's first poll of every feed into a fresh cache (`newsboat -x reload`, 16 reload
   threads), then its unchanged re-poll (all 304): wall time, its CPU (ru of the child).
2. Pantau on PostgreSQL (a fresh database per run, named with this process id, dropped after):
   one `Crawler.run_once` as `pantau crawl --once` runs it (crawl, store, score in the pool,
   match, story, cluster); items/s = scored rows / wall time; CPU of the main process, of the
   pool, and of the PostgreSQL backends serving this database; the pool's idle share
   (1 - pool CPU / (pool processes x wall)).
3. The unchanged re-poll through the real command, `pantau crawl --once` (every source made
   due, every answer a 304), wall time against newsboat's re-poll; and `pantau crawl --once`
   with nothing due (the CLI's start-up), median of `--repeat-startup` runs.
4. With `--workers`, scale-out: a fresh database per N, N `pantau worker`-like processes each
   running `Crawler.run_once` on the same farm at once (they split sources through the SKIP
   LOCKED claims); items/s over the span from first start to last end, and each worker's
   sources polled, items stored and items scored.

Per-host politeness is lifted for the single local host (as bench/ingest_throughput.py and
bench/ingest_polls.py do; in production it is per publisher). The last line is
`pantau/newsboat` for items/s and re-poll time.

`--no-peer` skips newsboat (Pantau's figures only, for a quick look at a change); `--profile`
runs step 2 under cProfile and prints the main process's 25 costliest functions (own time).
The `crawl --once` runs write and use bytecode caches (PYTHONDONTWRITEBYTECODE is dropped for
them), as an installed package runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest_throughput import cpu_seconds  # noqa: E402


def child_pids(pid: int | None = None) -> list[int]:
    """Pids of this process's descendants (the CPU pool's processes, under its forkserver)."""
    pids: list[int] = []
    for task in Path(f"/proc/{pid or os.getpid()}/task").iterdir():
        try:
            children = [int(p) for p in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
        for child in children:
            pids += [child, *child_pids(child)]
    return pids


PG_DSN = os.environ.get("PANTAU_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
THREADS = 16  # newsboat reload threads and Pantau's crawl concurrency alike


# ----- the farm (child process) ------------------------------------------------------------


def build_feeds(feeds: int, items: int) -> dict[str, bytes]:
    """Path -> RSS body for every feed of the bench farm."""
    from dataclasses import replace
    from datetime import UTC, datetime

    from tests.farm.corpus import Outlet, load_articles
    from tests.farm.feeds import rss2
    from tests.farm.model import OutletConfig, Story, View
    from tests.farm.site import syndicated_copy

    articles = load_articles()
    config = OutletConfig(feed_size=items, full_content=True)
    bodies: dict[str, bytes] = {}
    port_base = "http://127.0.0.1"
    for f in range(feeds):
        slug = f"o{f:04d}"
        stories = []
        for j in range(items):
            k = f * items + j
            article = articles[k % len(articles)]
            if k < len(articles):  # the first publication of an article: its original text
                story = replace(Story.from_article(article), outlet=slug)
            else:
                story = syndicated_copy(article, slug)
            stories.append(story)
        stories.sort(key=lambda s: (s.published_at, s.id), reverse=True)
        view = View(
            outlet=Outlet(slug, f"Outlet {f}", f"{slug}.example"),
            base_url=f"{port_base}/{slug}",
            stories=tuple(stories),
            config=config,
            modified_at=datetime(2026, 12, 1, tzinfo=UTC),
        )
        bodies[f"/{slug}/rss.xml"] = rss2(view)
    return bodies


def serve(port: int, feeds: int, items: int) -> None:
    """Child process: serve the feeds with ETags until stdin closes."""
    import hashlib
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    bodies = build_feeds(feeds, items)
    tags = {p: '"' + hashlib.sha1(b).hexdigest()[:16] + '"' for p, b in bodies.items()}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            body = bodies.get(path)
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.headers.get("If-None-Match") == tags[path]:
                self.send_response(304)
                self.send_header("ETag", tags[path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("ETag", tags[path])
            self.send_header("Last-Modified", "Tue, 01 Dec 2026 00:00:00 GMT")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.request_queue_size = 256
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("ready", sum(len(b) for b in bodies.values()), flush=True)
    sys.stdin.read()
    server.shutdown()


def start_farm(feeds: int, items: int) -> tuple[subprocess.Popen[str], str, list[str]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port), str(feeds), str(items)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert child.stdout is not None
    line = child.stdout.readline().split()
    assert line and line[0] == "ready", line
    base = f"http://127.0.0.1:{port}"
    print(f"farm: {feeds} feeds x {items} items, {int(line[1]) / 1e6:.1f} MB of RSS at {base}")
    return child, base, [f"{base}/o{f:04d}/rss.xml" for f in range(feeds)]


# ----- newsboat -------------------------------------------------------------------------------


def newsboat_poll(workdir: Path) -> tuple[float, float]:
    """One `newsboat -x reload` over the urls file: (wall seconds, CPU seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [
            "newsboat", "-x", "reload", "-u", str(workdir / "urls"), "-c",
            str(workdir / "cache.db"), "-C", str(workdir / "config"),
        ],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "HOME": str(workdir)},
    )  # fmt: skip
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def newsboat_items(workdir: Path) -> int:
    import sqlite3

    with sqlite3.connect(workdir / "cache.db") as db:
        return int(db.execute("SELECT count(*) FROM rss_item").fetchone()[0])


def run_newsboat(urls: list[str], tmp: Path) -> dict[str, float]:
    workdir = tmp / "newsboat"
    workdir.mkdir()
    (workdir / "urls").write_text("\n".join(urls) + "\n")
    (workdir / "config").write_text(
        f"reload-threads {THREADS}\nmax-items 0\nkeep-articles-days 0\nsuppress-first-reload no\n"
    )
    wall, cpu = newsboat_poll(workdir)
    items = newsboat_items(workdir)
    rewall, recpu = newsboat_poll(workdir)
    version = subprocess.run(["newsboat", "-v"], capture_output=True, text=True).stdout.split()
    print(
        f"newsboat {version[1] if len(version) > 1 else '?'}: first poll {items} items in "
        f"{wall:.2f} s = "
        f"{items / wall:.0f} items/s, CPU {cpu / max(items, 1) * 1000:.3f} ms per item; "
        f"re-poll {rewall:.2f} s (CPU {recpu:.2f} s)"
    )
    return {"items": items, "wall": wall, "rate": items / wall, "repoll": rewall}


# ----- Pantau -----------------------------------------------------------------------------------


async def create_database(tag: str) -> tuple[str, str]:
    import asyncpg

    name = f"pantau_peer_{os.getpid()}_{tag}"
    admin = await asyncpg.connect(PG_DSN)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    base = PG_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{name}", name


async def drop_database(name: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(PG_DSN)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


async def backend_cpu(name: str) -> float:
    """CPU seconds of the PostgreSQL backends now connected to database `name` (same host)."""
    import asyncpg

    admin = await asyncpg.connect(PG_DSN)
    pids = [
        r[0] for r in await admin.fetch("SELECT pid FROM pg_stat_activity WHERE datname=$1", name)
    ]
    await admin.close()
    return cpu_seconds(pids)


async def count_groups(database: object) -> int:
    from sqlalchemy import func, select

    from app.db import Database
    from app.models import StoryGroup

    assert isinstance(database, Database)
    async with database.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(StoryGroup)) or 0)


def bench_env(url: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {
        **environ,
        "PANTAU_DATABASE_URL": url,
        "PANTAU_ALLOW_PRIVATE_NETWORKS": "true",
        "PANTAU_CRAWL_CONCURRENCY": str(THREADS),
        "PANTAU_FETCH_CONCURRENCY": "64",
        "PANTAU_PER_HOST_CONCURRENCY": str(THREADS),
        "PANTAU_PER_HOST_MIN_INTERVAL_MS": "0",
        "PANTAU_LOG_LEVEL": "WARNING",
    }


async def register(url: str, feeds: list[str]) -> None:
    from app.db import Database
    from app.migrate import upgrade
    from app.services import sources as source_service

    database = Database(url)
    try:
        await upgrade(database.engine)
        async with database.writer.begin() as session:
            for feed in feeds:
                await source_service.create_source(session, data=source_service.NewSource(url=feed))
    finally:
        await database.dispose()


async def make_due(url: str) -> None:
    from sqlalchemy import text

    from app.db import Database

    database = Database(url)
    try:
        async with database.writer.begin() as session:
            await session.execute(text("UPDATE sources SET next_check_at = now() - interval '1s'"))
    finally:
        await database.dispose()


def crawl_once(url: str) -> float:
    """Wall seconds of `pantau crawl --once` as a cron job runs it."""
    started = time.perf_counter()
    subprocess.run(
        [str(Path(sys.executable).with_name("pantau")), "crawl", "--once"],
        check=True, env=bench_env(url), cwd=ROOT, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - started


def run_worker(url: str, out: Path, *, profile: bool = False) -> None:
    """Child process: one `Crawler.run_once` (the crawl of `pantau crawl --once`), measured;
    with `profile`, under cProfile, printing the main process's costliest functions."""
    import cProfile
    import json
    import pstats

    from app.config import get_settings
    from app.db import Database
    from app.pipeline.scheduler import build_crawler, tune_collector

    os.environ.update(bench_env(url))
    settings = get_settings()
    tune_collector()  # as `pantau crawl --once` does

    async def main() -> dict[str, float]:
        database = Database(url)
        crawler = build_crawler(settings, database)
        name = url.rsplit("/", 1)[1]
        try:
            await crawler.pool.map_batch(len, [[]] * crawler.pool.workers)  # start the pool
            main_cpu, pool_cpu = cpu_seconds([os.getpid()]), cpu_seconds(child_pids())
            started = time.perf_counter()
            start_wall = time.time()
            profiler = cProfile.Profile() if profile else None
            if profiler is not None:
                profiler.enable()
            summary = await crawler.run_once()
            wall = time.perf_counter() - started
            if profiler is not None:
                profiler.disable()
                stats = pstats.Stats(profiler, stream=sys.stdout)
                stats.sort_stats("tottime").print_stats(25)
            return {
                "start": start_wall,
                "end": time.time(),
                "wall": wall,
                "new": summary.new_items,
                "sources": len(summary.outcomes),
                "scored": summary.scored,
                "stories": summary.stories,
                "main_cpu": cpu_seconds([os.getpid()]) - main_cpu,
                "pool_cpu": cpu_seconds(child_pids()) - pool_cpu,
                "pool_workers": crawler.pool.workers,
                "pg_cpu": await backend_cpu(name),
                "story_groups": await count_groups(database),
                "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        finally:
            await crawler.aclose()
            await database.dispose()

    out.write_text(json.dumps(asyncio.run(main())))


def workers(url: str, count: int, tmp: Path, *, profile: bool = False) -> list[dict[str, float]]:
    import json

    outs = [tmp / f"worker-{count}-{i}.json" for i in range(count)]
    flag = ["--profile"] if profile else []
    children = [
        subprocess.Popen([sys.executable, __file__, "--worker", url, str(out), *flag], cwd=ROOT)
        for out in outs
    ]
    for child in children:
        if child.wait() != 0:
            raise RuntimeError("a bench worker failed")
    return [json.loads(out.read_text()) for out in outs]


async def run_pantau(feeds: list[str], args: argparse.Namespace, tmp: Path) -> dict[str, float]:
    url, name = await create_database("1")
    try:
        await register(url, feeds)
        (result,) = workers(url, 1, tmp, profile=args.profile)
        items, wall = result["scored"], result["wall"]
        cpu = result["main_cpu"] + result["pool_cpu"] + result["pg_cpu"]
        idle = 1 - result["pool_cpu"] / (result["pool_workers"] * wall)
        print(
            f"pantau [postgresql]: {result['new']:.0f} new items -> {items:.0f} scored and "
            f"grouped into {result['story_groups']:.0f} story groups in {wall:.2f} s = "
            f"{items / wall:.0f} items/s; CPU per item: main "
            f"{result['main_cpu'] / items * 1000:.2f} ms, pool "
            f"{result['pool_cpu'] / items * 1000:.2f} ms, PostgreSQL "
            f"{result['pg_cpu'] / items * 1000:.2f} ms, all-in {cpu / items * 1000:.2f} ms; "
            f"pool idle {idle:.0%}; main RSS {result['rss_mb']:.0f} MB"
        )
        await make_due(url)
        repoll = crawl_once(url)
        idle_runs = [crawl_once(url) for _ in range(args.repeat_startup)]
        startup = statistics.median(idle_runs)
        print(
            f"pantau crawl --once: unchanged re-poll {repoll:.2f} s; nothing due "
            f"{startup:.2f} s (median of {len(idle_runs)}, target < 0.7)"
        )
        return {"rate": items / wall, "repoll": repoll, "startup": startup}
    finally:
        await drop_database(name)


async def run_scaleout(feeds: list[str], counts: list[int], tmp: Path) -> None:
    """Per N: items/s over the span, and each worker's share of the sources it polled, the
    items it stored and the items it scored (a worker failing is reported, the next N run)."""
    for count in counts:
        url, name = await create_database(f"w{count}")
        try:
            await register(url, feeds)
            try:
                results = workers(url, count, tmp)
            except RuntimeError as exc:
                print(f"scale-out, {count} worker(s): FAILED ({exc}; its traceback is above)")
                continue
            span = max(r["end"] for r in results) - min(r["start"] for r in results)
            scored = sum(r["scored"] for r in results)

            def shares(key: str, results: list[dict[str, float]] = results) -> str:
                return "/".join(f"{r.get(key, -1):.0f}" for r in results)

            print(
                f"scale-out, {count} worker(s): {scored:.0f} items in {span:.2f} s = "
                f"{scored / span:.0f} items/s (per worker: sources {shares('sources')}, "
                f"stored {shares('new')}, scored {shares('scored')}; "
                f"load {os.getloadavg()[0]:.1f})"
            )
        finally:
            await drop_database(name)


async def run(args: argparse.Namespace) -> None:
    if not args.no_peer and shutil.which("newsboat") is None:
        raise SystemExit("newsboat is not installed (apt-get install newsboat)")
    cpus = len(os.sched_getaffinity(0))
    print(
        f"machine: {platform.machine()}, {cpus} CPUs, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    farm, _base, feeds = start_farm(args.feeds, args.items)
    try:
        with tempfile.TemporaryDirectory() as tmpdir:
            tmp = Path(tmpdir)
            peer = None if args.no_peer else run_newsboat(feeds, tmp)
            ours = await run_pantau(feeds, args, tmp)
            if args.workers:
                await run_scaleout(feeds, args.workers, tmp)
    finally:
        assert farm.stdin is not None
        farm.stdin.close()
        farm.wait(timeout=30)
    if peer is None:
        print(
            f"load average {os.getloadavg()[0]:.1f}; pantau alone (no peer): "
            f"{ours['rate']:.0f} items/s, re-poll {ours['repoll']:.2f} s, nothing due "
            f"{ours['startup']:.2f} s"
        )
        return
    print(
        f"load average {os.getloadavg()[0]:.1f}; pantau/newsboat: items/s "
        f"{ours['rate'] / peer['rate']:.3f}x (target >= 0.33), unchanged re-poll time "
        f"{ours['repoll'] / peer['repoll']:.2f}x (target <= 0.25)"
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        run_worker(sys.argv[2], Path(sys.argv[3]), profile="--profile" in sys.argv[4:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--workers", type=int, nargs="*", default=[])
    parser.add_argument("--repeat-startup", type=int, default=5)
    parser.add_argument("--no-peer", action="store_true", help="skip newsboat")
    parser.add_argument("--profile", action="store_true", help="cProfile the main process")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
