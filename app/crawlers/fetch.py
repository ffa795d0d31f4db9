"""HTTP fetching: one shared client, bounded in time, size and redirects, public targets only.

One aiohttp session per process (its compiled HTTP parser is the poll path's main CPU cost,
bench/README.md). The body cap holds on the wire and after decompression (decoding.py: bounded
gzip/deflate/brotli decoders). Politeness (politeness.py): a global cap, a per-host cap and
spacing; page fetches (`fetch_page`: the page stage, listing and article sources, backfill
listings) also obey the host's robots.txt (robots.py on Protego) at every redirect hop, and its
Crawl-delay or Request-rate, capped at `max_crawl_delay`, waiting without a host slot so feed
polls pass. Feeds and sitemaps are polled as published. Only public addresses are reached,
checked where connections open (connector.py; transport.py is the same guard for httpx), so DNS
rebinding and private redirect hops fail before a byte is sent. Conditional GET with ETag and
Last-Modified; pages are decoded charset-aware (charset.py).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from ssl import SSLContext, create_default_context
from typing import TYPE_CHECKING
from urllib.parse import quote, urljoin, urlsplit

import certifi
from yarl import URL

from app.config import default
from app.crawlers.charset import decode_body
from app.crawlers.decoding import TooLarge, UndecodableBody, decode_chunk, decoders_for
from app.crawlers.headers import header_int, retry_after_seconds
from app.crawlers.netguard import BlockedAddressError, ResolveError, Resolver, system_resolver
from app.crawlers.politeness import HostLimiter
from app.crawlers.robots import RobotsCache

# aiohttp (a third of a second to import) is imported when the session opens: a command
# that fetches nothing (a cron `crawl --once` with nothing due) never needs it.
if TYPE_CHECKING:
    import aiohttp

    from app.crawlers.connector import Network

logger = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
ACCEPT_FEEDS = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, */*;q=0.5"
)
ACCEPT_PAGES = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"


class FailureKind(StrEnum):
    SOFT = "soft"  # worth retrying soon: timeouts, 5xx, 429, connection resets
    HARD = "hard"  # needs a person: 4xx, blocked address, unparseable content, gone


class FetchError(Exception):
    """A fetch failed; `reason` is written on the source for analysts to read."""

    def __init__(
        self,
        reason: str,
        *,
        kind: FailureKind = FailureKind.SOFT,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class FetchOptions:
    # Defaults are Settings' (one place); the scheduler passes the configured values.
    user_agent: str = default("user_agent")
    connect_timeout: float = default("fetch_connect_timeout")
    read_timeout: float = default("fetch_read_timeout")
    total_timeout: float = default("fetch_total_timeout")
    max_bytes: int = default("fetch_max_bytes")
    max_redirects: int = default("fetch_max_redirects")
    allow_private_networks: bool = default("allow_private_networks")
    global_concurrency: int = default("fetch_concurrency")
    per_host_concurrency: int = default("per_host_concurrency")
    per_host_min_interval_ms: int = default("per_host_min_interval_ms")
    robots_ttl_seconds: float = default("robots_ttl_seconds")
    # A robots.txt Crawl-delay above this is capped to it.
    max_crawl_delay: float = default("max_crawl_delay_seconds")


@dataclass(slots=True)
class FetchResult:
    url: str  # the final URL after redirects
    status: int
    headers: Mapping[str, str]  # case-insensitive
    body: bytes = b""
    elapsed_ms: int = 0
    redirects: list[str] = field(default_factory=list)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def text(self) -> str:
        """The body as text, with the charset found by `charset.decode_body`."""
        return decode_body(self.body, self.headers)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header in either form (delta-seconds or HTTP date),
    bounded (`headers.retry_after_seconds`): a hostile value never raises."""
    return retry_after_seconds(value, now=now)


