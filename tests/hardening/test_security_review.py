"""What an attacker reaches, each with a test (the gaps next to tests/routers/test_security.py).

Already covered there: 401 on every route, roles, 413 bodies, 406, security headers, CORS closed
by default, keys stored hashed (tests/routers/test_auth.py), hostile search text
(tests/routers/test_search.py). Here: SQL is only built with bound parameters (a source scan
plus hostile sort, cursor and filter values), oversized query strings and request lines, and
no API key secret in any log record while keys are created, used, refused and revoked.
"""

from __future__ import annotations

import ast
import contextlib
import logging
import re
import socket
from pathlib import Path

import httpx
import pytest

from tests.hardening.live import LiveServer

APP = Path(__file__).resolve().parents[2] / "app"
SQL_WORDS = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|WHERE|ORDER BY|MATCH)\b")
SQL_CALLS = {"text", "literal_column", "exec_driver_sql", "execute", "column", "table"}
SECRET = re.compile(r"pnt_[A-Za-z0-9_-]{20,}")


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _is_built_string(node: ast.AST) -> bool:
    """An f-string, concatenation, %-format or .format() call: text assembled at run time."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
    )


def test_sql_text_is_never_assembled_from_values() -> None:
    """Every raw SQL string in the product is a constant; values travel as bound parameters."""
    problems = []
    for path in sorted(APP.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _call_name(node) in SQL_CALLS and node.args:
                if _is_built_string(node.args[0]):
                    problems.append(f"{path.relative_to(APP)}:{node.lineno} {_call_name(node)}")
            elif isinstance(node, ast.JoinedStr) and any(
                isinstance(v, ast.FormattedValue) for v in node.values
            ):
                literal = "".join(
                    v.value for v in node.values if isinstance(v, ast.Constant) and v.value
                )
                if SQL_WORDS.search(literal) and literal.strip().split()[0].isupper():
                    problems.append(f"{path.relative_to(APP)}:{node.lineno} SQL-like f-string")
    assert problems == []


HOSTILE_PARAMS = [
    {"sort": "published_at; DROP TABLE articles"},
    {"sort": "-(SELECT 1)"},
    {"sort": "id"},
    {"cursor": "' OR 1=1 --"},
    {"cursor": "eyJzIjoiMSBPUiAxPTEifQ"},  # base64 JSON with SQL inside
    {"since": "2026-01-01'; DROP TABLE articles; --"},
    {"tz": "Asia/Jakarta'; --"},
    {"tz": "../../../../etc/passwd"},
    {"q": "x" * 5000},
    {"changed_after": "1; DELETE FROM articles"},
]


@pytest.mark.parametrize("params", HOSTILE_PARAMS, ids=lambda p: str(p)[:40])
async def test_hostile_sort_cursor_and_window_values_are_422(
    client: httpx.AsyncClient, viewer: dict[str, str], params: dict[str, str]
) -> None:
    response = await client.get("/v1/articles", params=params, headers=viewer)
    assert response.status_code == 422, (params, response.text)


async def test_filter_values_are_data_not_sql(
    client: httpx.AsyncClient, admin: dict[str, str], viewer: dict[str, str]
) -> None:
    created = await client.post(
        "/v1/sources", headers=admin, json={"url": "https://example.com/feed.xml", "kind": "feed"}
    )
    assert created.status_code == 201
    for params in ({"outlet": "x' OR '1'='1"}, {"language": "id' OR 1=1 --"}):
        response = await client.get("/v1/articles", params=params, headers=viewer)
        assert response.status_code in (200, 422)
        if response.status_code == 200:
            assert response.json()["items"] == []
    listed = await client.get("/v1/sources", headers=viewer)
    assert [s["url"] for s in listed.json()["items"]] == ["https://example.com/feed.xml"]


async def test_no_api_key_secret_reaches_any_log_record(
    client: httpx.AsyncClient, admin: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    forged = "pnt_" + "A" * 43
    await client.get("/v1/articles", headers={"Authorization": f"Bearer {forged}"})
    await client.get("/v1/articles", headers={"Authorization": f"Token {forged}"})
    await client.get(f"/v1/articles?api_key={forged}", headers=admin)
    created = await client.post("/v1/keys", headers=admin, json={"name": "wall", "role": "viewer"})
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert SECRET.fullmatch(secret)
    await client.get("/v1/articles", headers={"Authorization": f"Bearer {secret}"})
    listed = await client.get("/v1/keys", headers=admin)
    assert secret not in listed.text  # shown once, at creation only
    revoked = await client.delete(f"/v1/keys/{created.json()['id']}", headers=admin)
    assert secret not in revoked.text
    await client.get("/v1/articles", headers={"Authorization": f"Bearer {secret}"})
    admin_secret = admin["Authorization"].removeprefix("Bearer ")
    for record in caplog.records:
        if record.name.startswith(("httpx", "httpcore")):
            continue  # the test's own client logging its requests
        dumped = f"{record.getMessage()} {record.__dict__}"
        for value in (secret, admin_secret, forged):
            assert value not in dumped, record.__dict__
            assert value[:16] not in dumped, record.__dict__


def _raw_request(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        with contextlib.suppress(OSError):  # hanging up mid-request is a refusal too
            sock.sendall(request)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
                if b"\r\n\r\n" in b"".join(chunks):
                    break
        except OSError:
            pass
    return b"".join(chunks)


@pytest.mark.slow
def test_oversized_request_lines_and_query_strings_are_refused(tmp_path: Path) -> None:
    """Through a real `pantau serve` (uvicorn): never a 200 or a 5xx, and it keeps serving.

    HTTP parsing happens before any query: one run on its own SQLite file (it ran once per
    suite backend before, twice the same)."""
    with LiveServer(f"sqlite+aiosqlite:///{tmp_path / 'sec.db'}", tmp_path) as server:
        auth = server.headers("viewer")["Authorization"].encode()
        long_q = b"GET /v1/articles?q=" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: x\r\n"
        answer = _raw_request(server.port, long_q + b"Authorization: " + auth + b"\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 422"), answer[:200]
        huge_line = b"GET /v1/articles?q=" + b"a" * 2_000_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        answer = _raw_request(server.port, huge_line)
        status = answer[9:12]
        assert status not in (b"200",) and not status.startswith(b"5"), answer[:200]
        assert httpx.get(f"{server.base_url}/healthz", timeout=10).status_code == 200
        # A key misplaced in the query string never reaches the server's logs.
        secret = server.keys["viewer"]
        httpx.get(
            f"{server.base_url}/v1/articles?api_key={secret}", headers=server.headers("viewer")
        )
        log = server.log_text()
        assert "/v1/articles" in log  # the access log is on
        assert not SECRET.search(log)
