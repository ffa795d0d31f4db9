"""Alerts carry what an analyst acts on; a new rule does not alert on the backlog; analysts
read their own rules' deliveries; keys record when they were last used."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select

from app.db import Database
from app.models import ApiKey, Role, WebhookDelivery, utcnow
from app.services import api_keys
from app.services.alerts import evaluate_alerts
from app.services.feed_config import FeedConfig
from tests.factories import link, make_article, make_issue, make_key, make_source, make_watchlist
from tests.routers.conftest import make_app

CONFIG = FeedConfig(public_url="https://pantau.example.go.id")


async def _queued(db: Database) -> list[WebhookDelivery]:
    async with db.sessionmaker() as session:
        return list((await session.scalars(select(WebhookDelivery))).all())


async def test_issue_alert_payload_and_new_issue_rule_ignores_the_backlog(
    client: httpx.AsyncClient, db: Database, admin: dict[str, str], analyst: dict[str, str]
) -> None:
    breakdown = {"components": {"negativity": 30.0, "volume": 12.0, "priority": 8.0}}
    async with db.writer.begin() as session:
        watchlist = await make_watchlist(session, name="KPK")
        tempo = await make_source(session, name="Tempo", url="https://tempo.example.id/rss")
        down = await make_source(
            session, name="Antara", failing_since=utcnow() - timedelta(hours=2), last_error="503"
        )
        await make_source(  # failing too, but it never fed the watchlist
            session, name="Offline", failing_since=utcnow() - timedelta(hours=2), last_error="x"
        )
        old = await make_issue(session, title="Isu lama KPK", watchlist_ids=[watchlist.id])
        await link(
            session,
            issue=old,
            article=await make_article(session, source_id=down.id),
            watchlists=(watchlist,),
        )
    hook = await client.post(
        "/v1/webhooks", json={"name": "krisis", "url": "https://hooks.example.id/p"}, headers=admin
    )
    rule = await client.post(
        "/v1/alert-rules",
        json={
            "name": "Isu baru KPK",
            "kind": "new_issue",
            "watchlist_id": watchlist.id,
            "webhook_id": hook.json()["id"],
        },
        headers=analyst,
    )
    assert rule.status_code == 201
    async with db.writer.begin() as session:
        assert await evaluate_alerts(session, config=CONFIG) == 0  # the backlog stays quiet
        new = await make_issue(
            session,
            title="KPK tangkap pejabat",
            severity=50.0,
            severity_breakdown=breakdown,
            watchlist_ids=[watchlist.id],
        )
        for n, (source, negativity) in enumerate([(tempo, 0.9), (down, 0.4), (tempo, 0.1)]):
            article = await make_article(
                session,
                title=f"KPK tangkap pejabat {n}",
                url=f"https://tempo.example.id/{n}",
                source_id=source.id,
                outlet="tempo.example.id",
                negativity=negativity,
            )
            await link(session, issue=new, article=article, watchlists=(watchlist,))
        await make_article(session, title="Bukan anggota isu", negativity=1.0)
    async with db.writer.begin() as session:
        assert await evaluate_alerts(session, config=CONFIG) == 1

    (delivery,) = await _queued(db)
    payload = delivery.payload
    assert payload["subject"] == f"issue:{new.id}" and payload["reason"] == "new-issue"
    assert payload["title"] == "KPK tangkap pejabat"
    assert payload["link"] == f"https://pantau.example.go.id/v1/issues/{new.id}"
    assert payload["severity"] == 50.0 and payload["severity_breakdown"] == breakdown
    assert payload["watchlists"] == ["KPK"]
    assert [(a["title"], a["outlet"]) for a in payload["top_articles"]] == [
        ("KPK tangkap pejabat 0", "Tempo"),
        ("KPK tangkap pejabat 1", "Antara"),
        ("KPK tangkap pejabat 2", "Tempo"),
    ]
    assert [s["name"] for s in payload["failing_sources"]] == ["Antara"]

    # The analyst who made the rule reads its delivery log; another analyst may not.
    mine = await client.get(f"/v1/alert-rules/{rule.json()['id']}/deliveries", headers=analyst)
    assert mine.status_code == 200
    assert [d["payload"]["title"] for d in mine.json()["items"]] == ["KPK tangkap pejabat"]
    async with db.writer.begin() as session:
        _, other_secret = await api_keys.create_key(session, role=Role.ANALYST, name="dewi")
    other = {"Authorization": f"Bearer {other_secret}"}
    refused = await client.get(f"/v1/alert-rules/{rule.json()['id']}/deliveries", headers=other)
    assert refused.status_code == 403
    url = f"/v1/alert-rules/{rule.json()['id']}/deliveries"
    assert (await client.get(url, headers=admin)).status_code == 200


async def test_last_used_at_is_written_at_most_once_a_minute(
    db: Database, admin: dict[str, str], viewer: dict[str, str]
) -> None:
    app = make_app(db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://pantau.test") as client:
        assert (await client.get("/v1/issues", headers=viewer)).status_code == 200
        assert (await client.get("/v1/keys", headers=admin)).status_code == 200
        await app.state.key_usage.flush()  # written beside the requests, not inside them
        keys = (await client.get("/v1/keys", headers=admin)).json()["items"]
    assert all(k["last_used_at"] for k in keys)  # both keys were just used

    async with db.writer.begin() as session:
        key, _ = await make_key(session)
        now = utcnow()
        assert await api_keys.record_use(session, key_id=key.id, now=now)
        assert not await api_keys.record_use(
            session, key_id=key.id, now=now + timedelta(seconds=30)
        )
        assert await api_keys.record_use(session, key_id=key.id, now=now + timedelta(seconds=61))
    async with db.sessionmaker() as session:
        row = await session.get(ApiKey, key.id)
        assert row is not None and row.last_used_at is not None
        assert abs((row.last_used_at - (now + timedelta(seconds=61))).total_seconds()) < 1
