"""Posts read by the informal model, over the HTTP API on both backends: a Mastodon tag's RSS
and a news feed served by a local server, crawled; the posts take their tone from the informal
model (slang, emoji), and so does a watched entity a post names; the news article keeps the
news model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape

import httpx

from app.crawlers.fetch import Fetcher
from app.db import Database
from app.pipeline.cycle import Crawler
from app.scoring import load_scorer
from app.services.feed_config import FeedConfig
from tests.crawlers.loopback import Handler, Loopback
from tests.fetching import local_fetch_options

POSTS = {
    "1": ("gw kecewa bgt sm pelayanan PLN, udh 2 hari mati listrik ga ada kabar 😡😡", "negative"),
    "2": ("mantul bgt petugasnya gercep, jalan udh dibersihin 👍👍 makasih pak", "positive"),
    "3": ("parah sih ini, antrean bbm panjang bgt dr subuh, capek nunggu 😤", "negative"),
    # Written out in full: nothing marks it as informal but its kind, which must reach the
    # scorer (the score stage passes the articles' kinds).
    "4": ("Pelayanan rumah sakit ini buruk sekali, saya menunggu lima jam.", "negative"),
}
NEWS_TITLE = "Pemerintah resmikan jembatan baru di Kota Batu"


def _when(hours: int) -> str:
    return format_datetime(datetime.now(UTC) - timedelta(hours=hours))


def _mastodon_rss(base: str) -> bytes:
    items = "".join(
        f"<item><guid isPermaLink='true'>{base}/@warga/{n}</guid><link>{base}/@warga/{n}</link>"
        f"<pubDate>{_when(int(n))}</pubDate>"
        f"<description>{escape(f'<p>{text} #banjir</p>')}</description></item>"
        for n, (text, _) in POSTS.items()
    )
    return (
        "<?xml version='1.0' encoding='UTF-8'?><rss version='2.0'><channel><title>#banjir</title>"
        f"<link>{base}/tags/banjir</link><description>Public posts</description>{items}"
        "</channel></rss>"
    ).encode()


def _news_rss(base: str) -> bytes:
    body = (
        "Pemerintah kota meresmikan jembatan baru yang menghubungkan dua kecamatan pada Senin. "
        "Jembatan itu dibangun selama delapan bulan dengan anggaran daerah."
    )
    return (
        "<?xml version='1.0' encoding='UTF-8'?><rss version='2.0'><channel><title>Berita</title>"
        f"<link>{base}/</link><description>Berita</description><item><title>{NEWS_TITLE}</title>"
        f"<link>{base}/berita/1</link><guid>{base}/berita/1</guid><pubDate>{_when(1)}</pubDate>"
        f"<description>{escape(body)}</description></item></channel></rss>"
    ).encode()


async def test_posts_take_their_tone_from_the_informal_model(
    client: httpx.AsyncClient, db: Database, admin: dict[str, str], analyst: dict[str, str]
) -> None:
    bodies: dict[str, bytes] = {}

    def serve(path: str, content_type: str):  # type: ignore[no-untyped-def]
        def write(handler: Handler) -> None:
            handler.respond(200, bodies[path], [("Content-Type", content_type)])

        return write

    routes = {
        "/tags/banjir.rss": serve("/tags/banjir.rss", "application/rss+xml"),
        "/berita/rss": serve("/berita/rss", "application/rss+xml"),
    }
    made = await client.post("/v1/entities", json={"name": "PLN"}, headers=analyst)
    assert made.status_code == 201, made.text
    with Loopback(routes) as server:
        base = server.url("")
        bodies["/tags/banjir.rss"] = _mastodon_rss(base)
        bodies["/berita/rss"] = _news_rss(base)
        for path, kind in [("/tags/banjir.rss", "mastodon"), ("/berita/rss", "feed")]:
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
    assert len(posts["items"]) == len(POSTS)
    for post in posts["items"]:
        number = post["url"].rsplit("/", 1)[1]
        assert post["label"] == POSTS[number][1], post
        assert "informal-" in post["model_version"]
        detail = (await client.get(f"/v1/articles/{post['id']}", headers=analyst)).json()
        assert detail["explanation"]["basis"] == "informal"
        assert detail["explanation"]["terms"], detail["explanation"]
        if "PLN" in POSTS[number][0]:  # a watched entity in slang: the informal model reads it
            [target] = detail["targets"]
            assert (target["name"], target["label"]) == ("PLN", "negative"), target

    news = (await client.get("/v1/articles", params={"kind": "article"}, headers=analyst)).json()
    [article] = news["items"]
    assert article["title"] == NEWS_TITLE and article["label"] is not None
    detail = (await client.get(f"/v1/articles/{article['id']}", headers=analyst)).json()
    assert detail["explanation"].get("basis") != "informal"
