"""Alert rules (CRUD) and their evaluation into the webhook outbox (app/feed/alerts.py).

Each scheduler tick turns recent facts into events: issues changed in the lookback window
(severity rules), issues created in it (new-issue rules), watchlist spikes detected in it
(spike rules) and debunked claims matched in it, their documents counted over `HOAX_WINDOW`
(hoax rules). ``evaluate`` pairs them with the active rules, the per-rule cooldown drops what
already alerted (counted from the outbox itself: the newest delivery per rule, subject and
reason), and each remaining trigger becomes one ``webhook_deliveries`` row, inserted with ON
CONFLICT DO NOTHING on its idempotency key. Every payload lists the sources that were failing
during the alert's window, from the sources' health and their fetch attempts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.crawlers.factcheck import DEBUNKED
from app.db import insert_or_ignore
from app.errors import Forbidden, InvalidInput, NotFound
from app.feed import alerts as pure
from app.feed.spikes import Spike
from app.models import (
    AlertRule,
    Article,
    ArticleWatchlist,
    Claim,
    ClaimMatch,
    FetchAttempt,
    FetchStatus,
    Issue,
    IssueArticle,
    IssueStatus,
    Source,
    SpikeEvent,
    Watchlist,
    Webhook,
    WebhookDelivery,
    utcnow,
)
from app.services import webhooks as webhook_service
from app.services.feed_config import FeedConfig

KINDS = ("severity_above", "spike", "new_issue", "hoax_spread")
SPIKE_KINDS = ("volume", "negative_share")
LOOKBACK = timedelta(days=1)
# A hoax rule counts the documents repeating a claim since its debunk, at most this far back.
HOAX_WINDOW = timedelta(days=7)
QUIET = (IssueStatus.DISMISSED.value, IssueStatus.RESOLVED.value)


@dataclass(frozen=True, slots=True)
class RuleData:
    name: str | None = None
    kind: str | None = None
    threshold: float | None = None
    watchlist_id: int | None = None
    spike_kinds: Sequence[str] | None = None
    webhook_id: int | None = None
    cooldown_minutes: int | None = None
    active: bool | None = None


async def _check(session: AsyncSession, rule: AlertRule) -> None:
    if rule.kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}")
    if rule.kind == "severity_above" and rule.threshold is None:
        raise InvalidInput("a severity_above rule needs a threshold (0..100)")
    if rule.kind == "hoax_spread" and (rule.threshold is None or rule.threshold < 1):
        raise InvalidInput(
            "a hoax_spread rule needs a threshold: how many articles and posts (1 or more) "
            "repeating a debunked claim alert"
        )
    if rule.kind in ("spike", "new_issue") and rule.watchlist_id is None:
        raise InvalidInput(f"a {rule.kind} rule needs a watchlist_id")
    if any(k not in SPIKE_KINDS for k in rule.spike_kinds or ()):
        raise InvalidInput(f"spike_kinds may hold {', '.join(SPIKE_KINDS)}")
    if rule.watchlist_id is not None and await session.get(Watchlist, rule.watchlist_id) is None:
        raise InvalidInput(f"watchlist {rule.watchlist_id} does not exist")
    webhook = await session.get(Webhook, rule.webhook_id)
    if webhook is None or webhook.format == webhook_service.REPORT_FORMAT:
        raise InvalidInput(f"webhook {rule.webhook_id} does not exist")


async def create_rule(session: AsyncSession, *, data: RuleData, actor: str) -> AlertRule:
    rule = AlertRule(
        name=" ".join((data.name or "").split()) or (data.kind or "rule"),
        kind=data.kind or "",
        threshold=data.threshold,
        watchlist_id=data.watchlist_id,
        spike_kinds=list(data.spike_kinds or SPIKE_KINDS),
        webhook_id=data.webhook_id or 0,
        cooldown_minutes=24 * 60 if data.cooldown_minutes is None else data.cooldown_minutes,
        active=True if data.active is None else data.active,
        created_by=actor,
    )
    await _check(session, rule)
    session.add(rule)
    await session.flush()
    return rule


async def get_rule(session: AsyncSession, *, rule_id: int) -> AlertRule:
    rule = await session.get(AlertRule, rule_id)
    if rule is None:
        raise NotFound(f"alert rule {rule_id} does not exist")
    return rule


async def list_rules(session: AsyncSession) -> Sequence[AlertRule]:
    return (await session.scalars(select(AlertRule).order_by(AlertRule.id))).all()


async def update_rule(session: AsyncSession, *, rule_id: int, data: RuleData) -> AlertRule:
    rule = await get_rule(session, rule_id=rule_id)
    # Checked before anything is flushed: an autoflush of a rule naming a missing webhook
    # raised the foreign-key error (a 500) before the check could answer 422.
    with session.no_autoflush:
        for name in ("kind", "threshold", "watchlist_id", "webhook_id", "cooldown_minutes"):
            value = getattr(data, name)
            if value is not None:
                setattr(rule, name, value)
        if data.active is not None:
            rule.active = data.active
        if data.name is not None:
            rule.name = " ".join(data.name.split()) or rule.name
        if data.spike_kinds is not None:
            rule.spike_kinds = list(data.spike_kinds)
        await _check(session, rule)
    await session.flush()
    return rule


async def list_rule_deliveries(
    session: AsyncSession, *, rule_id: int, limit: int, actor: str, admin: bool
) -> Sequence[WebhookDelivery]:
    """A rule's deliveries, newest first: for the key that made the rule, or an admin."""
    rule = await get_rule(session, rule_id=rule_id)
    if not admin and rule.created_by != actor:
        raise Forbidden(
            f"alert rule {rule_id} was made by {rule.created_by!r}; only its author or an "
            "admin may read its deliveries"
        )
    rows = await session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.rule_id == rule_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    return rows.all()


