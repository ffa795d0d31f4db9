"""Alerts: rules fire on the right events, cooldown holds, payloads list failing sources,
signatures verify, retries back off."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from app.feed.alerts import (
    AlertContext,
    ClaimSpreadEvent,
    FailingSource,
    HoaxSpread,
    IssueEvent,
    NewIssueOnWatchlist,
    RetryPolicy,
    SeverityAbove,
    SpikeEvent,
    SpikeOnWatchlist,
    apply_cooldown,
    encode_body,
    evaluate,
    idempotency_key,
    json_payload,
    retry_delay,
    retry_schedule,
    should_retry,
    sign,
    slack_payload,
    verify,
)
from app.feed.spikes import Spike

T = datetime(2019, 9, 18, 14, 0, tzinfo=UTC)
RULES = [
    SeverityAbove(1, 70),
    SpikeOnWatchlist(2, watchlist_id=5),
    NewIssueOnWatchlist(3, watchlist_id=5),
    SeverityAbove(4, 50, watchlist_id=9),
]
SPIKE = Spike("negative_share", T - timedelta(hours=1), 0.8, 0.15, 0.1, 6.5, "negative-share spike")
FAILING = [
    FailingSource("Kompas", "https://kompas.example/rss", "HTTP 503", T - timedelta(hours=3)),
    FailingSource(
        "Tempo",
        "https://tempo.example/rss",
        "timeout",
        T - timedelta(days=2),
        T - timedelta(days=1),
    ),
    FailingSource("Antara", "https://antara.example/rss", "DNS error", T - timedelta(minutes=30)),
]


def _issue(
    severity: float, *, at: datetime = T, new: bool = False, lists: frozenset[int] = frozenset({5})
) -> IssueEvent:
    return IssueEvent(12, "Menpora tersangka", severity, lists, at, is_new=new)


def test_rules_fire_on_the_events_they_describe() -> None:
    events = [
        _issue(75, new=True),
        SpikeEvent(5, "Kemenpora", SPIKE, T),
        SpikeEvent(6, "Other", SPIKE, T),
        _issue(55, lists=frozenset({9})),
    ]
    fired = {(t.rule_id, t.subject, t.reason) for t in evaluate(RULES, events)}
    assert fired == {
        (1, "issue:12", "severity>=70"),
        (3, "issue:12", "new-issue"),
        (2, "watchlist:5", "spike:negative_share"),
        (4, "issue:12", "severity>=50"),
    }


def test_a_spike_rule_can_be_limited_to_volume() -> None:
    rule = SpikeOnWatchlist(7, watchlist_id=5, kinds=frozenset({"volume"}))
    assert evaluate([rule], [SpikeEvent(5, "Kemenpora", SPIKE, T)]) == []


def test_a_hoax_rule_counts_its_watchlist_repeats_against_the_threshold() -> None:
    spread = ClaimSpreadEvent(
        7, "Bendungan jebol", "HOAKS", documents=5, by_watchlist={5: 2, 9: 3}, at=T, since=T
    )
    rules = [HoaxSpread(1, 3), HoaxSpread(2, 3, watchlist_id=5), HoaxSpread(3, 3, watchlist_id=9)]
    fired = evaluate([*rules, SeverityAbove(4, 0)], [spread])
    assert [(t.rule_id, t.subject, t.reason) for t in fired] == [
        (1, "claim:7", "hoax>=3"),
        (3, "claim:7", "hoax>=3"),
    ]
    assert "3 articles and posts repeat 'Bendungan jebol'" in fired[1].message
    debunk = {"url": "https://turnbackhoax.id/x", "verdict_label": "HOAKS"}
    context = AlertContext(title="Bendungan jebol", debunk=debunk)
    assert json_payload(fired[0], failing_sources=[], context=context)["debunk"] == debunk
    slack = json.dumps(slack_payload(fired[0], failing_sources=[], context=context))
    assert "https://turnbackhoax.id/x|Debunk: HOAKS" in slack


def test_one_issue_does_not_alert_twice_for_the_same_reason_within_the_cooldown() -> None:
    triggers = evaluate(
        RULES,
        [_issue(75), _issue(80, at=T + timedelta(hours=1)), _issue(90, at=T + timedelta(hours=7))],
    )
    kept, last = apply_cooldown(triggers, last_sent={}, cooldown=timedelta(hours=6))
    assert [t.at for t in kept] == [T, T + timedelta(hours=7)]
    assert last[(1, "issue:12", "severity>=70")] == T + timedelta(hours=7)
    # The stored map carries the cooldown across runs, and another reason is another key.
    again = evaluate(RULES, [_issue(95, at=T + timedelta(hours=8), new=True)])
    kept, _ = apply_cooldown(again, last_sent=last, cooldown=timedelta(hours=6))
    assert [t.reason for t in kept] == ["new-issue"]


def test_payloads_list_the_sources_failing_in_the_alert_window() -> None:
    (trigger,) = evaluate([RULES[1]], [SpikeEvent(5, "Kemenpora", SPIKE, T)])
    body = json_payload(trigger, failing_sources=FAILING)
    names = [s["name"] for s in body["failing_sources"]]
    assert names == ["Antara", "Kompas"]  # Tempo recovered a day before the window
    assert body["id"] == idempotency_key(trigger)
    assert body["window"] == {"start": SPIKE.bucket_start.isoformat(), "end": T.isoformat()}
    slack = slack_payload(trigger, failing_sources=FAILING)
    assert slack["text"].startswith("Pantau alert: Watchlist 'Kemenpora'")
    assert "2 source(s) failing: Antara, Kompas" in slack["text"]
    assert "<https://kompas.example/rss|Kompas>: HTTP 503" in json.dumps(slack["blocks"])
    quiet = slack_payload(trigger, failing_sources=[])
    assert len(quiet["blocks"]) == 2 and "failing" not in quiet["text"]


def test_idempotency_key_is_stable_and_specific() -> None:
    (a,) = evaluate([RULES[0]], [_issue(75)])
    (b,) = evaluate([RULES[0]], [_issue(99)])
    (c,) = evaluate([RULES[0]], [_issue(75, at=T + timedelta(hours=2))])
    assert idempotency_key(a) == idempotency_key(b)  # same rule, subject, reason, window
    assert idempotency_key(a) != idempotency_key(c)
    assert len(idempotency_key(a)) == 32


def test_signatures_verify_and_tampering_is_caught() -> None:
    body = encode_body({"b": 1, "a": "Menpora"})
    assert body == b'{"a":"Menpora","b":1}'
    header = sign(body, secret=b"s3cret", timestamp=1_568_815_200)
    assert header.startswith("t=1568815200,v1=")
    assert verify(header, body, secret=b"s3cret", now=1_568_815_260)
    assert not verify(header, body + b" ", secret=b"s3cret", now=1_568_815_260)
    assert not verify(header, body, secret=b"other", now=1_568_815_260)
    assert not verify(header, body, secret=b"s3cret", now=1_568_815_200 + 301)
    assert not verify("v1=abc", body, secret=b"s3cret", now=1_568_815_200)
    rotated = f"{header},v1={'0' * 64}"
    assert verify(rotated, body, secret=b"s3cret", now=1_568_815_200)


def test_signature_matches_an_independent_hmac() -> None:
    import hashlib
    import hmac

    body = b'{"x":1}'
    expected = hmac.new(b"k", b'1700000000.{"x":1}', hashlib.sha256).hexdigest()
    assert sign(body, secret=b"k", timestamp=1_700_000_000) == f"t=1700000000,v1={expected}"


def test_retries_back_off_exponentially_with_capped_jittered_delays() -> None:
    policy = RetryPolicy(base=5, factor=2, cap=60, jitter=0.2, max_attempts=6)
    delays = retry_schedule("key-1", policy)
    assert len(delays) == 5
    for attempt, delay in enumerate(delays, start=1):
        nominal = min(60, 5 * 2 ** (attempt - 1))
        assert 0.8 * nominal <= delay <= nominal
    assert retry_schedule("key-1", policy) == delays  # deterministic per delivery
    assert retry_schedule("key-2", policy) != delays  # spread across deliveries
    assert retry_delay(6, key="key-1", policy=policy) is None
    assert retry_delay(1, key="key-1", policy=policy, retry_after=30) == 30
    assert retry_delay(1, key="key-1", policy=policy, retry_after=3600) == 60


@pytest.mark.parametrize(
    ("status", "retry"),
    [
        (None, True),
        (500, True),
        (503, True),
        (429, True),
        (408, True),
        (400, False),
        (401, False),
        (200, False),
    ],
)
def test_only_transient_failures_are_retried(status: int | None, retry: bool) -> None:
    assert should_retry(status) is retry
