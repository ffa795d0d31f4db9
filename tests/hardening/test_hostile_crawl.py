"""Every hostile endpoint crawled through the real crawler in ONE batch with healthy farm feeds.

For each endpoint: the batch finishes inside its time budget and memory cap, the source row
carries a clear reason (last_error, last_error_kind, a fetch_attempts row), and the healthy
sources in the same batch store all their articles. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
import resource
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import func, select

from app.db import Database
from app.models import Article, FetchAttempt, FetchStatus, Source
from app.pipeline.cycle import Crawler
from app.services import sources as source_service
from tests.farm.fixtures import articles_or_skip
from tests.farm.server import FarmServer
from tests.farm.site import Site
from tests.hardening.conftest import HOSTILE_OPTIONS
from tests.hardening.hostile import HOSTILE, HostileServer, LoopbackRouter

BATCH_BUDGET_S = 60.0  # a hang guard: 8 s per fetch at most, everything runs at once
TOTAL = f"gave up after {HOSTILE_OPTIONS.total_timeout:g} s"
RSS_CAP_BYTES = 200 * 1024 * 1024  # peak RSS growth allowed for the whole batch (1 MiB body cap)
SSRF = r"resolves to non-public address .*nothing was sent"


@dataclass(frozen=True)
class Expect:
    status: FetchStatus
    kind: str | None = None
    reason: str = ""


ERR_SOFT = FetchStatus.ERROR
EXPECTED: dict[str, Expect] = {
    "/drip": Expect(ERR_SOFT, "soft", TOTAL + r" \(total time budget\)"),
    "/silent": Expect(ERR_SOFT, "soft", r"timed out \(ReadTimeout\)|" + TOTAL),
    "/huge-declared": Expect(ERR_SOFT, "hard", r"body of 53687091200 bytes exceeds the 1048576"),
    "/huge-chunked": Expect(ERR_SOFT, "hard", r"exceeds the 1048576-byte limit"),
    "/huge-unframed": Expect(ERR_SOFT, "hard", r"exceeds the 1048576-byte limit"),
    "/gzip-bomb": Expect(ERR_SOFT, "hard", r"exceeds the 1048576-byte limit \(after decompr"),
    "/deflate-bomb": Expect(ERR_SOFT, "hard", r"exceeds the 1048576-byte limit \(after decompr"),
    "/br-bomb": Expect(ERR_SOFT, "hard", r"exceeds the 1048576-byte limit \(after decompr"),
    "/header-bomb": Expect(ERR_SOFT, "soft", r"RemoteProtocolError"),
    "/billion-laughs": Expect(ERR_SOFT, "hard", r"declares an XML entity"),
    "/quadratic": Expect(ERR_SOFT, "hard", r"declares an XML entity"),
    "/xxe": Expect(ERR_SOFT, "hard", r"declares an external entity \(SYSTEM/PUBLIC\)"),
    "/xxe-parameter": Expect(ERR_SOFT, "hard", r"declares a parameter entity"),
    "/loop": Expect(ERR_SOFT, "hard", r"more than 5 redirects"),
    "/chain/0": Expect(ERR_SOFT, "hard", r"more than 5 redirects"),
    "/to-metadata": Expect(ERR_SOFT, "hard", r"169\.254\.169\.254 " + SSRF),
    "/to-metadata-name": Expect(ERR_SOFT, "hard", r"metadata\.google\.internal .*169\.254"),
    "/to-private": Expect(ERR_SOFT, "hard", r"10\.0\.0\.1 " + SSRF),
    "/to-private-name": Expect(ERR_SOFT, "hard", r"internal\.test .*10\.1\.2\.3"),
    "/to-loopback": Expect(ERR_SOFT, "hard", r"127\.0\.0\.1 " + SSRF),
    "/to-localhost": Expect(ERR_SOFT, "hard", r"localhost .*127\.0\.0\.1"),
    "/to-decimal-loopback": Expect(ERR_SOFT, "hard", r"2130706433 .*127\.0\.0\.1"),
    "/to-hex-loopback": Expect(ERR_SOFT, "hard", r"0x7f\.1 .*127\.0\.0\.1"),
    "/to-link-local": Expect(ERR_SOFT, "hard", r"169\.254\.10\.20 " + SSRF),
    "/to-link-local-v6": Expect(ERR_SOFT, "hard", r"fe80::1 " + SSRF),
    "/to-v6-loopback": Expect(ERR_SOFT, "hard", r"::1 " + SSRF),
    "/to-v4-mapped": Expect(ERR_SOFT, "hard", r"::ffff:a00:1; private"),
    "/to-v4-mapped-metadata": Expect(ERR_SOFT, "hard", r"::ffff:a9fe:a9fe; private"),
    "/to-v4-compatible": Expect(ERR_SOFT, "hard", r"::7f00:1; private"),
    "/to-nat64": Expect(ERR_SOFT, "hard", r"64:ff9b::a9fe:a9fe " + SSRF),
    "/to-6to4": Expect(ERR_SOFT, "hard", r"2002:a00:1::1 " + SSRF),
    "/to-teredo": Expect(ERR_SOFT, "hard", r"2001:0:4136:e378:8000:63bf:f5ff:fffe " + SSRF),
    "/to-unique-local-v6": Expect(ERR_SOFT, "hard", r"fd00::1 " + SSRF),
    "/to-rebind-name": Expect(ERR_SOFT, "hard", r"rebind\.test .*192\.168\.0\.10"),
    "/to-file": Expect(ERR_SOFT, "hard", r"refusing non-http\(s\) URL 'file:///etc/passwd'"),
    "/no-location": Expect(ERR_SOFT, "soft", r"HTTP 302 without a Location header"),
    "/bogus-charset": Expect(FetchStatus.OK),
    "/mislabelled-charset": Expect(FetchStatus.OK),
    "/utf16-no-bom": Expect(FetchStatus.OK),
    "/nul-bytes": Expect(FetchStatus.OK),
    "/truncated": Expect(FetchStatus.OK),  # feedparser's lenient parser keeps whole items
    "/html": Expect(ERR_SOFT, "hard", r"got an HTML page where a feed was expected"),
    "/empty": Expect(ERR_SOFT, "hard", r"empty response body where a feed was expected"),
    "/garbage": Expect(ERR_SOFT, "hard", r"not a recognisable RSS/Atom feed"),
    "/json-deep": Expect(ERR_SOFT, "hard", r"invalid JSON feed: nested too deeply"),
    "/xml-deep": Expect(FetchStatus.OK),  # a channel with no items, parsed in bounded time
    "/dup-guids": Expect(FetchStatus.OK),
    "/429-seconds": Expect(
        ERR_SOFT, "soft", r"HTTP 429 \(rate limited or unavailable, retry after 7200 s\)"
    ),
    "/503-date": Expect(
        ERR_SOFT, "soft", r"HTTP 503 \(rate limited or unavailable, retry after 7\d{3} s\)"
    ),
    "/500": Expect(ERR_SOFT, "soft", r"HTTP 500 server error"),
    "/gone": Expect(ERR_SOFT, "hard", r"HTTP 410 Gone"),
}
TLS_SELF_SIGNED = Expect(ERR_SOFT, "soft", r"CERTIFICATE_VERIFY_FAILED.*self-signed")
TLS_PLAINTEXT = Expect(ERR_SOFT, "soft", r"ConnectError: \[SSL")
NXDOMAIN = Expect(ERR_SOFT, "soft", r"DNS lookup failed for nxdomain\.test")
HEALTHY_OUTLETS = ("kompas", "tempo", "okezone")
ERROR = FetchStatus.ERROR


def test_every_hostile_endpoint_has_an_expectation() -> None:
    assert sorted(EXPECTED) == HOSTILE


@pytest.fixture(scope="module")
def healthy_farm() -> Iterator[FarmServer]:
    site = Site(articles_or_skip(per_outlet=12, outlets=list(HEALTHY_OUTLETS)), holdback=0)
    site.configure(full_content=True)  # bodies in the feed: no page fetches needed
    with FarmServer(site) as server:
        yield server


def farm_feed(farm: FarmServer, slug: str) -> str:
    """The outlet's feed under a public-looking test name (the guard is on in these tests)."""
    parts = urlsplit(farm.feed_url(slug))
    return urlunsplit(parts._replace(netloc=f"{slug}.farm.test:{parts.port}"))


