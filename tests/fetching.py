"""Fetch options for tests against servers on this machine."""

from __future__ import annotations

from typing import Any

from app.crawlers.fetch import FetchOptions

# Production politeness (Settings: 2 per host, 500 ms apart) would turn a farm crawl of a few
# hundred pages on one loopback host into minutes of waiting; tests of politeness set it.
LOCAL_POLITENESS: dict[str, Any] = {
    "global_concurrency": 64,
    "per_host_concurrency": 4,
    "per_host_min_interval_ms": 0,
}


def local_fetch_options(**values: Any) -> FetchOptions:
    """FetchOptions for a local server: `values` over loopback-friendly politeness."""
    return FetchOptions(**{**LOCAL_POLITENESS, **values})
