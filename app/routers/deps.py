"""Dependencies shared by routers: authentication, role checks, rate limits, content types."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.db import Database
from app.errors import Forbidden, NotAcceptable, RateLimited, Unauthorized
from app.models import Role, utcnow
from app.ratelimit import RateLimiter
from app.schemas.common import Problem
from app.services import api_keys, web_sessions

logger = logging.getLogger(__name__)

bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer pnt_...`")


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """The authenticated key, detached from any session."""

    id: int
    name: str
    role: str
    csrf: str | None = None  # set when the key came from a crisis-room session cookie


class KeyCache:
    """Authenticated keys by secret digest for `ttl` seconds, so a poll costs no key query.

    A key revoked through another process keeps working here for at most `ttl` seconds;
    revoking through this process drops it at once.
    """

    def __init__(self, ttl: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._keys: dict[str, tuple[float, KeyInfo]] = {}

    def get(self, digest: str) -> KeyInfo | None:
        hit = self._keys.get(digest)
        if hit is None or self._clock() - hit[0] >= self.ttl:
            return None
        return hit[1]

    def put(self, digest: str, key: KeyInfo) -> None:
        if self.ttl <= 0:
            return
        if len(self._keys) > 10_000:
            self._keys.clear()
        self._keys[digest] = (self._clock(), key)

    def forget(self, key_id: int) -> None:
        self._keys = {d: v for d, v in self._keys.items() if v[1].id != key_id}


async def _look_up(request: Request, secret: str) -> KeyInfo:
    """The key for `secret` from the database. Failed attempts are counted per client address;
    an address past its limit gets a 429 without a lookup (guessing costs nothing otherwise)."""
    failures: RateLimiter = request.app.state.invalid_keys
    address = request.client.host if request.client else "unknown"
    if failures.enabled and not failures.peek(address).allowed:
        verdict = failures.peek(address)
        raise RateLimited(
            f"too many invalid API keys from {address}; retry in {verdict.retry_after} s",
            headers=verdict.headers(),
        )
    database: Database = request.app.state.database
    try:
        async with database.sessionmaker() as session:  # a reader: never SQLite's write lock
            row = await api_keys.authenticate(session, secret=secret)
    except Unauthorized:
        if failures.enabled:
            failures.take(address)
        raise
    return KeyInfo(id=row.id, name=row.name, role=row.role)


class UsageRecorder:
    """Writes a key's `last_used_at` at most once a minute per key and process (and the
    UPDATE's own condition keeps it to once a minute across processes), so a poll costs no
    write; a failed write is logged, never the request's failure.

    The write runs beside the request, never inside it: it is a write transaction, and on
    SQLite it queues for the one write lock behind whatever a crawl holds (up to the busy
    timeout), on PostgreSQL behind any transaction holding the key's row. A poll must never
    wait on another process's write transaction for its bookkeeping (issue 18)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._written: dict[int, float] = {}
        self._pending: set[asyncio.Task[None]] = set()

    async def touch(self, database: Database, key_id: int) -> None:
        now = self._clock()
        last = self._written.get(key_id)
        if last is not None and now - last < api_keys.USE_RESOLUTION.total_seconds():
            return
        if len(self._written) > 10_000:
            self._written.clear()
        self._written[key_id] = now
        task = asyncio.create_task(self._record(database, key_id, utcnow()))
        self._pending.add(task)  # a strong reference until done (asyncio keeps only weak ones)
        task.add_done_callback(self._pending.discard)
        database.beside(task)  # disposing the database waits for it

    async def _record(self, database: Database, key_id: int, when: datetime) -> None:
        try:
            async with database.writer.begin() as session:
                await api_keys.record_use(session, key_id=key_id, now=when)
        except Exception:  # bookkeeping: the request went on long ago
            logger.warning("could not record API key use", exc_info=True, extra={"key": key_id})

    async def flush(self) -> None:
        """Wait for the writes already started (on shutdown, and in tests)."""
        while self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)


SESSION_COOKIE = "pantau_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def session_key(request: Request, token: str) -> KeyInfo:
    """The key behind a crisis-room session cookie (401 when the session is over)."""
    cache: KeyCache = request.app.state.key_cache
    digest = "session:" + hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
    key = cache.get(digest)
    if key is None:
        database: Database = request.app.state.database
        async with database.sessionmaker() as session:
            row, csrf = await web_sessions.resolve(session, token=token)
        key = KeyInfo(id=row.id, name=row.name, role=row.role, csrf=csrf)
        cache.put(digest, key)
    return key