async def register(db: Database, urls: list[str]) -> dict[str, int]:
    ids = {}
    async with db.writer.begin() as session:
        for url in urls:
            source = await source_service.create_source(
                session, data=source_service.NewSource(url=url)
            )
            ids[url] = source.id
    return ids


def max_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@pytest.mark.slow
async def test_hostile_batch_with_healthy_neighbours(
    db: Database,
    guarded_crawler: Crawler,
    hostile_server: HostileServer,
    healthy_farm: FarmServer,
    router: LoopbackRouter,
) -> None:
    cases: dict[str, Expect] = {hostile_server.url(p): e for p, e in EXPECTED.items()}
    tls = hostile_server.tls_url()
    if tls is not None:
        cases[tls] = TLS_SELF_SIGNED
    cases[hostile_server.plain_as_tls_url()] = TLS_PLAINTEXT
    cases["http://nxdomain.test/feed.xml"] = NXDOMAIN
    healthy = [farm_feed(healthy_farm, slug) for slug in HEALTHY_OUTLETS]
    # Healthy sources first, last and in the middle of the batch.
    hostile_urls = list(cases)
    order = [healthy[0], *hostile_urls[:25], healthy[1], *hostile_urls[25:], healthy[2]]
    ids = await register(db, order)

    rss_before = max_rss()
    started = time.perf_counter()
    summary = await guarded_crawler.run_once()
    elapsed = time.perf_counter() - started
    rss_growth = max_rss() - rss_before

    assert elapsed < BATCH_BUDGET_S, f"batch took {elapsed:.1f} s"
    assert rss_growth < RSS_CAP_BYTES, f"peak RSS grew by {rss_growth / 2**20:.0f} MiB"
    assert router.refused == []  # only the fake public address was ever connected to
    assert len(summary.outcomes) == len(order)

    async with db.sessionmaker() as session:
        rows = {s.id: s for s in (await session.scalars(select(Source))).all()}
        attempts = dict(
            (
                await session.execute(
                    select(FetchAttempt.source_id, func.count()).group_by(FetchAttempt.source_id)
                )
            ).all()
        )
        stored = dict(
            (
                await session.execute(
                    select(Article.source_id, func.count()).group_by(Article.source_id)
                )
            ).all()
        )
        titles = list((await session.scalars(select(Article.title))).all())

    problems = []
    for url, want in cases.items():
        row = rows[ids[url]]
        if attempts.get(row.id) != 1:
            problems.append(f"{url}: {attempts.get(row.id)} fetch attempts")
        if row.last_status != want.status:
            problems.append(f"{url}: {row.last_status} ({row.last_error})")
            continue
        if want.status == ERROR:
            if row.last_error_kind != want.kind:
                problems.append(f"{url}: kind {row.last_error_kind} ({row.last_error})")
            if not re.search(want.reason, row.last_error or ""):
                problems.append(f"{url}: reason {row.last_error!r}")
            if "internal error" in (row.last_error or ""):
                problems.append(f"{url}: crashed the job: {row.last_error}")
    assert problems == [], "\n".join(problems)

    for url in healthy:
        row = rows[ids[url]]
        assert row.last_status == FetchStatus.OK and row.error_count == 0
        assert stored[row.id] == 12

    # Retry-After honoured in both forms; 410 goes to the backoff cap but is never dropped.
    for path in ("/429-seconds", "/503-date"):
        row = rows[ids[hostile_server.url(path)]]
        assert row.next_check_at - row.last_fetched_at >= timedelta(seconds=7000)
    gone = rows[ids[hostile_server.url("/gone")]]
    assert gone.enabled and gone.next_check_at - gone.last_fetched_at >= timedelta(hours=23)

    # Duplicate GUIDs and a tracking-parameter copy of one link: two articles, not four.
    assert stored[ids[hostile_server.url("/dup-guids")]] == 2
    # NUL bytes never reach the database (PostgreSQL refuses them in text).
    assert stored[ids[hostile_server.url("/nul-bytes")]] == 1
    assert not any("\x00" in t for t in titles)
    # Mislabelled Windows-1252 sent as UTF-8 is stored readable, not as mojibake or a crash.
    assert stored[ids[hostile_server.url("/mislabelled-charset")]] == 1
    # The redirect to our own loopback address never reached the server's /ok feed.
    assert hostile_server.hits.get("/ok", 0) == 0


@pytest.mark.slow
async def test_bombs_and_huge_bodies_stay_within_the_memory_cap(
    db: Database, guarded_crawler: Crawler, hostile_server: HostileServer
) -> None:
    """Python-heap peak while crawling every bomb and oversized body: a few body caps at most."""
    paths = ["/gzip-bomb", "/deflate-bomb", "/br-bomb", "/huge-declared", "/huge-chunked"]
    paths += ["/huge-unframed", "/billion-laughs", "/quadratic", "/json-deep", "/xml-deep"]
    await register(db, [hostile_server.url(p) for p in paths])
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        started = time.perf_counter()
        outcomes = await guarded_crawler.crawl_due()
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    assert len(outcomes) == len(paths)
    assert elapsed < BATCH_BUDGET_S
    cap = HOSTILE_OPTIONS.max_bytes
    assert peak < 40 * cap, f"peak {peak / 2**20:.1f} MiB for a {cap / 2**20:.0f} MiB cap"
