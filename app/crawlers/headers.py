"""Numbers and dates read from response headers, bounded (pure; never raises).

A header is text the other side chose: `Retry-After` of 400 nines (a float of `inf`), a
superscript "²" (`str.isdigit` says yes, `int` says no), `max-age=-1`, `Expires` in year 1,
a `Content-Length` of a thousand digits. Every header number the crawler and the webhook
sender use goes through here: ASCII digits only, a length limit, a clamp, and None for anything
else, so a hostile header can shape a delay but never raise where a failure is being recorded.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

MAX_DIGITS = 18  # fits an int64; longer digit strings are not numbers we act on
MAX_DATE_CHARS = 100  # an IMF-fixdate is 29 characters
MAX_RETRY_AFTER = 7 * 24 * 3600.0  # a week: longer waits are read as this


def header_int(value: str | None, *, maximum: int) -> int | None:
    """A non-negative integer header value (ASCII digits only), capped at `maximum`."""
    if value is None:
        return None
    text = value.strip()
    if not text or len(text) > MAX_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    return min(int(text), maximum)


def header_date(value: str | None) -> datetime | None:
    """An HTTP date in UTC, or None for anything unreadable or out of datetime's range."""
    if not value or len(value) > MAX_DATE_CHARS:
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def seconds_between(later: datetime, earlier: datetime) -> float | None:
    """`later - earlier` in seconds, or None when the subtraction cannot be done."""
    try:
        return (later - earlier).total_seconds()
    except (OverflowError, TypeError):
        return None


def finite_seconds(value: float | None, *, maximum: float) -> float | None:
    """`value` clamped to [0, maximum]; None for None and NaN (inf becomes the maximum)."""
    if value is None or math.isnan(value):
        return None
    return min(max(value, 0.0), maximum)


def retry_after_seconds(
    value: str | None, *, now: datetime | None = None, maximum: float = MAX_RETRY_AFTER
) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), in [0, maximum]."""
    if not value:
        return None
    seconds = header_int(value, maximum=int(maximum))
    if seconds is not None:
        return float(seconds)
    when = header_date(value)
    if when is None:
        return None
    return finite_seconds(seconds_between(when, now or datetime.now(UTC)), maximum=maximum)
