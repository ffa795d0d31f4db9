"""The second hostile farm (issue 18): several members of each class that stopped ingestion.

Everything is generated at start-up (nothing big is committed) and served by a threaded HTTP
server on 127.0.0.1. Every feed that is hostile in its items or headers also carries healthy
items, which must be stored whatever the hostile ones do; `/ok/*` are healthy feeds and
`/article/*` the pages that sitemap items point to (with Indonesian date lines).

- dates: year 0001 (RSS), 9999 (RSS), year 1 at +07:00 (JSON Feed), 2100 (Atom), 9999 and
  0001 (sitemap);
- header numbers: Retry-After of 400 nines, "²", "inf", a year-1 date; a Last-Modified of 300
  characters; a 4,000-character ETag; max-age=²; Expires in year 1;
- bad items: a host with U+202E, a million-digit JSON id, port 99999, a broken IPv6 literal,
  a 5,000-character URL;
- volume: 1,200 items in one feed (over the test's cap);
- parse time: one element with 40,000 attributes (feedparser: minutes).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

GOOD_DATE = "Sat, 05 Dec 2026 06:00:00 +0700"
HEALTHY_PER_FEED = 2


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/rss+xml; charset=utf-8"


def _item(link: str, title: str, date: str = GOOD_DATE, guid: str | None = None) -> str:
    return (
        f"<item><guid isPermaLink='false'>{guid or link}</guid><link>{link}</link>"
        f"<title>{title}</title><pubDate>{date}</pubDate>"
        f"<description>Isi berita {title}: Komisi Pemberantasan Korupsi memeriksa pejabat "
        "daerah terkait dugaan suap proyek jalan di Jawa Barat.</description></item>"
    )


def healthy_items(base: str, slug: str) -> list[str]:
    return [
        _item(f"{base}/read/{slug}/{n}", f"Berita sehat {slug} nomor {n} dari farm")
        for n in range(HEALTHY_PER_FEED)
    ]


def rss(items: list[str]) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Kelas</title>'
        f"<link>http://x.invalid/</link><description>d</description>{''.join(items)}"
        "</channel></rss>"
    ).encode()


def json_feed(items: list[dict[str, object]]) -> bytes:
    head = '{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": ['
    return (head + ", ".join(json.dumps(i) for i in items) + "]}").encode()


def _feeds(base: str) -> dict[str, Response]:
    def with_healthy(slug: str, *hostile: str) -> bytes:
        return rss([*hostile, *healthy_items(base, slug)])

    def plain(slug: str) -> bytes:
        return with_healthy(slug)

    routes: dict[str, Response] = {
        # dates
        "/d/rss-year1": Response(
            body=with_healthy(
                "y1",
                _item(f"{base}/read/y1/old", "Berita tahun satu", "Mon, 01 Jan 0001 00:00:00 GMT"),
            )
        ),
        "/d/rss-9999": Response(
            body=with_healthy(
                "y9",
                _item(f"{base}/read/y9/far", "Berita tahun jauh", "Fri, 31 Dec 9999 23:59:59 GMT"),
            )
        ),
        "/d/atom-2100": Response(
            body=(
                '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
                f'<entry><id>{base}/read/at/1</id><link href="{base}/read/at/1"/>'
                "<title>Berita atom masa depan</title><updated>2100-01-01T00:00:00Z</updated>"
                "<summary>Isi berita atom.</summary></entry>"
                f'<entry><id>{base}/read/at/2</id><link href="{base}/read/at/2"/>'
                "<title>Berita atom hari ini</title><updated>2026-12-05T06:00:00+07:00</updated>"
                "<summary>Isi berita atom kedua.</summary></entry></feed>"
            ).encode(),
            content_type="application/atom+xml",
        ),
        "/d/sitemap-9999": Response(
            body=(
                '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<url><loc>{base}/article/1.html</loc><lastmod>9999-12-31</lastmod></url>"
                f"<url><loc>{base}/article/2.html</loc><lastmod>0001-01-01</lastmod></url>"
                "</urlset>"
            ).encode(),
            content_type="application/xml",
        ),
        # header numbers
        "/h/retry-nines": Response(503, headers={"Retry-After": "9" * 400}),
        "/h/retry-superscript": Response(429, headers={"Retry-After": "²"}),
        "/h/retry-inf": Response(503, headers={"Retry-After": "inf"}),
        "/h/retry-year1": Response(503, headers={"Retry-After": "Mon, 01 Jan 0001 00:00:00 GMT"}),
        "/h/last-modified-long": Response(
            body=plain("lm"), headers={"Last-Modified": "Sat, 05 Dec 2026 " + "x" * 300}
        ),
        "/h/etag-huge": Response(body=plain("et"), headers={"ETag": '"' + "e" * 4000 + '"'}),
        "/h/max-age-superscript": Response(
            body=plain("ma"), headers={"Cache-Control": "max-age=²"}
        ),
        "/h/expires-year1": Response(
            body=plain("ex"),
            headers={"Expires": "Mon, 01 Jan 0001 00:00:00 GMT", "Date": GOOD_DATE},
        ),
        # bad items among good ones
        "/i/bidi-host": Response(
            body=with_healthy("bi", _item("http://ex\u202eample.com/a", "Berita bidi"))
        ),
        "/i/bad-port": Response(
            body=with_healthy("bp", _item("http://example.com:99999/a", "Berita port"))
        ),
        "/i/broken-ipv6": Response(body=with_healthy("v6", _item("http://[::1/a", "Berita ipv6"))),
        "/i/long-url": Response(
            body=with_healthy("lu", _item(f"{base}/read/{'a' * 5000}", "Berita panjang"))
        ),
        "/i/huge-json-id": Response(
            body=json_feed(
                [
                    {"id": 0, "url": f"{base}/read/js/0", "title": "Berita json nol"},
                    {"id": 1, "url": f"{base}/read/js/1", "title": "Berita json satu"},
                ]
            ).replace(b'"id": 0', b'"id": ' + b"7" * 1_000_000),
            content_type="application/feed+json",
        ),
        "/i/json-year1": Response(
            body=json_feed(
                [
                    {
                        "id": "a",
                        "url": f"{base}/read/jy/0",
                        "title": "Berita json lama",
                        "date_published": "0001-01-01T00:00:00+07:00",
                    },
                    {
                        "id": "b",
                        "url": f"{base}/read/jy/1",
                        "title": "Berita json baru",
                        "date_published": "2026-12-05T06:00:00+07:00",
                    },
                ]
            ),
            content_type="application/feed+json",
        ),
        # volume
        "/c/many-items": Response(
            body=rss(
                [
                    _item(f"{base}/read/many/{n}", f"Berita banyak nomor {n} hari ini")
                    for n in range(1200)
                ]
            )
        ),
        # parse time: one element carrying 40,000 attributes
        "/p/attrs": Response(
            body=rss(
                [
                    "<item><title "
                    + " ".join(f'a{n}="{n}"' for n in range(40_000))
                    + f">x</title><link>{base}/read/attrs/1</link></item>"
                ]
            )
        ),
        # healthy
        "/ok/a": Response(body=plain("oka")),
        "/ok/b": Response(body=plain("okb")),
    }
    return routes


FEED_PATHS = [
    "/d/rss-year1", "/d/rss-9999", "/d/atom-2100", "/h/retry-nines", "/h/retry-superscript",
    "/h/retry-inf", "/h/retry-year1", "/h/last-modified-long", "/h/etag-huge",
    "/h/max-age-superscript", "/h/expires-year1", "/i/bidi-host", "/i/bad-port",
    "/i/broken-ipv6", "/i/long-url", "/i/huge-json-id", "/i/json-year1", "/c/many-items",
    "/p/attrs", "/ok/a", "/ok/b",
]  # fmt: skip
SITEMAP_PATHS = ["/d/sitemap-9999"]


def article_page(n: int) -> bytes:
    body = " ".join(
        f"Kalimat ke-{i} tentang pemeriksaan pejabat daerah oleh penyidik di Bandung."
        for i in range(20)
    )
    return (
        f'<!DOCTYPE html><html lang="id"><head><title>Artikel {n}</title></head><body>'
        f"<h1>Penyidik Periksa Pejabat Daerah Nomor {n}</h1>"
        '<div class="read__info">Sabtu, 05 Desember 2026 - 06:00 WIB</div>'
        f"<article><p>{body}</p></article></body></html>"
    ).encode()


class ClassServer:
    """The farm on 127.0.0.1 (a free port), as a context manager."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits[self.path] = server.hits.get(self.path, 0) + 1
                response = server.respond(self.path)
                self.send_response(response.status)
                self.send_header("Content-Type", response.content_type)
                self.send_header("Content-Length", str(len(response.body)))
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(response.body)

            def log_message(self, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self.routes = _feeds(self.base)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def respond(self, path: str) -> Response:
        path = path.split("?", 1)[0]  # copies of a member differ by query only (bench/)
        if path == "/slow":  # answers after 20 s: a poll still in flight when a cycle stops
            time.sleep(20)
            return Response(body=rss(healthy_items(self.base, "slow")))
        if path in self.routes:
            return self.routes[path]
        if path.startswith("/article/"):
            n = int(path.rsplit("/", 1)[1].split(".")[0])
            return Response(body=article_page(n), content_type="text/html; charset=utf-8")
        if path == "/robots.txt":
            return Response(body=b"User-agent: *\nAllow: /\n", content_type="text/plain")
        return Response(404, b"not found", content_type="text/plain")

    def url(self, path: str) -> str:
        return self.base + path

    def __enter__(self) -> ClassServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
