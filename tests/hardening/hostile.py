"""A hostile HTTP server on loopback, and the test network that reaches it through the SSRF guard.

`HostileServer` serves one misbehaving endpoint per path (slow drips, silence, bombs, entity
tricks, redirect loops and redirects to private addresses, broken charsets, rate limits, ...)
on 127.0.0.1, plus a TLS listener with a self-signed certificate. `HOSTILE` lists every path.

The crawler under test runs with the guard ON (`allow_private_networks=False`). Test host
names (`*.test`) resolve through `TestResolver` to `FAKE_PUBLIC`, an address the guard accepts,
and `LoopbackRouter` (the fetcher's network backend) turns every connection the guard let
through into a connection to 127.0.0.1 on the same port. It refuses any other address, so no
byte can leave the machine even if the guard had a hole: a hole shows as a failed assertion.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import ipaddress
import socket
import ssl
import subprocess
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from ssl import SSLContext
from types import TracebackType

import brotli

from app.crawlers.connector import ProtocolFactory
from app.crawlers.transport import ResolveError

FAKE_PUBLIC = "93.184.216.34"  # passes the guard; LoopbackRouter sends it to 127.0.0.1
BOMB_BYTES = 256 * 1024 * 1024  # what each compression bomb inflates to

# Names the resolver answers with non-public addresses (the guard must refuse them).
PRIVATE_NAMES = {
    "localhost": ["127.0.0.1"],
    "internal.test": ["10.1.2.3"],
    "metadata.google.internal": ["169.254.169.254"],
    "rebind.test": ["192.168.0.10", "::1"],
}


class TestResolver:
    """DNS for tests: `*.test` is public (FAKE_PUBLIC), a few names are private, the rest NXDOMAIN.

    IP literals pass through, including the legacy IPv4 spellings `getaddrinfo` accepts
    (`2130706433`, `0x7f.1`), so the guard sees what the system resolver would give it.
    """

    __test__ = False  # not a pytest class

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        with contextlib.suppress(ValueError):
            return [str(ipaddress.ip_address(host.split("%", 1)[0]))]
        with contextlib.suppress(OSError):
            return [socket.inet_ntoa(socket.inet_aton(host))]  # no lookup: parsing only
        if host in PRIVATE_NAMES:
            return PRIVATE_NAMES[host]
        if host.endswith(".test") and not host.startswith("nxdomain"):
            return [FAKE_PUBLIC]
        raise ResolveError(f"DNS lookup failed for {host}: Name or service not known")


class LoopbackRouter:
    """Connects what the guard allowed to 127.0.0.1; anything but FAKE_PUBLIC is a test failure.

    A `connector.Network`: TLS, when asked for, runs over the routed connection with the
    fetcher's context and the URL's host name.
    """

    def __init__(self) -> None:
        self.connects: list[tuple[str, int]] = []
        self.refused: list[str] = []

    async def create_connection(
        self,
        protocol_factory: ProtocolFactory,
        host: str,
        port: int,
        *,
        ssl: SSLContext | None,
        server_hostname: str | None,
    ) -> tuple[asyncio.BaseTransport, asyncio.BaseProtocol]:
        if host != FAKE_PUBLIC:
            self.refused.append(host)
            raise AssertionError(f"the guard let a connection to {host} through")
        self.connects.append((host, port))
        loop = asyncio.get_running_loop()
        return await loop.create_connection(
            protocol_factory, "127.0.0.1", port, ssl=ssl, server_hostname=server_hostname
        )


# ---------------------------------------------------------------------------------------------
# Payloads


def rss(items: Iterable[tuple[str, str, str]], *, encoding: str = "utf-8", head: str = "") -> str:
    """An RSS 2.0 document from (guid, link, title) triples."""
    parts = [
        f'<?xml version="1.0" encoding="{encoding}"?>{head}',
        '<rss version="2.0"><channel><title>Hostile</title><link>http://articles.invalid/</link>',
        "<description>d</description>",
    ]
    for guid, link, title in items:
        parts.append(
            f'<item><guid isPermaLink="false">{guid}</guid><link>{link}</link>'
            f"<title>{title}</title><description>Isi berita {title}.</description>"
            "<pubDate>Sat, 21 Nov 2026 08:00:00 +0700</pubDate></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts)


def ok_feed(tag: str) -> bytes:
    return rss(
        (f"{tag}-{i}", f"http://articles.invalid/{tag}/{i}.html", f"Berita {tag} {i}")
        for i in range(3)
    ).encode()


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b']><rss version="2.0"><channel><title>&lol9;</title></channel></rss>'
)
QUADRATIC = (
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "'
    + b"A" * 50_000
    + b'">]><rss version="2.0"><channel><title>'
    + b"&a;" * 20_000
    + b"</title></channel></rss>"
)
XXE = (
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<rss version="2.0"><channel><title>x</title><item><title>&xxe;</title>'
    b"<link>http://articles.invalid/xxe</link></item></channel></rss>"
)
XXE_PARAMETER = (
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY % remote SYSTEM "http://169.254.169.254/x">'
    b'%remote;]><rss version="2.0"><channel><title>x</title></channel></rss>'
)


@cache
def bomb(coding: str) -> bytes:
    """BOMB_BYTES of zeros compressed with `coding` (built once per process, streamed)."""
    block = bytes(1024 * 1024)
    if coding == "br":
        compressor = brotli.Compressor(quality=5)
        out = [compressor.process(block) for _ in range(BOMB_BYTES // len(block))]
        return b"".join(out) + compressor.finish()
    wbits = zlib.MAX_WBITS | 16 if coding == "gzip" else zlib.MAX_WBITS
    deflater = zlib.compressobj(9, zlib.DEFLATED, wbits)
    out = [deflater.compress(block) for _ in range(BOMB_BYTES // len(block))]
    return b"".join(out) + deflater.flush()


# ---------------------------------------------------------------------------------------------
# The server


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        path = self.path.partition("?")[0]
        owner = self.server.owner
        with owner.lock:
            owner.hits[path] = owner.hits.get(path, 0) + 1
        route = ROUTES.get(path) or (_chain if path.startswith("/chain/") else None)
        with contextlib.suppress(TimeoutError, ConnectionError, ssl.SSLError):
            if route is None:
                self.respond(404, b"not found", "text/plain")
            else:
                route(self)

    # helpers -----------------------------------------------------------------------------
    def respond(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/rss+xml; charset=utf-8",
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location: str, status: int = 302) -> None:
        self.respond(status, b"", "text/plain", [("Location", location)])

    def stopping(self) -> bool:
        return self.server.owner.stop.is_set()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


def _drip(h: Handler) -> None:
    """A valid feed, one byte every 1.5 s: each read is in time, the whole never is."""
    h.send_response(200)
    h.send_header("Content-Type", "application/rss+xml")
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    for byte in ok_feed("drip"):
        if h.stopping():
            return
        h.wfile.write(b"1\r\n%c\r\n" % byte)
        h.wfile.flush()
        time.sleep(1.5)


def _silent(h: Handler) -> None:
    """Reads the request, then says nothing at all."""
    while not h.stopping():
        time.sleep(0.1)


def _stream_forever(h: Handler, chunk: bytes, *, chunked: bool) -> None:
    for _ in range(100_000):  # ~ several GB; the client hangs up long before
        if h.stopping():
            return
        h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)


def _huge_declared(h: Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "application/rss+xml")
    h.send_header("Content-Length", str(50 * 1024**3))
    h.end_headers()
    _stream_forever(h, b" " * 65536, chunked=False)


def _huge_chunked(h: Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "application/rss+xml")
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    head = b'<?xml version="1.0"?><rss><channel>'
    h.wfile.write(b"%x\r\n%s\r\n" % (len(head), head))
    item = b"<item><title>x</title><link>http://articles.invalid/x</link></item>" * 1000
    _stream_forever(h, item, chunked=True)


def _huge_unframed(h: Handler) -> None:
    """Neither Content-Length nor chunked: the body ends when the connection closes."""
    h.send_response(200)
    h.send_header("Content-Type", "application/rss+xml")
    h.send_header("Connection", "close")
    h.end_headers()
    _stream_forever(h, b"<item><title>x</title></item>" * 2000, chunked=False)
    h.close_connection = True


def _bomb(coding: str, header: str | None = None) -> Callable[[Handler], None]:
    def route(h: Handler) -> None:
        h.respond(200, bomb(coding), headers=[("Content-Encoding", header or coding)])

    return route


def _header_bomb(h: Handler) -> None:
    h.send_response(200)
    for i in range(20_000):
        h.send_header(f"X-Junk-{i}", "y" * 100)
    h.end_headers()


def _body(body: bytes, content_type: str = "application/rss+xml; charset=utf-8"):  # type: ignore[no-untyped-def]
    return lambda h: h.respond(200, body, content_type)


def _status(status: int, headers: Iterable[tuple[str, str]] = ()):  # type: ignore[no-untyped-def]
    return lambda h: h.respond(status, b"go away", "text/plain", list(headers))


def _redirect(location: str | Callable[[Handler], str], status: int = 302):  # type: ignore[no-untyped-def]
    return lambda h: h.redirect(location(h) if callable(location) else location, status)


def _chain(h: Handler) -> None:
    n = int(h.path.rsplit("/", 1)[1] or 0)
    h.redirect(f"/chain/{n + 1}", 301)


def _own_port(path: str, host: str) -> Callable[[Handler], str]:
    return lambda h: f"http://{host}:{h.server.server_address[1]}{path}"


NUL_FEED = rss([("nul-1", "http://articles.invalid/nul/1.html", "Judul\x00dengan NUL")]).encode()
MISLABELLED = rss(
    [("latin-1", "http://articles.invalid/latin/1.html", "Kementerian menolak tuduhan — café")],
    encoding="utf-8",
).encode("cp1252")  # declared UTF-8, sent as Windows-1252
BOGUS_CHARSET = rss(
    [("bogus-1", "http://articles.invalid/bogus/1.html", "Berita biasa")],
    encoding="x-no-such-charset",
).encode()
UTF16_UNDECLARED = rss(
    [("utf16-1", "http://articles.invalid/utf16/1.html", "Berita UTF-16")], encoding="utf-16"
).encode("utf-16-le")  # no BOM, declared utf-16
TRUNCATED = ok_feed("truncated")[:-60]
HTML_PAGE = b"<!doctype html><html><head><title>Beranda</title></head><body>Hi</body></html>"
DUP_GUIDS = rss(
    [
        ("same", "http://articles.invalid/dup/1.html", "Satu"),
        ("same", "http://articles.invalid/dup/1.html", "Satu lagi"),
        ("same", "http://articles.invalid/dup/2.html", "Dua, GUID dipakai ulang"),
        ("other", "http://articles.invalid/dup/1.html?utm_source=x", "Satu dengan utm"),
    ]
).encode()
JSON_DEEP = (
    b'{"version": "https://jsonfeed.org/version/1.1", "items": '
    + b"[" * 100_000
    + b"]" * 100_000
    + b"}"
)
XML_DEEP = (
    b'<?xml version="1.0"?><rss version="2.0"><channel>'
    + b"<a>" * 50_000
    + b"</a>" * 50_000
    + b"</channel></rss>"
)
GARBAGE = bytes(range(256)) * 64


def _retry_date(h: Handler) -> None:
    when = email.utils.formatdate(time.time() + 7200, usegmt=True)
    h.respond(503, b"maintenance", "text/plain", [("Retry-After", when)])


ROUTES: dict[str, Callable[[Handler], None]] = {
    "/ok": _body(ok_feed("ok")),
    "/drip": _drip,
    "/silent": _silent,
    "/huge-declared": _huge_declared,
    "/huge-chunked": _huge_chunked,
    "/huge-unframed": _huge_unframed,
    "/gzip-bomb": _bomb("gzip"),
    "/deflate-bomb": _bomb("deflate"),
    "/br-bomb": _bomb("br"),
    "/header-bomb": _header_bomb,
    "/billion-laughs": _body(BILLION_LAUGHS),
    "/quadratic": _body(QUADRATIC),
    "/xxe": _body(XXE),
    "/xxe-parameter": _body(XXE_PARAMETER),
    "/loop": _redirect("/loop"),
    "/chain/0": _chain,
    "/to-metadata": _redirect("http://169.254.169.254/latest/meta-data/iam/"),
    "/to-metadata-name": _redirect("http://metadata.google.internal/computeMetadata/v1/"),
    "/to-private": _redirect("http://10.0.0.1/feed.xml"),
    "/to-private-name": _redirect("http://internal.test/feed.xml"),
    "/to-loopback": _redirect(_own_port("/ok", "127.0.0.1")),
    "/to-localhost": _redirect(_own_port("/ok", "localhost")),
    "/to-decimal-loopback": _redirect(_own_port("/ok", "2130706433")),
    "/to-hex-loopback": _redirect(_own_port("/ok", "0x7f.1")),
    "/to-link-local": _redirect("http://169.254.10.20/"),
    "/to-link-local-v6": _redirect("http://[fe80::1]/"),
    "/to-v6-loopback": _redirect(_own_port("/ok", "[::1]")),
    "/to-v4-mapped": _redirect("http://[::ffff:10.0.0.1]/"),
    "/to-v4-mapped-metadata": _redirect("http://[::ffff:169.254.169.254]/"),
    "/to-v4-compatible": _redirect("http://[::127.0.0.1]/"),
    "/to-nat64": _redirect("http://[64:ff9b::a9fe:a9fe]/"),
    "/to-6to4": _redirect("http://[2002:a00:1::1]/"),
    "/to-teredo": _redirect("http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/"),  # client 10.0.0.1
    "/to-unique-local-v6": _redirect("http://[fd00::1]/"),
    "/to-rebind-name": _redirect("http://rebind.test/"),
    "/to-file": _redirect("file:///etc/passwd"),
    "/no-location": _status(302),
    "/bogus-charset": _body(BOGUS_CHARSET, "application/rss+xml; charset=x-no-such-charset"),
    "/mislabelled-charset": _body(MISLABELLED),
    "/utf16-no-bom": _body(UTF16_UNDECLARED, "application/rss+xml"),
    "/nul-bytes": _body(NUL_FEED),
    "/truncated": _body(TRUNCATED),
    "/html": _body(HTML_PAGE, "text/html; charset=utf-8"),
    "/empty": _body(b""),
    "/garbage": _body(GARBAGE, "application/octet-stream"),
    "/json-deep": _body(JSON_DEEP, "application/feed+json"),
    "/xml-deep": _body(XML_DEEP),
    "/dup-guids": _body(DUP_GUIDS),
    "/429-seconds": _status(429, [("Retry-After", "7200")]),
    "/503-date": _retry_date,
    "/500": _status(500),
    "/gone": _status(410),
}
HOSTILE = sorted(p for p in ROUTES if p != "/ok")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default 5 drops SYNs when a whole batch connects at once
    owner: HostileServer

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients hanging up mid-body is the normal case here: stay quiet."""


