"""`pantau serve` as a new user runs it: first start, API, scheduler, readiness, shutdown."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from app.db import Database
from tests.farm.server import FarmServer

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except httpx.HTTPError:
            value = None
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def test_first_start_serves_api_and_crawls_on_schedule(
    db: Database, farm_server: FarmServer, tmp_path: Path
) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")}
    env.update(
        PANTAU_DATABASE_URL=db.url,
        PANTAU_PORT=str(port),
        PANTAU_SCHEDULER_TICK_SECONDS="1",
        PANTAU_ALLOW_PRIVATE_NETWORKS="true",
        PANTAU_LOG_JSON="true",
        # The farm serves every outlet from one host: at the default 500 ms between requests,
        # the tempo feed's 50 pages alone take 25 s. Spacing stays on, short (crawler tests
        # cover its length).
        PANTAU_PER_HOST_MIN_INTERVAL_MS="20",
    )
    log = (tmp_path / "serve.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = ""
        while "serving on" not in banner:
            line = process.stdout.readline()
            assert line, f"serve exited early: {(tmp_path / 'serve.log').read_text()[-2000:]}"
            banner += line
        match = re.search(r"^\s+(pnt_\S+)$", banner, re.MULTILINE)
        assert match, banner
        assert "loaded 34 starter sources" in banner
        headers = {"Authorization": f"Bearer {match.group(1)}"}
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: httpx.get(f"{base}/healthz").status_code == 200, 30, "healthz")

        created = httpx.post(
            f"{base}/v1/sources",
            headers=headers,
            json={"url": farm_server.feed_url("tempo"), "name": "Tempo farm"},
        )
        assert created.status_code == 201, created.text
        everything = f"{base}/v1/issues?scope=all"  # no watchlist yet: the whole feed
        issues = wait_for(
            lambda: httpx.get(everything, headers=headers).json()["items"], 60, "issues"
        )
        assert issues[0]["title"]
        articles = httpx.get(f"{base}/v1/articles", headers=headers).json()["items"]
        assert articles and all(a["label"] and a["negativity"] is not None for a in articles)

        ready = wait_for(lambda: httpx.get(f"{base}/readyz").status_code == 200, 30, "readyz")
        assert ready
        unhealthy = httpx.get(f"{base}/v1/sources?unhealthy=true&limit=100", headers=headers)
        reasons = [s["last_error"] for s in unhealthy.json()["items"]]
        assert len(reasons) == 34 and all(reasons)  # offline starter sources fail politely
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        finally:
            assert process.stdout is not None
            process.stdout.close()
            log.close()
    assert process.returncode == 0
    assert "Traceback" not in (tmp_path / "serve.log").read_text()
