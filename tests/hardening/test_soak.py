"""30 s soak in the suite: farm ingestion plus 100 dashboard pollers against `pantau serve`.

The long run: `PYTHONPATH=. python bench/soak.py --minutes 10`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.db import Database
from tests.conftest import PG_ADMIN_DSN
from tests.farm.fixtures import articles_or_skip
from tests.farm.server import FarmServer
from tests.farm.site import Site
from tests.hardening.soak import run_soak

SECONDS = float(os.environ.get("PANTAU_TEST_SOAK_SECONDS", "30"))
OUTLETS = ["kompas", "tempo", "okezone"]


@pytest.fixture
def farm() -> Iterator[FarmServer]:
    site = Site(articles_or_skip(per_outlet=40, outlets=OUTLETS), holdback=20)
    site.configure(full_content=True)
    with FarmServer(site) as server:
        yield server


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_soak_no_errors_flat_memory_no_fd_growth(
    db: Database, backend: str, farm: FarmServer, tmp_path: Path
) -> None:
    url = db.url if backend == "postgresql" else f"sqlite+aiosqlite:///{tmp_path / 'soak.db'}"
    report = await run_soak(
        database_url=url,
        workdir=tmp_path,
        farm=farm,
        outlets=OUTLETS,
        seconds=SECONDS,
        pg_admin_dsn=PG_ADMIN_DSN if backend == "postgresql" else None,
    )
    print(report.line())
    assert report.errors == []
    # Every poller kept polling to the end (a throughput figure is bench/soak.py's job).
    assert min(report.per_poller) >= 3, report.per_poller
    assert min(report.last_answer) > SECONDS * 0.75, report.last_answer
    assert report.articles >= len(OUTLETS) * 20  # ingestion ran alongside
    rss0, rss1 = report.after_warmup(report.rss)
    assert rss1 - rss0 < max(0.15 * rss0, 24 * 2**20), report.line()
    fd0, fd1 = report.after_warmup(report.fds)  # the pollers' own connections set aside
    assert fd1 - fd0 <= 10, report.line()
    if report.connections:
        c0, c1 = report.after_warmup(report.connections)
        assert c1 - c0 <= 5, report.line()