async def delete_rule(session: AsyncSession, *, rule_id: int) -> None:
    await session.delete(await get_rule(session, rule_id=rule_id))
    await session.flush()


# --- evaluation -------------------------------------------------------------------------------


def _pure_rule(rule: AlertRule) -> pure.Rule:
    if rule.kind == "severity_above":
        return pure.SeverityAbove(rule.id, float(rule.threshold or 0), rule.watchlist_id)
    if rule.kind == "spike":
        return pure.SpikeOnWatchlist(
            rule.id, int(rule.watchlist_id or 0), frozenset(rule.spike_kinds or SPIKE_KINDS)
        )
    if rule.kind == "hoax_spread":
        return pure.HoaxSpread(rule.id, math.ceil(rule.threshold or 1), rule.watchlist_id)
    # A new rule does not alert on the issues that were already there.
    return pure.NewIssueOnWatchlist(rule.id, int(rule.watchlist_id or 0), since=rule.created_at)


async def failing_sources(session: AsyncSession, *, since: datetime) -> list[pure.FailingSource]:
    """Sources failing now, and sources with failed fetches since ``since`` that recovered."""
    out = [
        pure.FailingSource(s.name, s.url, s.last_error or "failing", s.failing_since)
        for s in await session.scalars(select(Source).where(Source.failing_since.is_not(None)))
        if s.failing_since is not None
    ]
    current = {f.url for f in out}
    rows = await session.execute(
        select(Source, func.min(FetchAttempt.started_at), func.max(FetchAttempt.error))
        .join(FetchAttempt, FetchAttempt.source_id == Source.id)
        .where(FetchAttempt.status == FetchStatus.ERROR, FetchAttempt.started_at >= since)
        .group_by(Source.id)
    )
    for source, first, error in rows:
        if source.url not in current:
            until = source.last_success_at if source.last_success_at else None
            out.append(pure.FailingSource(source.name, source.url, error or "failed", first, until))
    return out


