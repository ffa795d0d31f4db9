"""The whole feedparser test corpus (~2,200 feeds) through the real crawler over loopback HTTP.

    PYTHONPATH=. python bench/corpus_run.py [--limit N] [--database-url URL]

Downloads feedparser's sdist once (tests/hardening/corpus.py). Prints crashes and error
classes, then the totals line last: feeds tried, ok, errors by reason class, crashes, hangs.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
from pathlib import Path

from app.db import Database
from app.migrate import upgrade
from tests.hardening.corpus import crawl_corpus, load_corpus, sample


async def run(limit: int | None, database_url: str | None) -> None:
    files = load_corpus()
    if limit:
        files = sample(files, limit)
    with tempfile.TemporaryDirectory() as tmp:
        database = Database(database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'corpus.db'}")
        await upgrade(database.engine)
        try:
            report = await crawl_corpus(database, files, budget_seconds=1800)
        finally:
            await database.dispose()
    for crash in report.crashes:
        print("CRASH", crash)
    for name in report.unrecorded:
        print("UNRECORDED", name)
    print(report.line())


def main() -> None:
    logging.basicConfig(level=logging.ERROR)  # one warning per failed feed is noise here
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--database-url", default=None, help="an empty, migrated-or-new database")
    args = parser.parse_args()
    asyncio.run(run(args.limit, args.database_url))


if __name__ == "__main__":
    main()
