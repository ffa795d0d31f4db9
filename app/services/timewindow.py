"""Reading times the way analysts write them: any offset, or a date in their time zone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.errors import InvalidInput

DEFAULT_TZ = "Asia/Jakarta"
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"unknown time zone {name!r}; use an IANA name such as Asia/Jakarta"
        ) from None


def parse_instant(
    value: str | None, *, tz: ZoneInfo, end: bool = False, name: str
) -> datetime | None:
    """An ISO 8601 time, as aware UTC.

    A time without an offset is read in `tz`; a date alone is the start of that day in `tz`, or
    with `end=True` the start of the next day (so `until=2026-11-20` includes the whole 20th).
    """
    if value is None or value == "":
        return None
    try:
        if _DATE_ONLY.match(value):
            day = date.fromisoformat(value)
            if end:
                day += timedelta(days=1)
            return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise InvalidInput(
            f"'{name}' is not an ISO 8601 date or time: {value!r}", parameter=name
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)


def check_window(since: datetime | None, until: datetime | None) -> None:
    if since is not None and until is not None and since >= until:
        raise InvalidInput("'since' must be earlier than 'until'")
