"""robots.txt for page fetches: fetched once per origin, cached with a time to live.

Rules follow RFC 9309: a 2xx body is obeyed; a 4xx (no robots.txt, or forbidden) allows
everything; a 5xx, 429 or network failure means "unreachable", which disallows everything
until a retry after a short time, unless an older good copy is at hand, which keeps applying.
Feeds and sitemaps the publisher lists for machines are polled without this check; pages
(articles, listings) go through it.
"""

from __future__ import annotations

import asyncio
import time
import urllib.robotparser
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_ROBOTS_BYTES = 512 * 1024  # RFC 9309 asks crawlers to read at least 500 KiB

# Fetch robots.txt at the URL: (status, body), or None when the origin is unreachable.
RobotsFetch = Callable[[str], Awaitable[tuple[int, bytes] | None]]


@dataclass(slots=True)
class _Entry:
    parser: urllib.robotparser.RobotFileParser | None  # None: everything allowed
    disallow_all: bool
    expires: float
    good: bool


class RobotsCache:
    """`allowed(url)` answers from a per-origin cache; one fetch per origin at a time."""

    def __init__(
        self,
        fetch: RobotsFetch,
        *,
        agent: str,
        ttl: float = 24 * 3600,
        error_ttl: float = 600,
        max_origins: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self.agent = agent.split("/", 1)[0].strip() or agent
        self.ttl = ttl
        self.error_ttl = error_ttl
        self.max_origins = max_origins
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._pending: dict[str, asyncio.Future[_Entry]] = {}

    async def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        entry = await self._entry(origin)
        if entry.disallow_all:
            return False
        return entry.parser is None or entry.parser.can_fetch(self.agent, url)

    async def _entry(self, origin: str) -> _Entry:
        entry = self._entries.get(origin)
        if entry is not None and entry.expires > self._clock():
            self._entries.move_to_end(origin)
            return entry
        pending = self._pending.get(origin)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[_Entry] = asyncio.get_running_loop().create_future()
        self._pending[origin] = future
        try:
            fresh = await self._load(origin, previous=entry)
            future.set_result(fresh)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters re-raise it, nobody else must log it
            raise
        finally:
            del self._pending[origin]
        self._entries[origin] = fresh
        self._entries.move_to_end(origin)
        while len(self._entries) > self.max_origins:
            self._entries.popitem(last=False)
        return fresh

    async def _load(self, origin: str, *, previous: _Entry | None) -> _Entry:
        now = self._clock()
        answer = await self._fetch(f"{origin}/robots.txt")
        if answer is not None:
            status, body = answer
            if 200 <= status < 300:
                parser = urllib.robotparser.RobotFileParser()
                text = body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace")
                parser.parse(text.splitlines())
                return _Entry(parser, False, now + self.ttl, good=True)
            if 400 <= status < 500 and status != 429:
                return _Entry(None, False, now + self.ttl, good=True)
        if previous is not None and previous.good:
            return _Entry(previous.parser, previous.disallow_all, now + self.error_ttl, good=True)
        return _Entry(None, True, now + self.error_ttl, good=False)
