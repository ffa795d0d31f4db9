"""A lean HTTP/1.1 client for the fetcher: GET only, one request at a time per connection.

httpx over httpcore spent ~0.75 ms of CPU on every request here (client layers, cookies, the
pool's O(connections x waiting requests) assignment, h11, anyio cancel scopes), where an
unchanged-feed poll needs a tenth of that; at 1,000 polls a second the client was the whole
budget. This speaks only what the crawler sends: a GET with a few headers, answers framed by
Content-Length, chunked transfer coding or the connection's end, and keep-alive per origin.

Connections still come from an httpcore network backend, in production the `GuardedBackend`
(transport.py): the address check on the address actually connected to, per connection and so
per redirect hop, and TLS verifying the hostname while connected to the checked IP. Errors are
httpcore's exception types, so callers name them as before (ConnectError, ReadTimeout, ...).
"""

from __future__ import annotations

import contextlib
import ssl
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import SplitResult, quote, urlsplit

import httpcore
import httpx

MAX_HEAD_BYTES = 64 * 1024  # status line + headers; more is a hostile or broken server
READ_SIZE = 64 * 1024
_SAFE_PATH = "/%:@!$&'()*+,;=-._~"
_SAFE_QUERY = _SAFE_PATH + "?"
_NO_BODY = frozenset({204, 304})

Origin = tuple[str, str, int]
_RawHeaders = list[tuple[bytes, bytes]]


class _StaleConnection(Exception):
    """A reused keep-alive connection ended before any byte of the answer: retry on a new one."""


@dataclass(slots=True)
class _Connection:
    stream: httpcore.AsyncNetworkStream
    origin: Origin
    buffer: bytearray = field(default_factory=bytearray)
    reused: bool = False
    idle_since: float = 0.0

    async def fill(self, timeout: float) -> bool:  # noqa: ASYNC109 - the stream's read timeout
        """Read more bytes into the buffer; False at the end of the stream."""
        data = await self.stream.read(READ_SIZE, timeout)
        if not data:
            return False
        self.buffer += data
        return True


