"""A small news farm for the issue-feed tests: two real 2019 events across outlets, plus
unrelated articles of the same days, served over real local HTTP."""

from __future__ import annotations

from app.crawlers.fetch import Fetcher
from app.db import Database
from app.pipeline.cycle import Crawler, CrawlSummary
from app.scoring import load_scorer
from app.services import sources as source_service
from app.services.feed_config import FeedConfig
from tests.farm.corpus import Article
from tests.farm.fixtures import articles_or_skip
from tests.farm.server import FarmServer
from tests.farm.site import Site
from tests.feed.events import EVENTS
from tests.fetching import local_fetch_options

OUTLETS = ("okezone", "sindonews", "tempo", "kompas")
# Three outlets report that Jokowi will lead BJ Habibie's funeral (11 September 2019).
FUNERAL = ("clickid-okezone-78955fa968", "clickid-sindonews-0ec96b7286", "clickid-tempo-9fa528fe15")
# The KPK law is passed (17 September 2019).
KPK_LAW = (
    "clickid-kompas-3e7a9fe088",
    "clickid-okezone-8565e8e315",
    "clickid-sindonews-0e3dbf1641",
    "clickid-kompas-448fbb28b0",
)
# Habibie dies; the KPK chairman offers condolences: mentions KPK, is about Habibie.
KPK_CONDOLENCES = "clickid-sindonews-105c49a4a1"
SYNDICATED = "clickid-tempo-9fa528fe15"  # copied to kompas


def farm_articles(unrelated: int = 10) -> tuple[list[Article], list[Article]]:
    """(the event articles, unrelated articles of the same days from the same outlets)."""
    everything = articles_or_skip(outlets=OUTLETS)
    wanted = {*FUNERAL, *KPK_LAW, KPK_CONDOLENCES}
    chosen = [a for a in everything if a.id in wanted]
    listed = {i for ids in EVENTS.values() for i in ids}
    others = [
        a
        for a in everything
        if a.id not in listed
        and "2019-09-10" <= a.published_at.date().isoformat() <= "2019-09-18"
        and not any(w in a.title.lower() for w in ("habibie", "kpk", "korupsi", "dpr"))
    ]
    others.sort(key=lambda a: (a.published_at, a.id))
    step = max(1, len(others) // unrelated)
    return chosen, others[::step][:unrelated]


async def crawl_farm(db: Database, site: Site, config: FeedConfig) -> CrawlSummary:
    """Serve `site` as one RSS feed per outlet on its own loopback address, register the feeds
    as sources and run one crawl cycle with the shipped model; returns the cycle's summary."""
    servers = [
        FarmServer(site, host=f"127.0.0.{n}", outlet=slug) for n, slug in enumerate(OUTLETS, 1)
    ]
    for server in servers:
        server.start()
    try:
        async with db.writer.begin() as session:
            for slug, server in zip(OUTLETS, servers, strict=True):
                await source_service.create_source(
                    session,
                    data=source_service.NewSource(
                        url=server.url("/rss.xml"), name=slug.capitalize()
                    ),
                )
        options = local_fetch_options(user_agent="PantauTest/1", allow_private_networks=True)
        async with Fetcher(options) as fetcher:
            crawler = Crawler(database=db, fetcher=fetcher, scorer=load_scorer(), feed=config)
            return await crawler.run_once()
    finally:
        for server in servers:
            server.stop()
