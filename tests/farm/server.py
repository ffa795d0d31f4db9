"""A real HTTP server for the farm: 127.0.0.1, a free port, a background thread.

    with FarmServer(Site(load_articles())) as srv:
        httpx.get(srv.url("/kompas/rss.xml"))

Transport behaviour lives here: ETag / Last-Modified with 304 answers, gzip when the client
accepts it, ``Cache-Control``, a request log, and per-path rules that inject failures (error
statuses with ``Retry-After``, HTML or an empty body where a feed is expected, redirects, delays,
validators ignored or omitted). Content changes (new articles, GUID churn) go through
:attr:`FarmServer.site`.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import gzip as gzip_lib
import hashlib
import logging
import socket
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qsl, urlencode

from tests.farm.feeds import FEED_PATHS
from tests.farm.pages import not_found_page
from tests.farm.rules import Answer, RequestRecord, Rule, http_date, not_modified
from tests.farm.site import HTML, Page, Site

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Rendered:
    page: Page
    etag: str
    gzipped: bytes | None


class FarmServer:
    """Serve a :class:`Site` over real HTTP on ``host`` (default 127.0.0.1) and a free port.

    With ``outlet`` set, serve only that outlet at the root (``/rss.xml``), as if it had its own
    host; otherwise every outlet lives under ``/<slug>/`` and the root has ``/opml.xml``,
    ``/robots.txt`` and an index page. ``gzip`` compresses responses for clients that send
    ``Accept-Encoding: gzip``; ``cache_max_age`` adds ``Cache-Control: max-age=N`` to every 200.
    Both are plain attributes, changeable while running. The log keeps the last ``log_limit``
    requests.
    """

    def __init__(
        self,
        site: Site,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        outlet: str | None = None,
        gzip: bool = True,
        cache_max_age: int | None = None,
        log_limit: int = 100_000,
    ) -> None:
        self.site = site
        self.outlet = outlet
        self.gzip = gzip
        self.cache_max_age = cache_max_age
        self._host, self._port = host, port
        self._rules: dict[str, Rule] = {}
        self._rules_lock = threading.Lock()
        self._log: deque[RequestRecord] = deque(maxlen=log_limit)
        self._cache: dict[tuple[int, str, str], _Rendered] = {}
        self._cache_version = -1
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ----- lifecycle -------------------------------------------------------------------------

    def start(self) -> FarmServer:
        """Bind and serve in a daemon thread; returns self."""
        handler = type("FarmHandler", (_Handler,), {"farm": self})
        httpd = _Server((self._host, self._port), handler)
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, args=(0.05,), name="farm", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FarmServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ----- addresses -------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port."""
        if self._httpd is None:
            raise RuntimeError("FarmServer is not running")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://{self._host}:{self.port}"

    def url(self, path: str = "/") -> str:
        """Absolute URL of a server path such as ``/kompas/rss.xml``."""
        return self.base_url + path

    def outlet_path(self, outlet: str, path: str = "/") -> str:
        """Server path of an outlet-relative path (adds the ``/<slug>`` prefix when needed)."""
        return path if self.outlet else f"/{outlet}{path}"

    def outlet_url(self, outlet: str, path: str = "/") -> str:
        """Absolute URL of an outlet-relative path, e.g. ``outlet_url("kompas", "/atom.xml")``."""
        return self.url(self.outlet_path(outlet, path))

    def feed_url(self, outlet: str, kind: str = "rss") -> str:
        """URL of an outlet's feed; ``kind`` is rss, atom, json or rdf."""
        return self.outlet_url(outlet, FEED_PATHS[kind])

    @property
    def opml_url(self) -> str:
        """URL of the OPML listing every outlet's RSS feed (``?format=atom|json|rdf|all``)."""
        return self.url("/opml.xml")

    # ----- injected behaviour ----------------------------------------------------------------

    def set_rule(self, path: str, **fields: object) -> Rule:
        """Replace the rule for ``path`` (exact path or fnmatch pattern); see :class:`Rule`."""
        rule = Rule(**fields)  # type: ignore[arg-type]
        with self._rules_lock:
            self._rules[path] = rule
        return rule

    def fail(
        self,
        path: str,
        status: int = 500,
        *,
        retry_after: int | str | None = None,
        times: int | None = None,
    ) -> Rule:
        """Answer ``status`` (404, 410, 429, 500, 503...) for ``path``, optionally N times."""
        return self.set_rule(path, status=status, retry_after=retry_after, times=times)

    def serve_html(self, path: str, *, times: int | None = None) -> Rule:
        """Serve the outlet's HTML home page where e.g. a feed is expected."""
        return self.set_rule(path, body="html", times=times)

    def serve_empty(self, path: str, *, times: int | None = None) -> Rule:
        """Serve 200 with an empty body."""
        return self.set_rule(path, body="empty", times=times)

    def ignore_validators(self, path: str, *, omit: bool = False) -> Rule:
        """Always answer 200 with the full body (``omit``: also send no ETag/Last-Modified)."""
        return self.set_rule(path, validators="omit" if omit else "ignore")

    def redirect(self, path: str, to: str, status: int = 301) -> Rule:
        """Redirect ``path`` to ``to`` (a path or absolute URL)."""
        return self.set_rule(path, status=status, location=to)

    def slow(self, path: str, seconds: float) -> Rule:
        """Delay answers for ``path`` by ``seconds``."""
        return self.set_rule(path, delay=seconds)

    def clear_rules(self, path: str | None = None) -> None:
        """Drop the rule for ``path``, or all rules."""
        with self._rules_lock:
            if path is None:
                self._rules.clear()
            else:
                self._rules.pop(path, None)

    def _take_rule(self, path: str) -> Rule | None:
        with self._rules_lock:
            key = path if path in self._rules else None
            if key is None:
                key = next((p for p in self._rules if fnmatch.fnmatchcase(path, p)), None)
            if key is None:
                return None
            rule = self._rules[key]
            if rule.times is not None:
                rule.times -= 1
                if rule.times <= 0:
                    del self._rules[key]
            return dataclasses.replace(rule)

    # ----- request log -----------------------------------------------------------------------

    def requests(self, path: str | None = None, method: str | None = None) -> list[RequestRecord]:
        """Logged requests, oldest first, optionally for one path and/or method."""
        return [
            r
            for r in list(self._log)
            if (path is None or r.path == path) and (method is None or r.method == method)
        ]

    def hits(self, path: str) -> int:
        """How many requests ``path`` received."""
        return len(self.requests(path))

    def clear_log(self) -> None:
        """Forget logged requests."""
        self._log.clear()

    # ----- answering -------------------------------------------------------------------------

    def _render(self, path: str, query: str) -> _Rendered:
        version = self.site.version
        kept = [(k, v) for k, v in parse_qsl(query) if not k.startswith("utm_")]
        key = (version, path, urlencode(kept))
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        if version != self._cache_version or len(self._cache) > 20_000:
            self._cache.clear()
            self._cache_version = version
        page = self.site.render(path, base_url=self.base_url, query=key[2], outlet=self.outlet)
        etag = '"' + hashlib.sha1(page.body, usedforsecurity=False).hexdigest()[:20] + '"'
        packed = gzip_lib.compress(page.body, 5, mtime=0) if len(page.body) > 512 else None
        rendered = _Rendered(page, etag, packed)
        self._cache[key] = rendered
        return rendered

    def _home(self, path: str) -> Page:
        slug = "" if self.outlet else "/" + path.lstrip("/").split("/")[0]
        page = self._render(slug + "/", "").page
        return page if page.status == 200 else self._render("/", "").page

    def _answer(self, path: str, query: str, headers: dict[str, str]) -> Answer:
        rule = self._take_rule(path) or Rule()
        if rule.hold is not None:
            rule.hold.wait(rule.delay or None)
        elif rule.delay:
            time.sleep(rule.delay)
        if rule.location is not None:
            return Answer(rule.status or 301, {"Location": rule.location}, b"")
        if rule.status is not None:
            extra = {"Content-Type": HTML}
            if rule.retry_after is not None:
                extra["Retry-After"] = str(rule.retry_after)
            body = (
                rule.body
                if isinstance(rule.body, bytes)
                else not_found_page(f"Error {rule.status}")
            )
            return Answer(rule.status, extra, body)
        rendered = self._render(path, query)
        page, etag, packed = rendered.page, rendered.etag, rendered.gzipped
        if rule.body is not None:
            page = (
                self._home(path)
                if rule.body == "html"
                else dataclasses.replace(page, body=b"" if rule.body == "empty" else rule.body)
            )
            etag = '"' + hashlib.sha1(page.body, usedforsecurity=False).hexdigest()[:20] + '"'
            packed = gzip_lib.compress(page.body, 5, mtime=0) if len(page.body) > 512 else None
        out: dict[str, str] = {"Content-Type": page.content_type}
        if page.location:
            out["Location"] = page.location
            return Answer(page.status, out, page.body)
        if page.status != 200:
            return Answer(page.status, out, page.body)
        if rule.validators != "omit":
            out["ETag"] = etag
            if page.last_modified is not None:
                out["Last-Modified"] = http_date(page.last_modified.timestamp())
        max_age = rule.max_age if rule.max_age is not None else self.cache_max_age
        if max_age is not None:
            out["Cache-Control"] = f"max-age={max_age}"
        if rule.validators == "honour" and not_modified(headers, etag, page):
            return Answer(304, {k: v for k, v in out.items() if k != "Content-Type"}, b"")
        body = page.body
        if self.gzip and packed is not None:
            out["Vary"] = "Accept-Encoding"
            if "gzip" in headers.get("accept-encoding", ""):
                out["Content-Encoding"] = "gzip"
                body = packed
        return Answer(200, out, body)

    def _record(self, record: RequestRecord) -> None:
        self._log.append(record)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    allow_reuse_address = True

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that hang up (timeouts, cancelled benchmarks) are normal; log the rest."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            logger.exception("farm connection failed", extra={"client": str(client_address)})


class _Handler(BaseHTTPRequestHandler):
    farm: FarmServer
    protocol_version = "HTTP/1.1"
    server_version = "PantauFarm/1.0"
    timeout = 30

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._handle(head=False)

    def do_HEAD(self) -> None:
        self._handle(head=True)

    def _handle(self, *, head: bool) -> None:
        path, _, query = self.path.partition("?")
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            answer = self.farm._answer(path, query, headers)
        except Exception:  # a farm bug must show up as a logged 500, not a dropped connection
            logger.exception("farm failed to answer", extra={"path": path})
            answer = Answer(500, {"Content-Type": HTML}, not_found_page("Farm error"))
        record = RequestRecord(self.command, path, query, headers, time.time(), answer.status)
        self.farm._record(record)
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if not head and answer.status != 304:
            self.wfile.write(answer.body)

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: tests read :meth:`FarmServer.requests` instead of stderr."""
