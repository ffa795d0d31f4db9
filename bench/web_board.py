"""The crisis room's board with 10,000 open issues: drawn time and first paint, poll cost.

    PYTHONPATH=. python bench/web_board.py                      # SQLite and PostgreSQL
    PYTHONPATH=. python bench/web_board.py --backends sqlite --issues 2000 --runs 3

For each backend a fresh database gets `--issues` open issues the team watches (one matched
article each); the app runs under uvicorn (one process, as `make run` serves it) and Debian's
Chromium, driven by Playwright, opens the board `--runs` times in a signed-in tab:

- board drawn: navigation start to the first page of 50 rows in the DOM (the page's script
  marks it: HTML, CSS and scripts loaded, /v1/issues answered, rows built);
- first contentful paint (the browser's paint timing);
- the static peer, in the same run: the same 50 rows as plain HTML with the same stylesheet,
  served by a bare uvicorn app (StaticFiles): what drawing the board would cost with no
  script and no query, the floor the board is compared with.

Then the poll: `--polls` sequential conditional GETs of the board's page (If-None-Match, 304)
over one keep-alive connection, against GET /bare (a 20-item JSON body from a bare FastAPI
endpoint) on the peer server: the machine's floor for one HTTP round trip through uvicorn.
Medians are printed; the figure is the last line, with the machine and its load.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import insert

from app.db import Database
from app.migrate import upgrade
from app.models import Article, ArticleWatchlist, Issue, IssueArticle, Role, Watchlist, utcnow
from app.services import api_keys
from app.web import STATIC
from bench.bare_app import bare

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
PG_ADMIN = os.environ.get("PANTAU_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
PAGE_ROWS = 50
WORDS = [
    "banjir",
    "jalan",
    "tol",
    "harga",
    "beras",
    "antrean",
    "bbm",
    "menteri",
    "dprd",
    "pemprov",
    "kpk",
    "korupsi",
    "vaksin",
]
STATUSES = ("new", "monitoring", "escalated")

# --- the static peer: the board's first page as plain HTML, and the bare endpoint ------------

PEER_DIR = Path(os.environ.get("PANTAU_BENCH_PEER_DIR", tempfile.gettempdir()))
peer = FastAPI()
peer.add_api_route("/bare", bare)
peer.mount("/assets", StaticFiles(directory=STATIC), name="assets")
peer.mount("/peer", StaticFiles(directory=PEER_DIR), name="peer")

ROW = (
    '<tr data-issue-id="{id}"><td><span class="sev sev-{level}">{severity}</span></td>'
    '<th scope="row"><a href="/issues/{id}">{title}</a><div class="muted small">{terms}</div></th>'
    '<td><span class="spark"></span><span class="small"> {articles}</span></td>'
    '<td>{share}%</td><td><span class="badge status-{status}">{status}</span></td>'
    '<td>{assignee}</td><td class="small">{seen}</td></tr>'
)


def static_board(items: list[dict[str, Any]]) -> str:
    rows = "".join(
        ROW.format(
            id=i["id"],
            level="high" if i["severity"] >= 70 else "mid" if i["severity"] >= 40 else "low",
            severity=round(i["severity"]),
            title=html.escape(i["title"]),
            terms=html.escape(", ".join(i["top_terms"][:5])),
            articles=i["article_count"],
            share=round(i["negative_share"] * 100),
            status=i["status"],
            assignee=html.escape(i["assignee"] or "–"),
            seen=i["last_seen_at"][:16],
        )
        for i in items
    )
    return (
        '<!doctype html><html lang="id"><head><meta charset="utf-8"><title>Papan isu</title>'
        '<link rel="stylesheet" href="/assets/app.css"></head><body><main id="main">'
        '<h1>Papan isu</h1><table><thead><tr><th scope="col">Keparahan</th>'
        '<th scope="col">Judul</th><th scope="col">Volume</th><th scope="col">Porsi negatif</th>'
        '<th scope="col">Status</th><th scope="col">Penanggung jawab</th>'
        f'<th scope="col">Terakhir</th></tr></thead><tbody>{rows}</tbody></table></main>'
        "<script>document.body.dataset.boardDrawn = String(performance.now());</script>"
        "</body></html>"
    )


# --- data -------------------------------------------------------------------------------------


async def load(url: str, issues: int) -> str:
    """Migrate, insert `issues` watched open issues with an article each; an admin key."""
    database = Database(url)
    await upgrade(database.engine)
    rng = random.Random(21)
    now = utcnow()
    try:
        async with database.writer.begin() as session:
            watchlist = Watchlist(name="Pemprov", query="pemprov", entity_ids=[])
            session.add(watchlist)
            await session.flush()
            chunk = 2000
            for start in range(0, issues, chunk):
                ids = range(start + 1, min(issues, start + chunk) + 1)
                seen = {n: now - timedelta(minutes=n) for n in ids}
                await session.execute(
                    insert(Article),
                    [
                        {
                            "id": n,
                            "url": f"https://berita{n % 40}.example.id/{n}",
                            "url_hash": uuid.uuid5(uuid.NAMESPACE_URL, str(n)).hex,
                            "title": f"Berita {n}",
                            "outlet": f"berita{n % 40}.example.id",
                            "published_at": seen[n],
                            "label": "negative" if n % 3 == 0 else "neutral",
                        }
                        for n in ids
                    ],
                )
                await session.execute(
                    insert(Issue), [_issue(n, seen[n], watchlist.id, rng) for n in ids]
                )
                await session.execute(
                    insert(IssueArticle), [{"issue_id": n, "article_id": n} for n in ids]
                )
                await session.execute(
                    insert(ArticleWatchlist),
                    [{"article_id": n, "watchlist_id": watchlist.id} for n in ids],
                )
            _row, secret = await api_keys.create_key(session, role=Role.ADMIN, name="bench")
        if database.engine.dialect.name == "postgresql":
            async with database.engine.begin() as conn:
                await conn.exec_driver_sql(
                    "SELECT setval(pg_get_serial_sequence('issues', 'id'), max(id)) FROM issues"
                )
                await conn.exec_driver_sql(
                    "SELECT setval(pg_get_serial_sequence('articles', 'id'), max(id)) FROM articles"
                )
            async with database.engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.exec_driver_sql("ANALYZE")
    finally:
        await database.dispose()
    return secret


def _issue(n: int, seen: Any, watchlist_id: int, rng: random.Random) -> dict[str, Any]:
    severity = rng.uniform(5, 95)
    words = rng.sample(WORDS, 4)
    return {
        "id": n,
        "title": f"Isu {n}: {' '.join(words).capitalize()}",
        "status": STATUSES[n % 3],
        "severity": severity,
        "article_count": 1 + n % 17,
        "negative_count": n % 5,
        "first_seen_at": seen - timedelta(hours=6),
        "last_seen_at": seen,
        "top_terms": words,
        "watchlist_ids": [watchlist_id],
        "outlets": [f"berita{n % 40}.example.id"],
        "negative_share": (n % 5) / 5,
        "severity_breakdown": {
            "components": {"negativity": severity / 2, "volume": severity / 4, "reach": 0.0},
            "explanation": "Negatif terhadap Pemprov; volume naik.",
            "priority": 1,
            "watched_entities": ["Pemprov"],
            "outlets_by_tier": {"2": 1},
        },
        "assignee": "rina" if n % 7 == 0 else None,
    }


# --- servers ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(target: str, env: dict[str, str], *, factory: bool) -> Iterator[str]:
    port = _free_port()
    command = [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1"]
    command += ["--port", str(port), "--no-access-log", "--log-level", "warning"]
    command += ["--timeout-keep-alive", "20"] + (["--factory"] if factory else [])
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                httpx.get(base + "/healthz" if factory else base + "/bare", timeout=1)
                break
            except httpx.HTTPError:
                if time.time() > deadline or process.poll() is not None:
                    raise RuntimeError(f"{target} did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait()


# --- measurements -----------------------------------------------------------------------------

TIMING = """() => {
  const paint = performance.getEntriesByName('first-contentful-paint')[0];
  return { drawn: parseFloat(document.body.dataset.boardDrawn),
           fcp: paint ? paint.startTime : null };
}"""


async def drawn(tab: Any) -> None:
    """Wait for the board's mark (polled from here: the page's CSP forbids the eval that
    Playwright's wait_for_function would run in it)."""
    mark = "() => document.body && document.body.dataset.boardDrawn"
    async with asyncio.timeout(60):
        # ASYNC110 wants an Event: the mark is set in the browser, nothing here can signal one
        while not await tab.evaluate(mark):  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def browse(api: str, peer_url: str, secret: str, runs: int) -> dict[str, list[float]]:
    from playwright.async_api import async_playwright

    out: dict[str, list[float]] = {"drawn": [], "fcp": [], "peer_drawn": [], "peer_fcp": []}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        board = await browser.new_context()
        page = await board.new_page()
        await page.goto(api + "/login")
        await page.fill("#key", secret)
        await page.press("#key", "Enter")
        await drawn(page)
        await page.close()
        plain = await browser.new_context()
        for _ in range(runs):  # alternate, so load on the machine falls on both alike
            for context, url, prefix in ((board, api + "/", ""), (plain, peer_url, "peer_")):
                tab = await context.new_page()
                await tab.goto(url)
                await drawn(tab)
                timing = await tab.evaluate(TIMING)
                for _ in range(500):  # paint timing lands a frame or more later
                    if timing["fcp"] is not None:
                        break
                    await asyncio.sleep(0.01)
                    timing = await tab.evaluate(TIMING)
                rows = await tab.locator("tbody tr").count()
                assert rows == PAGE_ROWS, (url, rows)
                out[prefix + "drawn"].append(timing["drawn"])
                out[prefix + "fcp"].append(timing["fcp"])
                await tab.close()
        await browser.close()
    return out


