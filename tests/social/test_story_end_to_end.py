"""Issue 20's "done when", on both backends, through the HTTP API as an analyst walks it.

A real local HTTP server serves two regional news feeds, a YouTube channel's uploads, a
Mastodon tag timeline, a Telegram channel preview and a fact-check publisher's feed, all in the
formats those services publish (tests/crawlers/fixtures/social, tests/social/fixtures). The
analyst registers them, watches Kota Batu, subscribes a webhook to a `hoax_spread` rule; one
crawl cycle and one feed tick later the team's feed holds one issue with the outlets' articles
and the posts of the same flood, the issue shows the debunk its documents repeat, and the
webhook receives one signed hoax alert naming the debunk.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import httpx

from app.crawlers.fetch import Fetcher
from app.db import Database
from app.feed.alerts import verify
from app.models import utcnow
from app.pipeline.cycle import Crawler
from app.scoring import load_scorer
from app.services.feed_config import FeedConfig
from app.services.feed_jobs import run_feed_jobs
from tests.crawlers.loopback import Loopback, Route
from tests.fetching import local_fetch_options
from tests.issue_feed.receiver import receiver
from tests.social.served import moved, static

HERE = Path(__file__).parent
SOCIAL = HERE.parent / "crawlers" / "fixtures" / "social"
# path -> (fixture, content type, source kind, name)
SOURCES = {
    "/radarbatu/feed": (HERE / "fixtures" / "radar_batu.rss", "application/rss+xml", "feed"),
    "/jatimkini/rss": (HERE / "fixtures" / "jatim_kini.rss", "application/rss+xml", "feed"),
    "/feeds/videos.xml": (SOCIAL / "youtube_channel.xml", "application/atom+xml", "youtube"),
    "/api/v1/timelines/tag/banjir": (SOCIAL / "mastodon_tag.json", "application/json", "mastodon"),
    "/s/infobaturaya": (SOCIAL / "telegram_channel.html", "text/html; charset=utf-8", "telegram"),
    "/turnbackhoax/feed": (SOCIAL / "turnbackhoax.rss", "application/rss+xml", "factcheck"),
}
CONFIG = FeedConfig(allow_private_networks=True, public_url="https://pantau.example.id")


def _routes(flood_day: date) -> dict[str, Route]:
    return {
        path: static(moved(fixture.read_bytes(), flood_day=flood_day), content_type)
        for path, (fixture, content_type, _kind) in SOURCES.items()
    }


async def _crawl(db: Database) -> None:
    options = local_fetch_options(user_agent="PantauTest/1", allow_private_networks=True)
    async with Fetcher(options) as fetcher:
        crawler = Crawler(database=db, fetcher=fetcher, scorer=load_scorer(), feed=CONFIG)
        summary = await crawler.run_once()
    assert [o.error for o in summary.outcomes] == [None] * len(SOURCES), summary.outcomes
    assert summary.claim_matches >= 2


async def test_news_and_posts_of_one_story_show_the_debunk_and_fire_the_hoax_alert(
    client: httpx.AsyncClient, db: Database, admin: dict[str, str], analyst: dict[str, str]
) -> None:
    now = utcnow()
    flood_day = (now - timedelta(hours=20)).date()  # the story broke the day before
    with Loopback(_routes(flood_day)) as server, receiver() as hook:
        for path, (_fixture, _type, kind) in SOURCES.items():
            made = await client.post(
                "/v1/sources", json={"url": server.url(path), "kind": kind}, headers=admin
            )
            assert made.status_code == 201, made.text

        # The analyst watches Kota Batu and the flood, and wants to hear when a debunked
        # claim about it spreads again through two articles or posts.
        entity = await client.post(
            "/v1/entities",
            json={"name": "Kota Batu", "aliases": ["Bumiaji"]},
            headers=analyst,
        )
        assert entity.status_code == 201, entity.text
        watchlist = await client.post(
            "/v1/watchlists",
            json={
                "name": "Banjir Batu",
                "query": 'entity:"Kota Batu" AND (banjir OR mengungsi)',
                "entity_ids": [entity.json()["id"]],
            },
            headers=analyst,
        )
        assert watchlist.status_code == 201, watchlist.text
        watchlist_id = watchlist.json()["id"]
        webhook = await client.post(
            "/v1/webhooks", json={"name": "tim krisis", "url": hook.url}, headers=admin
        )
        assert webhook.status_code == 201, webhook.text
        rule = await client.post(
            "/v1/alert-rules",
            json={
                "name": "Hoaks banjir menyebar lagi",
                "kind": "hoax_spread",
                "threshold": 2,
                "watchlist_id": watchlist_id,
                "webhook_id": webhook.json()["id"],
            },
            headers=analyst,
        )
        assert rule.status_code == 201, rule.text

        await _crawl(db)
        for _ in range(2):  # a second tick finds the alert in its cooldown
            await run_feed_jobs(db, config=CONFIG, clock=utcnow)

    # One issue on the team's feed holds the outlets' reports and the posts of the flood. (A
    # post too short to share the reports' words, the Mastodon one, may stand alone.)
    feed = (await client.get("/v1/issues", headers=analyst)).json()["items"]
    details = [(await client.get(f"/v1/issues/{i['id']}", headers=analyst)).json() for i in feed]
    with_news = [d for d in details if any(a["kind"] == "article" for a in d["articles"])]
    assert len(with_news) == 1, [d["title"] for d in details]
    issue = with_news[0]
    documents = issue["articles"]
    news = {a["outlet"] for a in documents if a["kind"] == "article"}
    posts = {a["platform"] for a in documents if a["kind"] == "post"}
    assert len(news) == 2, documents  # both outlets
    assert {"youtube", "telegram"} <= posts, documents
    titles = " ".join(a["title"] for a in documents).lower()
    assert "banjir bandang" in titles
    assert "arema" not in titles and "apel" not in titles  # unrelated news stays out

    # It shows the debunk its documents repeat, and only that one.
    [debunk] = issue["debunks"]
    assert debunk["verdict_label"] == "HOAKS"
    assert (
        debunk["url"]
        == "https://turnbackhoax.id/2025/11/04/hoaks-banjir-bandang-susulan-kota-batu/"
    )
    claim = (await client.get(f"/v1/claims/{debunk['claim_id']}", headers=analyst)).json()
    repeating = {d["url"] for d in claim["documents"]}
    assert "https://t.me/infobaturaya/5120" in repeating
    assert any("pesan-berantai" in url for url in repeating)  # the outlet reporting the chain

    # The webhook got the hoax alert once, signed, naming the claim, its debunk and its spread.
    assert len(hook.received) == 1, [r.body for r in hook.received]
    got = hook.received[0]
    secret = webhook.json()["secret"].encode()
    assert verify(
        got.headers["x-pantau-signature"], got.body, secret=secret, now=int(now.timestamp()) + 5
    )
    payload = json.loads(got.body)
    assert payload["subject"] == f"claim:{debunk['claim_id']}"
    assert payload["reason"] == "hoax>=2"
    assert payload["debunk"]["url"] == debunk["url"]
    assert payload["debunk"]["verdict_label"] == "HOAKS"
    assert payload["watchlists"] == ["Banjir Batu"]
    assert payload["link"] == f"https://pantau.example.id/v1/claims/{debunk['claim_id']}"
    assert {a["url"] for a in payload["top_articles"]} <= repeating
    assert len(payload["top_articles"]) >= 2
    deliveries = await client.get(
        f"/v1/alert-rules/{rule.json()['id']}/deliveries", headers=analyst
    )
    assert [d["status"] for d in deliveries.json()["items"]] == ["delivered"]