def check_csrf(request: Request, key: KeyInfo) -> None:
    """A state-changing request by session must carry the session's CSRF token in
    `X-CSRF-Token`: a cross-site form or image cannot set headers."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER, "")
    if not key.csrf or not hmac.compare_digest(sent.encode(), key.csrf.encode()):
        raise Forbidden(f"a signed-in page must send its {CSRF_HEADER} header")


async def current_key(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> KeyInfo:
    """The request's API key (401 without a valid one), charged against its rate limit.

    A bearer key wins; without one, the crisis room's session cookie stands for its key."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if (credentials is None or credentials.scheme.lower() != "bearer") and cookie:
        key = await session_key(request, cookie)
        check_csrf(request, key)
    elif credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("send an API key as 'Authorization: Bearer <key>'")
    else:
        secret = credentials.credentials
        cache: KeyCache = request.app.state.key_cache
        digest = hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()
        cached = cache.get(digest)
        if cached is None:
            cached = await _look_up(request, secret)
            cache.put(digest, cached)
        key = cached
    request.state.api_key_id = key.id
    await request.app.state.key_usage.touch(request.app.state.database, key.id)
    limiter: RateLimiter = request.app.state.rate_limiter
    if limiter.enabled:
        verdict = limiter.take(key.id)
        request.state.rate_limit_headers = verdict.headers()
        if not verdict.allowed:
            raise RateLimited(
                f"this key may make {limiter.per_minute} requests a minute; "
                f"retry in {verdict.retry_after} s",
                headers=verdict.headers(),
            )
    return key


def require(role: Role) -> Callable[[KeyInfo], Awaitable[KeyInfo]]:
    """A dependency that admits keys of `role` or a higher one."""

    async def check(key: Annotated[KeyInfo, Depends(current_key)]) -> KeyInfo:
        if Role(key.role).rank < role.rank:
            raise Forbidden(f"this action needs the {role.value} role; the key is {key.role}")
        return key

    check.required_role = role  # type: ignore[attr-defined]  # read by the route audit test
    return check


def accepts(*media_types: str) -> Any:
    """A dependency answering 406 when the Accept header rules out every type we produce."""
    offered = {t.split("/")[0] + "/*" for t in media_types} | set(media_types) | {"*/*"}

    async def check(request: Request) -> None:
        if not acceptable(request.headers.get("accept"), offered):
            raise NotAcceptable(f"this endpoint produces {', '.join(media_types)}")

    check.offered = offered  # type: ignore[attr-defined]  # read by routers/gate.py
    return Depends(check)


def acceptable(header: str | None, offered: set[str]) -> bool:
    """Whether an Accept header admits one of the `offered` types (or a problem document)."""
    if not header:
        return True
    wanted = {part.split(";")[0].strip().lower() for part in header.split(",")}
    return bool(wanted & (offered | {"application/problem+json"}))


def cached_key(request: Request, authorization: str | None) -> KeyInfo | None:
    """The key of a bearer `authorization` header if this process has it cached, else None."""
    if not authorization:
        return None
    scheme, _, secret = authorization.partition(" ")
    secret = secret.strip()  # as fastapi.security.HTTPBearer reads it
    if scheme.lower() != "bearer" or not secret:
        return None
    cache: KeyCache = request.app.state.key_cache
    return cache.get(hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest())


CurrentKey = Annotated[KeyInfo, Depends(current_key)]
Viewer = Depends(require(Role.VIEWER))
Analyst = Depends(require(Role.ANALYST))
Admin = Depends(require(Role.ADMIN))
JSON = accepts("application/json")

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or invalid API key", "model": Problem},
    403: {"description": "The key's role does not allow this", "model": Problem},
    406: {"description": "Not acceptable: ask for JSON", "model": Problem},
    413: {"description": "Request body too large", "model": Problem},
    422: {
        "description": "Invalid parameters, or a query parameter the endpoint does not know "
        "(`unknown` lists it, `known` the accepted ones)",
        "model": Problem,
        "content": {
            "application/problem+json": {
                "example": {
                    "type": "https://pantau.id/problems/invalid-input",
                    "title": "Invalid input",
                    "status": 422,
                    "detail": "unknown query parameter 'watchlsit'; this endpoint accepts: "
                    "cursor, limit, watchlist, ...",
                    "unknown": ["watchlsit"],
                    "known": ["cursor", "limit", "watchlist"],
                }
            }
        },
    },
    429: {
        "description": "Rate limited; retry after `Retry-After` seconds",
        "model": Problem,
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
}
for _spec in ERROR_RESPONSES.values():
    _spec.setdefault("content", {"application/problem+json": {}})

LIST_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "headers": {
            "ETag": {"description": "Send back in If-None-Match.", "schema": {"type": "string"}},
            "Last-Modified": {"schema": {"type": "string"}},
            "X-Poll-Interval": {
                "description": "Seconds a poller should wait before asking again.",
                "schema": {"type": "integer"},
            },
        }
    },
    304: {"description": "Not modified since the ETag (or Last-Modified) you sent"},
}