class Fetcher:
    """Wraps the one `aiohttp.ClientSession` a process shares for all crawling.

    `resolver` and `network` exist for tests: a resolver that answers what the test wants and a
    network that routes the checked addresses to a local server (see `connector.Network`). The
    session is opened on first use, on the event loop that uses it.
    """

    def __init__(
        self,
        options: FetchOptions,
        *,
        resolver: Resolver = system_resolver,
        network: Network | None = None,
    ) -> None:
        self.options = options
        self._resolver = resolver
        self._network = network
        self._session: aiohttp.ClientSession | None = None
        self.limiter = HostLimiter(
            total=options.global_concurrency,
            per_host=options.per_host_concurrency,
            min_interval=options.per_host_min_interval_ms / 1000,
        )
        self.robots = RobotsCache(
            self._fetch_robots,
            agent=options.user_agent,
            ttl=options.robots_ttl_seconds,
            max_delay=options.max_crawl_delay,
        )

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            import aiohttp

            from app.crawlers.connector import GuardedConnector

            self._session = aiohttp.ClientSession(
                connector=GuardedConnector(
                    resolver=self._resolver,
                    network=self._network,
                    allow_private=self.options.allow_private_networks,
                    limit=max(100, self.options.global_concurrency),
                    ssl_context=_ssl_context(),
                ),
                timeout=aiohttp.ClientTimeout(
                    total=None,  # `_follow` holds the total budget across redirect hops
                    sock_connect=self.options.connect_timeout,
                    sock_read=self.options.read_timeout,
                ),
                headers={
                    "User-Agent": self.options.user_agent,
                    "Accept-Encoding": "gzip, deflate, br",
                },
                auto_decompress=False,  # decoding.py inflates within the body cap
                cookie_jar=aiohttp.DummyCookieJar(),  # polls are anonymous
                trust_env=False,
                max_field_size=_MAX_FIELD_SIZE,
            )
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = ACCEPT_FEEDS,
    ) -> FetchResult:
        """GET `url` with conditional headers; raise `FetchError` with a readable reason.

        Waiting for a politeness slot does not count against the total time budget; time on
        the network does, across all redirect hops.
        """
        return await self._timed(url, etag=etag, last_modified=last_modified, accept=accept)

    async def _timed(
        self,
        url: str,
        *,
        etag: str | None,
        last_modified: str | None,
        accept: str,
        page: bool = False,
        max_wait: float | None = None,
    ) -> FetchResult:
        started = time.perf_counter()
        result = await self._follow(
            url,
            etag=etag,
            last_modified=last_modified,
            accept=accept,
            page=page,
            max_wait=max_wait,
        )
        result.elapsed_ms = int((time.perf_counter() - started) * 1000)
        return result

    async def fetch_page(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = ACCEPT_PAGES,
        max_wait: float | None = None,
    ) -> FetchResult:
        """`fetch` for article and listing pages, through robots.txt at every redirect hop.

        A URL the robots.txt of its host disallows, asked for or redirected to, is never
        requested: a hard failure whose reason names the robots.txt and its rule. A robots.txt
        that cannot be read is a soft failure (ask again later). Each hop starts no sooner after
        the previous request to its host than that host's Crawl-delay or Request-rate (capped)
        asks; with `max_wait`, a hop whose turn is further away than that raises
        `politeness.HostBusy` instead of waiting (nothing of that hop was sent).
        """
        return await self._timed(
            url,
            etag=etag,
            last_modified=last_modified,
            accept=accept,
            page=True,
            max_wait=max_wait,
        )

    async def _robots_interval(self, url: str, *, redirected_from: str | None) -> float:
        """robots.txt's word on one hop of a page fetch: the spacing it asks, or a FetchError."""
        verdict = await self.robots.check(url)
        via = f"; redirected from {redirected_from[:200]}" if redirected_from else ""
        if not verdict.reachable:
            raise FetchError(f"robots.txt unreachable for {url[:200]}; not fetched{via}")
        if not verdict.allowed:
            parts = urlsplit(url)
            robots = f"{parts.scheme}://{parts.netloc}/robots.txt".lower()
            rule = f": {verdict.rule}" if verdict.rule else ""
            raise FetchError(
                f"robots.txt disallows {url[:200]} for this crawler ({robots}{rule}){via}",
                kind=FailureKind.HARD,
            )
        return verdict.delay

    async def _fetch_robots(self, url: str) -> tuple[int, bytes] | None:
        try:
            result = await self.fetch(url, accept="text/plain, */*;q=0.5")
        except FetchError as exc:
            return (exc.status, b"") if exc.status is not None else None
        return result.status, result.body

    async def _follow(
        self,
        url: str,
        *,
        etag: str | None,
        last_modified: str | None,
        accept: str,
        page: bool,
        max_wait: float | None,
    ) -> FetchResult:
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        hops: list[str] = []
        current = url
        budget = self.options.total_timeout
        for _ in range(self.options.max_redirects + 1):
            target, host = _target(current)
            # A page's every hop answers to the robots.txt of its own host, spacing included.
            interval = 0.0
            if page:
                first = hops[0] if hops else None
                interval = await self._robots_interval(current, redirected_from=first)
            async with self.limiter.slot(host, interval=interval, max_wait=max_wait):
                began = time.perf_counter()
                try:
                    async with asyncio.timeout(budget):
                        result = await self._get_once(current, target, headers)
                except TimeoutError:
                    raise FetchError(
                        f"gave up after {self.options.total_timeout:g} s (total time budget)"
                    ) from None
                budget -= time.perf_counter() - began
            if result.status not in REDIRECT_STATUSES:
                result.redirects = hops
                return result
            location = result.headers.get("location")
            if not location:
                raise FetchError(
                    f"HTTP {result.status} without a Location header", status=result.status
                )
            hops.append(current)
            current = urljoin(current, location)
        raise FetchError(
            f"more than {self.options.max_redirects} redirects (last: {current[:200]})",
            kind=FailureKind.HARD,
        )

    async def _get_once(self, url: str, target: URL, headers: dict[str, str]) -> FetchResult:
        import aiohttp  # loaded by `_client` already: a lookup in sys.modules

        try:
            async with self._client().get(
                target, headers=headers, allow_redirects=False
            ) as response:
                status = response.status
                result = FetchResult(url=url, status=status, headers=response.headers)
                if status in REDIRECT_STATUSES or status == 304:
                    # Read the (empty or tiny) body: a response closed unread also closes its
                    # connection, and a new connection per 304 poll would cost more than the poll.
                    await self._read_capped(response)
                    return result
                _raise_for_status(response)
                result.body = await self._read_capped(response)
                return result
        except FetchError:
            raise
        except BlockedAddressError as exc:
            raise FetchError(
                f"{exc}; private networks are not allowed (nothing was sent)",
                kind=FailureKind.HARD,
            ) from None
        except ResolveError as exc:
            raise FetchError(str(exc)) from None
        except aiohttp.ConnectionTimeoutError:
            raise FetchError(f"timed out (ConnectTimeout) fetching {url[:200]}") from None
        except aiohttp.SocketTimeoutError:
            raise FetchError(f"timed out (ReadTimeout) fetching {url[:200]}") from None
        except aiohttp.ClientConnectorCertificateError as exc:
            raise FetchError(f"ConnectError: {exc.certificate_error}") from None
        except aiohttp.ClientConnectorError as exc:
            raise FetchError(f"ConnectError: {exc.os_error or 'connection failed'}") from None
        except (
            aiohttp.ServerDisconnectedError,
            aiohttp.ClientPayloadError,
            aiohttp.ClientResponseError,  # the response parser's complaints
        ) as exc:
            raise FetchError(f"RemoteProtocolError: {exc}") from None
        except aiohttp.InvalidURL as exc:
            raise _invalid_url(url, exc) from None
        except aiohttp.ClientError as exc:
            raise FetchError(f"{type(exc).__name__}: {exc or 'connection failed'}") from None
        except ValueError as exc:  # e.g. a stored validator with a line break in it
            raise FetchError(
                f"invalid request ({exc}): {url[:200]}", kind=FailureKind.HARD
            ) from None

    async def _read_capped(self, response: aiohttp.ClientResponse) -> bytes:
        cap = self.options.max_bytes
        declared = header_int(response.headers.get("content-length"), maximum=2**62)
        if declared is not None and declared > cap:
            raise FetchError(
                f"body of {declared} bytes exceeds the {cap}-byte limit", kind=FailureKind.HARD
            )
        chain = decoders_for(response.headers.get("content-encoding"))
        chunks: list[bytes] = []
        size = 0
        try:
            # Raw bytes in, our bounded decoders out: the cap holds on the wire and after
            # decompression, and a gzip/deflate/brotli bomb never inflates past it in memory.
            while raw := await response.content.readany():
                chunk = decode_chunk(chain, raw, cap - size)
                size += len(chunk)
                chunks.append(chunk)
        except TooLarge:
            raise FetchError(
                f"body exceeds the {cap}-byte limit (after decompression)", kind=FailureKind.HARD
            ) from None
        except UndecodableBody as exc:
            raise FetchError(f"undecodable response body: {exc}", kind=FailureKind.HARD) from None
        return b"".join(chunks)


