"""Schemathesis against the live OpenAPI schema of a real server, once per role and without a key.

Shared by the bounded suite test (tests/hardening/test_api_fuzz.py) and the long run
(bench/fuzz_api.py). Each role's run writes schemathesis' JSON report; `FuzzRun` keeps the
figures the closing note needs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.hardening.live import LiveServer

ROLES: tuple[str | None, ...] = ("viewer", "analyst", None, "admin")  # admin last: it may delete
# What must never happen: 5xx, a response breaking its own schema, an undocumented status, a
# wrong content type or headers, a wrong answer to an undeclared method.
CHECKS = (
    "not_a_server_error,status_code_conformance,response_schema_conformance,"
    "content_type_conformance,response_headers_conformance,unsupported_method,"
    "allow_header_conformance,negative_data_rejection"
)


def schemathesis_command() -> list[str] | None:
    exe = Path(sys.executable).with_name("schemathesis")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("schemathesis")
    return [found] if found else None


@dataclass
class FuzzRun:
    role: str
    exit_code: int
    operations: int
    generated: int
    failures: list[dict[str, object]] = field(default_factory=list)
    errors: list[object] = field(default_factory=list)
    output: str = ""

    @property
    def failure_codes(self) -> list[str]:
        return [f"{f['code']} {f['title']}: {f['operations']}" for f in self.failures]


def fuzz_role(
    server: LiveServer,
    role: str | None,
    *,
    workdir: Path,
    max_examples: int,
    seed: int = 7,
    phases: str = "examples,coverage,fuzzing",
    max_time: float | None = None,
) -> FuzzRun:
    command = schemathesis_command()
    assert command is not None, "schemathesis is not installed (pip install -e '.[dev]')"
    name = role or "no-key"
    report = workdir / f"fuzz-{name}.json"
    args = [
        *command,
        "run",
        f"{server.base_url}/openapi.json",
        "--checks",
        CHECKS,
        "--max-examples",
        str(max_examples),
        "--seed",
        str(seed),
        "--no-shrink",
        "--phases",
        phases,
        "--workers",
        "2",
        "--request-timeout",
        "20",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        "--output-truncate",
        "true",
    ]
    if max_time is not None:
        args += ["--max-time", str(int(max_time))]
    if role is not None:
        args += ["-H", f"Authorization: Bearer {server.keys[role]}"]
    if role == "admin":  # revoking the keys under test would turn the rest of the run into 401s
        args += ["--exclude-operation-id", "revoke_key_v1_keys__key_id__delete"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=900, cwd=workdir)
    data = json.loads(report.read_text())
    return FuzzRun(
        role=name,
        exit_code=done.returncode,
        operations=int(data["operations"]["tested"]),
        generated=int(data["test_cases"]["generated"]),
        failures=list(data["failures"]),
        errors=list(data["errors"]),
        output=done.stdout[-20000:],
    )
