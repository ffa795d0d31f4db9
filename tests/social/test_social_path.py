"""Posts and claims end to end over the HTTP API, on both backends: register social and
fact-check sources on a local server serving the real formats (tests/crawlers/fixtures/social),
crawl, and read posts (kind=post), claims and the documents repeating a claim."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from app.crawlers.fetch import Fetcher
from app.db import Database
from app.pipeline.cycle import Crawler
from app.scoring import load_scorer
from app.services.feed_config import FeedConfig
from tests.crawlers.loopback import Handler, Loopback
from tests.fetching import local_fetch_options

FIXTURES = Path(__file__).parents[1] / "crawlers" / "fixtures" / "social"
FILES = {
    "/feeds/videos.xml": ("youtube_channel.xml", "application/atom+xml"),
    "/api/v1/timelines/tag/banjir": ("mastodon_tag.json", "application/json"),
    "/s/infobaturaya": ("telegram_channel.html", "text/html; charset=utf-8"),
    "/turnbackhoax/feed": ("turnbackhoax.rss", "application/rss+xml"),
}


def _fresh(body: bytes) -> bytes:
    """The fixtures' 4 November 2025 moved to yesterday, so the windows of matching hold."""
    day = datetime.now(UTC) - timedelta(days=1)
    text = body.decode("utf-8")
    text = text.replace("2025-11-04", day.strftime("%Y-%m-%d"))
    text = text.replace("2025-11-03", (day - timedelta(days=1)).strftime("%Y-%m-%d"))
    text = text.replace("04 Nov 2025", day.strftime("%d %b %Y"))
    text = text.replace("Tue, " + day.strftime("%d %b %Y"), day.strftime("%a, %d %b %Y"))
    return text.encode("utf-8")


def _route(name: str, content_type: str):  # type: ignore[no-untyped-def]
    body = _fresh((FIXTURES / name).read_bytes())

    def serve(handler: Handler) -> None:
        handler.respond(200, body, [("Content-Type", content_type)])

    return serve


async def test_posts_and_claims_through_the_api(
    client: httpx.AsyncClient, db: Database, admin: dict[str, str], analyst: dict[str, str]
) -> None:
    routes = {path: _route(name, kind) for path, (name, kind) in FILES.items()}
    with Loopback(routes) as server:
        for path, kind in [
            ("/feeds/videos.xml", "youtube"),
            ("/api/v1/timelines/tag/banjir", "mastodon"),
            ("/s/infobaturaya", "telegram"),
            ("/turnbackhoax/feed", "factcheck"),
        ]:
            made = await client.post(
                "/v1/sources",
                json={"url": server.url(path), "name": kind, "kind": kind},
                headers=admin,
            )
            assert made.status_code == 201, made.text
        options = local_fetch_options(user_agent="PantauTest/1", allow_private_networks=True)
        async with Fetcher(options) as fetcher:
            crawler = Crawler(
                database=db,
                fetcher=fetcher,
                scorer=load_scorer(),
                feed=FeedConfig(allow_private_networks=True),
            )
            summary = await crawler.run_once()
    assert all(o.error is None for o in summary.outcomes), summary.outcomes

    posts = (await client.get("/v1/articles", params={"kind": "post"}, headers=analyst)).json()
    platforms = {p["platform"] for p in posts["items"]}
    assert platforms == {"youtube", "mastodon", "telegram"}
    assert all(p["kind"] == "post" for p in posts["items"])
    telegram = [p for p in posts["items"] if p["platform"] == "telegram"]
    assert {p["author"] for p in telegram} == {"@infobaturaya"}
    assert {p["engagement"]["views"] for p in telegram} == {12_300, 1_200_000}
    news = (await client.get("/v1/articles", params={"kind": "article"}, headers=analyst)).json()
    assert news["items"] == []  # a fact-check feed gives claims, not articles

    claims = (await client.get("/v1/claims", headers=analyst)).json()["items"]
    by_label = {c["verdict_label"]: c for c in claims}
    assert set(by_label) == {"HOAKS", "SALAH"}
    hoax = by_label["HOAKS"]
    assert hoax["matches"] >= 1
    detail = (await client.get(f"/v1/claims/{hoax['id']}", headers=analyst)).json()
    urls = {d["url"] for d in detail["documents"]}
    assert "https://t.me/infobaturaya/5120" in urls  # the post that repeats it
    assert all(d["score"] >= 0.85 for d in detail["documents"])
    # The vaccine-chip claim is about nothing crawled here: no document repeats it.
    assert by_label["SALAH"]["matches"] == 0
    assert (await client.get("/v1/claims/999999", headers=analyst)).status_code == 404
