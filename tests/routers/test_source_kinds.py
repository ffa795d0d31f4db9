"""Source kinds: detected when not given (API and OPML), PATCH-able, and "poll now".

A real loopback HTTP server serves each kind of source; both backends run every test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import pytest

from app.config import Settings
from app.db import Database
from app.main import create_app
from app.pipeline.scheduler import build_fetcher
from app.services import sources as service
from tests.crawlers.loopback import Handler, Loopback

NOW = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
ISO = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rss(n: int, path: str = "berita") -> bytes:
    items = "".join(
        f"<item><title>Berita nomor {i} tentang KPK</title>"
        f"<link>http://127.0.0.1/{path}/2026/12/06/{i}/kpk-periksa-saksi-{i}</link>"
        f"<pubDate>{NOW}</pubDate><description>KPK memeriksa saksi {i}.</description></item>"
        for i in range(n)
    )
    head = '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
    return f"{head}{items}</channel></rss>".encode()


ATOM = (
    '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
    f"<entry><title>Satu</title><link href='http://127.0.0.1/a/2026/1'/><id>1</id>"
    f"<updated>{ISO}</updated></entry></feed>"
).encode()
SITEMAP = (
    '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    + "".join(
        f"<url><loc>http://127.0.0.1/read/2026/12/06/{i}/berita-{i}</loc><lastmod>{ISO}</lastmod></url>"
        for i in range(4)
    )
    + "</urlset>"
).encode()
NEWS_SITEMAP = (
    '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
    'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
    + "".join(
        f"<url><loc>http://127.0.0.1/news/2026/12/06/{i}/dpr-sahkan-uu-{i}</loc><news:news>"
        f"<news:publication_date>{ISO}</news:publication_date>"
        f"<news:title>DPR sahkan undang-undang {i}</news:title></news:news></url>"
        for i in range(3)
    )
    + "</urlset>"
).encode()
INDEX = (
    b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    b"<sitemap><loc>http://127.0.0.1/news-sitemap.xml</loc></sitemap></sitemapindex>"
)


def listing(port: int) -> bytes:
    links = "".join(
        f'<li><a href="/nasional/2026/12/06/{i}/polri-tangkap-pelaku-penipuan-daring-{i}">'
        f"Polri tangkap pelaku penipuan daring nomor {i}</a></li>"
        for i in range(6)
    )
    return (
        '<!doctype html><html><head><title>Nasional</title><link rel="alternate" '
        f'type="application/rss+xml" href="/rss.xml"></head><body><main><ul>{links}</ul></main>'
        "</body></html>"
    ).encode()


ABOUT = (
    b'<!doctype html><html><head><title>Tentang Kami</title><link rel="alternate" '
    b'type="application/rss+xml" href="/rss.xml"></head><body><p>Kami media.</p></body></html>'
)


def serve(body: bytes | None = None, ctype: str = "application/xml") -> object:
    def route(handler: Handler) -> None:
        handler.respond(200, body or b"", [("Content-Type", ctype)])

    return route


@pytest.fixture
def site() -> Iterator[Loopback]:
    routes = {
        "/rss.xml": serve(rss(5), "application/rss+xml"),
        "/atom.xml": serve(ATOM, "application/atom+xml"),
        "/sitemap.xml": serve(SITEMAP),
        "/news-sitemap.xml": serve(NEWS_SITEMAP),
        "/sitemap-index.xml": serve(INDEX),
        "/about": serve(ABOUT, "text/html; charset=utf-8"),
        "/api.json": serve(b'{"data": []}', "application/json"),
        "/data.xml": serve(b'<?xml version="1.0"?><catalog><book/></catalog>'),
        "/empty": serve(b"", "text/plain"),
    }
    with Loopback(routes) as server:  # type: ignore[arg-type]
        server.routes["/nasional"] = serve(listing(server.port), "text/html; charset=utf-8")  # type: ignore[assignment]
        yield server


def local_settings(db: Database, **values: object) -> Settings:
    base: dict[str, object] = {
        "database_url": db.url,
        "scheduler_enabled": False,
        "environment": "test",
        "etag_cache_seconds": 0,
        "api_key_cache_seconds": 0,
        "rate_limit_per_minute": 0,
        "allow_private_networks": True,  # the loopback site
        "per_host_min_interval_ms": 0,
        "cpu_workers": 0,
        "poll_now_min_seconds": 0,
    }
    return Settings(**{**base, **values})  # type: ignore[arg-type]


async def open_client(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, database=db)
    app.state.database = db  # ASGITransport does not run the lifespan
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://pantau.test") as http:
            yield http
    finally:
        await app.state.fetcher.aclose()


@pytest.fixture
async def local(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    async for http in open_client(local_settings(db), db):
        yield http


CASES = [
    ("/rss.xml", "feed", "rss20", "RSS feed (rss20) with 5 items"),
    ("/atom.xml", "feed", "atom10", "Atom feed (atom10) with 1 items"),
    ("/sitemap.xml", "sitemap", "sitemap", "sitemap with 4 URLs"),
    ("/news-sitemap.xml", "sitemap", "news-sitemap", "news sitemap with 3 URLs"),
    ("/sitemap-index.xml", "sitemap", "sitemapindex", "sitemap index of 1 sitemaps"),
    ("/nasional", "listing", "listing", "listing page with 6 article links"),
]


async def test_kind_is_detected_when_not_given(
    local: httpx.AsyncClient, admin: dict[str, str], site: Loopback
) -> None:
    for path, kind, fmt, note in CASES:
        created = await local.post("/v1/sources", json={"url": site.url(path)}, headers=admin)
        assert created.status_code == 201, created.text
        body = created.json()
        assert (body["kind"], body["format"]) == (kind, fmt), path
        assert body["detected"].startswith(note), body["detected"]
        again = (await local.get(f"/v1/sources/{body['id']}", headers=admin)).json()
        assert (again["kind"], again["format"]) == (kind, fmt)
    listed = (await local.get("/v1/sources", headers=admin)).json()["items"]
    assert len(listed) == len(CASES)


async def test_listing_detection_mentions_the_advertised_feed(
    local: httpx.AsyncClient, admin: dict[str, str], site: Loopback
) -> None:
    created = await local.post("/v1/sources", json={"url": site.url("/nasional")}, headers=admin)
    assert f"advertises a feed at {site.url('/rss.xml')}" in created.json()["detected"]


@pytest.mark.parametrize(
    ("path", "found", "hint"),
    [
        ("/about", "an HTML page titled 'Tentang Kami' with 0 article links", "/rss.xml"),
        ("/api.json", "a JSON document (application/json) that is not a JSON Feed", "feed"),
        ("/data.xml", "an XML document with root <catalog>", "<urlset>"),
        ("/empty", "an empty response (text/plain)", "check the URL"),
        ("/missing", "HTTP 404", "give `kind`"),
    ],
)
async def test_unrecognisable_url_is_a_422_that_explains(
    local: httpx.AsyncClient,
    admin: dict[str, str],
    site: Loopback,
    path: str,
    found: str,
    hint: str,
) -> None:
    response = await local.post("/v1/sources", json={"url": site.url(path)}, headers=admin)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert found in problem["found"] and "Try:" in problem["detail"]
    assert hint in problem["detail"]
    assert (await local.get("/v1/sources", headers=admin)).json()["items"] == []


async def test_detection_obeys_the_address_guard(
    db: Database, admin: dict[str, str], site: Loopback
) -> None:
    async for guarded in open_client(local_settings(db, allow_private_networks=False), db):
        response = await guarded.post(
            "/v1/sources", json={"url": site.url("/rss.xml")}, headers=admin
        )
        assert response.status_code == 422
        assert "non-public address 127.0.0.1" in response.json()["detail"]
        assert site.hits.get("/rss.xml") is None  # nothing was sent


async def test_given_kind_is_not_fetched(
    local: httpx.AsyncClient, admin: dict[str, str], site: Loopback
) -> None:
    body = {"url": site.url("/about"), "kind": "listing", "selector": "main a"}
    created = await local.post("/v1/sources", json=body, headers=admin)
    assert created.status_code == 201 and created.json()["detected"] is None
    assert site.hits.get("/about") is None


async def test_wrong_kind_poll_says_what_the_body_is_and_patch_fixes_it_keeping_history(
    local: httpx.AsyncClient, admin: dict[str, str], site: Loopback
) -> None:
    """The issue's path: a sitemap registered as a feed fails with a hint; PATCH kind fixes it
    without losing the source's attempts; poll now shows the fix at once."""
    body = {"url": site.url("/news-sitemap.xml"), "kind": "feed", "name": "Tempo"}
    source = (await local.post("/v1/sources", json=body, headers=admin)).json()
    url = f"/v1/sources/{source['id']}"
    failed = await local.post(f"{url}/poll", headers=admin)
    assert failed.status_code == 202, failed.text
    report = failed.json()
    assert report["status"] == "error" and report["new_items"] == 0
    assert "looks like a news sitemap with 3 URLs" in report["error"]
    assert "change the source's kind to sitemap" in report["error"]
    assert (await local.get(url, headers=admin)).json()["last_error"] == report["error"]

    patched = await local.patch(url, json={"kind": "sitemap"}, headers=admin)
    assert patched.status_code == 200, patched.text
    assert patched.json()["kind"] == "sitemap" and patched.json()["id"] == source["id"]
    polled = (await local.post(f"{url}/poll", headers=admin)).json()
    assert polled["status"] == "ok" and polled["new_items"] == 3 and polled["items_seen"] == 3
    after = (await local.get(url, headers=admin)).json()
    assert after["format"] == "news-sitemap" and after["healthy"] is True
    attempts = (await local.get(f"{url}/attempts", headers=admin)).json()["items"]
    assert [a["status"] for a in attempts] == ["ok", "error"]  # the history is kept
    articles = (await local.get("/v1/articles?limit=10", headers=admin)).json()["items"]
    assert sorted(a["title"] for a in articles) == [
        f"DPR sahkan undang-undang {i}" for i in range(3)
    ]


