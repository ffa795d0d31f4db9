"""Per-path behaviour rules, request records and HTTP validator helpers of the farm server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Literal

from tests.farm.site import Page

Validators = Literal["honour", "ignore", "omit"]


@dataclass(slots=True)
class Rule:
    """Behaviour injected for one path (or fnmatch pattern such as ``/kompas/*``).

    ``status``: answer this status instead of the page (``retry_after`` adds ``Retry-After``,
    seconds or an HTTP-date string). ``body``: ``"html"`` serves the outlet's home page as
    ``text/html``, ``"empty"`` serves zero bytes with the usual content type, bytes serve
    themselves. ``location`` redirects with ``status`` (default 301). ``validators``: ``honour``
    (default), ``ignore`` (send ETag/Last-Modified but always answer 200) or ``omit`` (send none).
    ``max_age`` sets ``Cache-Control: max-age``. ``delay`` sleeps before answering; with ``hold``
    (a ``threading.Event``) the answer waits until the test sets it, ``delay`` seconds at most,
    so a test orders events by what it has seen rather than by a guess at the time. ``times``
    limits the rule to the next N requests, after which it is dropped.
    """

    status: int | None = None
    retry_after: int | str | None = None
    body: Literal["html", "empty"] | bytes | None = None
    location: str | None = None
    validators: Validators = "honour"
    max_age: int | None = None
    delay: float = 0.0
    hold: threading.Event | None = None
    times: int | None = None


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request as the server saw it; header names are lower-case."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    time: float
    status: int


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def http_date(timestamp: float) -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(timestamp))


def _etags(value: str) -> Iterator[str]:
    for part in value.split(","):
        tag = part.strip()
        yield tag[2:] if tag.startswith("W/") else tag


def not_modified(headers: dict[str, str], etag: str, page: Page) -> bool:
    if "if-none-match" in headers:
        return any(t in (etag, "*") for t in _etags(headers["if-none-match"]))
    since = headers.get("if-modified-since")
    if since and page.last_modified is not None:
        try:
            return page.last_modified.timestamp() // 1 <= parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError):
            return False
    return False
