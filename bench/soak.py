"""Long soak: `pantau serve` ingesting from the local farm while 100 dashboard pollers poll it.

    PYTHONPATH=. python bench/soak.py --minutes 10 [--pollers 100] [--database-url URL]

Prints RSS and fd samples each minute, then the totals line last.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from tests.farm.corpus import load_articles
from tests.farm.server import FarmServer
from tests.farm.site import Site
from tests.hardening.soak import run_soak

OUTLETS = ["kompas", "tempo", "okezone", "sindonews", "tribunnews"]


async def run(minutes: float, pollers: int, database_url: str | None, pg_dsn: str | None) -> None:
    site = Site(load_articles(per_outlet=200, outlets=OUTLETS), holdback=150)
    site.configure(full_content=True)
    with tempfile.TemporaryDirectory() as tmp, FarmServer(site) as farm:
        url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'soak.db'}"
        report = await run_soak(
            database_url=url,
            workdir=Path(tmp),
            farm=farm,
            outlets=OUTLETS,
            seconds=minutes * 60,
            pollers=pollers,
            pg_admin_dsn=pg_dsn,
        )
    for i in range(0, len(report.rss), 60):
        print(f"t={i:4d} s  RSS {report.rss[i] / 2**20:.1f} MiB  fds {report.fds[i]}")
    for error in report.errors[:20]:
        print("ERROR", error)
    print(report.line())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--pollers", type=int, default=100)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--pg-admin-dsn", default=None, help="to sample pg_stat_activity")
    args = parser.parse_args()
    asyncio.run(run(args.minutes, args.pollers, args.database_url, args.pg_admin_dsn))


if __name__ == "__main__":
    main()
