"""The pure half of alerting: rules, cooldown, payloads, idempotency, signatures, retries.

Delivery itself (HTTP, the delivery log) belongs to the wiring step; everything here is a
function of its arguments, so a retried job recomputes exactly the same key, body and signature.

* Rules: severity at or above N (optionally for one watchlist), a spike on watchlist W, a new
  issue touching watchlist W, a debunked claim repeated by N documents since its debunk (for
  watchlist W, or any). :func:`evaluate` turns events into :class:`Trigger` s.
* Cooldown: one (rule, subject, reason) alerts at most once per cooldown; the subject is the
  issue or the watchlist, the reason the rule's own reason ("severity>=70", "spike:volume").
* Payloads: a generic JSON document and a Slack-compatible one (``text`` plus Block Kit
  ``blocks``); both list the sources that were failing during the alert window, because "no bad
  news" from a source that is down is not good news.
* Signature: ``X-Pantau-Signature: t=<unix>,v1=<hex>``, HMAC-SHA256 over ``f"{t}.{body}"`` (as
  Stripe does), verified in constant time within a tolerance window.
* Retries: exponential backoff, capped, with deterministic jitter derived from the delivery's
  idempotency key, and a bounded number of attempts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeAlias

from app.feed.spikes import Spike

SIGNATURE_HEADER = "X-Pantau-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"


# --- rules and events ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SeverityAbove:
    """Alert when an issue's severity reaches ``threshold`` (for one watchlist, or any)."""

    rule_id: int
    threshold: float
    watchlist_id: int | None = None


@dataclass(frozen=True, slots=True)
class SpikeOnWatchlist:
    """Alert on a spike of the given kinds in a watchlist's series."""

    rule_id: int
    watchlist_id: int
    kinds: frozenset[str] = frozenset({"volume", "negative_share"})


@dataclass(frozen=True, slots=True)
class NewIssueOnWatchlist:
    """Alert when a new issue touches the watchlist (one created since the rule, when
    ``since`` is given: a new rule does not alert on the backlog)."""

    rule_id: int
    watchlist_id: int
    since: datetime | None = None


@dataclass(frozen=True, slots=True)
class HoaxSpread:
    """Alert when ``threshold`` articles and posts repeat a debunked claim after its debunk
    (only those the watchlist matched, when it is given)."""

    rule_id: int
    threshold: int
    watchlist_id: int | None = None


Rule: TypeAlias = SeverityAbove | SpikeOnWatchlist | NewIssueOnWatchlist | HoaxSpread


@dataclass(frozen=True, slots=True)
class IssueEvent:
    """An issue was created or changed."""

    issue_id: int
    title: str
    severity: float
    watchlists: frozenset[int]
    at: datetime
    is_new: bool = False
    url: str | None = None


@dataclass(frozen=True, slots=True)
class SpikeEvent:
    """Spike detection fired on a watchlist's series."""

    watchlist_id: int
    watchlist_name: str
    spike: Spike
    at: datetime


@dataclass(frozen=True, slots=True)
class ClaimSpreadEvent:
    """A debunked claim that documents repeat again: how many, and how many per watchlist."""

    claim_id: int
    claim: str
    verdict_label: str
    documents: int
    by_watchlist: Mapping[int, int]
    at: datetime
    since: datetime  # the start of the counted spread: the debunk, or the window's start


Event: TypeAlias = IssueEvent | SpikeEvent | ClaimSpreadEvent


@dataclass(frozen=True, slots=True)
class Trigger:
    """A rule that fired: about what (subject), why (reason), and the window it covers."""

    rule_id: int
    subject: str  # "issue:12" or "watchlist:3"
    reason: str  # "severity>=70", "spike:volume", "new-issue"
    message: str
    at: datetime
    window_start: datetime

    @property
    def cooldown_key(self) -> tuple[int, str, str]:
        """(rule, subject, reason): what the cooldown is counted on."""
        return (self.rule_id, self.subject, self.reason)


