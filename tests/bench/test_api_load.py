"""bench/api_load.py --small runs end to end (data, servers, load generator, report)."""

from __future__ import annotations

import asyncio
import os
import sys
from asyncio.subprocess import PIPE
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import PG_ADMIN_DSN, _pg_reachable
from tests.farm.fixtures import articles_or_skip

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
async def test_api_load_small_mode_reports_every_scenario() -> None:
    if await _pg_reachable() is not None:
        pytest.skip("PostgreSQL is not reachable")
    articles_or_skip()  # the bench serves the shared news: skipped loudly without it
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]
    # A database of this run's own: a fixed name is shared by every checkout on the machine,
    # and one migrated by another branch's code refuses this one's migrations.
    name = f"pantau_bench_{os.getpid()}"
    try:
        await _run(base, name)
    finally:
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _run(base: str, name: str) -> None:
    command = [
        sys.executable,
        "bench/api_load.py",
        "--small",
        "--seconds",
        "0.5",
        "--connections",
        "4",
        "--poll-interval",
        "0.2",
        "--dsn",
        f"{base}/{name}",
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = await asyncio.create_subprocess_exec(
        *command, cwd=ROOT, env=env, stdout=PIPE, stderr=PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=170)
    assert process.returncode == 0, err.decode()[-2000:]
    lines = out.decode().strip().splitlines()
    assert lines[-1].startswith("api_load: 304 = ")
    for scenario in ("bare", "issues 304", "issues first page", "article search", "stats timeline"):
        assert any(line.startswith(scenario) for line in lines), scenario
