"""Query parameters shared by list, stats and export endpoints, with their documentation."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Path, Query

from app.schemas.common import MAX_ID
from app.services.timewindow import DEFAULT_TZ, check_window, parse_instant, zone

# Row ids are 32-bit on PostgreSQL; a larger number in a path or filter names nothing, and
# passing it on would make the driver raise (a 500) instead of answering 404 or 422.
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]

Since = Annotated[
    str | None,
    Query(
        description=(
            "At or after this time: ISO 8601 with any offset (`2026-11-20T08:00:00+07:00`), a "
            "time without offset (read in `tz`) or a date (start of that day in `tz`)."
        ),
        examples=["2026-11-20T08:00:00+07:00"],
        max_length=40,
    ),
]
Until = Annotated[
    str | None,
    Query(
        description=(
            "Before this time; same forms as `since`. A date alone includes that whole day."
        ),
        examples=["2026-11-21"],
        max_length=40,
    ),
]
Tz = Annotated[
    str,
    Query(
        description="IANA time zone for dates and zone-less times (and stats buckets).",
        examples=["Asia/Jakarta"],
        max_length=64,
    ),
]
Cursor = Annotated[
    str | None,
    Query(max_length=500, description="`next_cursor` of the previous page (opaque)."),
]
ChangedAfter = Annotated[
    str | None,
    Query(
        max_length=500,
        description=(
            "Incremental sync: `0` to start, then the `next_cursor` of the previous answer. "
            "Returns every entity changed since, once per change, including tombstones; "
            "never misses a late-committed change."
        ),
    ),
]


def window(
    since: str | None, until: str | None, tz: str = DEFAULT_TZ
) -> tuple[datetime | None, datetime | None]:
    """Parse a `since`/`until` pair in `tz` into aware UTC bounds; 422 when they are wrong."""
    zone_info = zone(tz)
    lower = parse_instant(since, tz=zone_info, name="since")
    upper = parse_instant(until, tz=zone_info, end=True, name="until")
    check_window(lower, upper)
    return lower, upper
