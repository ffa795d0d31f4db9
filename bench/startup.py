"""`pantau crawl --once` from cron: nothing due, and an unchanged re-poll of every feed (304).

    PYTHONPATH=. python bench/startup.py [--runs 9] [--feeds 200] [--no-pg]

A local server (a thread of this process) serves `--feeds` small RSS feeds that answer
If-None-Match with 304. Per backend (SQLite in a temporary directory; PostgreSQL at
`PANTAU_TEST_PG_DSN`, a database named with this process id, dropped after), the feeds are
registered and polled once; then, `--runs` times each and interleaved so that the machine's
load falls on both alike:

- nothing due: the `pantau` script (app/start.py: the driver's check first) with only
  `PANTAU_DATABASE_URL` set (a cron line's usual environment: no pydantic), the same with more
  `PANTAU_` settings (read by pydantic-settings), and the same run through the Typer command
  directly (`python -m app.cli`, the full path every run took before);
- 304 re-poll: every source made due, then `pantau crawl --once` (each feed answers 304).

Each figure is the median wall time of the command (and its CPU, user + system of the child).
The commands write and use bytecode caches (PYTHONDONTWRITEBYTECODE is dropped for them), as
an installed package runs. The last line holds the figures against the 0.7 s target.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_DSN = os.environ.get("PANTAU_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
TARGET = 0.7
PANTAU = str(Path(sys.executable).with_name("pantau"))
SUMMARY_NOTHING = "sources: 0 polled"

FEED = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
    "<title>Feed {n}</title><link>http://127.0.0.1/{n}</link><description>d</description>"
    "</channel></rss>"
)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        name = self.path.rsplit("/", 1)[-1]
        if not name.startswith("feed"):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        etag = f'"{name}"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        body = FEED.format(n=name).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


def serve() -> str:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def env_for(url: str) -> dict[str, str]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if k != "PYTHONDONTWRITEBYTECODE" and not k.startswith("PANTAU_")
    }
    # Politeness lifted for the one local host (in production it is per publisher).
    return {
        **environ,
        "PANTAU_DATABASE_URL": url,
        "PANTAU_STARTER_SOURCES": "",
        "PANTAU_ALLOW_PRIVATE_NETWORKS": "true",
        "PANTAU_PER_HOST_CONCURRENCY": "16",
        "PANTAU_PER_HOST_MIN_INTERVAL_MS": "0",
        "PANTAU_LOG_JSON": "false",
    }


def plain_env(url: str) -> dict[str, str]:
    """A cron line's usual environment: the database URL and nothing else of Pantau's."""
    environ = {
        k: v
        for k, v in os.environ.items()
        if k != "PYTHONDONTWRITEBYTECODE" and not k.upper().startswith("PANTAU_")
    }
    return {**environ, "PANTAU_DATABASE_URL": url}


def run(command: list[str], url: str, *, plain: bool = False) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user + system of the child) and stdout of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    env = plain_env(url) if plain else env_for(url)
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def setup(url: str, base: str, feeds: int, workdir: Path) -> None:
    outlines = "".join(
        f'<outline type="rss" text="f{n}" xmlUrl="{base}/feed{n}.xml"/>' for n in range(feeds)
    )
    opml = workdir / "feeds.opml"
    opml.write_text(f'<?xml version="1.0"?><opml version="2.0"><body>{outlines}</body></opml>')
    run([PANTAU, "migrate"], url)
    run([PANTAU, "sources", "import", "--no-detect", str(opml)], url)
    _, _, out = run([PANTAU, "crawl", "--once"], url)  # the first poll: 200s with ETags
    if f"sources: {feeds} polled, {feeds} ok" not in out:
        raise SystemExit(f"first poll: {out}")


async def make_due(url: str) -> None:
    from sqlalchemy import text

    from app.db import Database

    database = Database(url)
    try:
        async with database.writer.begin() as session:
            long_ago = datetime(2000, 1, 1, tzinfo=UTC)
            await session.execute(text("UPDATE sources SET next_check_at = :t"), {"t": long_ago})
    finally:
        await database.dispose()


def check(output: str, expected: str) -> None:
    if expected not in output:
        raise SystemExit(f"expected {expected!r}, got: {output}")


def median(samples: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(w for w, _ in samples), statistics.median(c for _, c in samples)


def measure(url: str, feeds: int, runs: int) -> dict[str, tuple[float, float]]:
    light: list[tuple[float, float]] = []
    configured: list[tuple[float, float]] = []
    full: list[tuple[float, float]] = []
    repoll: list[tuple[float, float]] = []
    for _ in range(runs):
        wall, cpu, out = run([PANTAU, "crawl", "--once"], url, plain=True)
        check(out, SUMMARY_NOTHING)
        light.append((wall, cpu))
        wall, cpu, out = run([PANTAU, "crawl", "--once"], url)
        check(out, SUMMARY_NOTHING)
        configured.append((wall, cpu))
        wall, cpu, out = run([sys.executable, "-m", "app.cli", "crawl", "--once"], url)
        check(out, SUMMARY_NOTHING)
        full.append((wall, cpu))
    for _ in range(runs):
        asyncio.run(make_due(url))
        wall, cpu, out = run([PANTAU, "crawl", "--once"], url)
        check(out, f"sources: {feeds} polled, 0 ok, {feeds} unchanged")
        repoll.append((wall, cpu))
    return {
        "nothing due": median(light),
        "same, more settings": median(configured),
        "full path": median(full),
        "304": median(repoll),
    }


async def pg_database(name: str, *, drop: bool) -> None:
    import asyncpg

    connection = await asyncpg.connect(PG_DSN)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if not drop:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    base = serve()
    results: dict[str, dict[str, tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = f"sqlite+aiosqlite:///{workdir / 'startup.db'}"
        setup(url, base, args.feeds, workdir)
        results["SQLite"] = measure(url, args.feeds, args.runs)
        if not args.no_pg:
            name = f"pantau_startup_{os.getpid()}"
            asyncio.run(pg_database(name, drop=False))
            try:
                pg_url = PG_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
                setup(f"{pg_url}/{name}", base, args.feeds, workdir)
                results["PostgreSQL"] = measure(f"{pg_url}/{name}", args.feeds, args.runs)
            finally:
                asyncio.run(pg_database(name, drop=True))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"medians of {args.runs} runs, wall s (CPU s); load average now {load}")
    for backend, figures in results.items():
        cells = "; ".join(f"{k} {w:.2f} ({c:.2f})" for k, (w, c) in figures.items())
        print(f"{backend}: {cells}")
    line = "; ".join(
        f"{backend} nothing due {f['nothing due'][0]:.2f} s (full path {f['full path'][0]:.2f}),"
        f" {args.feeds} x 304 {f['304'][0]:.2f} s"
        for backend, f in results.items()
    )
    print(f"startup: {line}; target {TARGET} s")


if __name__ == "__main__":
    main()
