"""A real `pantau serve` process on loopback, with one key per role, for fuzzing and soaking.

The scheduler is off unless asked for (the starter sources are real outlets; nothing may leave
the machine), rate limiting is off (fuzzers and pollers are many requests from one client).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    database_url: str
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    keys: dict[str, str] = field(default_factory=dict)  # role -> secret
    process: subprocess.Popen[str] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")}
        env["PYTHONPATH"] = str(ROOT)
        env.update(
            PANTAU_DATABASE_URL=self.database_url,
            PANTAU_PORT=str(self.port),
            PANTAU_ENVIRONMENT="test",
            PANTAU_SCHEDULER_ENABLED="false",
            PANTAU_RATE_LIMIT_PER_MINUTE="0",
            PANTAU_LOG_JSON="true",
            PANTAU_STARTER_SOURCES="",
        )
        env.update(self.env)
        return env

    def _cli(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "app", *args],
            cwd=self.workdir,
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return done.stdout

    def __enter__(self) -> LiveServer:
        self.log_path = self.workdir / f"serve-{self.port}.log"
        self._log = self.log_path.open("w+")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve"],
            cwd=self.workdir,
            env=self._env(),
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        assert self.process.stdout is not None
        banner = ""
        while "serving on" not in banner:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError(f"serve exited early: {self.log_path.read_text()[-3000:]}")
            banner += line
        admin = re.search(r"^\s+(pnt_\S+)$", banner, re.MULTILINE)
        if admin:
            self.keys["admin"] = admin.group(1)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        for role in ("viewer", "analyst", "admin"):
            if role not in self.keys:
                out = self._cli("keys", "create", "--role", role, "--name", f"hardening {role}")
                self.keys[role] = out.strip().splitlines()[-1].strip()
        return self

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()
        self._log.close()

    def headers(self, role: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"} if role else {}

    def log_text(self) -> str:
        self._log.flush()
        return self.log_path.read_text()
