"""The `pantau` command against each backend.

Commands run in this process through Typer's runner, in a thread of their own (each calls
`asyncio.run`, and the async tests already run a loop): a process start costs seconds on a slow
machine and proves nothing a command's own behaviour does not. What only a real process shows
is tested with one: the entry point (`python -m app --help`), an unmigrated database refused
with one line and no traceback, `score` streaming a pipe, and `serve` (tests/test_serve.py).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app
from app.config import get_settings
from app.db import Database
from tests.farm.server import FarmServer

ROOT = Path(__file__).resolve().parents[1]


def command_env(database_url: str, **settings: str) -> dict[str, str]:
    # Small one-off commands: extraction and scoring in the command's own process (the pool
    # itself runs in the serve, soak and crawler tests), and no spacing between requests to the
    # farm, which serves every outlet from one host (politeness has its own crawler tests).
    return {
        "PANTAU_DATABASE_URL": database_url,
        "PANTAU_LOG_JSON": "false",
        "PANTAU_CPU_WORKERS": "0",
        "PANTAU_PER_HOST_MIN_INTERVAL_MS": "0",
        **settings,
    }


def pantau(
    *args: str, database_url: str, stdin: str | None = None, **settings: str
) -> subprocess.CompletedProcess[str]:
    """Run `pantau ARGS` in this process; an unexpected exception fails the test with its
    traceback (a real process would print it and exit 1)."""

    def invoke() -> subprocess.CompletedProcess[str]:
        get_settings.cache_clear()  # read this command's environment, as a new process would
        try:
            result = CliRunner().invoke(
                app,
                list(args),
                input=stdin,
                env=command_env(database_url, **settings),
                catch_exceptions=False,
            )
        finally:
            get_settings.cache_clear()
        return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)

    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(invoke).result(timeout=120)


def pantau_process(
    *args: str, database_url: str, stdin: str | None = None, **settings: str
) -> subprocess.CompletedProcess[str]:
    """Run `python -m app ARGS` as a real process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")}
    env.update(command_env(database_url, **settings))
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_help_lists_commands() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    for command in ("serve", "worker", "crawl", "migrate", "sources", "keys"):
        assert command in result.stdout


async def test_keys_sources_and_opml_round_trip(db: Database, tmp_path: Path) -> None:
    url = db.url
    created = pantau("keys", "create", "--role", "viewer", "--name", "dashboard", database_url=url)
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip().splitlines()[-1].startswith("pnt_")

    added = pantau(
        "sources",
        "add",
        "https://www.antaranews.com/rss/terkini.xml",
        "--name",
        "ANTARA",
        database_url=url,
    )
    assert added.returncode == 0, added.stderr
    duplicate = pantau(
        "sources", "add", "https://www.antaranews.com/rss/terkini.xml", database_url=url
    )
    assert duplicate.returncode == 1
    assert duplicate.stderr.strip().startswith("error: source already registered")
    assert len(duplicate.stderr.strip().splitlines()) == 1

    imported = pantau(
        "sources",
        "import",
        "--no-detect",  # offline: the starter outlines stay feeds
        str(ROOT / "sources" / "indonesia.opml"),
        database_url=url,
    )
    assert imported.returncode == 0, imported.stderr
    assert "1 already present" in imported.stdout

    exported = pantau("sources", "export", "-o", str(tmp_path / "out.opml"), database_url=url)
    assert exported.returncode == 0, exported.stderr
    text = (tmp_path / "out.opml").read_text()
    assert text.count("xmlUrl=") == 34 and "Berita Jakarta" in text


@pytest.mark.parametrize(
    "args",
    [
        ("sources", "add", "not a url"),
        ("sources", "import", "/nonexistent/file.opml"),
        ("keys", "create", "--role", "emperor"),
        ("crawl",),
    ],
)
async def test_bad_input_exits_non_zero_with_a_reason(db: Database, args: tuple[str, ...]) -> None:
    result = pantau(*args, database_url=db.url)
    assert result.returncode != 0
    assert result.stderr.strip()


@pytest.mark.parametrize(
    "args", [("sources", "export"), ("crawl", "--once"), ("keys", "create", "--role", "viewer")]
)
def test_an_unmigrated_database_is_refused_with_the_command_to_run(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    result = pantau(*args, database_url=url)
    assert result.returncode == 1
    assert "is not set up" in result.stderr and "run `pantau migrate`" in result.stderr
    assert pantau("migrate", database_url=url).returncode == 0
    assert pantau(*args, database_url=url).returncode == 0


def test_a_real_process_refuses_an_unmigrated_database_in_one_line(tmp_path: Path) -> None:
    result = pantau_process("crawl", "--once", database_url=f"sqlite:///{tmp_path / 'new.db'}")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and "run `pantau migrate`" in line


async def test_crawl_once_is_idempotent_for_cron(db: Database, farm_server: FarmServer) -> None:
    url = db.url
    assert (
        pantau("sources", "add", farm_server.feed_url("kompas"), database_url=url).returncode == 0
    )
    assert (
        pantau("sources", "add", farm_server.url("/gone/rss.xml"), database_url=url).returncode == 0
    )
    first = pantau("crawl", "--once", database_url=url, PANTAU_ALLOW_PRIVATE_NETWORKS="true")
    assert first.returncode == 0, first.stderr
    assert "2 polled, 1 ok" in first.stdout and "1 failed" in first.stdout
    new = int(re.search(r"articles: (\d+) new", first.stdout).group(1))  # type: ignore[union-attr]
    assert new > 0 and f"{new} scored, {new} grouped" in first.stdout
    second = pantau("crawl", "--once", database_url=url, PANTAU_ALLOW_PRIVATE_NETWORKS="true")
    assert second.returncode == 0, second.stderr
    assert "0 polled" in second.stdout  # nothing is due again yet: the row is the schedule


def test_score_reads_json_lines_and_answers_each_in_order() -> None:
    lines = [
        '{"id": 1, "title": "Banjir rendam Jakarta", "text": "Ribuan warga mengungsi.",'
        ' "targets": ["Pemprov DKI"]}',
        "not json",
        '{"id": "b", "text": "The governor opened a new park."}',
        '{"id": 3}',
    ]
    result = pantau_process(
        "score", database_url="sqlite:///unused.db", stdin="\n".join(lines) + "\n"
    )
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == [1, None, "b", 3]
    assert out[0]["label"] in ("negative", "neutral", "positive") and out[0]["language"] == "id"
    assert out[0]["targets"][0]["name"] == "Pemprov DKI"
    assert "error" in out[1] and "error" in out[3]
    assert out[2]["language"] == "en" and 0 <= out[2]["negativity"] <= 1