_MAX_FIELD_SIZE = 16 * 1024  # a header line; aiohttp's default (8 KiB) refuses some news sites
_NEEDS_QUOTING = re.compile(r"[^\x21-\x7e]|[\"<>\\^`{|}]")
_PATH_SAFE = "/%!$&'()*+,;=:@~-._"


def _target(url: str) -> tuple[URL, str]:
    """The URL as sent and its host:port key for politeness; anything but http(s) is refused.

    One parse per hop: it is a measurable share of a 304 poll's CPU.
    """
    target = _wire_url(url)
    if target.scheme not in ("http", "https") or not target.raw_host:
        raise FetchError(f"refusing non-http(s) URL {url[:200]!r}", kind=FailureKind.HARD)
    return target, target.raw_authority.lower()


def _wire_url(url: str) -> URL:
    """The URL as sent: path and query percent-encoded, host IDNA-encoded.

    Stored URLs are already in wire form and go through as they are; others are quoted the
    way httpx quoted them (a space is %20 in the query too, not +).
    """
    try:
        if not _NEEDS_QUOTING.search(url):
            return URL(url, encoded=True)
        parts = urlsplit(url)
        origin = URL.build(scheme=parts.scheme, host=parts.hostname or "", port=parts.port)
        query = quote(parts.query, safe=_PATH_SAFE + "?")
        return URL(
            f"{origin}{quote(parts.path, safe=_PATH_SAFE)}" + (f"?{query}" if query else ""),
            encoded=True,
        )
    except (ValueError, UnicodeError) as exc:  # e.g. a host name IDNA cannot encode
        raise FetchError(
            f"invalid host name or URL ({exc}): {url[:200]}", kind=FailureKind.HARD
        ) from None


