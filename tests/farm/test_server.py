"""The farm server's HTTP behaviour: validators, mutations, injected failures, log, load."""

from __future__ import annotations

import asyncio
import gzip
import time
from email.utils import formatdate, parsedate_to_datetime

import feedparser
import httpx
import pytest

from tests.farm.server import FarmServer

RSS = "/kompas/rss.xml"


def test_conditional_get_answers_304_until_the_feed_changes(farm_server: FarmServer) -> None:
    first = httpx.get(farm_server.url(RSS))
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    by_etag = httpx.get(farm_server.url(RSS), headers={"If-None-Match": etag})
    assert by_etag.status_code == 304
    assert by_etag.content == b""
    assert by_etag.headers["etag"] == etag
    by_date = httpx.get(farm_server.url(RSS), headers={"If-Modified-Since": modified})
    assert by_date.status_code == 304
    farm_server.site.publish_next("kompas", 2)
    changed = httpx.get(farm_server.url(RSS), headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    new_modified = parsedate_to_datetime(changed.headers["last-modified"])
    assert new_modified > parsedate_to_datetime(modified)
    stale = httpx.get(farm_server.url(RSS), headers={"If-Modified-Since": modified})
    assert stale.status_code == 200


def test_ignored_validators_always_answer_200_with_the_same_body(farm_server: FarmServer) -> None:
    farm_server.ignore_validators(RSS)
    first = httpx.get(farm_server.url(RSS))
    again = httpx.get(farm_server.url(RSS), headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 200
    assert again.content == first.content
    farm_server.ignore_validators(RSS, omit=True)
    bare = httpx.get(farm_server.url(RSS))
    assert "etag" not in bare.headers
    assert "last-modified" not in bare.headers


def test_feed_grows_when_held_back_stories_are_published(farm_server: FarmServer) -> None:
    site = farm_server.site
    before = feedparser.parse(httpx.get(farm_server.url(RSS)).content).entries
    upcoming = site.reserve("kompas")
    assert len(upcoming) == 5
    published = site.publish_next("kompas", 3)
    after = feedparser.parse(httpx.get(farm_server.url(RSS)).content).entries
    assert [e.id for e in after[:3]] == [s.guid for s in reversed(published)]
    assert after[3].id == before[0].id
    assert len(site.reserve("kompas")) == 2


def test_guid_churn_keeps_links_and_changes_ids(farm_server: FarmServer) -> None:
    before = feedparser.parse(httpx.get(farm_server.url(RSS)).content).entries
    farm_server.site.churn_guids("kompas", 10)
    after = feedparser.parse(httpx.get(farm_server.url(RSS)).content).entries
    assert [e.link for e in after] == [e.link for e in before]
    assert all(a.id != b.id for a, b in zip(after[:10], before[:10], strict=True))
    assert [e.id for e in after[10:]] == [e.id for e in before[10:]]


def test_removed_story_leaves_feed_and_page_is_gone(farm_server: FarmServer) -> None:
    story = farm_server.site.stories("tempo")[0]
    farm_server.site.remove("tempo", story.id)
    assert httpx.get(farm_server.outlet_url("tempo", story.path)).status_code == 410
    feed = feedparser.parse(httpx.get(farm_server.feed_url("tempo")).content)
    assert story.guid not in {e.id for e in feed.entries}


@pytest.mark.parametrize("status", [404, 410, 429, 500])
def test_injected_error_status(farm_server: FarmServer, status: int) -> None:
    farm_server.fail(RSS, status)
    assert httpx.get(farm_server.url(RSS)).status_code == status
    farm_server.clear_rules(RSS)
    assert httpx.get(farm_server.url(RSS)).status_code == 200


def test_503_with_retry_after_seconds_or_date_then_recovery(farm_server: FarmServer) -> None:
    farm_server.fail(RSS, 503, retry_after=120, times=1)
    down = httpx.get(farm_server.url(RSS))
    assert down.status_code == 503
    assert down.headers["retry-after"] == "120"
    assert httpx.get(farm_server.url(RSS)).status_code == 200
    when = formatdate(time.time() + 3600, usegmt=True)
    farm_server.fail("/kompas/*", 503, retry_after=when)
    assert httpx.get(farm_server.url("/kompas/atom.xml")).headers["retry-after"] == when
    assert httpx.get(farm_server.url("/tempo/rss.xml")).status_code == 200


def test_html_or_empty_body_where_a_feed_is_expected(farm_server: FarmServer) -> None:
    farm_server.serve_html(RSS)
    page = httpx.get(farm_server.url(RSS))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.content.startswith(b"<!DOCTYPE html>")
    farm_server.serve_empty(RSS)
    empty = httpx.get(farm_server.url(RSS))
    assert empty.status_code == 200
    assert empty.content == b""
    assert empty.headers["content-type"].startswith("application/rss+xml")


def test_redirect_and_delay(farm_server: FarmServer) -> None:
    farm_server.redirect("/old/feed", RSS, status=308)
    moved = httpx.get(farm_server.url("/old/feed"), follow_redirects=True)
    assert [r.status_code for r in moved.history] == [308]
    assert moved.url == farm_server.url(RSS)
    farm_server.slow(RSS, 0.3)
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(farm_server.url(RSS), timeout=0.1)


def test_gzip_and_cache_control_toggles(farm_server: FarmServer) -> None:
    with httpx.stream("GET", farm_server.url(RSS), headers={"Accept-Encoding": "gzip"}) as r:
        raw = b"".join(r.iter_raw())
        assert r.headers["content-encoding"] == "gzip"
    assert gzip.decompress(raw).startswith(b"<?xml")
    plain = httpx.get(farm_server.url(RSS), headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    farm_server.gzip = False
    assert "content-encoding" not in httpx.get(farm_server.url(RSS)).headers
    assert "cache-control" not in httpx.get(farm_server.url(RSS)).headers
    farm_server.cache_max_age = 600
    assert httpx.get(farm_server.url(RSS)).headers["cache-control"] == "max-age=600"


def test_request_log_records_conditional_headers(farm_server: FarmServer) -> None:
    etag = httpx.get(farm_server.url(RSS)).headers["etag"]
    httpx.head(farm_server.url(RSS), headers={"If-None-Match": etag, "User-Agent": "pantau"})
    log = farm_server.requests(RSS)
    assert [(r.method, r.status) for r in log] == [("GET", 200), ("HEAD", 304)]
    assert log[1].headers["if-none-match"] == etag
    assert log[1].headers["user-agent"] == "pantau"
    assert farm_server.hits(RSS) == 2
    farm_server.clear_log()
    assert farm_server.requests() == []


def test_robots_txt_is_configurable(farm_server: FarmServer) -> None:
    farm_server.site.configure("kompas", robots_disallow=("/read/", "/amp/"))
    own = httpx.get(farm_server.url("/kompas/robots.txt")).text
    assert "Disallow: /kompas/read/" in own
    assert "Disallow: /kompas/amp/" in own
    root = httpx.get(farm_server.url("/robots.txt")).text
    assert "Disallow: /kompas/read/" in root
    assert "Disallow: /tempo/cari/" in root
    assert f"Sitemap: {farm_server.url('/tempo/sitemap-index.xml')}" in root


def test_survives_200_concurrent_requests(farm_server: FarmServer) -> None:
    site = farm_server.site
    paths = [
        farm_server.outlet_path(o.slug, p)
        for o in site.outlets
        for p in ("/rss.xml", "/atom.xml", "/feed.json", "/", site.stories(o.slug)[0].path)
    ]
    targets = [paths[i % len(paths)] for i in range(200)]

    async def fetch_all() -> list[int]:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:
            responses = await asyncio.gather(*(client.get(farm_server.url(p)) for p in targets))
        return [r.status_code for r in responses]

    assert asyncio.run(fetch_all()) == [200] * 200
    assert farm_server.hits(targets[0]) == 200 // len(paths) + 1
