"""Fixtures for the hardening campaign: the hostile server and a guarded crawler that reaches it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from app.crawlers.fetch import Fetcher
from app.crawlers.pool import CpuPool
from app.db import Database
from app.pipeline.cycle import Crawler
from app.scoring import load_scorer
from tests.fetching import local_fetch_options
from tests.hardening.hostile import HostileServer, LoopbackRouter, TestResolver
from tests.routers.conftest import admin, analyst, client, viewer  # noqa: F401 - API fixtures

# Small budgets so a hostile endpoint costs seconds, not minutes; the guard is ON. The total
# budget leaves room for the body and redirect caps to trip first on a loaded machine (the whole
# hostile batch shares one event loop), so each case fails for its own reason.
HOSTILE_OPTIONS = local_fetch_options(
    user_agent="PantauHardening/1",
    connect_timeout=2,
    read_timeout=3,
    total_timeout=8,
    max_bytes=1024 * 1024,
    max_redirects=5,
    allow_private_networks=False,
)


@pytest.fixture(scope="session")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileServer]:
    cert_dir: Path = tmp_path_factory.mktemp("hostile-tls")
    with HostileServer(cert_dir) as server:
        yield server


@pytest.fixture
def router() -> LoopbackRouter:
    return LoopbackRouter()


@pytest.fixture
def resolver() -> TestResolver:
    return TestResolver()


@pytest.fixture
async def guarded_crawler(
    db: Database, router: LoopbackRouter, resolver: TestResolver
) -> AsyncIterator[Crawler]:
    fetcher = Fetcher(HOSTILE_OPTIONS, resolver=resolver, network=router)
    crawler = Crawler(
        database=db,
        fetcher=fetcher,
        scorer=load_scorer(),
        pool=CpuPool(workers=0),
        concurrency=64,
    )
    yield crawler
    await fetcher.aclose()