async def _events(
    session: AsyncSession, *, now: datetime, rules: Sequence[AlertRule]
) -> list[pure.Event]:
    """Recent facts the rules may fire on; only the kinds some rule looks at are read."""
    since = now - LOOKBACK
    events: list[pure.Event] = []
    thresholds = [r.threshold or 0.0 for r in rules if r.kind == "severity_above"]
    wants_new = any(r.kind == "new_issue" for r in rules)
    if thresholds or wants_new:
        floor = min(thresholds) if thresholds and not wants_new else 0.0
        issues = (
            await session.scalars(
                select(Issue).where(
                    Issue.merged_into_id.is_(None),
                    Issue.updated_at >= since,
                    Issue.status.not_in(QUIET),
                    Issue.severity >= floor,
                )
            )
        ).all()
    else:
        issues = []
    for issue in issues:
        common = {
            "issue_id": issue.id,
            "title": issue.title,
            "severity": issue.severity,
            "watchlists": frozenset(issue.watchlist_ids or ()),
        }
        events.append(pure.IssueEvent(**common, at=now))  # type: ignore[arg-type]
        if issue.created_at >= since:
            events.append(pure.IssueEvent(**common, at=issue.created_at, is_new=True))  # type: ignore[arg-type]
    if any(r.kind == "hoax_spread" for r in rules):
        events += await _claim_events(session, now=now)
    if not any(r.kind == "spike" for r in rules):
        return events
    names = {
        int(i): str(n) for i, n in (await session.execute(select(Watchlist.id, Watchlist.name)))
    }
    spikes = await session.scalars(
        select(SpikeEvent)
        .where(SpikeEvent.subject_kind == "watchlist", SpikeEvent.detected_at >= since)
        .order_by(SpikeEvent.id)
    )
    for s in spikes:
        spike = Spike(
            s.kind,  # type: ignore[arg-type]
            s.bucket_start,
            s.value,
            s.baseline_mean,
            s.baseline_std,
            s.z,
            s.reason,
        )
        events.append(
            pure.SpikeEvent(
                s.subject_id, names.get(s.subject_id, str(s.subject_id)), spike, s.detected_at
            )
        )
    return events


async def _claim_events(session: AsyncSession, *, now: datetime) -> list[pure.ClaimSpreadEvent]:
    """Debunked claims some document was newly found repeating (in the lookback), with the
    documents published since the debunk (within `HOAX_WINDOW`), per watchlist too."""
    start = now - HOAX_WINDOW
    fresh = select(ClaimMatch.claim_id).where(ClaimMatch.matched_at >= now - LOOKBACK)
    rows = await session.execute(
        select(Claim, Article.id, ArticleWatchlist.watchlist_id)
        .join(ClaimMatch, ClaimMatch.claim_id == Claim.id)
        .join(Article, Article.id == ClaimMatch.article_id)
        .outerjoin(ArticleWatchlist, ArticleWatchlist.article_id == Article.id)
        .where(
            Claim.id.in_(fresh),
            Claim.verdict.in_(sorted(DEBUNKED)),
            Article.deleted_at.is_(None),
            Article.published_at >= Claim.published_at,  # again: after the debunk
            Article.published_at >= start,
        )
    )
    claims: dict[int, Claim] = {}
    documents: dict[int, set[int]] = {}
    by_watchlist: dict[int, dict[int, set[int]]] = {}
    for claim, article_id, watchlist_id in rows:
        claims[claim.id] = claim
        documents.setdefault(claim.id, set()).add(article_id)
        if watchlist_id is not None:
            by_watchlist.setdefault(claim.id, {}).setdefault(watchlist_id, set()).add(article_id)
    return [
        pure.ClaimSpreadEvent(
            claim_id=claim.id,
            claim=claim.claim,
            verdict_label=claim.verdict_label,
            documents=len(documents[claim.id]),
            by_watchlist={w: len(a) for w, a in by_watchlist.get(claim.id, {}).items()},
            at=now,
            since=max(claim.published_at, start),
        )
        for claim in sorted(claims.values(), key=lambda c: c.id)
    ]


