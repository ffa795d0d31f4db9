"""Alert rules, webhooks and their delivery log, spikes, and the daily digest.

Who may do what: rules are the analysts' (they decide what is worth an alert; viewers may read
them); webhooks are the admins' (a URL the server will call and a signing secret).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, status

from app.db import SessionDep
from app.models import AlertRule, Role, Webhook
from app.routers.deps import ERROR_RESPONSES, Admin, Analyst, CurrentKey, Viewer
from app.routers.params import PathId, Tz
from app.schemas.alert import (
    AlertRuleCreate,
    AlertRuleList,
    AlertRuleRead,
    AlertRuleUpdate,
    DeliveryList,
    DeliveryRead,
    DigestRead,
    FailingSourceRead,
    SpikeList,
    SpikeRead,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookRead,
    WebhookUpdate,
)
from app.schemas.common import MAX_ID
from app.schemas.issue import IssueRead
from app.services import alerts as alert_service
from app.services import digest as digest_service
from app.services import spikes as spike_service
from app.services import webhooks as webhook_service
from app.services.timewindow import zone

rules = APIRouter(
    prefix="/v1/alert-rules", tags=["alerts"], dependencies=[Viewer], responses=ERROR_RESPONSES
)
hooks = APIRouter(
    prefix="/v1/webhooks", tags=["alerts"], dependencies=[Admin], responses=ERROR_RESPONSES
)
feed = APIRouter(prefix="/v1", tags=["alerts"], dependencies=[Viewer], responses=ERROR_RESPONSES)


def _rule(row: AlertRule) -> AlertRuleRead:
    return AlertRuleRead.model_validate(row)


def _rule_data(body: AlertRuleCreate | AlertRuleUpdate) -> alert_service.RuleData:
    return alert_service.RuleData(
        name=body.name,
        kind=body.kind,
        threshold=body.threshold,
        watchlist_id=body.watchlist_id,
        spike_kinds=body.spike_kinds,
        webhook_id=body.webhook_id,
        cooldown_minutes=body.cooldown_minutes,
        active=body.active,
    )


@rules.post(
    "", status_code=status.HTTP_201_CREATED, dependencies=[Analyst], summary="Create an alert rule"
)
async def create_rule(body: AlertRuleCreate, session: SessionDep, key: CurrentKey) -> AlertRuleRead:
    """Alert a webhook when an issue's severity reaches `threshold`, when a watchlist spikes,
    or when a new issue touches a watchlist."""
    return _rule(await alert_service.create_rule(session, data=_rule_data(body), actor=key.name))


@rules.get("", summary="List alert rules")
async def list_rules(session: SessionDep) -> AlertRuleList:
    """Every rule in id order."""
    return AlertRuleList(items=[_rule(r) for r in await alert_service.list_rules(session)])


@rules.get("/{rule_id}", summary="Get one alert rule")
async def get_rule(rule_id: PathId, session: SessionDep) -> AlertRuleRead:
    """One rule."""
    return _rule(await alert_service.get_rule(session, rule_id=rule_id))


@rules.patch("/{rule_id}", dependencies=[Analyst], summary="Change an alert rule")
async def update_rule(rule_id: PathId, body: AlertRuleUpdate, session: SessionDep) -> AlertRuleRead:
    """Change any field; the rule is validated again as a whole."""
    return _rule(await alert_service.update_rule(session, rule_id=rule_id, data=_rule_data(body)))


@rules.get(
    "/{rule_id}/deliveries",
    dependencies=[Analyst],
    summary="The delivery log of one of your alert rules",
    responses={403: {"description": "The rule was made by another key (admins see all)"}},
)
async def list_rule_deliveries(
    rule_id: PathId,
    session: SessionDep,
    key: CurrentKey,
    limit: Annotated[int, Query(ge=1, le=500, description="Newest deliveries returned.")] = 50,
) -> DeliveryList:
    """The rule's deliveries newest first (payload, status, attempts with their HTTP answers),
    for the analyst who made the rule, or an admin."""
    rows = await alert_service.list_rule_deliveries(
        session, rule_id=rule_id, limit=limit, actor=key.name, admin=key.role == Role.ADMIN
    )
    return DeliveryList(items=[DeliveryRead.model_validate(d) for d in rows])


@rules.delete(
    "/{rule_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[Analyst],
    summary="Delete an alert rule",
)
async def delete_rule(rule_id: PathId, session: SessionDep) -> Response:
    """Delete the rule; its past deliveries stay in the log."""
    await alert_service.delete_rule(session, rule_id=rule_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _hook(row: Webhook) -> WebhookRead:
    return WebhookRead.model_validate(row)


@hooks.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a webhook",
    responses={201: {"description": "The webhook; `secret` is never shown again"}},
)
async def create_webhook(
    body: WebhookCreate, session: SessionDep, key: CurrentKey, request: Request
) -> WebhookCreated:
    """Register a receiver; the response carries the signing secret, once. A URL that is (or
    resolves to) a private, loopback or link-local address is refused with 422."""
    data = webhook_service.WebhookData(
        name=body.name, url=body.url, format=body.format, active=body.active
    )
    row = await webhook_service.create_webhook(
        session,
        data=data,
        actor=key.name,
        allow_private_networks=request.app.state.settings.allow_private_networks,
    )
    return WebhookCreated(**_hook(row).model_dump(), secret=row.secret)


@hooks.get("", summary="List webhooks (without secrets)")
async def list_webhooks(session: SessionDep) -> WebhookList:
    """Every webhook in id order."""
    return WebhookList(items=[_hook(w) for w in await webhook_service.list_webhooks(session)])


@hooks.get("/{webhook_id}", summary="Get one webhook (without its secret)")
async def get_webhook(webhook_id: PathId, session: SessionDep) -> WebhookRead:
    """One webhook."""
    return _hook(await webhook_service.get_webhook(session, webhook_id=webhook_id))


@hooks.patch("/{webhook_id}", summary="Change a webhook")
async def update_webhook(
    webhook_id: PathId, body: WebhookUpdate, session: SessionDep, request: Request
) -> WebhookRead:
    """Rename, re-point, change the format, or pause (active=false) a webhook; a private
    address is refused as at creation."""
    data = webhook_service.WebhookData(
        name=body.name, url=body.url, format=body.format, active=body.active
    )
    row = await webhook_service.update_webhook(
        session,
        webhook_id=webhook_id,
        data=data,
        allow_private_networks=request.app.state.settings.allow_private_networks,
    )
    return _hook(row)


@hooks.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a webhook")
async def delete_webhook(webhook_id: PathId, session: SessionDep) -> Response:
    """Delete the webhook with its rules and delivery log."""
    await webhook_service.delete_webhook(session, webhook_id=webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@hooks.get("/{webhook_id}/deliveries", summary="The delivery log of a webhook")
async def list_deliveries(
    webhook_id: PathId,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500, description="Newest deliveries returned.")] = 50,
) -> DeliveryList:
    """Deliveries newest first: status, attempts with their HTTP answers, next retry."""
    rows = await webhook_service.list_deliveries(session, webhook_id=webhook_id, limit=limit)
    return DeliveryList(items=[DeliveryRead.model_validate(d) for d in rows])


# A digest is for a day Pantau can have seen: outside these, day arithmetic in a zone
# overflows (9999-12-31 + 1 day) and nothing was ever stored anyway.
EARLIEST_DAY = date(1990, 1, 1)
LATEST_DAY = date(2100, 12, 31)


@feed.get("/spikes", summary="Detected spikes")
async def list_spikes(
    session: SessionDep,
    subject: Annotated[
        Literal["watchlist", "issue"] | None,
        Query(description="Only spikes of this kind of series."),
    ] = None,
    subject_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Only this watchlist or issue.")
    ] = None,
    days: Annotated[int, Query(ge=1, le=90, description="Buckets of the last N days.")] = 7,
) -> SpikeList:
    """Volume and negative-share spikes found by the scheduler, newest bucket first."""
    now = datetime.now(UTC)
    rows = await spike_service.list_spikes(
        session,
        since=now - timedelta(days=days),
        until=now + timedelta(days=1),
        subject_kind=subject,
        subject_id=subject_id,
    )
    return SpikeList(items=[SpikeRead.model_validate(s) for s in rows])


@feed.get("/digest", summary="The daily digest")
async def get_digest(
    session: SessionDep,
    day: Annotated[
        date | None,
        Query(
            alias="date",
            description=f"The local day (default: today in `tz`), {EARLIEST_DAY} .. {LATEST_DAY}.",
            examples=["2026-11-20"],
            ge=EARLIEST_DAY,
            le=LATEST_DAY,
        ),
    ] = None,
    tz: Tz = "Asia/Jakarta",
    limit: Annotated[int, Query(ge=1, le=50, description="Issues per list.")] = 10,
) -> DigestRead:
    """Top issues by severity, new issues, spikes and the sources that were failing during
    the day (a failing source is not the same as no bad news)."""
    zoneinfo = zone(tz)
    digest = await digest_service.daily_digest(
        session, day=day or datetime.now(zoneinfo).date(), tz=zoneinfo, limit=limit
    )
    return DigestRead(
        date=digest.date,
        tz=digest.tz,
        start=digest.start,
        end=digest.end,
        top_issues=[IssueRead.model_validate(i) for i in digest.top_issues],
        new_issues=[IssueRead.model_validate(i) for i in digest.new_issues],
        new_issue_count=digest.new_issue_count,
        spikes=[SpikeRead.model_validate(s) for s in digest.spikes],
        failing_sources=[
            FailingSourceRead(name=f.name, url=f.url, reason=f.reason, since=f.since, until=f.until)
            for f in digest.failing_sources
        ],
    )
