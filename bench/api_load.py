"""API load benchmark: 100 concurrent pollers against uvicorn (2 workers, uvloop, httptools).

    python bench/api_load.py            # PostgreSQL with 1,000,000 articles, 100,000 issues
    python bench/api_load.py --small    # 20,000 / 2,000, short runs: proves the script works

The data set is generated from the shared CLICK-ID articles, bulk-loaded with COPY into the
database named by --dsn, and reused by later runs with the same size. The load generator is a
separate process speaking raw HTTP/1.1 keep-alive (httpx would be the bottleneck). Reports
requests/s and p50/p99 per scenario, with the bare-endpoint ceiling measured in the same run;
the figure is printed last.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PANTAU_SHARED_DIR", ROOT.parent / "shared"))
ARTICLES = SHARED / "data" / "news" / "articles.jsonl"
ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
LABELS = ("negative", "neutral", "positive")
TARGETS_THRESHOLD = {
    "p304_ratio": 0.5,
    "page_p99_ms": 50,
    "search_p99_ms": 200,
    "stats_p99_ms": 200,
}


# --- data ----------------------------------------------------------------------------------


def _corpus() -> list[dict[str, Any]]:
    with ARTICLES.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def _article_rows(n: int, now: datetime) -> Iterator[tuple[Any, ...]]:
    corpus = _corpus()
    rng = random.Random(1)
    span = 365 * 24 * 3600
    for i in range(n):
        doc = corpus[i % len(corpus)]
        published = now - timedelta(seconds=span * (n - i) / n + rng.random() * 60)
        label = rng.choices(LABELS, weights=(3, 5, 2))[0]
        url = f"{doc['url']}?v={i}"
        yield (
            url,
            f"{i:064x}",
            doc.get("outlet"),
            doc["title"],
            None,
            (doc.get("body") or "")[:1500],
            published,
            True,
            published,
            "id",
            label,
            rng.random(),
            0.8,
            "bench",
            published,
            published,
            published,
            published,
        )


ARTICLE_COLUMNS = [
    "url",
    "url_hash",
    "outlet",
    "title",
    "summary",
    "body",
    "published_at",
    "published_trusted",
    "fetched_at",
    "language",
    "label",
    "negativity",
    "confidence",
    "model_version",
    "scored_at",
    "grouped_at",
    "created_at",
    "updated_at",
]


def _pantau(dsn: str, *args: str) -> str:
    env = {**os.environ, "PANTAU_DATABASE_URL": dsn, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", "from app.cli import main; main()", *args]
    done = subprocess.run(command, check=True, env=env, cwd=ROOT, capture_output=True, text=True)
    return done.stdout


def prepare(dsn: str, articles: int, issues: int) -> str:
    """Create, migrate and fill the bench database unless it already holds this size; return
    a fresh viewer key."""
    asyncio.run(_create_database(dsn))
    _pantau(dsn, "migrate")
    asyncio.run(_fill(dsn, articles, issues))
    return _pantau(dsn, "keys", "create", "--role", "viewer", "--name", "bench").splitlines()[-1]


async def _create_database(dsn: str) -> None:
    name = dsn.rsplit("/", 1)[1]
    admin = await asyncpg.connect(ADMIN_DSN)
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def _fill(dsn: str, articles: int, issues: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        have = await conn.fetchval("SELECT count(*) FROM articles")
        have_issues = await conn.fetchval("SELECT count(*) FROM issues")
        if have != articles or have_issues != issues:
            await _load(conn, articles, issues)
        await conn.execute("DELETE FROM api_keys WHERE name = 'bench'")
    finally:
        await conn.close()


async def _load(conn: asyncpg.Connection, articles: int, issues: int) -> None:
    started = time.perf_counter()
    await conn.execute(
        "TRUNCATE articles, issues, issue_articles, changes RESTART IDENTITY CASCADE"
    )
    now = datetime.now(UTC)
    # Triggers off for the bulk load; the change log is then written in one statement each.
    await conn.execute("SET session_replication_role = replica")
    batch: list[tuple[Any, ...]] = []
    for row in _article_rows(articles, now):
        batch.append(row)
        if len(batch) == 20_000:
            await conn.copy_records_to_table("articles", records=batch, columns=ARTICLE_COLUMNS)
            batch.clear()
            print(
                f"  articles: {await conn.fetchval('SELECT max(id) FROM articles')}",
                file=sys.stderr,
            )
    if batch:
        await conn.copy_records_to_table("articles", records=batch, columns=ARTICLE_COLUMNS)
    await conn.execute(
        """
        INSERT INTO issues (title, status, severity, article_count, negative_count,
                            first_seen_at, last_seen_at, created_at, updated_at)
        SELECT title, (ARRAY['new','monitoring','escalated','resolved','dismissed'])[1 + id % 5],
               round((negativity * 100)::numeric, 1), 1, (label = 'negative')::int,
               published_at, published_at, published_at, published_at
        FROM articles ORDER BY id DESC LIMIT $1
        """,
        issues,
    )
    await conn.execute(
        "INSERT INTO issue_articles (article_id, issue_id, added_at) "
        "SELECT a.id, i.id, a.published_at FROM articles a "
        "JOIN issues i ON i.id = (SELECT max(id) FROM articles) - a.id + 1 "
        "WHERE a.id > (SELECT max(id) FROM articles) - $1",
        issues,
    )
    for entity, table in (("article", "articles"), ("issue", "issues")):
        await conn.execute(
            f"INSERT INTO changes (entity, entity_id, kind, txid, changed_at) "
            f"SELECT '{entity}', id, 'upsert', pg_current_xact_id()::text::bigint, now() "
            f"FROM {table} ORDER BY id"
        )
    await conn.execute("SET session_replication_role = DEFAULT")
    await conn.execute("VACUUM ANALYZE")
    print(f"  loaded in {time.perf_counter() - started:.0f} s", file=sys.stderr)


# --- servers -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(target: str, port: int, env: dict[str, str], factory: bool) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        target,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "2",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    if factory:
        command.append("--factory")
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{target} did not start")


# --- load generator (runs in its own process) ------------------------------------------------


async def _worker(
    port: int,
    request: bytes,
    until: float,
    latencies: list[float],
    errors: list[int],
    interval: float = 0.0,
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    next_at = time.perf_counter() + random.random() * interval  # pollers start spread out
    try:
        while time.perf_counter() < until:
            if interval:  # a paced poller: one request every `interval` seconds
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
                next_at += interval
            start = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            if status not in (200, 304):
                errors.append(status)
    finally:
        writer.close()


async def _generate(
    port: int,
    path: str,
    headers: dict[str, str],
    seconds: float,
    conns: int,
    interval: float = 0.0,
) -> dict[str, Any]:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    latencies: list[float] = []
    errors: list[int] = []
    warm = time.perf_counter() + 1.0
    await asyncio.gather(*(_worker(port, request, warm, [], []) for _ in range(conns)))
    start = time.perf_counter()
    await asyncio.gather(
        *(
            _worker(port, request, start + seconds, latencies, errors, interval)
            for _ in range(conns)
        )
    )
    elapsed = time.perf_counter() - start
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": pick(0.50),
        "p99_ms": pick(0.99),
        "errors": len(errors),
        "error_sample": errors[:3],
    }


def generate_main(spec: str) -> None:
    import uvloop

    args = json.loads(spec)
    result = uvloop.run(_generate(**args))
    print(json.dumps(result))


def run_load(
    port: int,
    path: str,
    headers: dict[str, str],
    seconds: float,
    conns: int,
    interval: float = 0.0,
) -> dict[str, Any]:
    """Closed loop (interval 0: re-ask as soon as answered) or paced pollers."""
    spec = json.dumps(
        {
            "port": port,
            "path": path,
            "headers": headers,
            "seconds": seconds,
            "conns": conns,
            "interval": interval,
        }
    )
    out = subprocess.run(
        [sys.executable, __file__, "--generate", spec], check=True, capture_output=True, text=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


# --- main ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", action="store_true", help="20k articles, short runs")
    parser.add_argument("--dsn", default=None, help="bench database (created if missing)")
    parser.add_argument("--seconds", type=float, default=None, help="per scenario")
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=1.0,
        help="seconds between requests of one paced poller (latency scenarios)",
    )
    parser.add_argument("--generate", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        generate_main(args.generate)
        return
    articles, issues = (20_000, 2_000) if args.small else (1_000_000, 100_000)
    seconds = args.seconds or (3.0 if args.small else 15.0)
    dsn = args.dsn or f"postgresql://postgres@127.0.0.1:5432/pantau_bench_{articles}"
    key = prepare(dsn, articles, issues)
    auth = {"Authorization": f"Bearer {key}"}
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PANTAU_DATABASE_URL": dsn,
        "PANTAU_SCHEDULER_ENABLED": "false",
        "PANTAU_RATE_LIMIT_PER_MINUTE": "0",
        "PANTAU_LOG_LEVEL": "WARNING",
        "PANTAU_ENVIRONMENT": "production",
    }
    results: dict[str, dict[str, Any]] = {}
    bare_port, api_port = _free_port(), _free_port()
    bare = serve("bench.bare_app:app", bare_port, env, factory=False)
    try:
        results["bare"] = run_load(bare_port, "/bare", {}, seconds, args.connections)
    finally:
        bare.terminate()
        bare.wait()
    api = serve("app.main:create_app", api_port, env, factory=True)
    try:
        import httpx

        # The bench's issues match no watchlist: every issue (`scope=all`) is the page the
        # figures have always measured, not the (here empty) team's feed.
        feed_url = "/v1/issues?scope=all"
        first = httpx.get(f"http://127.0.0.1:{api_port}{feed_url}", headers=auth, timeout=30)
        first.raise_for_status()
        since = (datetime.now(UTC) - timedelta(days=30)).date().isoformat()
        scenarios = {
            "issues 304": (feed_url, {**auth, "If-None-Match": first.headers["etag"]}),
            "issues first page": (feed_url, auth),
            "article search": (f"/v1/articles?q=jakarta&label=negative&since={since}", auth),
            "stats timeline": ("/v1/stats/timeline?interval=hour", auth),
        }
        for name, (path, headers) in scenarios.items():
            results[name] = run_load(api_port, path, headers, seconds, args.connections)
            if name != "issues 304":
                paced = run_load(
                    api_port, path, headers, seconds, args.connections, args.poll_interval
                )
                results[name]["paced"] = paced
    finally:
        api.terminate()
        api.wait()
    _report(results, articles, issues, args.connections)


def _report(results: dict[str, dict[str, Any]], articles: int, issues: int, conns: int) -> None:
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, PostgreSQL {articles:,} articles / "
        f"{issues:,} issues, {conns} connections"
    )
    print("closed loop = every connection re-asks at once; paced = each poller 1 request/interval")
    header = f"{'scenario':<20}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
    print(header + f"{'paced req/s':>13}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for name, r in results.items():
        p = r.get("paced")
        line = f"{name:<20}{r['rps']:>9.0f}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}"
        if p:
            line += f"{p['rps']:>13.0f}{p['p50_ms']:>9.1f}{p['p99_ms']:>9.1f}"
        else:
            line += f"{'':>13}{'':>9}{'':>9}"
        errors = r["errors"] + (p["errors"] if p else 0)
        print(line + f"{errors:>8}")
    ratio = results["issues 304"]["rps"] / results["bare"]["rps"]
    page, search, stats = (
        results[n]["paced"] for n in ("issues first page", "article search", "stats timeline")
    )
    print(
        f"api_load: 304 = {ratio:.2f} x bare ceiling ({results['bare']['rps']:.0f} req/s); "
        f"paced p99: first page {page['p99_ms']:.0f} ms, search {search['p99_ms']:.0f} ms, "
        f"stats {stats['p99_ms']:.0f} ms"
    )


if __name__ == "__main__":
    main()