def _spreads(rule: Rule, event: ClaimSpreadEvent) -> Trigger | None:
    if not isinstance(rule, HoaxSpread):
        return None
    if rule.watchlist_id is None:
        documents = event.documents
    else:
        documents = event.by_watchlist.get(rule.watchlist_id, 0)
    if documents < rule.threshold:
        return None
    message = (
        f"Debunked claim ({event.verdict_label}) spreading again: {documents} articles and "
        f"posts repeat '{event.claim}'"
    )
    return Trigger(
        rule.rule_id,
        f"claim:{event.claim_id}",
        f"hoax>={rule.threshold}",
        message,
        event.at,
        event.since,
    )


def _fires(rule: Rule, event: Event, window: timedelta) -> Trigger | None:
    if isinstance(event, ClaimSpreadEvent):
        return _spreads(rule, event)
    if isinstance(event, IssueEvent):
        subject = f"issue:{event.issue_id}"
        touches = isinstance(rule, SeverityAbove | NewIssueOnWatchlist) and (
            rule.watchlist_id is None or rule.watchlist_id in event.watchlists
        )
        if not touches:
            return None
        if isinstance(rule, SeverityAbove) and event.severity >= rule.threshold:
            reason = f"severity>={rule.threshold:g}"
            message = f"Issue '{event.title}' reached severity {event.severity:.0f}"
        elif (
            isinstance(rule, NewIssueOnWatchlist)
            and event.is_new
            and (rule.since is None or event.at >= rule.since)
        ):
            reason, message = "new-issue", f"New issue '{event.title}'"
        else:
            return None
        return Trigger(rule.rule_id, subject, reason, message, event.at, event.at - window)
    if isinstance(rule, SpikeOnWatchlist) and rule.watchlist_id == event.watchlist_id:
        if event.spike.kind not in rule.kinds:
            return None
        message = f"Watchlist '{event.watchlist_name}': {event.spike.reason}"
        return Trigger(
            rule.rule_id,
            f"watchlist:{event.watchlist_id}",
            f"spike:{event.spike.kind}",
            message,
            event.at,
            event.spike.bucket_start,
        )
    return None


def evaluate(
    rules: Iterable[Rule], events: Iterable[Event], *, window: timedelta = timedelta(hours=1)
) -> list[Trigger]:
    """Every (rule, event) pair that fires, in event order then rule order.

    ``window`` is how far back an issue alert's window reaches (spike alerts use their bucket).
    """
    rule_list = list(rules)
    out = []
    for event in events:
        for rule in rule_list:
            trigger = _fires(rule, event, window)
            if trigger is not None:
                out.append(trigger)
    return out


def apply_cooldown(
    triggers: Sequence[Trigger],
    *,
    last_sent: Mapping[tuple[int, str, str], datetime],
    cooldown: timedelta,
) -> tuple[list[Trigger], dict[tuple[int, str, str], datetime]]:
    """Drop triggers whose (rule, subject, reason) alerted less than ``cooldown`` ago.

    Returns the triggers to send (in time order) and the updated ``last_sent`` map, which the
    caller stores. A different reason for the same issue is a different key and still alerts.
    """
    sent = dict(last_sent)
    keep = []
    for trigger in sorted(triggers, key=lambda t: (t.at, t.rule_id, t.subject, t.reason)):
        previous = sent.get(trigger.cooldown_key)
        if previous is not None and trigger.at - previous < cooldown:
            continue
        sent[trigger.cooldown_key] = trigger.at
        keep.append(trigger)
    return keep, sent


# --- payloads --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FailingSource:
    """A source that could not be fetched: from ``since`` until ``until`` (None: still failing)."""

    name: str
    url: str
    reason: str
    since: datetime
    until: datetime | None = None

    def failing_during(self, start: datetime, end: datetime) -> bool:
        """Whether the failure overlaps ``[start, end]``."""
        return self.since <= end and (self.until is None or self.until >= start)