async def test_patch_kind_rejects_null_and_unknown(
    local: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    body = {"url": "https://a.id/rss", "kind": "feed"}
    source = (await local.post("/v1/sources", json=body, headers=admin)).json()
    for bad in ({"kind": None}, {"kind": "podcast"}):
        response = await local.patch(f"/v1/sources/{source['id']}", json=bad, headers=admin)
        assert response.status_code == 422, bad


async def test_poll_now_is_polite_and_admin_only(
    db: Database, admin: dict[str, str], viewer: dict[str, str], site: Loopback
) -> None:
    async for http in open_client(local_settings(db, poll_now_min_seconds=600), db):
        body = {"url": site.url("/rss.xml"), "kind": "feed"}
        source = (await http.post("/v1/sources", json=body, headers=admin)).json()
        url = f"/v1/sources/{source['id']}/poll"
        assert (await http.post(url, headers=viewer)).status_code == 403
        first = await http.post(url, headers=admin)
        assert first.status_code == 202 and first.json()["new_items"] == 5
        again = await http.post(url, headers=admin)
        assert again.status_code == 429, again.text
        assert 590 <= int(again.headers["Retry-After"]) <= 601
        assert site.hits["/rss.xml"] == 1  # the refused poll sent nothing
        assert (await http.post("/v1/sources/999999/poll", headers=admin)).status_code == 404


async def test_poll_now_refuses_a_source_a_worker_holds(
    local: httpx.AsyncClient, admin: dict[str, str], db: Database, site: Loopback
) -> None:
    body = {"url": site.url("/rss.xml"), "kind": "feed"}
    source = (await local.post("/v1/sources", json=body, headers=admin)).json()
    async with db.writer.begin() as session:
        claimed = await service.claim_due_sources(
            session, worker="w1", now=datetime.now(UTC), limit=10, lease_seconds=300
        )
    assert [c.id for c in claimed] == [source["id"]]
    response = await local.post(f"/v1/sources/{source['id']}/poll", headers=admin)
    assert response.status_code == 409 and "w1" in response.json()["detail"]
    assert site.hits.get("/rss.xml") is None


async def test_poll_now_obeys_the_address_guard(
    db: Database, admin: dict[str, str], site: Loopback
) -> None:
    async for guarded in open_client(local_settings(db, allow_private_networks=False), db):
        body = {"url": site.url("/rss.xml"), "kind": "feed"}
        source = (await guarded.post("/v1/sources", json=body, headers=admin)).json()
        report = (await guarded.post(f"/v1/sources/{source['id']}/poll", headers=admin)).json()
        assert report["status"] == "error" and report["new_items"] == 0
        assert "non-public address" in report["error"]
        assert site.hits.get("/rss.xml") is None


def opml(site: Loopback) -> bytes:
    rows = "".join(
        f'<outline type="rss" text="{path}" xmlUrl="{site.url(path)}"/>'
        for path in ("/rss.xml", "/news-sitemap.xml", "/nasional", "/about")
    )
    stated = f'<outline text="stated" xmlUrl="{site.url("/atom.xml")}" pantauKind="article"/>'
    return f'<?xml version="1.0"?><opml version="2.0"><body>{rows}{stated}</body></opml>'.encode()


async def test_opml_import_detects_kinds_and_explains_the_unreadable(
    db: Database, site: Loopback
) -> None:
    fetcher = build_fetcher(local_settings(db))
    try:
        detected = await service.detect_opml(fetcher, body=opml(site), now=datetime.now(UTC))
    finally:
        await fetcher.aclose()
    assert site.hits.get("/atom.xml") is None  # a stated kind is trusted, not fetched
    async with db.writer.begin() as session:
        report = await service.import_opml(session, body=opml(site), detected=detected)
    assert report.added == 4 and report.existing == 0
    assert len(report.invalid) == 1 and report.invalid[0].startswith(site.url("/about"))
    assert "Tentang Kami" in report.invalid[0] and "Try:" in report.invalid[0]
    async with db.sessionmaker() as session:
        kinds = {s.url: (s.kind, s.format) for s in await service.all_sources(session)}
    assert kinds == {
        site.url("/rss.xml"): ("feed", "rss20"),
        site.url("/news-sitemap.xml"): ("sitemap", "news-sitemap"),
        site.url("/nasional"): ("listing", "listing"),
        site.url("/atom.xml"): ("article", None),
    }
