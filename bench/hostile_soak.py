"""Soak: issue 18's hostile classes mixed with healthy feeds, through `pantau crawl --once`
(twice) and a running `pantau worker`, on SQLite and PostgreSQL.

`--copies` copies of every member of tests/hardening/classes.py (dates, header numbers, bad
items, an over-cap feed, a parse-time bomb; healthy feeds among them) are registered as
sources, each copy its own URL. Then, per backend: `crawl --once`, every source due again,
`crawl --once`, every source due again, `pantau worker` for `--worker-seconds` and SIGTERM.
Checked: every command exits 0 within the bound; every healthy article is stored, scored and
grouped; every source has attempts, each failure or skip with its reason; the peak memory of
each command's whole process tree (PSS, with the CPU pool) against the 600 MB ceiling.

    PYTHONPATH=. python bench/hostile_soak.py [--copies 10] [--worker-seconds 60]

The last line is the figure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from sqlalchemy import func, select, update

from app.db import Database
from app.migrate import upgrade
from app.models import Article, FetchAttempt, Source, SourceKind
from app.services import sources as source_service
from tests.hardening.classes import FEED_PATHS, SITEMAP_PATHS, ClassServer
from tests.hardening.memory import CEILING_MB, rss_kb, tree_pss_kb

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get("PANTAU_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
# Feeds whose healthy items (/read/SLUG/0 and /1) must come through whatever their neighbours do.
HEALTHY_SLUGS = ("y1", "y9", "lm", "et", "ma", "ex", "bi", "bp", "v6", "lu", "oka", "okb")
COMMAND_BOUND_S = 300  # each command; the parse limit is 10 s and fetches 20 s


def run(
    args: list[str], env: dict[str, str], *, stop_after: float | None = None
) -> tuple[int, float, int, int]:
    """(exit code, seconds, peak PSS of the process tree, peak RSS of the command's own
    process; both kB) of `python -m app ARGS`."""
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    peak = main = 0
    stderr: list[str] = []
    reader = threading.Thread(target=lambda: stderr.append(process.stderr.read()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    while process.poll() is None:
        peak = max(peak, tree_pss_kb(process.pid))
        main = max(main, rss_kb(process.pid))
        elapsed = time.monotonic() - started
        if stop_after is not None and elapsed > stop_after:
            process.send_signal(signal.SIGTERM)
            stop_after = None
        if elapsed > COMMAND_BOUND_S:
            os.killpg(process.pid, signal.SIGKILL)
        time.sleep(0.2)
    reader.join(5)
    text = "".join(stderr)
    log = Path(tempfile.gettempdir()) / f"pantau-soak-{args[0]}-{process.pid}.log"
    log.write_text(text)
    errors = [line for line in text.splitlines() if " ERROR " in line or "Traceback" in line]
    if process.returncode != 0 or errors:
        print(f"  {args[0]}: {len(errors)} error lines, log in {log}:", file=sys.stderr)
        for line in errors[:8]:
            print(f"    {line[:300]}", file=sys.stderr)
    return process.returncode, time.monotonic() - started, peak, main


async def register(url: str, farm: ClassServer, copies: int) -> int:
    database = Database(url)
    await upgrade(database.engine)
    count = 0
    async with database.writer.begin() as session:
        for copy in range(copies):
            for path in [*FEED_PATHS, *SITEMAP_PATHS]:
                kind = SourceKind.SITEMAP if path in SITEMAP_PATHS else SourceKind.FEED
                data = source_service.NewSource(url=farm.url(f"{path}?copy={copy}"), kind=kind)
                await source_service.create_source(session, data=data)
                count += 1
    await database.dispose()
    return count


async def make_due(url: str) -> None:
    database = Database(url)
    async with database.writer.begin() as session:
        past = datetime.now(UTC) - timedelta(minutes=1)
        await session.execute(update(Source).values(next_check_at=past))
    await database.dispose()


async def report(url: str, farm: ClassServer) -> dict[str, object]:
    healthy = {f"{farm.base}/read/{slug}/{n}" for slug in HEALTHY_SLUGS for n in range(2)}
    database = Database(url)
    async with database.sessionmaker() as session:
        rows = (
            await session.execute(
                select(Article.url, Article.scored_at, Article.grouped_at).where(
                    Article.url.in_(healthy)
                )
            )
        ).all()
        done = sum(1 for _u, scored, grouped in rows if scored and grouped)
        sources = await session.scalar(select(func.count()).select_from(Source))
        recorded = await session.scalar(select(func.count(func.distinct(FetchAttempt.source_id))))
        reasons: Counter[str] = Counter()
        for error, notes in (
            await session.execute(select(FetchAttempt.error, FetchAttempt.notes))
        ).all():
            for text in (error, notes):
                if text:
                    reasons[text.split(";")[0][:70]] += 1
        leased = await session.scalar(
            select(func.count()).select_from(Source).where(Source.claimed_until.is_not(None))
        )
        total = await session.scalar(select(func.count()).select_from(Article))
        pending = await session.scalar(
            select(func.count())
            .select_from(Article)
            .where(
                Article.deleted_at.is_(None),
                (Article.scored_at.is_(None)) | (Article.grouped_at.is_(None)),
                Article.text_state.is_distinct_from("pending"),
            )
        )
    await database.dispose()
    return {
        "healthy": f"{done}/{len(healthy)}",
        "healthy_ok": done == len(healthy),
        "sources": sources,
        "recorded": recorded,
        "leased": leased,
        "articles": total,
        "unfinished": pending,
        "reasons": reasons.most_common(12),
    }


async def pg_database() -> tuple[str, str]:
    name = f"pantau_soak_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    base = PG_ADMIN.rpartition("/")[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{name}", name


async def drop_pg(name: str) -> None:
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


def soak(backend: str, farm: ClassServer, copies: int, worker_seconds: float) -> dict[str, object]:
    tmp = Path(tempfile.mkdtemp(prefix="pantau-soak-"))
    pg_name = None
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp / 'soak.db'}"
    else:
        url, pg_name = asyncio.run(pg_database())
    try:
        registered = asyncio.run(register(url, farm, copies))
        env = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")}
        env.update(
            PANTAU_DATABASE_URL=url,
            PANTAU_ALLOW_PRIVATE_NETWORKS="true",
            PANTAU_PER_HOST_MIN_INTERVAL_MS="0",
            PANTAU_PER_HOST_CONCURRENCY="8",
            PANTAU_PARSE_TIMEOUT_SECONDS="10",
            PANTAU_FETCH_TOTAL_TIMEOUT="20",
            PANTAU_LOG_JSON="false",
            PANTAU_STARTER_SOURCES="",
            PANTAU_SCHEDULER_TICK_SECONDS="5",
        )
        steps = []
        for _ in range(2):
            steps.append(("crawl --once", *run(["crawl", "--once"], env)))
            asyncio.run(make_due(url))
        steps.append(("worker", *run(["worker"], env, stop_after=worker_seconds)))
        result = asyncio.run(report(url, farm))
        result.update(backend=backend, registered=registered, steps=steps)
        return result
    finally:
        if pg_name:
            asyncio.run(drop_pg(pg_name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--worker-seconds", type=float, default=60.0)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    started = time.monotonic()
    results = []
    with ClassServer() as farm:
        for backend in args.backends.split(","):
            result = soak(backend, farm, args.copies, args.worker_seconds)
            results.append(result)
            print(
                f"{backend}: {result['registered']} sources, healthy stored+scored+grouped "
                f"{result['healthy']}, {result['recorded']} sources with attempts, "
                f"{result['leased']} leased after, {result['articles']} articles, "
                f"{result['unfinished']} unscored or ungrouped"
            )
            for name, code, seconds, peak, main in result["steps"]:  # type: ignore[attr-defined]
                print(
                    f"  {name}: exit {code}, {seconds:.0f} s, command RSS {main / 1024:.0f} MB, "
                    f"process tree PSS {peak / 1024:.0f} MB"
                )
            for reason, count in result["reasons"]:  # type: ignore[attr-defined]
                print(f"  {count:5d} × {reason}")
    steps = [step for r in results for step in r["steps"]]  # type: ignore[attr-defined]
    exits = [code for _n, code, _s, _p, _m in steps]
    tree = max(p for _n, _c, _s, p, _m in steps) / 1024
    main = max(m for _n, _c, _s, _p, m in steps) / 1024
    healthy = all(r["healthy_ok"] for r in results)
    load = os.getloadavg()[0]
    print(
        f"hostile soak ({', '.join(r['backend'] for r in results)}; {os.cpu_count()} CPUs, "
        f"load {load:.1f}): exits {exits}, healthy all stored+scored+grouped: {healthy}, "
        f"{time.monotonic() - started:.0f} s; peak PSS of the whole process tree with the CPU "
        f"pool {tree:.0f} MB against a {CEILING_MB} MB ceiling (the command alone, RSS: "
        f"{main:.0f} MB)"
    )
    sys.exit(0 if healthy and not any(exits) and tree < CEILING_MB else 1)


if __name__ == "__main__":
    main()
