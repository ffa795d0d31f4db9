"""robots.txt for page fetches: fetched once per origin, cached with a time to live.

Rules follow RFC 9309: a 2xx body is obeyed; a 4xx (no robots.txt, or forbidden) allows
everything; a 5xx, 429 or network failure means "unreachable", which disallows everything
until a retry after a short time, unless an older good copy is at hand, which keeps applying.
Feeds and sitemaps the publisher lists for machines are polled without this check; pages
(articles, listings) go through it.

A group's `Crawl-delay` for our user agent is read too (whole or fractional seconds), and its
`Request-rate` (`1/5`: one request per 5 seconds; `1/10s`, `2/1m`, `1/1h` with a unit) as the
interval it implies; the larger of the two is the spacing asked for, capped at `max_delay`, so
a hostile robots.txt cannot park a worker on one host. A `Request-rate` time window
(`1/5 0600-0845`) is ignored: the rate applies all day, which errs on the polite side.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import urllib.robotparser
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlparse, urlsplit, urlunparse

logger = logging.getLogger(__name__)

MAX_ROBOTS_BYTES = 512 * 1024  # RFC 9309 asks crawlers to read at least 500 KiB
# urllib.robotparser keeps whole-second Crawl-delay values only, yet sites write 0.5 or 1.5:
# the value is rewritten in milliseconds before parsing, so the stdlib's group rules still pick
# the line that applies to us.
_CRAWL_DELAY = re.compile(r"^(\s*crawl-delay\s*:\s*)(\d+(?:\.\d*)?|\.\d+)(\s*(?:#.*)?)$", re.I)
# Request-rate likewise (requests / seconds, whole numbers only in the stdlib): the seconds, with
# their unit, become milliseconds.
_REQUEST_RATE = re.compile(
    r"^(\s*request-rate\s*:\s*)(\d+)\s*/\s*(\d+(?:\.\d*)?|\.\d+)\s*([smh]?)\b", re.I
)
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600}

# Fetch robots.txt at the URL: (status, body), or None when the origin is unreachable.
RobotsFetch = Callable[[str], Awaitable[tuple[int, bytes] | None]]


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    reachable: bool  # False: robots.txt could not be read (5xx, 429, network); ask again later
    # Seconds between our requests to the origin: Crawl-delay or Request-rate, whichever asks
    # more, capped (0: none).
    delay: float
    rule: str = ""  # the line that disallows the URL ("Disallow: /cari/"), when one does


@dataclass(slots=True)
class _Entry:
    parser: urllib.robotparser.RobotFileParser | None  # None: everything allowed
    disallow_all: bool
    expires: float
    good: bool
    delay: float = 0.0


class RobotsCache:
    """`check(url)` answers from a per-origin cache; one fetch per origin at a time."""

    def __init__(
        self,
        fetch: RobotsFetch,
        *,
        agent: str,
        ttl: float = 24 * 3600,
        error_ttl: float = 600,
        max_origins: int = 10_000,
        max_delay: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self.agent = agent.split("/", 1)[0].strip() or agent
        self.ttl = ttl
        self.error_ttl = error_ttl
        self.max_origins = max_origins
        self.max_delay = max_delay
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._pending: dict[str, asyncio.Future[_Entry]] = {}

    async def allowed(self, url: str) -> bool:
        return (await self.check(url)).allowed

    async def check(self, url: str) -> Verdict:
        """Whether we may fetch `url`, and how far apart requests to its origin must start."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        entry = await self._entry(origin)
        if entry.disallow_all:
            return Verdict(allowed=False, reachable=entry.good, delay=entry.delay)
        if entry.parser is None or entry.parser.can_fetch(self.agent, url):
            return Verdict(allowed=True, reachable=True, delay=entry.delay)
        rule = _blocking_rule(entry.parser, self.agent, url)
        return Verdict(allowed=False, reachable=True, delay=entry.delay, rule=rule)

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
                parser.parse(_delays_in_milliseconds(text.splitlines()))
                delay = self._delay(origin, parser)
                return _Entry(parser, False, now + self.ttl, good=True, delay=delay)
            if 400 <= status < 500 and status != 429:
                return _Entry(None, False, now + self.ttl, good=True)
        if previous is not None and previous.good:
            return _Entry(
                previous.parser,
                previous.disallow_all,
                now + self.error_ttl,
                good=True,
                delay=previous.delay,
            )
        return _Entry(None, True, now + self.error_ttl, good=False)

    def _delay(self, origin: str, parser: urllib.robotparser.RobotFileParser) -> float:
        """Crawl-delay or the interval Request-rate implies, whichever is longer, capped."""
        millis = parser.crawl_delay(self.agent)
        asked = 0.0 if millis is None else int(millis) / 1000
        rate = parser.request_rate(self.agent)
        if rate is not None and rate.requests > 0:
            asked = max(asked, rate.seconds / 1000 / rate.requests)
        if asked > self.max_delay:
            logger.info(
                "robots.txt Crawl-delay or Request-rate capped",
                extra={"origin": origin, "crawl_delay": asked, "cap": self.max_delay},
            )
            return self.max_delay
        return asked


def _delays_in_milliseconds(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        if (match := _CRAWL_DELAY.match(line)) is not None:
            millis = round(min(float(match[2]), 1e9) * 1000)  # 400 nines would be inf
            line = f"{match[1]}{millis}{match[3]}"
        elif (match := _REQUEST_RATE.match(line)) is not None:
            seconds = min(float(match[3]), 1e9) * _UNIT_SECONDS[match[4].lower()]
            line = f"{match[1]}{int(match[2])}/{round(seconds * 1000)}"
        out.append(line)
    return out


def _blocking_rule(parser: urllib.robotparser.RobotFileParser, agent: str, url: str) -> str:
    """The rule that disallows `url` for `agent`, as `can_fetch` found it ("Disallow: /x").

    The stdlib does not say which line matched; this walks the same groups and rules the same
    way (its `entries` and `default_entry` are undocumented, hence the defensive reads).
    """
    parts = urlparse(unquote(url))
    path = quote(urlunparse(("", "", parts.path, parts.params, parts.query, parts.fragment)))
    groups: list[Any] = [*getattr(parser, "entries", []), getattr(parser, "default_entry", None)]
    for group in groups:
        if group is not None and group.applies_to(agent):
            line = next((r for r in group.rulelines if r.applies_to(path or "/")), None)
            return "" if line is None else str(line)
    return ""
