"""robots.txt for page fetches: fetched once per origin, cached with a time to live.

Rules follow RFC 9309: a 2xx body is obeyed; a 4xx (no robots.txt, or forbidden) allows
everything; a 5xx, 429 or network failure means "unreachable", which disallows everything
until a retry after a short time, unless an older good copy is at hand, which keeps applying.
Feeds and sitemaps the publisher lists for machines are polled without this check; pages
(articles, listings) go through it.

The file is read by Protego (Scrapy's parser): the group for our user agent, `*` and `$`
wildcards in paths, and the longest matching rule wins (Allow on a tie), as RFC 9309 says;
the standard library's parser knows none of that (`Disallow: /*?s=` never matched).

A group's `Crawl-delay` for our user agent is read too (whole or fractional seconds), and its
`Request-rate` (`1/5`: one request per 5 seconds; `1/10s`, `2/1m`, `1/1h` with a unit) as the
interval it implies; the larger of the two is the spacing asked for, capped at `max_delay`, so
a hostile robots.txt cannot park a worker on one host. A `Request-rate` time window
(`1/5 0600-0845`) is ignored: the rate applies all day, which errs on the polite side. A value
that is not a finite, non-negative number is ignored, as Protego does.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from protego import Protego

logger = logging.getLogger(__name__)

MAX_ROBOTS_BYTES = 512 * 1024  # RFC 9309 asks crawlers to read at least 500 KiB

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
    parser: Protego | None  # None: everything allowed
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
        if entry.parser is None or entry.parser.can_fetch(url, self.agent):
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
                text = body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace")
                parser = Protego.parse(text)
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

    def _delay(self, origin: str, parser: Protego) -> float:
        """Crawl-delay or the interval Request-rate implies, whichever is longer, capped."""
        asked = parser.crawl_delay(self.agent) or 0.0
        rate = parser.request_rate(self.agent)
        if rate is not None and rate.requests > 0:
            asked = max(asked, rate.seconds / rate.requests)
        if not math.isfinite(asked) or asked < 0:  # "Crawl-delay: inf", "nan", "-5"
            asked = self.max_delay if asked == math.inf else 0.0
        if asked > self.max_delay:
            logger.info(
                "robots.txt Crawl-delay or Request-rate capped",
                extra={"origin": origin, "crawl_delay": asked, "cap": self.max_delay},
            )
            return self.max_delay
        return asked


def _blocking_rule(parser: Protego, agent: str, url: str) -> str:
    """The rule that disallows `url` for `agent` ("Disallow: /x"), as `can_fetch` found it.

    Protego does not say which line matched; its rule set keeps the rules in the order it
    tries them (most specific first) and stops at the first match. Those attributes are not
    public, hence the defensive reads: without them the reason just names no rule.
    """
    try:
        from protego._utils import _quote_path

        group: Any = parser._get_matching_rule_set(agent)
        path = _quote_path(url)
        rule = next((r for r in group._rules if r.value.match(path)), None)
    except Exception:  # a diagnostic nicety, never worth a failed check
        return ""
    if rule is None:
        return ""
    return f"{rule.field.capitalize()}: {unquote(rule.value._pattern)}"  # stored quoted
