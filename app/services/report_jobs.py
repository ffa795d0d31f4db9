"""Scheduled reports: queue each due daily or weekly report into the webhook outbox.

The receiver is a `webhooks` row of format ``report`` that the settings own (URL and signing
secret are synced from them each tick); the delivery is an ordinary outbox row, so it is
signed, retried and logged exactly as an alert is. Its idempotency key
``report:<kind>:<day>`` makes the queueing safe to repeat: every tick of every worker may try,
one delivery per report exists. The report is rendered (HTML inline in the JSON payload, links
to the PDF) before the write transaction, which only inserts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import Database, insert_or_ignore, lock_job
from app.models import DeliveryStatus, Webhook, WebhookDelivery
from app.report import ReportData, render_html, title_of
from app.report.schedule import ReportSchedule, ReportSlot, due, upcoming
from app.services import reports
from app.services.timewindow import zone
from app.services.webhooks import REPORT_FORMAT

logger = logging.getLogger(__name__)
_LOCK_KEY = 0x7265706F  # "repo": one worker at a time creates or syncs the receiver row
TOP_ISSUES = 5  # in the payload's summary (the HTML has the report's full list)


def report_path(kind: str, day: str, *, fmt: str, lang: str) -> str:
    return f"/v1/reports/{kind}?date={day}&format={fmt}&lang={lang}"


def payload(
    slot: ReportSlot, data: ReportData, *, schedule: ReportSchedule, public_url: str | None
) -> dict[str, Any]:
    """The delivery's JSON: what the report covers, a short summary, the HTML, the PDF's link."""
    day = slot.day.isoformat()
    pdf = report_path(slot.kind, day, fmt="pdf", lang=schedule.lang)
    return {
        "event": "report",
        "kind": slot.kind,
        "day": day,
        "tz": schedule.tz,
        "lang": schedule.lang,
        "title": title_of(data, schedule.lang),
        "window": {"start": data.start.isoformat(), "end": data.end.isoformat()},
        "summary": {
            "articles": data.article_count,
            "negative": data.negative_count,
            "top_issues": [
                {"id": i.id, "title": i.title, "severity": round(i.severity, 1), "status": i.status}
                for i in data.issues[:TOP_ISSUES]
            ],
            "responses": len(data.responses),
            "failing_sources": len(data.failing_sources),
        },
        "pdf_path": pdf,
        "pdf_url": f"{public_url}{pdf}" if public_url else None,
        "html": render_html(data, lang=schedule.lang),
    }


async def _receiver(session: AsyncSession, schedule: ReportSchedule) -> Webhook:
    """The settings' receiver row, created on first use and kept equal to the settings."""
    await lock_job(session, _LOCK_KEY)
    webhook = await session.scalar(
        select(Webhook).where(Webhook.format == REPORT_FORMAT).order_by(Webhook.id).limit(1)
    )
    if webhook is None:
        webhook = Webhook(name="report", format=REPORT_FORMAT, created_by="settings")
        session.add(webhook)
    webhook.url, webhook.secret, webhook.active = schedule.url, schedule.secret, True
    await session.flush()
    return webhook


async def queue_due_reports(
    database: Database, *, schedule: ReportSchedule, now: datetime, public_url: str | None = None
) -> int:
    """Queue the reports whose time has come and that are not queued yet; returns how many."""
    slots = due(schedule, now)
    if not slots:
        return 0
    keys = [s.key for s in slots]
    async with database.sessionmaker() as session:
        queued = set(
            await session.scalars(
                select(WebhookDelivery.idempotency_key).where(
                    WebhookDelivery.idempotency_key.in_(keys)
                )
            )
        )
        rows = []
        for slot in slots:
            if slot.key in queued:
                continue
            data = await reports.gather(
                session, day=slot.day, weekly=slot.kind == "weekly", tz=zone(schedule.tz)
            )
            body = payload(slot, data, schedule=schedule, public_url=public_url)
            rows.append((slot, body))
    if not rows:
        return 0
    count = 0
    async with database.writer.begin() as session:
        webhook = await _receiver(session, schedule)
        for slot, body in rows:
            result = await session.execute(
                insert_or_ignore(session, WebhookDelivery, index_elements=["idempotency_key"])
                .values(
                    webhook_id=webhook.id,
                    idempotency_key=slot.key,
                    subject=f"report:{slot.kind}",
                    reason=slot.day.isoformat(),
                    payload=body,
                    status=DeliveryStatus.PENDING,
                    next_attempt_at=now,
                )
                .returning(WebhookDelivery.id)
            )
            if result.scalar() is not None:
                count += 1
                logger.info("report queued", extra={"key": slot.key, "webhook_id": webhook.id})
    return count


@dataclass(frozen=True, slots=True)
class ScheduledReport:
    kind: str
    day: str  # the last local day the report covers
    status: str  # pending | delivered | failed | scheduled (not queued yet)
    due_at: datetime | None = None  # of a scheduled one
    queued_at: datetime | None = None  # of a queued one
    attempts: int = 0
    response_code: int | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ScheduleView:
    enabled: bool
    receiver_host: str | None
    tz: str
    hour: int | None
    weekday: int | None
    weekly: bool
    lang: str | None
    upcoming: list[ScheduledReport]
    recent: list[ScheduledReport]


async def schedule_view(
    session: AsyncSession,
    *,
    schedule: ReportSchedule | None,
    tz: str,
    now: datetime,
    limit: int = 20,
) -> ScheduleView:
    """The schedule as configured, its next slots, and the latest report deliveries."""
    rows: Sequence[WebhookDelivery] = (
        await session.scalars(
            select(WebhookDelivery)
            .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .where(Webhook.format == REPORT_FORMAT)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    ).all()
    recent = [
        ScheduledReport(
            kind=d.subject.removeprefix("report:"),
            day=d.reason,
            status=d.status,
            queued_at=d.created_at,
            attempts=d.attempts,
            response_code=d.response_code,
            last_error=d.last_error,
            delivered_at=d.delivered_at,
        )
        for d in rows
    ]
    if schedule is None:
        return ScheduleView(False, None, tz, None, None, False, None, [], recent)
    return ScheduleView(
        enabled=True,
        receiver_host=urlsplit(schedule.url).hostname,
        tz=schedule.tz,
        hour=schedule.hour,
        weekday=schedule.weekday,
        weekly=schedule.weekly,
        lang=schedule.lang,
        upcoming=[
            ScheduledReport(kind=s.kind, day=s.day.isoformat(), status="scheduled", due_at=s.due_at)
            for s in upcoming(schedule, now)
        ],
        recent=recent,
    )
