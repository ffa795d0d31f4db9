"""No feed can fill the page queue: a source keeps at most `max_pending_pages` articles waiting
for their page; a poll's new ones past it are scored on their summary, each saying why, and the
poll's attempt counts them. Other sources queue their pages as before (both backends, through
the HTTP API)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sqlalchemy import func, select

from app.crawlers.fetch import Fetcher
from app.crawlers.pool import CpuPool
from app.db import Database
from app.models import Article, TextState
from app.pipeline.cycle import Crawler
from app.scoring import load_scorer
from app.services.pages import PAGE_QUEUE_FULL
from tests.fetching import local_fetch_options
from tests.hardening.classes import HEALTHY_PER_FEED, ClassServer

ITEMS = 300  # read of the farm's 1,200-item feed
WAITING = 100


@pytest.fixture(scope="module")
def farm() -> Iterator[ClassServer]:
    with ClassServer() as server:
        yield server


@pytest.fixture
async def crawler(db: Database) -> AsyncIterator[Crawler]:
    crawler = Crawler(
        database=db,
        fetcher=Fetcher(local_fetch_options(allow_private_networks=True)),
        scorer=load_scorer(),
        pool=CpuPool(workers=0),
        max_items_per_feed=ITEMS,
        max_pending_pages=WAITING,
    )
    yield crawler
    await crawler.aclose()


async def _source(client: httpx.AsyncClient, admin: dict[str, str], url: str) -> int:
    made = await client.post("/v1/sources", json={"url": url, "kind": "feed"}, headers=admin)
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


async def _states(db: Database, source_id: int) -> dict[str | None, int]:
    async with db.sessionmaker() as session:
        rows = await session.execute(
            select(Article.text_state, func.count())
            .where(Article.source_id == source_id)
            .group_by(Article.text_state)
        )
        return {str(state): int(n) for state, n in rows.all()}


async def test_a_source_never_queues_more_pages_than_its_cap(
    db: Database,
    crawler: Crawler,
    farm: ClassServer,
    client: httpx.AsyncClient,
    admin: dict[str, str],
) -> None:
    many = await _source(client, admin, farm.url("/c/many-items"))
    healthy = await _source(client, admin, farm.url("/ok/a"))
    await crawler.crawl_due()

    assert await _states(db, many) == {
        TextState.PENDING: WAITING,
        TextState.FAILED: ITEMS - WAITING,
    }
    assert await _states(db, healthy) == {TextState.PENDING: HEALTHY_PER_FEED}

    attempts = await client.get(f"/v1/sources/{many}/attempts", headers=admin)
    notes = attempts.json()["items"][0]["notes"]
    assert f"{ITEMS - WAITING} × pages not queued: {PAGE_QUEUE_FULL}" in notes, notes

    async with db.sessionmaker() as session:
        left_out = await session.scalar(
            select(Article.id)
            .where(Article.source_id == many, Article.text_state == TextState.FAILED)
            .limit(1)
        )
    detail = await client.get(f"/v1/articles/{left_out}", headers=admin)
    assert detail.json()["text_error"] == (
        f"page not fetched: {PAGE_QUEUE_FULL} ({WAITING} pages waiting)"
    )
