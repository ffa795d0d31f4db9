"""Spike detection on synthetic series with known spikes and known quiet periods."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np

from app.feed.spikes import DAILY, Bucket, SpikeConfig, detect

START = datetime(2019, 9, 2, tzinfo=UTC)  # a Monday
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def _rate(hour: int) -> float:
    """Articles per hour for a watchlist: a daily rhythm (busy 09-17 WIB), quieter weekends."""
    day = (START + hour * HOUR).weekday()
    diurnal = 2.0 + 6.0 * max(0.0, math.sin(math.pi * ((hour % 24) - 1) / 14))
    return diurnal * (0.5 if day >= 5 else 1.0)


def _hourly(days: int, seed: int, *, scale: float = 1.0, neg_share: float = 0.15) -> list[Bucket]:
    rng = np.random.default_rng(seed)
    out = []
    for h in range(days * 24):
        n = int(rng.poisson(_rate(h) * scale))
        out.append(Bucket(START + h * HOUR, n, int(rng.binomial(n, neg_share))))
    return out


def _fires(series: list[Bucket], *, config: SpikeConfig | None = None, first: int = 7 * 24):
    """Run detect as a scheduler would, once per bucket end, from ``first`` on."""
    width = DAY if config is not None and config.granularity == "day" else HOUR
    fired = {}
    for i in range(first, len(series)):
        now = series[0].start + (i + 1) * width
        spikes = detect(series[: i + 1], now=now, config=config)
        if spikes:
            fired[i] = spikes
    return fired


def test_quiet_seasonal_noise_stays_below_one_false_alarm_a_fortnight() -> None:
    # Poisson noise does produce the odd 7-article night hour; the thresholds keep it to about
    # one alarm per 1,000 hours (see the module docstring), never a stream of them.
    fired = [len(_fires(_hourly(21, seed))) for seed in range(4)]
    assert max(fired) <= 2 and sum(fired) <= 4, fired


def test_an_injected_burst_fires_in_its_hour_with_a_reason() -> None:
    series = _hourly(21, 3)
    quiet = _fires(series)
    at = 17 * 24 + 10  # a Thursday, 10:00
    burst = series[at]
    series[at] = Bucket(burst.start, burst.count + 25, burst.negative)
    fired = _fires(series)
    assert set(fired) - set(quiet) == {at}
    (spike,) = fired[at]
    assert spike.kind == "volume" and spike.z >= 3
    assert "articles in the hour from 2019-09-19 10:00" in spike.reason
    assert "same hour on the previous 7 days" in spike.reason


def test_a_sparse_series_ignores_lone_articles_but_catches_a_burst() -> None:
    rng = np.random.default_rng(5)
    series = [Bucket(START + h * HOUR, int(rng.random() < 0.04)) for h in range(21 * 24)]
    assert _fires(series) == {}
    at = 20 * 24 + 3
    series[at] = Bucket(series[at].start, 6)
    assert list(_fires(series)) == [at]


def test_a_slow_ramp_does_not_fire_every_hour() -> None:
    rng = np.random.default_rng(9)
    series = []
    for h in range(28 * 24):
        growth = 1.06 ** (h / 24)  # 6% busier every day: 4.5x over four weeks
        series.append(Bucket(START + h * HOUR, int(rng.poisson(_rate(h) * growth))))
    fired = _fires(series)
    assert len(fired) <= 5, sorted(fired)  # 3 weeks of hours scanned: under 1% of them


def test_a_negative_burst_without_more_volume_fires_on_share_only() -> None:
    series = _hourly(21, 2)
    quiet = _fires(series)
    at = 18 * 24 + 11
    normal = series[at]
    series[at] = Bucket(normal.start, normal.count, math.ceil(normal.count * 0.8))
    fired = _fires(series)
    assert set(fired) - set(quiet) == {at}
    (spike,) = fired[at]
    assert spike.kind == "negative_share"
    assert spike.baseline_mean < 0.3 and spike.value >= 0.75
    assert "negative-share spike" in spike.reason


def test_a_day_is_compared_with_the_previous_two_weeks() -> None:
    rng = np.random.default_rng(4)
    days = [
        Bucket(START + d * DAY, int(rng.poisson(60 if (START + d * DAY).weekday() < 5 else 25)))
        for d in range(42)
    ]
    assert _fires(days, config=DAILY, first=14) == {}  # Mondays after quiet weekends are normal
    days[38] = Bucket(days[38].start, days[38].count + 90)
    fired = _fires(days, config=DAILY, first=14)
    assert list(fired) == [38]
    assert "previous 14 days" in fired[38][0].reason


def test_a_new_watchlist_has_no_baseline_and_stays_silent() -> None:
    series = [Bucket(START + h * HOUR, 30) for h in range(40)]
    assert detect(series, now=START + 40 * HOUR, history_start=START) == []
    assert detect([], now=START) == []
