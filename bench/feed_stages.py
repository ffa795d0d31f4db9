"""The issue feed's database stages on the real corpus: match and cluster throughput.

    PYTHONPATH=. python bench/feed_stages.py [--backend sqlite|postgresql] [--batch 200]

Stores the 3,001 shared articles (already scored: the scorer is benchmarked elsewhere) in a
fresh database, adds 10 watchlists, then times the match stage and the clustering stage as the
pipeline runs them (one transaction per batch). Prints rows/s for each, last.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid

import asyncpg

from app.crawlers.urls import url_hash
from app.db import Database
from app.migrate import upgrade
from app.models import Article, Watchlist, utcnow
from app.services.clustering import cluster_pending
from app.services.watchlists import match_pending
from tests.farm.corpus import load_articles

QUERIES = [
    "kpk OR korupsi OR koruptor",
    '"revisi uu kpk" OR title:kpk',
    "banjir OR longsor OR gempa",
    "habibie",
    "jokowi AND (menteri OR kabinet)",
    "polisi AND (tangkap* OR tersangka)",
    "timnas OR sepak* -gosip",
    '"lion air" OR pesawat',
    "demo* OR unjuk rasa",
    "harga AND (naik OR turun) -saham",
]


async def _database(backend: str) -> tuple[Database, str | None]:
    if backend == "sqlite":
        path = os.path.join(tempfile.mkdtemp(), "bench.db")
        return Database(f"sqlite+aiosqlite:///{path}"), None
    dsn = os.environ.get("PANTAU_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"pantau_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    base = dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return Database(f"{base}/{name}"), name


async def main(backend: str, batch: int) -> None:
    database, pg_name = await _database(backend)
    await upgrade(database.engine)
    articles = sorted(load_articles(), key=lambda a: (a.published_at, a.id))  # arrival order
    now = utcnow()
    async with database.writer.begin() as session:
        for q in QUERIES:
            session.add(Watchlist(name=q, query=q, priority=3, entity_ids=[]))
        for a in articles:
            session.add(
                Article(
                    url=a.url,
                    url_hash=url_hash(a.url),
                    outlet=a.outlet,
                    title=a.title,
                    body=a.body,
                    published_at=a.published_at,
                    label="neutral",
                    negativity=0.2,
                    scored_at=now,
                )
            )
    started = time.perf_counter()
    matched = 0
    while True:
        async with database.writer.begin() as session:
            done = await match_pending(session, limit=batch)
        matched += done
        if done < batch:
            break
    match_s = time.perf_counter() - started
    started = time.perf_counter()
    clustered = issues = 0
    while True:
        async with database.writer.begin() as session:
            outcome = await cluster_pending(session, limit=batch)
        clustered += outcome.clustered
        issues += len(outcome.new_issues)
        if outcome.clustered < batch:
            break
    cluster_s = time.perf_counter() - started
    await database.dispose()
    if pg_name:
        admin = await asyncpg.connect(
            os.environ.get("PANTAU_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
        )
        await admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        await admin.close()
    print(f"{backend}: {clustered} articles -> {issues} issues, batch {batch}")
    print(
        f"feed stages ({backend}): match {matched / match_s:,.0f} rows/s "
        f"(10 watchlists), cluster {clustered / cluster_s:,.0f} rows/s"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.backend, args.batch))
