"""Scheduled reports go out through the webhook outbox: once per report however often the
scheduler ticks, signed with the configured secret, retried, and visible at
GET /v1/reports/schedule; the receiver row is the settings', not the alert webhooks'."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select

from app.config import Settings
from app.db import Database
from app.feed.alerts import verify
from app.main import create_app
from app.models import Webhook, utcnow
from app.pipeline.scheduler import build_feed_config
from app.services.feed_jobs import run_feed_jobs
from tests.factories import link, make_article, make_issue, make_key
from tests.issue_feed.receiver import Receiver, receiver

WIB = ZoneInfo("Asia/Jakarta")
SECRET = "rahasia-laporan-harian-2026"


def _settings(db: Database, url: str, now: datetime) -> Settings:
    local = now.astimezone(WIB)
    return Settings(
        database_url=db.url,
        scheduler_enabled=False,
        environment="test",
        etag_cache_seconds=0,
        api_key_cache_seconds=0,
        rate_limit_per_minute=0,
        allow_private_networks=True,  # the receiver listens on loopback
        public_url="https://pantau.example.go.id/",
        report_webhook_url=url,
        report_webhook_secret=SECRET,
        # Due this very hour, today (and the weekly one too: today is its weekday).
        report_hour=local.hour,
        report_weekday=local.weekday(),
    )


@pytest.fixture
def hook() -> AsyncIterator[Receiver]:
    with receiver(script=[500]) as state:  # the first delivery fails, its retry succeeds
        yield state


async def _seed_yesterday(db: Database, now: datetime) -> str:
    yesterday = now.astimezone(WIB).date() - timedelta(days=1)
    noon = datetime.combine(yesterday, time(12), tzinfo=WIB)
    async with db.writer.begin() as session:
        issue = await make_issue(
            session,
            title="Antrean BBM di Medan",
            severity=81.0,
            first_seen_at=noon,
            last_seen_at=noon + timedelta(hours=2),
        )
        article = await make_article(
            session, published_at=noon, label="negative", negativity=0.93, title="SPBU kosong"
        )
        await link(session, issue=issue, article=article)
    return yesterday.isoformat()


async def test_reports_are_queued_once_signed_retried_and_shown_in_the_schedule(
    db: Database, hook: Receiver
) -> None:
    now = utcnow()
    day = await _seed_yesterday(db, now)
    settings = _settings(db, hook.url, now)
    config = build_feed_config(settings)
    assert config.report is not None and config.report.secret == SECRET

    first = await run_feed_jobs(db, config=config, clock=lambda: now)
    assert first.reports == 2  # daily and weekly, both due this hour
    # A second later (before the retry's 4-5 s delay) another worker's tick queues nothing.
    again = await run_feed_jobs(db, config=config, clock=lambda: now + timedelta(seconds=1))
    assert again.reports == 0  # the idempotency key holds them to one each
    assert [r.status for r in hook.received] == [500, 200]  # one failed first, one delivered

    app = create_app(settings, database=db)
    app.state.database = db
    async with db.writer.begin() as session:
        _row, secret = await make_key(session)
    headers = {"Authorization": f"Bearer {secret}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://pantau.test") as client:
        view = (await client.get("/v1/reports/schedule", headers=headers)).json()
        assert view["enabled"] and view["receiver_host"] == "127.0.0.1"
        assert (view["hour"], view["weekly"], view["lang"]) == (settings.report_hour, True, "id")
        by_kind = {r["kind"]: r for r in view["recent"]}
        failed_once = next(r for r in by_kind.values() if r["status"] == "pending")
        assert failed_once["attempts"] == 1 and failed_once["response_code"] == 500
        assert {r["day"] for r in view["recent"]} == {day}
        assert {u["kind"] for u in view["upcoming"]} == {"daily", "weekly"}
        # The receiver row is the settings': neither listed nor usable by an alert rule.
        assert (await client.get("/v1/webhooks", headers=headers)).json()["items"] == []
        async with db.sessionmaker() as session:
            report_hook = await session.scalar(select(Webhook.id))
        rule = {"kind": "severity_above", "threshold": 50, "webhook_id": report_hook}
        refused = await client.post("/v1/alert-rules", json=rule, headers=headers)
        assert refused.status_code == 422, refused.text

        # The retry, past its delay, delivers the report that failed; nothing is queued twice.
        later = now + timedelta(hours=1)
        assert (await run_feed_jobs(db, config=config, clock=lambda: later)).reports == 0
        view = (await client.get("/v1/reports/schedule", headers=headers)).json()
        assert [r["status"] for r in view["recent"]] == ["delivered", "delivered"]

    assert [r.status for r in hook.received] == [500, 200, 200]
    delivered = [r for r in hook.received if r.status == 200]
    keys = {r.headers["idempotency-key"] for r in delivered}
    assert keys == {f"report:daily:{day}", f"report:weekly:{day}"}
    for received in delivered:
        signature = received.headers["x-pantau-signature"]
        stamp = int(signature.split(",")[0].removeprefix("t="))
        assert verify(signature, received.body, secret=SECRET.encode(), now=stamp)
        payload = json.loads(received.body)
        assert payload["event"] == "report" and payload["day"] == day
        assert "Antrean BBM di Medan" in payload["html"]
        assert payload["summary"]["top_issues"][0]["title"] == "Antrean BBM di Medan"
        assert payload["summary"]["negative"] == 1
        kind = payload["kind"]
        assert payload["pdf_url"] == (
            f"https://pantau.example.go.id/v1/reports/{kind}?date={day}&format=pdf&lang=id"
        )


async def test_the_schedule_reads_disabled_without_a_receiver(db: Database) -> None:
    settings = Settings(database_url=db.url, scheduler_enabled=False, environment="test")
    assert build_feed_config(settings).report is None
    app = create_app(settings, database=db)
    app.state.database = db
    async with db.writer.begin() as session:
        _row, secret = await make_key(session)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://pantau.test") as client:
        answer = await client.get(
            "/v1/reports/schedule", headers={"Authorization": f"Bearer {secret}"}
        )
    assert answer.status_code == 200
    assert answer.json()["enabled"] is False and answer.json()["upcoming"] == []
