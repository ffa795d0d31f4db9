"""Pytest helpers for tests that need the farm.

Use them from any conftest or test module::

    from tests.farm.fixtures import farm_server, farm_site  # noqa: F401 - pytest fixtures

or build your own with :func:`articles_or_skip`. When the shared corpus is missing, the tests
skip with a reason that says so (``pytest -ra`` lists it).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.farm.corpus import Article, CorpusUnavailable, load_articles
from tests.farm.server import FarmServer
from tests.farm.site import Site


def articles_or_skip(**filters: object) -> list[Article]:
    """:func:`load_articles` with the same filters, or skip the test loudly when it is missing."""
    try:
        return load_articles(**filters)  # type: ignore[arg-type]
    except CorpusUnavailable as exc:
        pytest.skip(f"NEWS FARM UNAVAILABLE, test skipped: {exc}")


@pytest.fixture
def farm_site() -> Site:
    """A fresh site with every article, each outlet's newest 5 held back for publish_next()."""
    return Site(articles_or_skip(), holdback=5)


@pytest.fixture
def farm_server(farm_site: Site) -> Iterator[FarmServer]:
    """A running server for :func:`farm_site`, stopped after the test."""
    with FarmServer(farm_site) as server:
        yield server
