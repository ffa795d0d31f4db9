"""`pantau extract`, `pantau sources backfill` and OPML round trips, as real processes."""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path

from app.crawlers.opml import Outline, parse_opml, render_opml
from app.db import Database
from app.models import SourceKind
from app.services import sources as source_service
from tests.farm.fixtures import articles_or_skip
from tests.farm.server import FarmServer
from tests.farm.site import Site
from tests.test_cli import pantau

KEYS = ["path", "title", "text", "author", "published", "language"]


def test_extract_prints_one_json_line_per_saved_page(tmp_path: Path) -> None:
    site = Site(articles_or_skip(per_outlet=3))
    stories = site.stories("tempo")[:2]
    paths = []
    for n, story in enumerate(stories):
        path = tmp_path / f"page{n}.html"
        path.write_bytes(site.render(f"/tempo{story.path}", base_url="http://farm.test").body)
        paths.append(str(path))
    empty = tmp_path / "empty.html"
    empty.write_text("<html><body><p>kosong</p></body></html>")
    result = pantau("extract", *paths, str(empty), database_url="sqlite:///unused.db")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [list(r) for r in records] == [KEYS] * 3
    for record, story in zip(records, stories, strict=False):
        assert record["title"] == story.title and record["author"] == story.author
        assert record["text"].split()[:20] == story.body.split()[:20]
        assert record["published"] == story.published_at.astimezone(UTC).isoformat()
        assert record["language"] == "id"
    assert records[2]["text"] is None and records[2]["published"] is None


def test_extract_rejects_a_missing_file_with_one_line() -> None:
    result = pantau("extract", "/nonexistent/page.html", database_url="sqlite:///unused.db")
    assert result.returncode == 1
    assert result.stderr.strip() == "error: /nonexistent/page.html: no such file"


async def test_backfill_command_walks_a_sitemap_index_with_progress(
    db: Database, farm_server: FarmServer
) -> None:
    url = farm_server.outlet_url("fimela", "/sitemap-index.xml")
    added = pantau("sources", "add", url, "--kind", "sitemap", database_url=db.url)
    assert added.returncode == 0, added.stderr
    env = {"PANTAU_ALLOW_PRIVATE_NETWORKS": "true"}
    first = pantau("sources", "backfill", "1", "--since", "2019-01-01", database_url=db.url, **env)
    assert first.returncode == 0, first.stderr
    published = len(farm_server.site.stories("fimela"))
    assert f"{published} new; {published} article pages fetched" in first.stdout
    assert "backfill" in first.stdout  # the progress bar
    second = pantau("sources", "backfill", "1", "--since", "2019-01-01", database_url=db.url, **env)
    assert second.returncode == 0 and "0 new" in second.stdout
    bad = pantau("sources", "backfill", "99", "--since", "2019-01-01", database_url=db.url)
    assert bad.returncode == 1 and bad.stderr.strip() == "error: source 99 does not exist"
    nodate = pantau("sources", "backfill", "1", "--since", "kemarin", database_url=db.url)
    assert nodate.returncode != 0 and nodate.stderr.strip()


async def test_opml_round_trips_kinds_categories_and_selectors(db: Database) -> None:
    outlines = [
        Outline("https://a.example/rss.xml", "A", "feed", "id", 1, "Nasional"),
        Outline("https://a.example/sitemap-news.xml", "A news", "sitemap", "id", 2, "Nasional"),
        Outline("https://b.example/indeks/", "B", "listing", "id", 3, "Daerah", "h2 a"),
        Outline("https://c.example/read/1/x.html", "C", "article", "en", 2, None),
        Outline(
            "https://www.youtube.com/feeds/videos.xml?channel_id=UC1",
            "Y",
            "youtube",
            "id",
            2,
            "Sosial",
        ),
        Outline("https://mastodon.example/tags/banjir.rss", "M", "mastodon", "id", 2, "Sosial"),
        Outline("https://bsky.app/profile/a.example/rss", "Bs", "bluesky", "id", 2, "Sosial"),
        Outline("https://www.reddit.com/r/indonesia/.rss", "R", "reddit", "id", 2, "Sosial"),
        Outline("https://t.me/s/kanal", "T", "telegram", "id", 2, "Sosial"),
        Outline(
            "https://news.google.com/rss/search?ceid=ID%3Aid&gl=ID&hl=id&q=KPK",
            "G",
            "news_search",
            "id",
            2,
            "Cari",
        ),
        Outline("https://turnbackhoax.id/feed/", "F", "factcheck", "id", 2, "Cek fakta"),
    ]
    async with db.writer.begin() as session:
        report = await source_service.import_opml(session, body=render_opml(outlines))
        assert (report.added, report.invalid) == (len(outlines), [])
        exported = await source_service.export_opml(session)
    assert parse_opml(exported) == outlines
    assert {o.kind for o in parse_opml(exported)} == {k.value for k in SourceKind}
