"""Publish times from outside, held to a sane window; Indonesian date lines read (pure).

Every time a feed, sitemap, listing or page gives passes through `bounded_time` before it can
become a row: outside [EARLIEST, now + MAX_FUTURE] it is dropped with a reason (the row then
takes its fetch time, untrusted), so a .NET feed's `0001-01-01` or a `9999-12-31` never reaches
story banding or clustering, where arithmetic on it overflows. Between now + MAX_FUTURE_SKEW
and now + MAX_FUTURE the time is kept but not trusted (clock skew, a zone mistake).

`indonesian_date_line` reads the date line of Indonesian news pages, "Sabtu, 05 Desember 2026 -
06:00 WIB", "5 Des 2026 pukul 06.00 WITA", "05/12/2026, 06:00 WIT", keeping the time of day
and the zone (WIB +07, WITA +08, WIT +09) that a day-only date loses.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)  # before the web had news sites
MAX_FUTURE_SKEW = timedelta(hours=6)  # later than now by more: kept, not trusted
MAX_FUTURE = timedelta(days=2)  # later than this: dropped
DATE_OUT_OF_RANGE = "publish time outside 1990 .. now + 2 days (dropped; the fetch time is used)"

WIB = timezone(timedelta(hours=7), "WIB")
ZONES = {
    "WIB": WIB,
    "WITA": timezone(timedelta(hours=8), "WITA"),
    "WIT": timezone(timedelta(hours=9), "WIT"),
}
_MONTHS = {
    "jan": 1, "feb": 2, "peb": 2, "mar": 3, "apr": 4, "mei": 5, "may": 5, "jun": 6, "jul": 7,
    "agu": 8, "agt": 8, "ags": 8, "aug": 8, "sep": 9, "okt": 10, "oct": 10, "nov": 11,
    "nop": 11, "des": 12, "dec": 12,
}  # fmt: skip
_TIME = r"(?:\s*[,|\-\u2013\u2014/]\s*|\s+)(?:pukul\s+|jam\s+)?(\d{1,2})[.:](\d{2})(?:[.:]\d{2})?"
_ZONE = r"(?:\s*(WITA|WIB|WIT)\b)?"
_WORD_DATE = re.compile(
    r"\b(\d{1,2})\s+([A-Za-z]{3,9})\.?\s+(\d{4})" + _TIME + _ZONE, re.IGNORECASE
)
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})" + _TIME + _ZONE, re.IGNORECASE)
MAX_SCAN = 20_000  # characters of page text searched for a date line


def bounded_time(
    value: datetime | None, *, now: datetime
) -> tuple[datetime | None, bool, str | None]:
    """(time in UTC or None, trusted, why it was dropped).

    A naive value is read as UTC. Never raises: a value whose conversion to UTC overflows
    (year 1 at +07:00) is out of range like any other.
    """
    if value is None:
        return None, False, None
    try:
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        if value < EARLIEST or value > now + MAX_FUTURE:
            return None, False, DATE_OUT_OF_RANGE
    except (OverflowError, ValueError):
        return None, False, DATE_OUT_OF_RANGE
    return value, value <= now + MAX_FUTURE_SKEW, None


def indonesian_date_line(text: str) -> tuple[datetime | None, bool]:
    """The first Indonesian date line with a time of day in `text`: (aware time, zone given).

    Without a zone the time is read as WIB and the second value is False.
    """
    head = text[:MAX_SCAN]
    found = [*_WORD_DATE.finditer(head), *_NUMERIC_DATE.finditer(head)]
    for match in sorted(found, key=lambda m: m.start()):
        parsed = _from_match(match, numeric=match.re is _NUMERIC_DATE)
        if parsed is not None:
            return parsed
    return None, False


def _from_match(match: re.Match[str], *, numeric: bool) -> tuple[datetime, bool] | None:
    day, month_text, year, hour, minute, zone = match.groups()
    if numeric:
        month = int(month_text)
    else:
        found = _MONTHS.get(month_text[:3].lower())
        if found is None:
            return None
        month = found
    zone_info = ZONES.get((zone or "WIB").upper(), WIB)
    try:
        when = datetime(int(year), month, int(day), int(hour), int(minute), tzinfo=zone_info)
    except ValueError:
        return None
    return when, zone is not None
