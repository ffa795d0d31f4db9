"""Severity: ordered like an analyst would triage, monotone in every input, explained."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from app.feed.severity import (
    WEIGHTS,
    ArticleSignal,
    IssueMetrics,
    Reach,
    Velocity,
    article_negativity,
    issue_metrics,
    negative_share,
    reach,
    score,
    severity,
    velocity,
)

NOW = datetime(2019, 9, 18, 12, 0, tzinfo=UTC)


def _articles(
    n: int, *, negativity: float, outlets: list[tuple[str, int]], hours_ago: list[float]
) -> list[ArticleSignal]:
    return [
        ArticleSignal(
            NOW - timedelta(hours=hours_ago[i % len(hours_ago)]),
            outlets[i % len(outlets)][0],
            negativity,
            tier=outlets[i % len(outlets)][1],
        )
        for i in range(n)
    ]


NATIONAL = [("kompas.com", 1), ("tempo.co", 1), ("okezone.com", 1), ("sindonews.com", 1)]
NICHE = [("blog.example", 3)]


def test_a_fast_negative_national_story_outranks_slower_milder_ones() -> None:
    crisis = severity(
        _articles(40, negativity=0.9, outlets=NATIONAL, hours_ago=[0.5, 1, 2, 3, 20]),
        watched=(),
        priority=5,
        now=NOW,
    )
    simmering = severity(
        _articles(12, negativity=0.6, outlets=NATIONAL[:2], hours_ago=[2, 10, 20, 28]),
        watched=(),
        priority=3,
        now=NOW,
    )
    niche_gripe = severity(
        _articles(2, negativity=0.7, outlets=NICHE, hours_ago=[5, 30]),
        watched=(),
        priority=3,
        now=NOW,
    )
    praise = severity(
        _articles(40, negativity=0.05, outlets=NATIONAL, hours_ago=[0.5, 1, 2, 3, 20]),
        watched=(),
        priority=5,
        now=NOW,
    )
    print(f"\n{crisis.explanation}\n{simmering.explanation}\n{niche_gripe.explanation}")
    print(praise.explanation)
    assert crisis.score > simmering.score > niche_gripe.score
    assert crisis.score >= 80 and niche_gripe.score < 40
    assert praise.score < simmering.score  # big but not negative: watch, do not alarm


def test_negativity_toward_the_watched_entity_beats_the_article_tone() -> None:
    article = ArticleSignal(NOW, "kompas.com", 0.2, {"Pemprov DKI": 0.9, "Persija": 0.1})
    assert article_negativity(article, {"Pemprov DKI"}) == 0.9
    assert article_negativity(article, {"Persija"}) == 0.1
    assert article_negativity(article, {"KPK"}) == 0.2  # not mentioned: the article's tone
    assert negative_share([article], watched={"Pemprov DKI"}) == 1.0
    assert negative_share([article], watched={"Persija"}) == 0.0


def test_components_sum_to_the_score_and_the_explanation_names_them() -> None:
    result = severity(
        _articles(10, negativity=0.7, outlets=NATIONAL, hours_ago=[1, 2, 3, 30]),
        watched=(),
        priority=4,
        now=NOW,
    )
    assert set(result.components) == set(WEIGHTS)
    assert result.score == pytest.approx(sum(result.components.values()), abs=0.1)
    assert 0 <= result.score <= 100
    for word in ("negativity", "articles", "/h recent", "reach", "priority 4"):
        assert word in result.explanation


def test_velocity_compares_the_recent_window_with_the_one_before() -> None:
    times = [NOW - timedelta(hours=h) for h in (0.5, 1, 2, 3, 5, 10, 20)]
    vel = velocity(times, now=NOW, recent=timedelta(hours=6), before=timedelta(hours=24))
    assert vel.recent_count == 5
    assert vel.recent_per_hour == pytest.approx(5 / 6)
    assert vel.before_per_hour == pytest.approx(2 / 24)
    assert vel.ratio == pytest.approx(10.0)


def test_reach_is_full_with_three_national_outlets() -> None:
    assert reach({"a": 1, "b": 1, "c": 1, "d": 3}).score == 1.0
    assert reach({"a": 3}).score == pytest.approx(0.2 / 3)
    assert reach({"a": 1, "b": 2, "c": 3}).outlets_by_tier == {1: 1, 2: 1, 3: 1}
    assert reach({}).score == 0.0


def _random_metrics(rng: random.Random) -> IssueMetrics:
    recent = rng.randint(0, 30)
    return IssueMetrics(
        article_count=rng.randint(1, 200),
        negativity=rng.random(),
        velocity=Velocity(recent / 6, rng.uniform(0.04, 3), recent),
        reach=Reach({}, rng.random()),
        priority=rng.randint(1, 5),
    )


@pytest.mark.parametrize("seed", range(20))
def test_score_never_falls_when_one_input_rises(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(50):
        m = _random_metrics(rng)
        base = score(m).score
        vel = m.velocity
        faster = Velocity(
            vel.recent_per_hour * 1.5 + 0.2, vel.before_per_hour, vel.recent_count + 1
        )
        for higher in (
            replace(m, article_count=m.article_count + rng.randint(1, 20)),
            replace(m, negativity=min(1.0, m.negativity + rng.random() * 0.3)),
            replace(m, velocity=faster),
            replace(m, reach=Reach({}, min(1.0, m.reach.score + 0.2))),
            replace(m, priority=min(5, m.priority + 1)),
        ):
            assert score(higher).score >= base, (m, higher)


def test_issue_metrics_take_each_outlets_best_tier() -> None:
    articles = [
        ArticleSignal(NOW, "kompas.com", 0.8, tier=2),
        ArticleSignal(NOW, "kompas.com", 0.2, tier=1),
    ]
    metrics = issue_metrics(articles, watched=(), priority=2, now=NOW)
    assert metrics.reach.outlets_by_tier == {1: 1}
    assert metrics.negative_share == 0.5
    assert metrics.negativity == pytest.approx(0.5)
