"""A tiny loopback HTTP server for protocol details the farm does not model (bombs, drips)."""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

Route = Callable[["Handler"], None]


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A fetcher hanging up on purpose (body cap, time budget) is what these tests provoke."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@dataclass
class Loopback:
    """Serve `routes` (path -> writer) on 127.0.0.1; `hits` counts requests per path."""

    routes: dict[str, Route]
    hits: dict[str, int] = field(default_factory=dict)

    def __enter__(self) -> Loopback:
        loopback = self

        class _Bound(Handler):
            server_state = loopback

        self._server = _Server(("127.0.0.1", 0), _Bound)
        # Poll for shutdown every 50 ms: the default 0.5 s is paid by every test at its end.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


class Handler(BaseHTTPRequestHandler):
    server_state: Loopback
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        path = self.path.partition("?")[0]
        state = self.server_state
        state.hits[path] = state.hits.get(path, 0) + 1
        route = state.routes.get(path)
        if route is None:
            self.respond(404, b"not found")
            return
        with contextlib.suppress(TimeoutError, ConnectionError):  # the client gave up on purpose
            route(self)

    def respond(self, status: int, body: bytes, headers: Iterable[tuple[str, str]] = ()) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def drip(self, parts: Iterable[bytes], *, every: float) -> None:
        """Send a chunked body one part at a time, `every` seconds apart."""
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for part in parts:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.flush()
            time.sleep(every)
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""
