"""HTTP conventions every list endpoint shares: conditional GET (ETag / Last-Modified -> 304,
answered before the query runs), `X-Poll-Interval`, and the `next` link.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from fastapi import Depends, FastAPI, Request, Response
from starlette.responses import Response as StarletteResponse

from app.db import Database
from app.schemas.common import PageInfo
from app.services.changes import ChangeBatch, Version, VersionCache, parse_token

REPRESENTATION = "v2"  # bump when response bodies change shape, so old ETags stop matching
CACHEABLE = "private, no-cache"  # a client may keep it but must revalidate; proxies must not


class NotModified(Exception):
    def __init__(self, headers: dict[str, str]) -> None:
        super().__init__("not modified")
        self.headers = headers


def install_conditional_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotModified)
    async def _not_modified(_request: Request, exc: NotModified) -> StarletteResponse:
        return StarletteResponse(status_code=304, headers=exc.headers)


def query_hash(request: Request, salt: str = "") -> str:
    """A digest of the query string (independent of parameter order) and of `salt`."""
    items = sorted(request.query_params.multi_items())
    raw = ("&".join(f"{k}={v}" for k, v in items) + "#" + salt).encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def http_date(value: datetime) -> str:
    return format_datetime(value, usegmt=True)


def next_link(request: Request, **params: str | None) -> str | None:
    """The current URL with `params` replaced, or None when the cursor value is None."""
    if any(v is None for v in params.values()):
        return None
    return str(request.url.include_query_params(**params))


def _etag(entity: str, version: Version, qhash: str) -> str:
    return f'"{entity}.{REPRESENTATION}.{version.fingerprint.token()}.{qhash}"'


def _candidates(header: str, entity: str, qhash: str) -> list[str] | None:
    """Fingerprint tokens in If-None-Match that were made for this URL; None means `*`."""
    tokens: list[str] = []
    for raw in header.split(","):
        tag = raw.strip().removeprefix("W/").strip('"')
        if tag == "*":
            return None
        parts = tag.split(".")
        if len(parts) == 6 and (parts[0], parts[1], parts[5]) == (entity, REPRESENTATION, qhash):
            tokens.append(".".join(parts[2:5]))
    return tokens


def collection_version(entity: str, *, salt: Callable[[Request], str] | None = None) -> Any:
    """A dependency that answers 304 when the client's copy of `entity`'s collection is current.

    It runs before the handler (after authentication), so an unchanged collection costs one
    cached fingerprint comparison and no query. It also sets ETag, Last-Modified,
    Cache-Control and X-Poll-Interval on the response.
    """

    async def check(request: Request, response: Response) -> Version:
        version, headers, not_modified = await validate(request, entity, salt)
        if not_modified:
            raise NotModified(headers)
        response.headers.update(headers)
        return version

    check.conditional = (entity, salt)  # type: ignore[attr-defined]  # read by routers/gate.py
    return Depends(check)


async def validate(
    request: Request, entity: str, salt: Callable[[Request], str] | None
) -> tuple[Version, dict[str, str], bool]:
    """(current version, validator headers, whether the client's copy is current)."""
    database: Database = request.app.state.database
    versions: VersionCache = request.app.state.versions
    version = await versions.current(entity, database.sessionmaker)
    qhash = query_hash(request, salt(request) if salt else "")
    headers = {
        "ETag": _etag(entity, version, qhash),
        "Last-Modified": http_date(version.modified_at),
        "Cache-Control": CACHEABLE,
        "X-Poll-Interval": str(request.app.state.settings.poll_interval_seconds),
    }
    not_modified = await _not_modified(request, entity, qhash, version, versions, database)
    return version, headers, not_modified


async def _not_modified(
    request: Request,
    entity: str,
    qhash: str,
    version: Version,
    versions: VersionCache,
    database: Database,
) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:  # RFC 9110: If-None-Match wins over If-Modified-Since
        tokens = _candidates(if_none_match, entity, qhash)
        if tokens is None:
            return True
        for token in tokens:
            seen = parse_token(token)
            if seen is not None and await versions.unchanged(entity, seen, database.sessionmaker):
                return True
        return False
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        return since.tzinfo is not None and version.modified_at <= since
    return False


def drop_validators(response: Response) -> None:
    """For a response that must not be reused (e.g. a sync page with changes held back)."""
    for name in ("etag", "last-modified"):
        if name in response.headers:
            del response.headers[name]


def sync_page_info(request: Request, response: Response, batch: ChangeBatch) -> PageInfo:
    """Paging for a `changed_after` answer; one with more to come, or with changes held back,
    drops its validators (it will not be the answer for long)."""
    if batch.has_more or batch.held_back:
        drop_validators(response)
    cursor = batch.position.encode()
    return PageInfo(
        next_cursor=cursor,
        next=next_link(request, changed_after=cursor),
        has_more=batch.has_more,
        pending=batch.held_back,
    )