class HostileServer:
    """The hostile endpoints on 127.0.0.1 (plain HTTP) and a self-signed TLS twin."""

    def __init__(self, cert_dir: Path | None = None) -> None:
        self.hits: dict[str, int] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.cert_dir = cert_dir
        self._servers: list[_Server] = []

    def __enter__(self) -> HostileServer:
        for coding in ("gzip", "deflate", "br"):
            bomb(coding)  # built before serving, so a bomb is sent at wire speed
        self.http = self._start()
        self.tls: _Server | None = None
        if self.cert_dir is not None and (cert := self_signed(self.cert_dir)) is not None:
            self.tls = self._start()
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*cert)
            self.tls.socket = context.wrap_socket(self.tls.socket, server_side=True)
        for server in self._servers:
            threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def _start(self) -> _Server:
        server = _Server(("127.0.0.1", 0), Handler)
        server.owner = self
        self._servers.append(server)
        return server

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.stop.set()
        for server in self._servers:
            server.shutdown()
            server.server_close()

    @property
    def port(self) -> int:
        return int(self.http.server_address[1])

    def url(self, path: str, *, host: str | None = None) -> str:
        """`path` on its own test host name, so politeness never serialises the endpoints."""
        name = host or (path.strip("/").replace("/", "-") or "root") + ".hostile.test"
        return f"http://{name}:{self.port}{path}"

    def tls_url(self, path: str = "/ok") -> str | None:
        if self.tls is None:
            return None
        return f"https://selfsigned.test:{self.tls.server_address[1]}{path}"

    def plain_as_tls_url(self, path: str = "/ok") -> str:
        """https:// to the plain listener: the TLS handshake gets an HTTP error page back."""
        return f"https://plaintext.test:{self.port}{path}"


def self_signed(directory: Path) -> tuple[str, str] | None:
    """A throwaway self-signed certificate for `selfsigned.test`, made with openssl."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    if not cert.exists():
        try:
            subprocess.run(
                [
                    "openssl",
                    "req",
                    "-x509",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-days",
                    "2",
                    "-subj",
                    "/CN=selfsigned.test",
                    "-keyout",
                    str(key),
                    "-out",
                    str(cert),
                ],
                check=True,
                capture_output=True,
                timeout=60,
            )
        except (OSError, subprocess.SubprocessError):
            return None
    return str(cert), str(key)