class Response:
    """Status, headers and a raw body iterator; `aclose` returns the connection to the pool
    when its body was read to the end and the server keeps it alive, else closes it."""

    __slots__ = (
        "_client",
        "_conn",
        "_framing",
        "_keep",
        "_length",
        "_read_timeout",
        "headers",
        "reason_phrase",
        "status_code",
    )

    def __init__(
        self,
        client: Http1Client,
        conn: _Connection,
        status: int,
        reason: str,
        headers: httpx.Headers,
        *,
        framing: str,
        length: int,
        keep: bool,
        read_timeout: float,
    ) -> None:
        self._client = client
        self._conn: _Connection | None = conn
        self.status_code = status
        self.reason_phrase = reason
        self.headers = headers
        self._framing = framing  # "none", "length", "chunked" or "close"
        self._length = length
        self._keep = keep
        self._read_timeout = read_timeout

    async def aiter_raw(self) -> AsyncIterator[bytes]:
        """The body as sent (still content-coded), in pieces as they arrive."""
        conn = self._conn
        if conn is None:
            raise httpcore.ReadError("the response was already closed")
        if self._framing == "length":
            async for part in self._read_length(conn, self._length):
                yield part
        elif self._framing == "chunked":
            async for part in self._read_chunked(conn):
                yield part
        elif self._framing == "close":
            while True:
                if conn.buffer:
                    part = bytes(conn.buffer)
                    conn.buffer.clear()
                    yield part
                if not await conn.fill(self._read_timeout):
                    break
        self._framing = "done"

    async def _read_length(self, conn: _Connection, length: int) -> AsyncIterator[bytes]:
        left = length
        while left > 0:
            if not conn.buffer and not await conn.fill(self._read_timeout):
                raise httpcore.RemoteProtocolError(
                    f"connection closed with {left} of {length} body bytes unread"
                )
            part = bytes(conn.buffer[:left])
            del conn.buffer[: len(part)]
            left -= len(part)
            yield part

    async def _read_chunked(self, conn: _Connection) -> AsyncIterator[bytes]:
        while True:
            line = await self._line(conn)
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise httpcore.RemoteProtocolError(f"bad chunk size {size_text[:20]!r}") from None
            if size < 0:
                raise httpcore.RemoteProtocolError("negative chunk size")
            if size == 0:
                while await self._line(conn):  # trailer fields, then the empty line
                    pass
                return
            async for part in self._read_length(conn, size):
                yield part
            if await self._line(conn):
                raise httpcore.RemoteProtocolError("chunk data not followed by CRLF")

    async def _line(self, conn: _Connection) -> bytes:
        while True:
            end = conn.buffer.find(b"\n")
            if end >= 0:
                line = bytes(conn.buffer[:end]).rstrip(b"\r")
                del conn.buffer[: end + 1]
                return line
            if len(conn.buffer) > MAX_HEAD_BYTES:
                raise httpcore.RemoteProtocolError("chunk header line too long")
            if not await conn.fill(self._read_timeout):
                raise httpcore.RemoteProtocolError("connection closed inside a chunked body")

    async def aclose(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._keep and self._framing in ("none", "done") and not conn.buffer:
            await self._client.release(conn)
        else:
            await _close(conn)


class Http1Client:
    """GET over HTTP/1.1 with a keep-alive pool per origin (scheme, host, port).

    Concurrency is bounded by the caller (the fetcher's politeness limiter); idle connections
    are kept up to `max_idle` in all, each for `keepalive_expiry` seconds.
    """

    def __init__(
        self,
        backend: httpcore.AsyncNetworkBackend,
        *,
        user_agent: str,
        connect_timeout: float,
        read_timeout: float,
        ssl_context: ssl.SSLContext | None = None,
        max_idle: int = 100,
        keepalive_expiry: float = 5.0,
        extra_headers: dict[str, str] | None = None,
    ) -> None:
        self.backend = backend
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.ssl_context = ssl_context or httpx.create_ssl_context(trust_env=False)
        self.max_idle = max_idle
        self.keepalive_expiry = keepalive_expiry
        fixed = {"User-Agent": user_agent, **(extra_headers or {})}
        self._fixed = "".join(f"{_field(k, v)}\r\n" for k, v in fixed.items())
        self._idle: dict[Origin, list[_Connection]] = {}
        self._idle_count = 0
        self._swept_at = time.monotonic()

    async def get(self, url: str, headers: dict[str, str]) -> Response:
        """Send a GET and read the answer's status line and headers; the caller reads the body
        (`Response.aiter_raw`) and must `aclose` the response."""
        parts = urlsplit(url)
        origin, target, host_header = _request_target(parts)
        request = (
            f"GET {target} HTTP/1.1\r\nHost: {host_header}\r\n{self._fixed}"
            + "".join(f"{_field(k, v)}\r\n" for k, v in headers.items())
            + "\r\n"
        ).encode()
        for _ in range(2):
            conn = await self._acquire(origin)
            try:
                return await self._exchange(conn, request)
            except _StaleConnection:
                await _close(conn)  # the server dropped an idle connection: once more, fresh
            except BaseException:
                await _close(conn)
                raise
        raise httpcore.RemoteProtocolError("server closed two connections without answering")

    async def _exchange(self, conn: _Connection, request: bytes) -> Response:
        try:
            await conn.stream.write(request, self.read_timeout)
            status, reason, raw, version = await self._read_head(conn)
            while 100 <= status < 200:  # interim answers (100 Continue, 103 Early Hints)
                status, reason, raw, version = await self._read_head(conn)
        except (httpcore.ReadError, httpcore.WriteError, httpcore.RemoteProtocolError):
            if conn.reused and not conn.buffer:
                raise _StaleConnection from None
            raise
        headers = httpx.Headers(raw)
        connection = headers.get("connection", "").lower()
        keep = version == b"HTTP/1.1" and "close" not in connection
        coding = headers.get("transfer-encoding")
        length_text = headers.get("content-length")
        length = 0
        if status in _NO_BODY:
            framing = "none"
        elif coding is not None and "chunked" in coding.lower():
            framing = "chunked"
        elif length_text is not None:
            length_text = length_text.split(",")[0].strip()
            if not length_text.isdigit():
                raise httpcore.RemoteProtocolError(f"bad Content-Length {length_text[:20]!r}")
            length = int(length_text)
            framing = "length" if length else "none"
        else:
            framing, keep = "close", False
        return Response(
            self,
            conn,
            status,
            reason,
            headers,
            framing=framing,
            length=length,
            keep=keep,
            read_timeout=self.read_timeout,
        )

    async def _read_head(self, conn: _Connection) -> tuple[int, str, _RawHeaders, bytes]:
        searched = 0
        while True:
            end = conn.buffer.find(b"\r\n\r\n", max(0, searched - 3))
            if end >= 0:
                break
            searched = len(conn.buffer)
            if searched > MAX_HEAD_BYTES:
                raise httpcore.RemoteProtocolError(f"response head exceeds {MAX_HEAD_BYTES} bytes")
            if not await conn.fill(self.read_timeout):
                if not conn.buffer:
                    raise httpcore.ReadError("server closed the connection without answering")
                raise httpcore.RemoteProtocolError("connection closed inside the response head")
        head = bytes(conn.buffer[:end])
        del conn.buffer[: end + 4]
        if end > MAX_HEAD_BYTES:
            raise httpcore.RemoteProtocolError(f"response head exceeds {MAX_HEAD_BYTES} bytes")
        lines = head.split(b"\r\n")
        version, _, rest = lines[0].partition(b" ")
        code, _, reason = rest.partition(b" ")
        if not version.startswith(b"HTTP/1.") or len(code) != 3 or not code.isdigit():
            raise httpcore.RemoteProtocolError(f"not an HTTP/1.x status line: {lines[0][:60]!r}")
        raw: list[tuple[bytes, bytes]] = []
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon or not name or name != name.strip():
                raise httpcore.RemoteProtocolError(f"malformed header line {line[:60]!r}")
            raw.append((name, value.strip()))
        return int(code), reason.decode("latin-1"), raw, version

    async def _acquire(self, origin: Origin) -> _Connection:
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            conn = idle.pop()
            self._idle_count -= 1
            if now - conn.idle_since < self.keepalive_expiry and not conn.stream.get_extra_info(
                "is_readable"
            ):  # readable while idle means the server closed it (or sent junk)
                conn.reused = True
                return conn
            await _close(conn)
        scheme, host, port = origin
        stream = await self.backend.connect_tcp(host, port, timeout=self.connect_timeout)
        if scheme == "https":
            try:
                stream = await stream.start_tls(
                    self.ssl_context, server_hostname=host, timeout=self.connect_timeout
                )
            except BaseException:
                await stream.aclose()
                raise
        return _Connection(stream, origin)

    async def release(self, conn: _Connection) -> None:
        """Keep a connection whose answer was read to the end for the next request."""
        now = time.monotonic()
        if now - self._swept_at > self.keepalive_expiry:
            await self._sweep(now)
        if self._idle_count >= self.max_idle:
            await _close(conn)
            return
        conn.idle_since = now
        conn.reused = False
        self._idle.setdefault(conn.origin, []).append(conn)
        self._idle_count += 1

    async def _sweep(self, now: float) -> None:
        """Close expired idle connections, also those of origins not asked for since."""
        self._swept_at = now
        expired: list[_Connection] = []
        for origin in list(self._idle):
            conns = self._idle[origin]
            keep = [c for c in conns if now - c.idle_since < self.keepalive_expiry]
            expired += [c for c in conns if now - c.idle_since >= self.keepalive_expiry]
            if keep:
                self._idle[origin] = keep
            else:
                del self._idle[origin]
        self._idle_count -= len(expired)
        for conn in expired:
            await _close(conn)

    async def aclose(self) -> None:
        idle, self._idle, self._idle_count = self._idle, {}, 0
        for conns in idle.values():
            for conn in conns:
                await _close(conn)


async def _close(conn: _Connection) -> None:
    with contextlib.suppress(Exception):  # a broken connection may fail to close; it is gone
        await conn.stream.aclose()


def _request_target(parts: SplitResult) -> tuple[Origin, str, str]:
    """(origin, request target, Host header) of an http(s) URL; non-ASCII is encoded."""
    scheme = parts.scheme.lower()
    hostname = parts.hostname or ""
    try:
        hostname.encode("ascii")
    except UnicodeEncodeError:
        try:
            hostname = hostname.encode("idna").decode("ascii")
        except UnicodeError:
            raise httpcore.UnsupportedProtocol(f"invalid host name {hostname[:100]!r}") from None
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise httpcore.UnsupportedProtocol(f"invalid port in {parts.netloc[:100]!r}") from None
    bracketed = f"[{hostname}]" if ":" in hostname else hostname
    default = (scheme == "https" and port == 443) or (scheme == "http" and port == 80)
    host_header = bracketed if default else f"{bracketed}:{port}"
    path = quote(parts.path or "/", safe=_SAFE_PATH)
    target = f"{path}?{quote(parts.query, safe=_SAFE_QUERY)}" if parts.query else path
    return (scheme, hostname, port), target, host_header


def _field(name: str, value: str) -> str:
    if "\r" in value or "\n" in value or "\r" in name or "\n" in name or ":" in name:
        raise httpcore.LocalProtocolError(f"illegal header {name[:40]!r}")
    return f"{name}: {value}"