async def _last_sent(
    session: AsyncSession, rule_ids: Sequence[int]
) -> dict[tuple[int, str, str], datetime]:
    rows = await session.execute(
        select(
            WebhookDelivery.rule_id,
            WebhookDelivery.subject,
            WebhookDelivery.reason,
            func.max(WebhookDelivery.created_at),
        )
        .where(WebhookDelivery.rule_id.in_(rule_ids))
        .group_by(WebhookDelivery.rule_id, WebhookDelivery.subject, WebhookDelivery.reason)
    )
    return {(int(r), str(s), str(x)): t for r, s, x, t in rows if r is not None}


async def evaluate_alerts(
    session: AsyncSession, *, now: datetime | None = None, config: FeedConfig | None = None
) -> int:
    """Queue a delivery per new trigger; returns how many were queued."""
    config = config or FeedConfig()
    now = now or utcnow()
    rules = (
        await session.scalars(
            select(AlertRule)
            .join(Webhook, Webhook.id == AlertRule.webhook_id)
            .where(AlertRule.active, Webhook.active)
        )
    ).all()
    if not rules:
        return 0
    triggers = pure.evaluate(
        [_pure_rule(r) for r in rules],
        await _events(session, now=now, rules=rules),
        window=config.alert_window,
    )
    if not triggers:
        return 0
    by_rule = {r.id: r for r in rules}
    sent = await _last_sent(session, list(by_rule))
    keep: list[pure.Trigger] = []
    for rule in rules:
        mine = [t for t in triggers if t.rule_id == rule.id]
        cooldown = timedelta(minutes=rule.cooldown_minutes)
        kept, sent = pure.apply_cooldown(mine, last_sent=sent, cooldown=cooldown)
        keep += kept
    if not keep:
        return 0
    failing = await failing_sources(
        session, since=min(t.window_start for t in keep) - timedelta(minutes=1)
    )
    formats = {
        int(i): str(f) for i, f in (await session.execute(select(Webhook.id, Webhook.format)))
    }
    rows = []
    for trigger in keep:
        rule = by_rule[trigger.rule_id]
        slack = formats.get(rule.webhook_id) == "slack"
        build = pure.slack_payload if slack else pure.json_payload
        context, feeding = await _context(session, trigger, rule, config)
        concerning = [f for f in failing if f.url in feeding]
        rows.append(
            {
                "webhook_id": rule.webhook_id,
                "rule_id": rule.id,
                "idempotency_key": pure.idempotency_key(trigger),
                "subject": trigger.subject,
                "reason": trigger.reason,
                "payload": build(trigger, failing_sources=concerning, context=context),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "log": [],
                "created_at": now,
                "updated_at": now,
            }
        )
    statement = (
        insert_or_ignore(session, WebhookDelivery).values(rows).returning(WebhookDelivery.id)
    )
    return len((await session.scalars(statement)).all())


# --- what an alert carries ----------------------------------------------------------------------


async def _feeding_sources(session: AsyncSession, watchlist_ids: Sequence[int]) -> set[str]:
    """URLs of the sources whose articles the watchlists matched."""
    if not watchlist_ids:
        return set()
    rows = await session.scalars(
        select(Source.url)
        .where(
            Source.id.in_(
                select(Article.source_id)
                .join(ArticleWatchlist, ArticleWatchlist.article_id == Article.id)
                .where(ArticleWatchlist.watchlist_id.in_(watchlist_ids))
            )
        )
        .distinct()
    )
    return set(rows.all())


async def _top_articles(
    session: AsyncSession, where: Any, *, limit: int
) -> tuple[pure.AlertArticle, ...]:
    rows = await session.execute(
        select(Article.title, Article.url, Source.name, Article.outlet, Article.published_at)
        .add_columns(Article.label)
        .outerjoin(Source, Source.id == Article.source_id)
        .where(where, Article.deleted_at.is_(None))
        .order_by(func.coalesce(Article.negativity, 0).desc(), Article.published_at.desc())
        .limit(limit)
    )
    return tuple(
        pure.AlertArticle(title, url, name or outlet or "", published, label)
        for title, url, name, outlet, published, label in rows
    )