def failing_in_window(sources: Iterable[FailingSource], trigger: Trigger) -> list[FailingSource]:
    """The sources failing at some point of the trigger's window, by name."""
    return sorted(
        (s for s in sources if s.failing_during(trigger.window_start, trigger.at)),
        key=lambda s: (s.name, s.url),
    )


def idempotency_key(trigger: Trigger) -> str:
    """A stable key for one alert: hash of rule, subject, reason and window start.

    The receiver can drop duplicates by it; a retry of the same delivery carries the same key.
    """
    canonical = "|".join(
        (str(trigger.rule_id), trigger.subject, trigger.reason, trigger.window_start.isoformat())
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _source_dict(s: FailingSource) -> dict[str, Any]:
    return {
        "name": s.name,
        "url": s.url,
        "reason": s.reason,
        "since": s.since.isoformat(),
        "until": s.until.isoformat() if s.until else None,
    }


@dataclass(frozen=True, slots=True)
class AlertArticle:
    title: str
    url: str
    outlet: str  # the source's name (its host when the source is unknown)
    published_at: datetime
    label: str | None = None


@dataclass(frozen=True, slots=True)
class AlertContext:
    """What an analyst acts on: the issue (or watchlist), a link, severity and its parts,
    the top articles with their outlets."""

    title: str
    link: str | None = None
    severity: float | None = None
    severity_breakdown: Mapping[str, Any] | None = None
    watchlists: tuple[str, ...] = ()
    articles: tuple[AlertArticle, ...] = ()
    debunk: Mapping[str, Any] | None = None  # a hoax alert's claim: text, verdict, debunk URL

    def as_dict(self) -> dict[str, Any]:
        extra = {"debunk": dict(self.debunk)} if self.debunk is not None else {}
        return {
            **extra,
            "title": self.title,
            "link": self.link,
            "severity": self.severity,
            "severity_breakdown": dict(self.severity_breakdown or {}) or None,
            "watchlists": list(self.watchlists),
            "top_articles": [
                {
                    "title": a.title,
                    "url": a.url,
                    "outlet": a.outlet,
                    "published_at": a.published_at.isoformat(),
                    "label": a.label,
                }
                for a in self.articles
            ],
        }


def json_payload(
    trigger: Trigger,
    *,
    failing_sources: Iterable[FailingSource],
    context: AlertContext | None = None,
) -> dict[str, Any]:
    """The generic webhook body."""
    failing = failing_in_window(failing_sources, trigger)
    return {
        "type": "pantau.alert",
        "id": idempotency_key(trigger),
        "rule_id": trigger.rule_id,
        "subject": trigger.subject,
        "reason": trigger.reason,
        "message": trigger.message,
        "at": trigger.at.isoformat(),
        "window": {"start": trigger.window_start.isoformat(), "end": trigger.at.isoformat()},
        **(context.as_dict() if context is not None else {}),
        "failing_sources": [_source_dict(s) for s in failing],
    }


def _context_blocks(context: AlertContext) -> list[dict[str, Any]]:
    facts = []
    if context.severity is not None:
        parts = ", ".join(
            f"{k} {float(v):.0f}"
            for k, v in dict((context.severity_breakdown or {}).get("components") or {}).items()
        )
        facts.append(f"Severity *{context.severity:.0f}*" + (f" ({parts})" if parts else ""))
    if context.watchlists:
        facts.append("Watchlists: " + ", ".join(context.watchlists))
    if context.debunk:
        facts.append(f"<{context.debunk['url']}|Debunk: {context.debunk['verdict_label']}>")
    if context.link:
        facts.append(f"<{context.link}|Open in Pantau>")
    lines = [f"• <{a.url}|{a.title}> · {a.outlet}" for a in context.articles]
    text = "\n".join(facts + lines)
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}] if text else []


