"""Issue severity, 0 to 100, with its breakdown; and the issue metrics it is built from.

Five components, each in 0..1:

* ``negativity``: mean negativity *toward the watched entities* (the scorer's per-entity score
  when the article mentions one, else the article's own negativity);
* ``volume``: article count, log-scaled, 1.0 at ``volume_saturation`` articles;
* ``velocity``: acceleration, recent articles per hour over the rate before, log2-scaled
  (1x -> 0, ``velocity_saturation`` x -> 1), counted only once the recent window holds
  ``velocity_min_recent`` articles so one article after a quiet night is not a surge;
* ``reach``: sum of the three best distinct-outlet tier weights / 3 (tier 1 national = 1.0,
  2 = 0.5, 3 niche = 0.2), so three national outlets is full reach;
* ``priority``: the watchlist's priority 1..5 mapped to 0..1.

Score = negativity points + the other points scaled by ``0.25 + 0.75 * negativity``: a large,
fast, national story that is not negative is worth watching, not an alarm, so it gets at most a
quarter of those points. Weights (points out of 100): negativity 35, volume 20, velocity 15,
reach 15, priority 15. The score rises (never falls) with each input, which the tests check.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

WEIGHTS: Mapping[str, float] = {
    "negativity": 35.0,
    "volume": 20.0,
    "velocity": 15.0,
    "reach": 15.0,
    "priority": 15.0,
}
TIER_WEIGHTS: Mapping[int, float] = {1: 1.0, 2: 0.5, 3: 0.2}
NEUTRAL_SHARE = 0.25  # share of the non-negativity points a wholly neutral issue keeps


@dataclass(frozen=True, slots=True)
class SeverityConfig:
    """Scales of the components and the windows of the velocity."""

    volume_saturation: int = 50
    velocity_saturation: float = 8.0
    velocity_min_recent: int = 3
    recent: timedelta = timedelta(hours=6)
    before: timedelta = timedelta(hours=24)
    negative_threshold: float = 0.5  # negativity at which an article counts as negative


@dataclass(frozen=True, slots=True)
class ArticleSignal:
    """What severity needs of one article of an issue."""

    published_at: datetime
    outlet: str
    negativity: float  # the article's negativity, 0..1
    target_negativity: Mapping[str, float] = field(default_factory=dict)  # per watched entity
    tier: int = 2  # source tier: 1 national, 2 regional/major online, 3 niche


@dataclass(frozen=True, slots=True)
class Velocity:
    """Articles per hour in the recent window and in the window before it."""

    recent_per_hour: float
    before_per_hour: float
    recent_count: int

    @property
    def ratio(self) -> float:
        """Acceleration: recent rate over the earlier rate (floored at one article per window)."""
        return self.recent_per_hour / self.before_per_hour if self.before_per_hour else 0.0


@dataclass(frozen=True, slots=True)
class Reach:
    """Outlets by tier and the reach component (0..1)."""

    outlets_by_tier: Mapping[int, int]
    score: float


@dataclass(frozen=True, slots=True)
class IssueMetrics:
    """The inputs of :func:`score`, computed by :func:`issue_metrics` or given directly."""

    article_count: int
    negativity: float
    velocity: Velocity
    reach: Reach
    priority: int = 3
    negative_share: float = 0.0


@dataclass(frozen=True, slots=True)
class Severity:
    """A 0..100 score, the points each component contributed (summing to it), and why."""

    score: float
    components: dict[str, float]
    explanation: str


def article_negativity(article: ArticleSignal, watched: Collection[str]) -> float:
    """Negativity toward the watched entities the article mentions (the worst of them), else
    the article's own negativity."""
    toward = [v for name, v in article.target_negativity.items() if name in watched]
    return max(toward) if toward else article.negativity


def negative_share(
    articles: Sequence[ArticleSignal], *, watched: Collection[str] = (), threshold: float = 0.5
) -> float:
    """Share of articles whose negativity (toward the watched entities) is at least threshold."""
    if not articles:
        return 0.0
    hits = sum(1 for a in articles if article_negativity(a, watched) >= threshold)
    return hits / len(articles)


