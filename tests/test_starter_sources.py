"""The starter OPML, offline: 34 sources (news, fact-check registries, public social feeds),
each in the URL shape its parser reads, registered on both backends without any fetch."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from app.crawlers.opml import parse_opml
from app.crawlers.urls import normalise_url
from app.db import Database
from app.models import Source
from app.services import sources as source_service

STARTER = Path(__file__).parents[1] / "sources" / "indonesia.opml"


def test_starter_opml_holds_news_fact_checkers_and_social_sources() -> None:
    outlines = parse_opml(STARTER.read_bytes())
    assert len(outlines) == 34
    assert Counter(o.kind for o in outlines) == {
        "feed": 25,
        "factcheck": 4,
        "youtube": 1,
        "reddit": 2,
        "mastodon": 2,
    }
    assert len({normalise_url(o.url) for o in outlines}) == 34  # no duplicates
    assert all(o.name and o.language and o.tier and o.category for o in outlines)
    assert {o.category for o in outlines if o.kind == "factcheck"} == {"Cek Fakta"}
    assert {o.category for o in outlines if o.kind in ("youtube", "reddit", "mastodon")} == {
        "Sosial"
    }
    for outline in outlines:
        parts = urlsplit(outline.url)
        assert parts.scheme == "https", outline.url
        if outline.kind == "youtube":  # the channel's public uploads feed
            assert parts.path == "/feeds/videos.xml"
            assert parse_qs(parts.query)["channel_id"][0].startswith("UC")
        elif outline.kind == "reddit":  # a subreddit's or a search's public feed
            assert parts.hostname == "www.reddit.com" and parts.path.endswith(".rss")
        elif outline.kind == "mastodon":  # a hashtag's public RSS
            assert parts.path.startswith("/tags/") and parts.path.endswith(".rss")


async def test_starter_sources_register_as_stated_without_fetching(db: Database) -> None:
    async with db.writer.begin() as session:
        report = await source_service.import_opml(session, body=STARTER.read_bytes())
    assert (report.added, report.existing, report.invalid) == (34, 0, [])
    async with db.sessionmaker() as session:
        rows = (await session.execute(select(Source.kind, Source.category))).all()
    kinds = Counter(kind for kind, _ in rows)
    assert kinds["factcheck"] == 4 and kinds["feed"] == 25
    assert {category for kind, category in rows if kind == "mastodon"} == {"Sosial"}