def slack_payload(
    trigger: Trigger,
    *,
    failing_sources: Iterable[FailingSource],
    context: AlertContext | None = None,
) -> dict[str, Any]:
    """A Slack incoming-webhook body: fallback ``text`` and Block Kit ``blocks``."""
    failing = failing_in_window(failing_sources, trigger)
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"*Pantau alert*: {trigger.message}"},
        },
        *(_context_blocks(context) if context is not None else []),
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"{trigger.reason} · {trigger.subject} · "
                    f"{trigger.window_start:%Y-%m-%d %H:%M}–{trigger.at:%H:%M %Z}".strip(),
                }
            ],
        },
    ]
    if failing:
        lines = "\n".join(
            f"• <{s.url}|{s.name}>: {s.reason} (since {s.since:%Y-%m-%d %H:%M})" for s in failing
        )
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f":warning: {len(failing)} source(s) failing in this window; "
                    f"coverage may be incomplete:\n{lines}",
                },
            }
        )
    text = f"Pantau alert: {trigger.message}"
    if failing:
        text += f" ({len(failing)} source(s) failing: {', '.join(s.name for s in failing)})"
    return {"text": text, "blocks": blocks}


def encode_body(payload: Mapping[str, Any]) -> bytes:
    """Canonical JSON bytes (sorted keys, no spaces): what is signed is what is sent."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# --- signatures ------------------------------------------------------------------------------


def _digest(secret: bytes, timestamp: int, body: bytes) -> str:
    return hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(body: bytes, *, secret: bytes, timestamp: int) -> str:
    """The ``X-Pantau-Signature`` value: ``t=<unix>,v1=<hex HMAC-SHA256 of "t.body">``."""
    return f"t={timestamp},v1={_digest(secret, timestamp, body)}"


def verify(header: str, body: bytes, *, secret: bytes, now: int, tolerance: int = 300) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` within ``tolerance`` seconds of ``now``.

    Accepts several ``v1=`` values (sent during a secret rotation); compares in constant time.
    """
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates or abs(now - timestamp) > tolerance:
        return False
    expected = _digest(secret, timestamp, body)
    matched = False
    for candidate in candidates:  # no early exit: the time taken does not depend on position
        matched |= hmac.compare_digest(expected, candidate)
    return matched


# --- retries ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff: ``base * factor**(n-1)`` capped at ``cap``, jittered down by up to
    ``jitter`` (so retries of many alerts spread out), for at most ``max_attempts`` attempts.

    Defaults: 5 s, 10 s, 20 s, ... capped at 15 min, 8 attempts: about 21 minutes in all before
    a delivery is marked failed.
    """

    base: float = 5.0
    factor: float = 2.0
    cap: float = 900.0
    jitter: float = 0.2
    max_attempts: int = 8


def retry_delay(
    attempt: int, *, key: str, policy: RetryPolicy | None = None, retry_after: float | None = None
) -> float | None:
    """Seconds to wait after failed attempt ``attempt`` (1-based), or None to give up.

    The jitter comes from a hash of ``key`` and the attempt, so it is deterministic per
    delivery. A receiver's ``Retry-After`` is honoured up to ``cap``.
    """
    policy = policy or RetryPolicy()
    if attempt >= policy.max_attempts:
        return None
    delay = min(policy.cap, policy.base * policy.factor ** (attempt - 1))
    digest = hashlib.sha256(f"{key}:{attempt}".encode()).digest()
    unit = int.from_bytes(digest[:8], "big") / 2**64
    delay *= 1 - policy.jitter * unit
    if retry_after is not None:
        delay = max(delay, min(policy.cap, retry_after))
    return round(delay, 3)


def retry_schedule(key: str, policy: RetryPolicy | None = None) -> list[float]:
    """All delays a delivery would wait if every attempt failed (``max_attempts - 1`` waits)."""
    policy = policy or RetryPolicy()
    delays = []
    attempt = 1
    while (delay := retry_delay(attempt, key=key, policy=policy)) is not None:
        delays.append(delay)
        attempt += 1
    return delays


def should_retry(status: int | None) -> bool:
    """Retry on network errors (None), 408, 425, 429 and 5xx; not on other answers."""
    return status is None or status in (408, 425, 429) or status >= 500