def velocity(
    times: Sequence[datetime], *, now: datetime, recent: timedelta, before: timedelta
) -> Velocity:
    """Rates in ``(now - recent, now]`` and ``(now - recent - before, now - recent]``.

    The earlier rate is floored at one article per ``before`` window so that a first burst
    has a finite acceleration.
    """
    start = now - recent
    recent_count = sum(1 for t in times if start < t <= now)
    before_count = sum(1 for t in times if start - before < t <= start)
    hours_recent = recent.total_seconds() / 3600
    hours_before = before.total_seconds() / 3600
    return Velocity(recent_count / hours_recent, max(before_count, 1) / hours_before, recent_count)


def reach(outlet_tiers: Mapping[str, int]) -> Reach:
    """Reach from each outlet's best tier: the three best tier weights, summed, over three."""
    by_tier: dict[int, int] = {}
    for tier in outlet_tiers.values():
        by_tier[tier] = by_tier.get(tier, 0) + 1
    weights = sorted((TIER_WEIGHTS.get(t, 0.0) for t in outlet_tiers.values()), reverse=True)
    return Reach(dict(sorted(by_tier.items())), sum(weights[:3]) / 3)


def issue_metrics(
    articles: Sequence[ArticleSignal],
    *,
    watched: Collection[str],
    priority: int,
    now: datetime,
    config: SeverityConfig | None = None,
) -> IssueMetrics:
    """Summarise an issue's articles into the inputs of :func:`score`."""
    config = config or SeverityConfig()
    tiers: dict[str, int] = {}
    for a in articles:
        tiers[a.outlet] = min(tiers.get(a.outlet, a.tier), a.tier)
    mean_neg = (
        sum(article_negativity(a, watched) for a in articles) / len(articles) if articles else 0.0
    )
    return IssueMetrics(
        article_count=len(articles),
        negativity=mean_neg,
        velocity=velocity(
            [a.published_at for a in articles], now=now, recent=config.recent, before=config.before
        ),
        reach=reach(tiers),
        priority=priority,
        negative_share=negative_share(
            articles, watched=watched, threshold=config.negative_threshold
        ),
    )


def _clamp(x: float) -> float:
    return min(1.0, max(0.0, x))


def components(metrics: IssueMetrics, config: SeverityConfig | None = None) -> dict[str, float]:
    """Each component in 0..1, before weighting."""
    config = config or SeverityConfig()
    vel = metrics.velocity
    accel = 0.0
    if vel.recent_count >= config.velocity_min_recent and vel.ratio > 1:
        accel = math.log2(vel.ratio) / math.log2(config.velocity_saturation)
    return {
        "negativity": _clamp(metrics.negativity),
        "volume": _clamp(math.log1p(metrics.article_count) / math.log1p(config.volume_saturation)),
        "velocity": _clamp(accel),
        "reach": _clamp(metrics.reach.score),
        "priority": _clamp((metrics.priority - 1) / 4),
    }


def score(metrics: IssueMetrics, config: SeverityConfig | None = None) -> Severity:
    """Severity 0..100 with the points per component and a one-line explanation."""
    parts = components(metrics, config)
    gate = NEUTRAL_SHARE + (1 - NEUTRAL_SHARE) * parts["negativity"]
    points = {
        name: round(WEIGHTS[name] * value * (1.0 if name == "negativity" else gate), 2)
        for name, value in parts.items()
    }
    total = round(min(100.0, sum(points.values())), 1)
    vel = metrics.velocity
    explanation = (
        f"severity {total:.0f}/100: negativity {parts['negativity']:.2f} "
        f"(+{points['negativity']:.0f}), {metrics.article_count} articles "
        f"(+{points['volume']:.0f}), {vel.recent_per_hour:.1f}/h recent vs "
        f"{vel.before_per_hour:.1f}/h before (+{points['velocity']:.0f}), reach "
        f"{parts['reach']:.2f} (+{points['reach']:.0f}), priority {metrics.priority} "
        f"(+{points['priority']:.0f}); non-negativity points scaled by {gate:.2f}"
    )
    return Severity(total, points, explanation)


def severity(
    articles: Sequence[ArticleSignal],
    *,
    watched: Collection[str],
    priority: int,
    now: datetime,
    config: SeverityConfig | None = None,
) -> Severity:
    """Severity of an issue from its articles: :func:`issue_metrics` then :func:`score`."""
    metrics = issue_metrics(articles, watched=watched, priority=priority, now=now, config=config)
    return score(metrics, config)
