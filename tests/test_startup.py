"""`pantau crawl --once` with nothing due imports only what it uses (a real process each).

From cron, that run *is* the unchanged re-poll: its start-up is its cost. The command's entry
(app/start.py) asks the database through its driver whether any stage has work
(pipeline/idle.py) before the command line, SQLAlchemy, the ORM or the pipeline are imported;
with nothing due none of them is. Past that check, the scorer (numpy, scipy), the HTTP clients,
FastAPI, Alembic, the parsers and the process pool are imported by the code that uses them.
When the environment sets nothing but the database URL (a cron line's usual shape), not even
pydantic is imported (app/plainenv.py). The control: a due source makes the same run import the
fetcher's aiohttp and the ORM, and the probe sees them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from app.db import Database
from app.models import utcnow
from tests.factories import make_source

# Modules the nothing-due path must not import (a package or one of our heavy modules).
UNUSED = (
    "numpy",
    "scipy",
    "sklearn",
    "app.scoring.scorer",
    "app.scoring.encoder",
    "datasketch",
    "httpx",
    "aiohttp",
    "fastapi",
    "starlette",
    "alembic",
    "trafilatura",
    "feedparser",
    "pebble",
    "fpdf",
    # ... nor, before anything is known to be due, the ORM, the pipeline or the command line
    "sqlalchemy",
    "app.models",
    "app.db",
    "app.pipeline.cycle",
    "app.services",
    "app.cli",
    "typer",
    "click",
    # ... nor, when the environment sets only the database URL, the settings' pydantic
    "pydantic",
    "pydantic_settings",
)

# The entry point as the `pantau` script and `python -m app` run it.
PROBE = f"""
import json, sys
sys.argv = ["pantau", "crawl", "--once"]
code = 0
try:
    from app.start import main
    main()
except SystemExit as done:
    code = done.code
print(json.dumps({{"code": code, "loaded": [m for m in {UNUSED!r} if m in sys.modules]}}))
"""


def crawl_once(database_url: str, where: Path, **settings: str) -> tuple[str, dict[str, object]]:
    """Run the probe in `where` (no `.env` there) with only these PANTAU_ variables."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("PANTAU_")}
    env.update(PANTAU_DATABASE_URL=database_url, **settings)
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    *output, probe = done.stdout.strip().splitlines()
    return "\n".join([*output, done.stderr]), json.loads(probe)


@pytest.mark.parametrize("settings", [{}, {"PANTAU_LOG_JSON": "false"}], ids=["plain", "set"])
async def test_nothing_due_imports_no_scorer_client_api_or_parser(
    db: Database, tmp_path: Path, settings: dict[str, str]
) -> None:
    async with db.writer.begin() as session:
        await make_source(session, next_check_at=utcnow() + timedelta(hours=1))
    output, probe = crawl_once(db.url, tmp_path, **settings)
    assert "sources: 0 polled" in output
    loaded = probe["loaded"]
    assert probe["code"] == 0 and isinstance(loaded, list)
    # Settings beyond the URL are read by pydantic-settings, as always.
    assert loaded == ([] if not settings else ["pydantic", "pydantic_settings"])


async def test_a_due_source_imports_the_fetcher(db: Database, tmp_path: Path) -> None:
    async with db.writer.begin() as session:
        # Port 9 (discard) on the loopback: refused at once; private addresses are refused
        # anyway, after the fetcher has opened its session.
        await make_source(session, url="http://127.0.0.1:9/feed.xml")
    output, probe = crawl_once(db.url, tmp_path)
    assert "sources: 1 polled" in output
    loaded = probe["loaded"]
    assert probe["code"] == 0 and isinstance(loaded, list)
    assert {"aiohttp", "sqlalchemy", "app.models", "app.cli", "pydantic"} <= set(loaded)
    assert "app.scoring.scorer" not in loaded


def test_a_database_not_set_up_fails_as_before(tmp_path: Path) -> None:
    output, probe = crawl_once(f"sqlite+aiosqlite:///{tmp_path / 'new.db'}", tmp_path)
    assert "is not set up, not at the newest migration" in output
    assert probe["code"] == 1
