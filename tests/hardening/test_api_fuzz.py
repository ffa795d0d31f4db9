"""Schemathesis against the live OpenAPI schema, with every role's key and without one.

Bounded for the suite (a few examples per operation, well under two minutes); the long run
is `python bench/fuzz_api.py --examples 100` (or `PANTAU_TEST_FUZZ_EXAMPLES=100` here).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from app.db import Database
from tests.hardening.fuzz import ROLES, fuzz_role, schemathesis_command
from tests.hardening.live import LiveServer

EXAMPLES = int(os.environ.get("PANTAU_TEST_FUZZ_EXAMPLES", "3"))
# The coverage phase (every boundary value and undeclared method) costs ~1,700 requests per
# role; the suite leaves it to the long run unless asked for.
PHASES = os.environ.get("PANTAU_TEST_FUZZ_PHASES", "examples,fuzzing")


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_fuzzing_finds_no_5xx_no_schema_breaks_no_undocumented_status(
    db: Database, tmp_path: Path
) -> None:
    """On PostgreSQL the server uses the suite's database (`db` empties it afterwards)."""
    if schemathesis_command() is None:
        pytest.fail("schemathesis is not installed: pip install -e '.[dev]'")
    database_url = db.url
    if "sqlite" in database_url:
        database_url = f"sqlite+aiosqlite:///{tmp_path / 'fuzz.db'}"  # its own file
    with LiveServer(database_url, tmp_path) as server:
        runs = [
            fuzz_role(server, role, workdir=tmp_path, max_examples=EXAMPLES, phases=PHASES)
            for role in ROLES
        ]
        log = server.log_text()
    for run in runs:
        assert run.operations >= 25, run.output
        # Schemathesis' own data-generation errors are its business; a server that stops
        # answering (connection refused or reset, timeouts) is ours.
        network = [e for e in run.errors if re.search(r"(?i)connect|timeout|reset", str(e))]
        assert network == [], run.output
        assert run.failure_codes == [], run.output
    assert "Traceback" not in log
