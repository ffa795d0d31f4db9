"""The database URL read from a plain environment, without pydantic (for start-up only).

`Settings` (config.py) reads the environment; importing pydantic and pydantic-settings to build
it costs a cron `crawl --once` with nothing due about 85 % of its CPU. When the environment
holds nothing for Pantau but `PANTAU_DATABASE_URL` (or nothing at all) and there is no `.env`,
every setting but the URL is its default and `Settings()` would validate: `plain_database_url`
answers that URL, normalised as `Settings` normalises it. Anything else answers None, and the
caller builds `Settings` as always. The defaults the start-up check needs are here too;
tests/test_config.py holds them equal to `Settings`'.
"""

from __future__ import annotations

import os
from pathlib import Path

PREFIX = "pantau_"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/pantau.db"
DEFAULT_RETENTION_DAYS = 30
ENV_FILE = ".env"


def normalise_database_url(url: str) -> str:
    """Map plain driver-less URLs to the async drivers Pantau runs on.

    `postgresql://` and `postgres://` (what most hosting panels hand out) become asyncpg URLs;
    `sqlite://` becomes aiosqlite. URLs that already name a driver are kept as they are.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"not a database URL: {url!r}")
    mapping = {
        "postgres": "postgresql+asyncpg",
        "postgresql": "postgresql+asyncpg",
        "sqlite": "sqlite+aiosqlite",
    }
    return f"{mapping.get(scheme, scheme)}://{rest}"


def plain_database_url() -> str | None:
    """The database URL when the environment sets no other setting (None: build `Settings`)."""
    if Path(ENV_FILE).exists():
        return None
    # Settings' names are case-insensitive; any other PANTAU_ variable may be a setting.
    ours = [name for name in os.environ if name.lower().startswith(PREFIX)]
    if len(ours) > 1 or any(name.lower() != PREFIX + "database_url" for name in ours):
        return None
    try:
        return normalise_database_url(os.environ[ours[0]] if ours else DEFAULT_DATABASE_URL)
    except ValueError:
        return None
