"""The farm's content: corpus, feeds, sitemaps, pages and extraction quality over real HTTP."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import feedparser
import httpx
import pytest
import trafilatura
from lxml import etree, html

from tests.farm.corpus import WIB, CorpusUnavailable, load_articles
from tests.farm.fixtures import articles_or_skip
from tests.farm.server import FarmServer
from tests.farm.site import Site, syndicated_copy

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
CHROME = (
    "Berita Terkait", "Terpopuler", "ADVERTISEMENT", "Bagikan", "Pedoman Media Siber",
    "All rights reserved", "Indeks Berita", "Langganan", "Salin tautan", "Masuk untuk",
)  # fmt: skip


def _tokens(text: str) -> Counter[str]:
    return Counter(re.findall(r"\w+", text.lower()))


def token_f1(extracted: str, reference: str) -> float:
    """Bag-of-words F1 between extracted text and the reference body."""
    got, want = _tokens(extracted), _tokens(reference)
    common = sum((got & want).values())
    if not common:
        return 0.0
    precision, recall = common / sum(got.values()), common / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def test_corpus_is_deterministic_and_filters() -> None:
    everything = articles_or_skip()
    assert len(everything) == len({a.id for a in everything}) > 1000
    assert everything == load_articles()
    kompas = load_articles(outlets=["kompas"], per_outlet=7)
    assert [a.outlet for a in kompas] == ["kompas.com"] * 7
    assert kompas == sorted(kompas, key=lambda a: a.published_at)
    small = load_articles(limit=18)
    assert len(small) == 18
    assert len({a.outlet for a in small}) == 9
    assert all(a.published_at.utcoffset() == timedelta(hours=7) for a in small)
    now = datetime(2024, 5, 1, 9, 30, tzinfo=WIB)
    shifted = load_articles(limit=18, shift_to=now)
    assert max(a.published_at for a in shifted) == now


def test_missing_corpus_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PANTAU_SHARED_DIR", str(tmp_path))
    with pytest.raises(CorpusUnavailable, match="PANTAU_SHARED_DIR"):
        load_articles()


def test_rss2_parses_with_items_dates_and_summaries(farm_server: FarmServer) -> None:
    site = farm_server.site
    for outlet in site.outlets:
        body = httpx.get(farm_server.feed_url(outlet.slug)).content
        parsed = feedparser.parse(body)
        stories = site.stories(outlet.slug)
        assert not parsed.bozo, outlet.slug
        assert len(parsed.entries) == min(50, len(stories))
        for entry, story in zip(parsed.entries, stories, strict=False):
            assert entry.id == story.guid
            assert entry.title == story.title
            assert parsedate_to_datetime(entry.published) == story.published_at
            assert "+0700" in entry.published
            assert entry.summary == story.summary
            assert "content" not in entry
    assert b"<ttl>15</ttl>" in body


def test_full_content_toggle_puts_body_in_every_feed(farm_server: FarmServer) -> None:
    farm_server.site.configure("tempo", full_content=True)
    story = farm_server.site.stories("tempo")[0]
    for kind in ("rss", "atom"):
        entry = feedparser.parse(httpx.get(farm_server.feed_url("tempo", kind)).content).entries[0]
        assert story.paragraphs[-1][:60] in entry.content[0].value
    item = httpx.get(farm_server.feed_url("tempo", "json")).json()["items"][0]
    assert item["content_html"].count("<p>") == len(story.paragraphs)


def test_atom_and_rdf_parse_with_dates(farm_server: FarmServer) -> None:
    stories = farm_server.site.stories("okezone")
    for kind, version in (("atom", "atom10"), ("rdf", "rss10")):
        parsed = feedparser.parse(httpx.get(farm_server.feed_url("okezone", kind)).content)
        assert not parsed.bozo
        assert parsed.version == version
        assert len(parsed.entries) == 50
        first = parsed.entries[0]
        assert first.link == farm_server.outlet_url("okezone", stories[0].path)
        stamp = first.get("published") or first.get("updated")
        assert datetime.fromisoformat(stamp) == stories[0].published_at


def test_json_feed_is_valid_1_1(farm_server: FarmServer) -> None:
    response = httpx.get(farm_server.feed_url("kompas", "json"))
    assert response.headers["content-type"].startswith("application/feed+json")
    feed = json.loads(response.content)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["feed_url"] == farm_server.feed_url("kompas", "json")
    assert len(feed["items"]) == 50
    for item in feed["items"]:
        assert {"id", "url", "title", "date_published"} <= item.keys()
        assert ("content_text" in item) or ("content_html" in item)
        assert datetime.fromisoformat(item["date_published"]).utcoffset() == timedelta(hours=7)


def test_sitemaps_are_valid_and_complete(farm_server: FarmServer) -> None:
    stories = farm_server.site.stories("sindonews")
    news = etree.fromstring(
        httpx.get(farm_server.outlet_url("sindonews", "/sitemap-news.xml")).content
    )
    urls = news.findall(f"{SM}url")
    assert len(urls) == min(100, len(stories))
    first = urls[0].find(f"{NEWS}news")
    assert first is not None
    assert first.findtext(f"{NEWS}title") == stories[0].title
    published = first.findtext(f"{NEWS}publication_date") or ""
    assert datetime.fromisoformat(published) == stories[0].published_at
    plain = etree.fromstring(httpx.get(farm_server.outlet_url("sindonews", "/sitemap.xml")).content)
    assert len(plain.findall(f"{SM}url")) == len(stories)
    index = etree.fromstring(
        httpx.get(farm_server.outlet_url("sindonews", "/sitemap-index.xml")).content
    )
    locs = [loc.text or "" for loc in index.iter(f"{SM}loc")]
    total = 0
    for loc in locs[1:]:
        child = etree.fromstring(httpx.get(loc).content)
        total += len(child.findall(f"{SM}url"))
    assert locs[0].endswith("/sitemap-news.xml")
    assert total == len(stories)


def test_listing_pages_mix_article_links_with_chrome(farm_server: FarmServer) -> None:
    stories = farm_server.site.stories("tribunnews")
    page = httpx.get(farm_server.outlet_url("tribunnews", "/index.html?page=2"))
    doc = html.fromstring(page.content)
    hrefs = [a.get("href") or "" for a in doc.iter("a")]
    article_hrefs = {h for h in hrefs if "/read/" in h and "utm_" not in h}
    expected = {farm_server.outlet_path("tribunnews", s.path) for s in stories[20:40]}
    assert article_hrefs == expected
    assert sum("/read/" not in h for h in hrefs) > 20
    assert doc.xpath("//a[@rel='next']")
    assert doc.xpath("//a[@rel='prev']")
    last = -(-len(stories) // 20)
    too_far = farm_server.outlet_url("tribunnews", f"/index.html?page={last + 1}")
    assert httpx.get(too_far).status_code == 404
    for href in {h for h in hrefs if h.startswith("/tribunnews/") and "/read/" not in h}:
        if href.endswith((".html", "/")) and "login" not in href and "daftar" not in href:
            assert httpx.get(farm_server.url(href)).status_code in (200, 404), href


def test_trafilatura_extracts_the_body_without_chrome(
    farm_server: FarmServer, capsys: pytest.CaptureFixture[str]
) -> None:
    site = farm_server.site
    scores, with_comments, amp_scores = [], [], []
    for outlet in site.outlets:
        for story in site.stories(outlet.slug)[:4]:
            page = httpx.get(farm_server.outlet_url(outlet.slug, story.path)).text
            text = trafilatura.extract(page, include_comments=False) or ""
            scores.append(token_f1(text, story.body))
            with_comments.append(token_f1(trafilatura.extract(page) or "", story.body))
            leaked = [marker for marker in CHROME if marker in text]
            assert not leaked, f"{story.id}: chrome in extraction: {leaked}"
            amp = httpx.get(farm_server.outlet_url(outlet.slug, story.amp_path)).text
            amp_scores.append(token_f1(trafilatura.extract(amp) or "", story.body))
    mean = sum(scores) / len(scores)
    with capsys.disabled():
        print(
            f"\n[farm] trafilatura token F1 over {len(scores)} pages: "
            f"mean {mean:.3f}, min {min(scores):.3f} (include_comments=False); "
            f"default flags mean {sum(with_comments) / len(with_comments):.3f}; "
            f"AMP mean {sum(amp_scores) / len(amp_scores):.3f}"
        )
    assert mean > 0.93
    assert min(scores) > 0.8


def test_article_page_metadata(farm_server: FarmServer) -> None:
    story = farm_server.site.stories("kapanlagi")[3]
    url = farm_server.outlet_url("kapanlagi", story.path)
    doc = html.fromstring(httpx.get(url + "?utm_source=twitter&utm_medium=social").content)
    assert doc.xpath("//link[@rel='canonical']/@href") == [url]
    meta = {m.get("property"): m.get("content") for m in doc.xpath("//meta[@property]")}
    assert meta["og:title"] == story.title
    assert meta["og:url"] == url
    assert datetime.fromisoformat(meta["article:published_time"]) == story.published_at
    ld = json.loads(doc.xpath("//script[@type='application/ld+json']/text()")[0])
    assert ld["@type"] == "NewsArticle"
    assert ld["headline"] == story.title
    assert ld["author"]["name"] == story.author
    amp_url = doc.xpath("//link[@rel='amphtml']/@href")[0]
    amp_body = httpx.get(amp_url).content
    assert b"<html amp" in amp_body
    amp = html.fromstring(amp_body)
    assert amp.xpath("//link[@rel='canonical']/@href") == [url]
    wrong_slug = farm_server.outlet_url("kapanlagi", f"/read/{story.id}/old-title.html")
    moved = httpx.get(wrong_slug)
    assert moved.status_code == 301
    assert moved.headers["location"] == farm_server.outlet_path("kapanlagi", story.path)


def test_syndicated_copy_is_deterministic_and_close(farm_site: Site) -> None:
    original = farm_site.stories("tempo")[0]
    copy = syndicated_copy(original, "okezone")
    assert copy == syndicated_copy(original, "okezone")
    assert copy.id != original.id
    assert copy.outlet == "okezone"
    assert copy.title != original.title
    assert original.title in copy.title
    assert copy.published_at > original.published_at
    assert 0.9 < token_f1(copy.body, original.body) < 1.0
    published = farm_site.syndicate(original.source_id, "kompas")
    assert published in farm_site.stories("kompas")


def test_single_outlet_server_serves_at_root(farm_site: Site) -> None:
    with FarmServer(farm_site, outlet="fimela") as server:
        parsed = feedparser.parse(httpx.get(server.url("/rss.xml")).content)
        assert parsed.entries[0].link.startswith(server.url("/read/"))
        assert httpx.get(parsed.entries[0].link).status_code == 200
        assert b"Disallow: /cari/" in httpx.get(server.url("/robots.txt")).content


def test_opml_lists_every_outlet_feed(farm_server: FarmServer) -> None:
    opml = etree.fromstring(httpx.get(farm_server.opml_url).content)
    feeds = [o.get("xmlUrl") for o in opml.iter("outline") if o.get("xmlUrl")]
    assert feeds == [farm_server.feed_url(o.slug) for o in farm_server.site.outlets]
    every = etree.fromstring(httpx.get(farm_server.opml_url + "?format=all").content)
    assert len([o for o in every.iter("outline") if o.get("xmlUrl")]) == 4 * len(feeds)


def test_tracking_params_in_feed_links_point_to_the_canonical_page(
    farm_server: FarmServer,
) -> None:
    farm_server.site.configure("wowkeren", tracking_params=True)
    entry = feedparser.parse(httpx.get(farm_server.feed_url("wowkeren")).content).entries[0]
    assert "utm_source=rss" in entry.link
    page = html.fromstring(httpx.get(entry.link).content)
    assert page.xpath("//link[@rel='canonical']/@href") == [entry.link.split("?")[0]]
