"""One pure-ASGI middleware for what every request needs: a request id, body size limits,
security and rate-limit headers, latency metrics and an access log line.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any, Protocol

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import PROBLEM_BASE, PROBLEM_JSON
from app.observability import REQUEST_ID, Metrics

log = logging.getLogger("app.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_DOCS = ("/docs", "/redoc", "/openapi.json")


class Gate(Protocol):
    """Answers some requests before routing, from what earlier answers left behind."""

    def handles(self, scope: Scope) -> bool: ...

    async def answer(self, scope: Scope) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None: ...

    def store(
        self, scope: Scope, status: int, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> None: ...


class ApiMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        metrics: Metrics,
        gate: Gate | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _SAFE_ID.match(incoming) else uuid.uuid4().hex
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                _security_headers(headers, path)
                for name, value in scope.get("state", {}).get("rate_limit_headers", {}).items():
                    headers.setdefault(name, value)
            await send(message)

        try:
            refusal = self._refuse(scope)
            if refusal is not None:
                await _send_problem(send_with_headers, path, *refusal)
                return
            if self.gate is not None and self.gate.handles(scope):
                answer = await self.gate.answer(scope)
                if answer is not None:
                    await _send_answer(send_with_headers, *answer)
                    return
                keeping = self._keeping(scope, self.gate, send_with_headers)
                await self.app(scope, self._limited(receive), keeping)
                return
            await self.app(scope, self._limited(receive), send_with_headers)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.request_seconds.labels(template, scope["method"], str(status)).observe(
                elapsed
            )
            if status == 429:
                self.metrics.rate_limited.inc()
            if log.isEnabledFor(logging.INFO):
                log.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": path,
                        "route": template,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                        "api_key_id": scope.get("state", {}).get("api_key_id"),
                    },
                )
            REQUEST_ID.reset(token)

    def _refuse(self, scope: Scope) -> tuple[int, str, str, str] | None:
        length = _header(scope, b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
            return (
                413,
                "payload-too-large",
                "Request body too large",
                f"bodies are limited to {self.max_body_bytes} bytes",
            )
        if b"%00" in scope.get("query_string", b""):
            return (422, "invalid-input", "Invalid input", "query parameters may not contain NUL")
        return None

    @staticmethod
    def _keeping(scope: Scope, gate: Gate, send: Send) -> Send:
        """Pass the response on and hand a complete one to the gate."""
        start: Message = {}
        chunks: list[bytes] = []

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message, headers=list(message.get("headers", [])))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False) and start:
                    gate.store(scope, start["status"], start["headers"], b"".join(chunks))
            await send(message)

        return wrapped

    def _limited(self, receive: Receive) -> Receive:
        """Count a streamed (chunked) body and stop it at the limit."""
        seen = 0
        limit = self.max_body_bytes

        async def wrapped() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # Starlette's exception, not a domain error: FastAPI turns any other
                    # exception raised while it reads a body into a 400. The errors.py handler
                    # renders it as problem JSON like every other error.
                    raise HTTPException(413, f"bodies are limited to {limit} bytes")
            return message

        return wrapped


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _security_headers(headers: MutableHeaders, path: str) -> None:
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "no-referrer")
    if path.startswith(_DOCS):
        headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
    else:
        headers.setdefault("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
    # API answers are per key and often sensitive: never stored, unless an endpoint opted into
    # revalidated private caching with an ETag (Cache-Control: private, no-cache).
    headers.setdefault("Cache-Control", "no-store")
    vary = headers.get("Vary")
    if vary is None:
        headers["Vary"] = "Authorization"
    elif "authorization" not in vary.lower():
        headers["Vary"] = vary + ", Authorization"


async def _send_problem(
    send: Send, path: str, status: int, type_: str, title: str, detail: str
) -> None:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + type_,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": path,
    }
    raw = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(raw)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": raw})


async def _send_answer(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
) -> None:
    await send({"type": "http.response.start", "status": status, "headers": list(headers)})
    await send({"type": "http.response.body", "body": body})
