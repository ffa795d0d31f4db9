"""Pure scheduling rules: when to look at a source next. The source row stores the result.

After a success the interval aims at one new item per poll, from the feed's own timestamps,
else from new items per elapsed time, clamped to the policy's range (5 min .. 6 h by default),
with RSS `ttl`, Cache-Control max-age and Expires as floors. After a failure the backoff is
graded by kind (soft, hard) and capped at a day; 410 Gone goes straight to the cap but the
source is never dropped; Retry-After is honoured in seconds or as a date.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.crawlers.fetch import FailureKind
from app.crawlers.headers import finite_seconds, header_date, header_int, seconds_between


@dataclass(frozen=True, slots=True)
class PollPolicy:
    min_seconds: int = 300
    max_seconds: int = 6 * 3600
    max_error_backoff_seconds: int = 24 * 3600
    soft_error_base_seconds: int = 300
    hard_error_base_seconds: int = 1800

    def clamp(self, seconds: float) -> int:
        return int(min(max(seconds, self.min_seconds), self.max_seconds))


MAX_FRESHNESS = 30 * 24 * 3600  # a longer max-age or Expires is read as this (then clamped)
RATE_WINDOW_ITEMS = 20  # newest items used to estimate the publishing rate
RATE_HORIZON = timedelta(days=30)  # older items say nothing about today's rate


def publishing_interval(published: Iterable[datetime], *, now: datetime) -> float | None:
    """Mean seconds between new items, from the feed's own timestamps, silence included.

    With the k newest items published at or after t_k, the estimate is (now - t_k) / k: a
    steady publisher gets its mean gap, and a feed that went quiet gets a longer one the
    longer it stays quiet. None when no item from the last 30 days carries a time.
    """
    recent = sorted((t for t in published if now - RATE_HORIZON <= t <= now), reverse=True)[
        :RATE_WINDOW_ITEMS
    ]
    if not recent:
        return None
    return max((now - recent[-1]).total_seconds(), 1.0) / len(recent)


def success_interval(
    policy: PollPolicy,
    *,
    current: int,
    new_items: int,
    override: int | None = None,
    ttl_seconds: int | None = None,
    max_age_seconds: int | None = None,
    publish_interval: float | None = None,
    elapsed_seconds: float | None = None,
) -> int:
    """The next polling interval: aim for about one new item per poll, within the range.

    Best evidence first: the publishing rate estimated from item timestamps
    (`publishing_interval`); else the observed rate, new items over the time since the last
    poll, blended geometrically with the current interval so one burst does not swing it;
    else a poll that found nothing lengthens the interval by a quarter. A per-source override
    wins over all of it; the publisher's hints (RSS ttl, Cache-Control max-age or Expires,
    passed as `max_age_seconds`) are a floor.
    """
    if override:
        return override
    if publish_interval is not None and new_items > 0:
        interval = publish_interval
    elif new_items > 0 and elapsed_seconds:
        interval = math.sqrt(current * (elapsed_seconds / new_items))
    elif new_items > 0:
        interval = current * (0.5 if new_items >= 5 else 0.75)
    elif publish_interval is not None:
        interval = max(current * 1.25, min(publish_interval, current * 2))
    else:
        interval = current * 1.25
    floor = max(ttl_seconds or 0, max_age_seconds or 0)
    return policy.clamp(max(interval, floor))


def error_delay(
    policy: PollPolicy,
    *,
    consecutive_errors: int,
    kind: FailureKind,
    retry_after: float | None = None,
    status: int | None = None,
    rng: random.Random | None = None,
) -> int:
    """Graded, capped exponential backoff with jitter; Retry-After is honoured when longer.

    410 Gone goes straight to the cap: the publisher said the feed is gone for good, yet a
    moved feed sometimes comes back, so it is still tried once per cap, never dropped.
    """
    if status == 410:
        return policy.max_error_backoff_seconds
    base = (
        policy.hard_error_base_seconds
        if kind is FailureKind.HARD
        else policy.soft_error_base_seconds
    )
    exponent = max(0, consecutive_errors - 1)
    delay = min(base * (2 ** min(exponent, 16)), policy.max_error_backoff_seconds)
    jitter = (rng or random).uniform(0.9, 1.1)
    delay = int(delay * jitter)
    wait = finite_seconds(retry_after, maximum=policy.max_error_backoff_seconds)
    if wait is not None:  # inf, NaN or negative from a hostile header never reach int()
        delay = max(delay, int(wait))
    return min(delay, policy.max_error_backoff_seconds)


def parse_max_age(cache_control: str | None) -> int | None:
    """`max-age` from a Cache-Control header, in seconds."""
    if not cache_control:
        return None
    for directive in cache_control[:2000].split(","):
        name, _, value = directive.strip().partition("=")
        if name.lower() == "max-age":
            return header_int(value.strip('" '), maximum=MAX_FRESHNESS)
    return None


def freshness_seconds(headers: Mapping[str, str], *, now: datetime | None = None) -> int | None:
    """How long the response says it stays fresh: max-age, else Expires minus Date."""
    cache_control = headers.get("cache-control")
    max_age = parse_max_age(cache_control)
    if max_age is not None:
        return max_age
    if cache_control and "no-cache" in cache_control.lower():
        return None
    expires = _http_date(headers.get("expires"))
    if expires is None:
        return None
    base = _http_date(headers.get("date")) or now or datetime.now(UTC)
    seconds = finite_seconds(seconds_between(expires, base), maximum=MAX_FRESHNESS)
    return int(seconds) if seconds else None


def _http_date(value: str | None) -> datetime | None:
    return header_date(value)
