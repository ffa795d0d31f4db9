"""Query parameters shared by list, stats and export endpoints, with their documentation."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Path, Query, Request, params, routing
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_flat_params
from fastapi.routing import APIRoute

from app.errors import InvalidInput
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


def declared_query_params(dependant: Dependant) -> frozenset[str]:
    """The query parameter names a route reads, its dependencies' included."""
    return frozenset(
        f.alias for f in get_flat_params(dependant) if isinstance(f.field_info, params.Query)
    )


class QueryParamGuard:
    """Unknown query parameters answer 422 naming them and the known ones, on every route.

    A misspelt filter (`?watchlsit=3`) must not answer 200 with the unfiltered feed. The
    known names come from each route's declared parameters (dependencies included), read
    once per route, so no route keeps a hand-written list.
    """

    def __init__(self) -> None:
        self._known: dict[int, frozenset[str]] | None = None

    def known(self, app: Any, route: Any) -> frozenset[str] | None:
        if self._known is None:
            table: dict[int, set[str]] = {}
            for context in routing.iter_route_contexts(app.routes):
                original = context.original_route
                if isinstance(original, APIRoute):
                    names = declared_query_params(context.dependant)
                    table.setdefault(id(original), set()).update(names)
            self._known = {k: frozenset(v) for k, v in table.items()}
        return self._known.get(id(route))

    async def __call__(self, request: Request) -> None:
        if not request.query_params:
            return
        known = self.known(request.app, request.scope.get("route"))
        if known is None:
            return
        unknown = unknown_params(request.query_params.keys(), known)
        if unknown:
            raise InvalidInput(
                f"unknown query parameter{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(repr(u) for u in unknown)}; this endpoint accepts: "
                f"{', '.join(sorted(known)) or 'none'}",
                unknown=unknown,
                known=sorted(known),
            )


def unknown_params(names: Iterable[str], known: frozenset[str]) -> list[str]:
    return sorted({n for n in names if n not in known})