def polls(
    url: str, headers: dict[str, str], count: int, *, expect: int, conditional: bool = True
) -> list[float]:
    """Milliseconds of `count` sequential GETs on one connection (after one to warm it)."""
    times = []
    with httpx.Client(headers=headers, timeout=10) as client:
        first = client.get(url)
        etag = first.headers.get("etag")
        if etag and conditional:
            client.headers["If-None-Match"] = etag
        for _ in range(count):
            started = time.perf_counter()
            answer = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == expect, (url, answer.status_code)
    return times


def first_page(api: str, secret: str) -> list[dict[str, Any]]:
    answer = httpx.get(
        f"{api}/v1/issues?limit={PAGE_ROWS}", headers={"Authorization": f"Bearer {secret}"}
    )
    answer.raise_for_status()
    return list(answer.json()["items"])


# --- a backend's run --------------------------------------------------------------------------


@contextmanager
def database_for(backend: str, scratch: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{scratch / 'board.db'}"
        return
    name = f"pantau_bench_board_{uuid.uuid4().hex[:8]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(PG_ADMIN)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN.rpartition("/")[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, database_for(backend, Path(tmp)) as url:
        started = time.perf_counter()
        secret = asyncio.run(load(url, args.issues))
        print(f"{backend}: {args.issues:,} issues loaded in {time.perf_counter() - started:.0f} s")
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "PANTAU_DATABASE_URL": url,
            "PANTAU_SCHEDULER_ENABLED": "false",
            "PANTAU_STARTER_SOURCES": "",
            "PANTAU_RATE_LIMIT_PER_MINUTE": "0",
            "PANTAU_LOG_LEVEL": "WARNING",
            "PANTAU_WEB_COOKIE_SECURE": "false",
            "PANTAU_BENCH_PEER_DIR": tmp,
        }
        with (
            serve("app.main:create_app", env, factory=True) as api,
            serve("bench.web_board:peer", env, factory=False) as peer_base,
        ):
            page = first_page(api, secret)
            (Path(tmp) / "board.html").write_text(static_board(page), encoding="utf-8")
            timings = asyncio.run(browse(api, peer_base + "/peer/board.html", secret, args.runs))
            auth = {"Authorization": f"Bearer {secret}"}
            board_url = f"{api}/v1/issues?limit={PAGE_ROWS}"
            poll_304 = polls(board_url, auth, args.polls, expect=304)
            bare_ms = polls(peer_base + "/bare", {}, args.polls, expect=200)
            changed = polls(board_url, auth, 200, expect=200, conditional=False)
    result = {key: statistics.median(values) for key, values in timings.items()}
    result.update(
        poll_304=statistics.median(poll_304),
        poll_304_p99=statistics.quantiles(poll_304, n=100)[98],
        bare=statistics.median(bare_ms),
        page_200=statistics.median(changed),
    )
    print(f"{backend}: " + json.dumps({k: round(v, 2) for k, v in result.items()}))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=9, help="page loads of each kind")
    parser.add_argument("--polls", type=int, default=2000, help="sequential polls of each kind")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    results = {backend: run_backend(backend, args) for backend in args.backends}
    load_avg = "/".join(f"{x:.1f}" for x in os.getloadavg())
    names = "/".join(results)
    pick = lambda key: "/".join(f"{r[key]:.0f}" for r in results.values())  # noqa: E731
    fine = lambda key: "/".join(f"{r[key]:.2f}" for r in results.values())  # noqa: E731
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, load {load_avg} (1/5/15 min)"
    )
    print(
        f"web_board ({args.issues:,} issues, {names}): board drawn {pick('drawn')} ms, "
        f"FCP {pick('fcp')} ms vs static peer drawn {pick('peer_drawn')} ms, "
        f"FCP {pick('peer_fcp')} ms; poll 304 {fine('poll_304')} ms "
        f"(p99 {fine('poll_304_p99')}) vs bare {fine('bare')} ms, a changed page "
        f"{fine('page_200')} ms; "
        f"{platform.machine()}, {os.cpu_count()} CPUs, load {load_avg}"
    )


if __name__ == "__main__":
    main()