def _invalid_url(url: str, exc: Exception) -> FetchError:
    host = urlsplit(url).hostname or ""
    try:  # aiohttp refuses legacy IPv4 spellings (2130706433, 127.1): name the real address
        address = socket.inet_ntoa(socket.inet_aton(host))
    except OSError:
        return FetchError(f"invalid host name or URL ({exc}): {url[:200]}", kind=FailureKind.HARD)
    return FetchError(
        f"{host} is a legacy spelling of {address}, which is refused (nothing was sent)",
        kind=FailureKind.HARD,
    )


@functools.cache
def _ssl_context() -> SSLContext:
    """Certificates checked against certifi's bundle, as httpx did; built once (~0.1 s)."""
    return create_default_context(cafile=certifi.where())


def _raise_for_status(response: aiohttp.ClientResponse) -> None:
    status = response.status
    if status < 400:
        return
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    if status in (429, 503):
        wait = f", retry after {retry_after:.0f} s" if retry_after is not None else ""
        raise FetchError(
            f"HTTP {status} (rate limited or unavailable{wait})",
            status=status,
            retry_after=retry_after,
        )
    if status == 410:
        raise FetchError(
            "HTTP 410 Gone: the publisher removed this feed", kind=FailureKind.HARD, status=status
        )
    if status >= 500:
        raise FetchError(f"HTTP {status} server error", status=status, retry_after=retry_after)
    raise FetchError(
        f"HTTP {status} {response.reason or ''}".strip(), kind=FailureKind.HARD, status=status
    )