async def _context(
    session: AsyncSession, trigger: pure.Trigger, rule: AlertRule, config: FeedConfig
) -> tuple[pure.AlertContext | None, set[str]]:
    """The alert's context, and the URLs of the sources that feed what it is about (only
    their failures concern it)."""
    kind, _, raw_id = trigger.subject.partition(":")
    subject_id = int(raw_id) if raw_id.isdigit() else 0
    names = {int(i): str(n) for i, n in await session.execute(select(Watchlist.id, Watchlist.name))}
    if kind == "claim":
        return await _claim_context(session, trigger, rule, config, subject_id, names)
    if kind == "issue":
        issue = await session.get(Issue, subject_id)
        if issue is None:
            return None, set()
        lists = [rule.watchlist_id] if rule.watchlist_id else list(issue.watchlist_ids or [])
        feeding = await _feeding_sources(session, lists)
        members = select(IssueArticle.article_id).where(IssueArticle.issue_id == issue.id)
        if not lists:  # an issue no watchlist matched: the sources of its own articles
            feeding = set(
                (
                    await session.scalars(
                        select(Source.url).where(
                            Source.id.in_(select(Article.source_id).where(Article.id.in_(members)))
                        )
                    )
                ).all()
            )
        link = f"{config.public_url}/v1/issues/{issue.id}" if config.public_url else None
        context = pure.AlertContext(
            title=issue.title,
            link=link,
            severity=issue.severity,
            severity_breakdown=issue.severity_breakdown,
            watchlists=tuple(names[w] for w in issue.watchlist_ids or [] if w in names),
            articles=await _top_articles(
                session, Article.id.in_(members), limit=config.alert_articles
            ),
        )
        return context, feeding
    matched = select(ArticleWatchlist.article_id).where(ArticleWatchlist.watchlist_id == subject_id)
    recent = Article.id.in_(matched) & (Article.published_at >= trigger.window_start)
    link = f"{config.public_url}/v1/issues?watchlist={subject_id}" if config.public_url else None
    context = pure.AlertContext(
        title=names.get(subject_id, trigger.subject),
        link=link,
        watchlists=(names[subject_id],) if subject_id in names else (),
        articles=await _top_articles(session, recent, limit=config.alert_articles),
    )
    return context, await _feeding_sources(session, [subject_id])


async def _claim_context(
    session: AsyncSession,
    trigger: pure.Trigger,
    rule: AlertRule,
    config: FeedConfig,
    claim_id: int,
    names: dict[int, str],
) -> tuple[pure.AlertContext | None, set[str]]:
    """A hoax alert's context: the claim and its debunk, the documents repeating it since (the
    rule's watchlist's only, when it has one), and the sources they came from."""
    claim = await session.get(Claim, claim_id)
    if claim is None:
        return None, set()
    repeating = select(ClaimMatch.article_id).where(ClaimMatch.claim_id == claim_id)
    if rule.watchlist_id is not None:
        repeating = repeating.where(
            ClaimMatch.article_id.in_(
                select(ArticleWatchlist.article_id).where(
                    ArticleWatchlist.watchlist_id == rule.watchlist_id
                )
            )
        )
    where = Article.id.in_(repeating) & (Article.published_at >= trigger.window_start)
    feeding = set(
        (
            await session.scalars(
                select(Source.url).where(Source.id.in_(select(Article.source_id).where(where)))
            )
        ).all()
    )
    context = pure.AlertContext(
        title=claim.claim,
        link=f"{config.public_url}/v1/claims/{claim.id}" if config.public_url else None,
        watchlists=tuple(names[w] for w in [rule.watchlist_id] if w is not None and w in names),
        articles=await _top_articles(session, where, limit=config.alert_articles),
        debunk={
            "claim_id": claim.id,
            "claim": claim.claim,
            "verdict": claim.verdict,
            "verdict_label": claim.verdict_label,
            "url": claim.url,
            "publisher": claim.publisher,
            "published_at": claim.published_at.isoformat(),
        },
    )
    return context, feeding
