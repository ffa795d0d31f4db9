from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from app.crawlers.fetch import FailureKind
from app.crawlers.scheduling import (
    PollPolicy,
    error_delay,
    freshness_seconds,
    parse_max_age,
    publishing_interval,
    success_interval,
)

POLICY = PollPolicy(min_seconds=300, max_seconds=21600)


def test_new_items_shorten_and_quiet_polls_lengthen_within_range() -> None:
    assert success_interval(POLICY, current=1200, new_items=3) < 1200
    assert success_interval(POLICY, current=1200, new_items=0) > 1200
    assert success_interval(POLICY, current=301, new_items=50) == 300
    assert success_interval(POLICY, current=21000, new_items=0) == 21600


def test_override_wins_and_publisher_hints_set_a_floor() -> None:
    assert success_interval(POLICY, current=1200, new_items=9, override=60) == 60
    assert success_interval(POLICY, current=600, new_items=9, ttl_seconds=3600) == 3600
    assert success_interval(POLICY, current=600, new_items=9, max_age_seconds=1800) == 1800


def test_error_backoff_grows_is_capped_and_hard_errors_wait_longer() -> None:
    rng = random.Random(1)
    delays = [
        error_delay(POLICY, consecutive_errors=n, kind=FailureKind.SOFT, rng=rng)
        for n in range(1, 12)
    ]
    assert delays[0] < delays[3] < delays[6]
    assert max(delays) <= POLICY.max_error_backoff_seconds
    soft = error_delay(POLICY, consecutive_errors=1, kind=FailureKind.SOFT, rng=random.Random(2))
    hard = error_delay(POLICY, consecutive_errors=1, kind=FailureKind.HARD, rng=random.Random(2))
    assert hard > soft


def test_retry_after_is_honoured_when_longer() -> None:
    delay = error_delay(POLICY, consecutive_errors=1, kind=FailureKind.SOFT, retry_after=7200)
    assert delay == 7200


def test_parse_max_age() -> None:
    assert parse_max_age("public, max-age=600") == 600
    assert parse_max_age("no-cache") is None
    assert parse_max_age(None) is None


NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def test_publishing_interval_is_the_mean_gap_including_the_current_silence() -> None:
    every_10_min = [NOW - timedelta(minutes=10 * n) for n in range(1, 21)]
    assert publishing_interval(every_10_min, now=NOW) == 600
    quiet = [NOW - timedelta(days=2, minutes=10 * n) for n in range(20)]
    assert publishing_interval(quiet, now=NOW) > 2 * 86400 / 20
    assert publishing_interval([NOW - timedelta(days=90)], now=NOW) is None
    assert publishing_interval([], now=NOW) is None


def test_interval_aims_at_one_new_item_per_poll_and_stays_in_range() -> None:
    assert success_interval(POLICY, current=900, new_items=20, publish_interval=1200) == 1200
    assert success_interval(POLICY, current=900, new_items=20, publish_interval=30) == 300
    assert success_interval(POLICY, current=900, new_items=1, publish_interval=86400) == 21600
    # no timestamps: new items over the time since the last poll, blended with the current
    assert success_interval(POLICY, current=3600, new_items=4, elapsed_seconds=3600) == 1800
    assert success_interval(POLICY, current=600, new_items=0, publish_interval=900) == 900


def test_expires_and_max_age_give_the_freshness_floor() -> None:
    date = "Sat, 21 Nov 2026 12:00:00 GMT"
    assert freshness_seconds({"expires": "Sat, 21 Nov 2026 13:00:00 GMT", "date": date}) == 3600
    assert freshness_seconds({"cache-control": "max-age=60", "expires": "x"}) == 60
    assert freshness_seconds({"expires": "0"}) is None
    assert freshness_seconds({"expires": "Sat, 21 Nov 2026 11:00:00 GMT", "date": date}) is None


def test_410_gone_backs_off_straight_to_the_cap() -> None:
    delay = error_delay(POLICY, consecutive_errors=1, kind=FailureKind.HARD, status=410)
    assert delay == POLICY.max_error_backoff_seconds
