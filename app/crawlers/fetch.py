"""HTTP fetching: one shared client, bounded in time, size and redirects, public targets only."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from app.crawlers.charset import decode_body
from app.crawlers.decoding import TooLarge, UndecodableBody, decode_chunk, decoders_for
from app.crawlers.politeness import HostLimiter
from app.crawlers.robots import RobotsCache
from app.crawlers.transport import (
    BlockedAddressError,
    GuardedBackend,
    GuardedTransport,
    ResolveError,
    Resolver,
    system_resolver,
)

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
    user_agent: str
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    allow_private_networks: bool = False
    # Politeness. Defaults suit tests against one local server; production values come from
    # Settings (PANTAU_PER_HOST_CONCURRENCY, PANTAU_PER_HOST_MIN_INTERVAL_MS, ...).
    global_concurrency: int = 64
    per_host_concurrency: int = 4
    per_host_min_interval_ms: int = 0
    robots_ttl_seconds: float = 24 * 3600


@dataclass(slots=True)
class FetchResult:
    url: str  # the final URL after redirects
    status: int
    headers: httpx.Headers
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
    """Seconds to wait from a Retry-After header in either form (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class Fetcher:
    """Wraps the one `httpx.AsyncClient` a process shares for all crawling.

    `resolver` and `network` exist for tests: a resolver that answers what the test wants and a
    network backend that routes the answers to a local server. `client` replaces the whole
    transport (and with it the connect-time address guard); only tests of other layers use it.
    """

    def __init__(
        self,
        options: FetchOptions,
        *,
        client: httpx.AsyncClient | None = None,
        resolver: Resolver = system_resolver,
        network: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.options = options
        timeout = httpx.Timeout(
            connect=options.connect_timeout,
            read=options.read_timeout,
            write=options.read_timeout,
            pool=options.total_timeout,
        )
        connections = max(100, options.global_concurrency)
        self._client = client or httpx.AsyncClient(
            timeout=timeout,
            follow_redirects=False,
            headers={"User-Agent": options.user_agent, "Accept-Encoding": "gzip, deflate, br"},
            transport=GuardedTransport(
                GuardedBackend(
                    allow_private=options.allow_private_networks, resolver=resolver, inner=network
                ),
                max_connections=connections,
                max_keepalive_connections=connections,
            ),
            trust_env=False,
        )
        self.limiter = HostLimiter(
            total=options.global_concurrency,
            per_host=options.per_host_concurrency,
            min_interval=options.per_host_min_interval_ms / 1000,
        )
        self.robots = RobotsCache(
            self._fetch_robots, agent=options.user_agent, ttl=options.robots_ttl_seconds
        )

    async def aclose(self) -> None:
        await self._client.aclose()

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
        started = time.perf_counter()
        result = await self._follow(url, etag=etag, last_modified=last_modified, accept=accept)
        result.elapsed_ms = int((time.perf_counter() - started) * 1000)
        return result

    async def allowed(self, url: str) -> bool:
        """Whether robots.txt lets us fetch the page at `url` (cached per origin)."""
        return await self.robots.allowed(url)

    async def fetch_page(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = ACCEPT_PAGES,
    ) -> FetchResult:
        """`fetch` for article and listing pages: refused with a reason if robots.txt says no."""
        _check_scheme(url)
        if not await self.allowed(url):
            raise FetchError(
                f"robots.txt disallows {url[:200]} for this crawler", kind=FailureKind.HARD
            )
        return await self.fetch(url, etag=etag, last_modified=last_modified, accept=accept)

    async def _fetch_robots(self, url: str) -> tuple[int, bytes] | None:
        try:
            result = await self.fetch(url, accept="text/plain, */*;q=0.5")
        except FetchError as exc:
            return (exc.status, b"") if exc.status is not None else None
        return result.status, result.body

    async def _follow(
        self, url: str, *, etag: str | None, last_modified: str | None, accept: str
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
            host = _check_scheme(current)
            async with self.limiter.slot(host):
                began = time.perf_counter()
                try:
                    async with asyncio.timeout(budget):
                        result = await self._get_once(current, headers)
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

    async def _get_once(self, url: str, headers: dict[str, str]) -> FetchResult:
        try:
            async with self._client.stream("GET", url, headers=headers) as response:
                result = FetchResult(url=url, status=response.status_code, headers=response.headers)
                if response.status_code in REDIRECT_STATUSES or response.status_code == 304:
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
        except httpx.InvalidURL as exc:  # e.g. a host name IDNA cannot encode
            raise FetchError(
                f"invalid host name or URL ({exc}): {url[:200]}", kind=FailureKind.HARD
            ) from None
        except httpx.TimeoutException as exc:
            raise FetchError(f"timed out ({type(exc).__name__}) fetching {url[:200]}") from None
        except httpx.DecodingError as exc:
            raise FetchError(f"undecodable response body: {exc}", kind=FailureKind.HARD) from None
        except httpx.HTTPError as exc:
            raise FetchError(f"{type(exc).__name__}: {exc or 'connection failed'}") from None

    async def _read_capped(self, response: httpx.Response) -> bytes:
        cap = self.options.max_bytes
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > cap:
            raise FetchError(
                f"body of {int(declared)} bytes exceeds the {cap}-byte limit", kind=FailureKind.HARD
            )
        chain = decoders_for(response.headers.get("content-encoding"))
        chunks: list[bytes] = []
        size = 0
        try:
            # Raw bytes in, our bounded decoders out: the cap holds on the wire and after
            # decompression, and a gzip/deflate/brotli bomb never inflates past it in memory.
            async for raw in response.aiter_raw():
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


def _check_scheme(url: str) -> str:
    """The host:port key of an http(s) URL; anything else is refused."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"refusing non-http(s) URL {url[:200]!r}", kind=FailureKind.HARD)
    return parts.netloc.lower()


def _raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
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
        f"HTTP {status} {response.reason_phrase}".strip(), kind=FailureKind.HARD, status=status
    )
