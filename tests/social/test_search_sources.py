"""A watchlist's search sources over the HTTP API, on both backends.

A local server plays Google News (RSS search whose links lead through the engine to the
publisher), Reddit search and Bluesky's post search, and the publisher's own feed and pages,
under two host names (127.0.0.1 the engines, localhost the publisher). The analyst sets the
watchlist's search sources, one crawl cycle runs: news results are stored under the publisher's
URL and meet the outlet's own feed on it, posts come from Reddit and Bluesky, a link that does
not lead to its named publisher is skipped; fewer platforms disable the rest; the fetch address
guard still refuses loopback searches when private networks are not allowed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from app.config import Settings
from app.crawlers.fetch import Fetcher
from app.db import Database
from app.main import create_app
from app.models import utcnow
from app.pipeline.cycle import Crawler
from app.scoring import load_scorer
from app.services.feed_config import FeedConfig
from tests.crawlers.loopback import Loopback, Route
from tests.fetching import local_fetch_options
from tests.social.served import moved, redirect, static

FIXTURES = Path(__file__).parent / "fixtures"
SOCIAL = Path(__file__).parents[1] / "crawlers" / "fixtures" / "social"
RADAR = "https://radarbatu.example.id"
FLOOD = "/2025/11/04/banjir-bandang-terjang-bumiaji-kota-batu/"
BRIDGE = "/2025/11/05/jembatan-bumiaji-putus/"  # only the search finds it
PAGE = """<!DOCTYPE html><html lang="id"><head><meta charset="utf-8">
<title>Jembatan Penghubung Desa di Bumiaji Putus Diterjang Banjir - Radar Batu</title>
<meta property="og:title" content="Jembatan Penghubung Desa di Bumiaji Putus Diterjang Banjir">
<meta property="article:published_time" content="2025-11-04T19:40:00+07:00"></head>
<body><article><h1>Jembatan Penghubung Desa di Bumiaji Putus Diterjang Banjir</h1>
<p>Jembatan penghubung antardesa di Kecamatan Bumiaji, Kota Batu, putus diterjang banjir bandang
pada Selasa sore. Warga dari tiga dusun kini harus memutar sejauh belasan kilometer.</p>
<p>BPBD Kota Batu memasang jembatan darurat dan meminta warga tidak melintas di bantaran sungai
selama hujan deras masih turun di lereng Arjuno.</p></article></body></html>"""


def _routes(port_of: dict[str, int], flood_day: date) -> dict[str, Route]:
    """The server's answers; URLs name the server's own port, known once it listens."""

    def lazy(build):  # type: ignore[no-untyped-def]
        def answer(handler):  # type: ignore[no-untyped-def]
            build()(handler)

        return answer

    def hosts() -> tuple[str, str]:
        return f"http://127.0.0.1:{port_of['port']}", f"http://localhost:{port_of['port']}"

    def search() -> Route:
        engine, publisher = hosts()
        text = (FIXTURES / "google_news_search.rss").read_text(encoding="utf-8")
        body = text.replace("{engine}", engine).replace("{publisher}", publisher)
        return static(moved(body.encode(), flood_day=flood_day), "application/rss+xml")

    def outlet_feed() -> Route:
        text = (FIXTURES / "radar_batu.rss").read_text(encoding="utf-8")
        body = text.replace(RADAR, hosts()[1]).encode()
        return static(moved(body, flood_day=flood_day), "application/rss+xml")

    def social(name: str, content_type: str) -> Route:
        return static(moved((SOCIAL / name).read_bytes(), flood_day=flood_day), content_type)

    return {
        "/rss/search": lazy(search),
        "/rss/articles/CBMiVWh0dHBzOi8vcmFkYXJiYXR1LmV4YW1wbGU": lazy(
            lambda: redirect(hosts()[1] + FLOOD)
        ),
        "/rss/articles/CBMiWmh0dHBzOi8vcmFkYXJiYXR1LmV4YW1wbGUy": lazy(
            lambda: redirect(hosts()[1] + BRIDGE)
        ),
        "/rss/articles/CBMiX2h0dHBzOi8vZWxzZXdoZXJl": lazy(
            lambda: redirect(hosts()[0] + "/consent")  # the engine's own page, not the outlet
        ),
        "/consent": static(b"<html><body>Sebelum melanjutkan</body></html>", "text/html"),
        "/radarbatu/feed": lazy(outlet_feed),
        BRIDGE: static(PAGE.encode(), "text/html; charset=utf-8"),
        "/search.rss": social("reddit_search.atom", "application/atom+xml"),
        "/xrpc/app.bsky.feed.searchPosts": social("bluesky_search.json", "application/json"),
    }


@pytest.fixture
def server() -> Iterator[Loopback]:
    port_of: dict[str, int] = {}
    flood_day = (utcnow() - timedelta(hours=20)).date()
    with Loopback(_routes(port_of, flood_day)) as loopback:
        port_of["port"] = loopback.port
        yield loopback


@pytest.fixture
async def search_client(db: Database, server: Loopback) -> AsyncIterator[httpx.AsyncClient]:
    """The API, with every search platform played by the local server."""
    engine = f"http://127.0.0.1:{server.port}"
    settings = Settings(
        database_url=db.url,
        scheduler_enabled=False,
        environment="test",
        etag_cache_seconds=0,
        api_key_cache_seconds=0,
        rate_limit_per_minute=0,
        search_google_news_url=engine,
        search_reddit_url=engine,
        search_bluesky_url=engine,
    )
    app = create_app(settings, database=db)
    app.state.database = db
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://pantau.test") as http:
        yield http


async def _crawl(db: Database, *, allow_private: bool) -> list[str | None]:
    options = local_fetch_options(user_agent="PantauTest/1", allow_private_networks=allow_private)
    async with Fetcher(options) as fetcher:
        crawler = Crawler(
            database=db,
            fetcher=fetcher,
            scorer=load_scorer(),
            feed=FeedConfig(allow_private_networks=allow_private),
        )
        summary = await crawler.run_once()
    return [o.error for o in summary.outcomes]


async def _watch_batu(client: httpx.AsyncClient, analyst: dict[str, str]) -> int:
    entity = await client.post(
        "/v1/entities", json={"name": "Kota Batu", "aliases": ["Bumiaji"]}, headers=analyst
    )
    assert entity.status_code == 201, entity.text
    watchlist = await client.post(
        "/v1/watchlists",
        json={"name": "Batu", "query": 'entity:"Kota Batu"', "entity_ids": [entity.json()["id"]]},
        headers=analyst,
    )
    assert watchlist.status_code == 201, watchlist.text
    return int(watchlist.json()["id"])


async def test_search_sources_discover_publishers_articles_and_posts(
    search_client: httpx.AsyncClient,
    db: Database,
    server: Loopback,
    admin: dict[str, str],
    analyst: dict[str, str],
    viewer: dict[str, str],
) -> None:
    client = search_client
    publisher = f"http://localhost:{server.port}"
    outlet = await client.post(
        "/v1/sources",
        json={"url": f"{publisher}/radarbatu/feed", "kind": "feed", "name": "Radar Batu"},
        headers=admin,
    )
    assert outlet.status_code == 201, outlet.text
    watchlist_id = await _watch_batu(client, analyst)
    path = f"/v1/watchlists/{watchlist_id}/search-sources"
    assert (await client.put(path, json={}, headers=viewer)).status_code == 403

    made = await client.put(path, json={}, headers=analyst)
    assert made.status_code == 200, made.text
    searches = made.json()["items"]
    assert [(s["platform"], s["kind"]) for s in searches] == [
        ("bluesky", "bluesky"),
        ("google_news", "news_search"),
        ("reddit", "reddit"),
    ]
    assert {s["terms"] for s in searches} == {'"Kota Batu" OR Bumiaji'}
    assert all(s["url"].startswith(f"http://127.0.0.1:{server.port}/") for s in searches)
    assert (await client.put(path, json={}, headers=analyst)).json() == made.json()  # idempotent
    assert (await client.get(path, headers=viewer)).json() == made.json()

    assert await _crawl(db, allow_private=True) == [None] * 4

    articles = (
        await client.get("/v1/articles", params={"kind": "article"}, headers=viewer)
    ).json()["items"]
    urls = sorted(a["url"] for a in articles)
    # The outlet's own feed and the search brought the flood report: one article. The bridge
    # report only the search found, stored under the publisher's URL, its page extracted.
    assert urls.count(publisher + FLOOD) == 1
    assert publisher + BRIDGE in urls
    assert not any("/rss/articles/" in u or "/consent" in u for u in urls)
    bridge = next(a for a in articles if a["url"] == publisher + BRIDGE)
    assert bridge["outlet"] == "localhost"  # the publisher, not the search engine
    assert bridge["title"] == "Jembatan Penghubung Desa di Bumiaji Putus Diterjang Banjir"
    posts = (await client.get("/v1/articles", params={"kind": "post"}, headers=viewer)).json()
    assert {p["platform"] for p in posts["items"]} == {"reddit", "bluesky"}
    health = (await client.get(path, headers=viewer)).json()["items"]
    assert [s["last_status"] for s in health] == ["ok"] * 3

    # Google News only: the Reddit and Bluesky searches are disabled, not deleted.
    fewer = await client.put(path, json={"platforms": ["google_news"]}, headers=analyst)
    assert [s["platform"] for s in fewer.json()["items"]] == ["google_news"]
    for gone in (s for s in searches if s["platform"] != "google_news"):
        source = await client.get(f"/v1/sources/{gone['source_id']}", headers=viewer)
        assert source.json()["enabled"] is False
    # Deleting the watchlist disables its last search.
    assert (
        await client.delete(f"/v1/watchlists/{watchlist_id}", headers=analyst)
    ).status_code == 204
    google = next(s for s in searches if s["platform"] == "google_news")
    source = await client.get(f"/v1/sources/{google['source_id']}", headers=viewer)
    assert source.json()["enabled"] is False
    assert (await client.get(path, headers=viewer)).status_code == 404


async def test_search_sources_need_something_to_search_and_share_sources(
    search_client: httpx.AsyncClient, analyst: dict[str, str]
) -> None:
    client = search_client
    bare = await client.post(
        "/v1/watchlists", json={"name": "Tanpa entitas", "query": "banjir"}, headers=analyst
    )
    path = f"/v1/watchlists/{bare.json()['id']}/search-sources"
    refused = await client.put(path, json={}, headers=analyst)
    assert refused.status_code == 422
    assert "no active entities" in refused.json()["detail"]
    assert (await client.put(path, json={"platforms": []}, headers=analyst)).json()["items"] == []
    terms = await client.put(
        path,
        json={"platforms": ["reddit"], "terms": ["banjir Batu", "banjir batu"]},
        headers=analyst,
    )
    assert [s["terms"] for s in terms.json()["items"]] == ['"banjir Batu"']
    # A second watchlist searching the same shares the source; removing it from one keeps it.
    batu = await _watch_batu(client, analyst)
    other = f"/v1/watchlists/{batu}/search-sources"
    shared = await client.put(
        other, json={"platforms": ["reddit"], "terms": ["banjir Batu"]}, headers=analyst
    )
    assert shared.json()["items"][0]["source_id"] == terms.json()["items"][0]["source_id"]
    await client.put(other, json={"platforms": []}, headers=analyst)
    assert (await client.get(path, headers=analyst)).json()["items"][0]["enabled"] is True
    assert (
        await client.put(path, json={"platforms": ["twitter"]}, headers=analyst)
    ).status_code == 422
    assert (
        await client.put("/v1/watchlists/9999/search-sources", json={}, headers=analyst)
    ).status_code == 404


async def test_the_address_guard_still_refuses_loopback_searches(
    search_client: httpx.AsyncClient, db: Database, analyst: dict[str, str]
) -> None:
    client = search_client
    watchlist_id = await _watch_batu(client, analyst)
    path = f"/v1/watchlists/{watchlist_id}/search-sources"
    assert (await client.put(path, json={}, headers=analyst)).status_code == 200
    errors = await _crawl(db, allow_private=False)
    assert len(errors) == 3 and all(errors), errors
    health = (await client.get(path, headers=analyst)).json()["items"]
    assert all(s["last_status"] == "error" and s["failing_since"] for s in health), health
    assert all("address" in (s["last_error"] or "").lower() for s in health), health
    articles = (await client.get("/v1/articles", headers=analyst)).json()["items"]
    assert articles == []


async def test_openapi_documents_search_sources_with_examples(
    search_client: httpx.AsyncClient,
) -> None:
    spec = (await search_client.get("/openapi.json")).json()
    operations = spec["paths"]["/v1/watchlists/{watchlist_id}/search-sources"]
    assert set(operations) >= {"get", "put"}
    schemas = spec["components"]["schemas"]
    assert schemas["SearchSourcesUpdate"]["examples"][0]["platforms"] == [
        "google_news",
        "reddit",
        "bluesky",
    ]
    assert schemas["SearchSourceList"]["examples"][0]["items"][0]["kind"] == "news_search"
