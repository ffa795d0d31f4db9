"""The stages after the crawl (story, score, match, cluster), replayed on one crawled database.

    PYTHONPATH=. python bench/drain_replay.py prepare [--feeds 100] [--items 50]
    PYTHONPATH=. python bench/drain_replay.py run [--feeds 100] [--out result.json] [--repeat 1]
    PYTHONPATH=. python bench/drain_replay.py compare a.json b.json

`prepare` crawls the peer bench's farm (bench/peer_ingest.py: `--feeds` RSS feeds of `--items`
syndicated copies of the shared news) into a PostgreSQL template database and stops there:
every item stored, nothing scored. `run` copies the template (so every run starts from the same
rows, ids included) and drains it as `pantau crawl --once` does after its crawl
(`Crawler.process_pending`: story, score in the CPU pool, match, cluster), then prints the main
process's CPU and the PostgreSQL backends' CPU per item, and with `--out` writes what the
stages decided: each article's story group and issue (as the least article id of each), and
each issue's title, severity, counts and clustering snapshot. `compare` says whether two such
results agree, so a change to the stages can be shown to decide exactly what main decided.

Unlike the peer bench this does not overlap the stages with the crawl (they run after it, in
batches of 200 by id), so its figures are the stages' own cost, not the cycle's. It prints
the CPU the garbage collector took in the main process, by generation; `--gc-threshold N`
freezes the heap before the drain and collects the youngest generation every N allocations.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest_throughput import cpu_seconds  # noqa: E402
from peer_ingest import PG_DSN, bench_env, register, start_farm  # noqa: E402


def template_name(feeds: int, items: int) -> str:
    return f"pantau_drain_template_{feeds}x{items}"


def url_of(name: str) -> str:
    base = PG_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{name}"


async def admin(*statements: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(PG_DSN)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


async def prepare(feeds: int, items: int) -> None:
    from app.config import get_settings
    from app.db import Database
    from app.pipeline.scheduler import build_crawler

    name = template_name(feeds, items)
    await admin(
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        f'CREATE DATABASE "{name}"',
    )
    farm, _base, urls = start_farm(feeds, items)
    try:
        url = url_of(name)
        await register(url, urls)
        os.environ.update(bench_env(url))
        database = Database(url)
        crawler = build_crawler(get_settings(), database)
        try:
            outcomes = await crawler.crawl_due()
            pages = await crawler.fetch_pages()
        finally:
            await crawler.aclose()
            await database.dispose()
        stored = sum(o.new_items for o in outcomes)
        print(f"template {name}: {len(outcomes)} sources, {stored} items stored, {pages} pages")
    finally:
        assert farm.stdin is not None
        farm.stdin.close()
        farm.wait()


async def backend_cpu(name: str) -> float:
    import asyncpg

    connection = await asyncpg.connect(PG_DSN)
    try:
        rows = await connection.fetch("SELECT pid FROM pg_stat_activity WHERE datname=$1", name)
    finally:
        await connection.close()
    return cpu_seconds([r[0] for r in rows])


async def decisions(url: str) -> dict[str, object]:
    """What the stages decided, in terms that do not depend on the ids they allocated."""
    from sqlalchemy import text

    from app.db import Database

    database = Database(url)
    try:
        async with database.sessionmaker() as session:
            rows = (
                await session.execute(
                    text(
                        "SELECT a.id, a.story_group_id, ia.issue_id, a.label, a.scored_at IS NOT"
                        " NULL, a.matched_at IS NOT NULL, a.grouped_at IS NOT NULL"
                        " FROM articles a LEFT JOIN issue_articles ia ON ia.article_id = a.id"
                        " ORDER BY a.id, ia.issue_id"
                    )
                )
            ).all()
            groups = (
                await session.execute(
                    text(
                        "SELECT id, title, first_article_id, first_outlet, copy_count,"
                        " outlet_count FROM story_groups"
                    )
                )
            ).all()
            issues = (
                await session.execute(
                    text(
                        "SELECT id, title, status, severity, article_count, negative_count,"
                        " first_seen_at, last_seen_at, top_terms, watchlist_ids, outlets,"
                        " negative_share, velocity, velocity_ratio, reach,"
                        " CAST(severity_breakdown AS TEXT), CAST(cluster_state AS TEXT)"
                        " FROM issues"
                    )
                )
            ).all()
            events = (
                await session.execute(
                    text("SELECT issue_id, action, count(*) FROM issue_events GROUP BY 1, 2")
                )
            ).all()
            bands = (await session.execute(text("SELECT count(*) FROM story_bands"))).scalar()
    finally:
        await database.dispose()
    group_key: dict[int, int] = {}
    issue_key: dict[int, int] = {}
    for aid, group, issue, *_ in rows:
        if group is not None:
            group_key[group] = min(group_key.get(group, aid), aid)
        if issue is not None:
            issue_key[issue] = min(issue_key.get(issue, aid), aid)
    articles = [
        [aid, group_key.get(group), issue_key.get(issue), label, scored, matched, grouped]
        for aid, group, issue, label, scored, matched, grouped in rows
    ]
    story_groups = sorted([group_key.get(g[0], -g[0]), *[str(v) for v in g[1:]]] for g in groups)
    issue_rows = sorted(
        [
            issue_key.get(i[0], -i[0]),
            str(i[1]),
            *[_decoded(v) for v in i[2:]],
        ]
        for i in issues
    )
    return {
        "articles": articles,
        "story_groups": story_groups,
        "issues": issue_rows,
        "events": sorted([issue_key.get(e[0], -e[0]), e[1], e[2]] for e in events),
        "bands": bands,
    }


def _decoded(value: object) -> object:
    if isinstance(value, str) and value[:1] in "[{":
        return json.loads(value)
    return str(value)


async def run_once(
    feeds: int, items: int, out: Path | None, gc_threshold: int = 0
) -> dict[str, float]:
    from app.config import get_settings
    from app.db import Database
    from app.pipeline.scheduler import build_crawler

    name = f"pantau_drain_{os.getpid()}"
    await admin(
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        f'CREATE DATABASE "{name}" TEMPLATE "{template_name(feeds, items)}"',
    )
    url = url_of(name)
    try:
        os.environ.update(bench_env(url))
        database = Database(url)
        crawler = build_crawler(get_settings(), database)
        try:
            await crawler.pool.map_batch(len, [[]] * crawler.pool.workers)  # start the pool
            gc_seconds = [0.0, 0.0, 0.0]
            gc_started = [0.0]

            def on_gc(phase: str, info: dict[str, int]) -> None:
                if phase == "start":
                    gc_started[0] = time.thread_time()
                else:
                    gc_seconds[info["generation"]] += time.thread_time() - gc_started[0]

            if gc_threshold:  # what the stages would cost with the collector tuned
                gc.freeze()
                gc.set_threshold(gc_threshold, 10, 10)
            gc.callbacks.append(on_gc)
            before = cpu_seconds([os.getpid()])
            started = time.perf_counter()
            scored, grouped = await crawler.process_pending()
            wall = time.perf_counter() - started
            main_cpu = cpu_seconds([os.getpid()]) - before
            gc.callbacks.remove(on_gc)
            print(f"gc CPU s by generation: {[round(g, 2) for g in gc_seconds]}")
            pg_cpu = await backend_cpu(name)
        finally:
            await crawler.aclose()
            await database.dispose()
        if out is not None:
            result = json.dumps(await decisions(url))
            await asyncio.to_thread(out.write_text, result)
    finally:
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return {"scored": scored, "grouped": grouped, "wall": wall, "main": main_cpu, "pg": pg_cpu}


def compare(a: Path, b: Path) -> int:
    left, right = json.loads(a.read_text()), json.loads(b.read_text())
    differ = 0
    for key in left:
        if left[key] == right.get(key):
            print(f"{key}: same ({len(left[key]) if isinstance(left[key], list) else left[key]})")
            continue
        differ += 1
        print(f"{key}: DIFFERENT")
        if isinstance(left[key], list):
            shown = 0
            for x, y in zip(left[key], right[key], strict=False):
                if x != y and shown < 5:
                    print("  ", x, "\n  ", y)
                    shown += 1
            print(f"   lengths {len(left[key])} / {len(right[key])}")
    return 1 if differ else 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["prepare", "run", "compare"])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--feeds", type=int, default=100)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--gc-threshold",
        type=int,
        default=0,
        help="freeze the heap before the drain and collect the youngest generation every N",
    )
    args = parser.parse_args()
    if args.command == "prepare":
        asyncio.run(prepare(args.feeds, args.items))
    elif args.command == "compare":
        sys.exit(compare(*args.files))
    else:
        runs = []
        for i in range(args.repeat):
            out = args.out if i == 0 else None
            result = asyncio.run(run_once(args.feeds, args.items, out, args.gc_threshold))
            n = result["scored"]
            print(
                f"drain: {n:.0f} scored, {result['grouped']:.0f} grouped in {result['wall']:.2f} s;"
                f" CPU per item: main {result['main'] / n * 1000:.2f} ms,"
                f" PostgreSQL {result['pg'] / n * 1000:.2f} ms",
                flush=True,
            )
            runs.append(result)
        main_ms = statistics.median(r["main"] / r["scored"] * 1000 for r in runs)
        pg_ms = statistics.median(r["pg"] / r["scored"] * 1000 for r in runs)
        print(f"drain median of {len(runs)}: main {main_ms:.2f} ms/item, PG {pg_ms:.2f} ms/item")


if __name__ == "__main__":
    main()
