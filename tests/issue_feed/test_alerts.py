"""Done-when: an injected burst of negative articles raises a spike alert that a local webhook
receiver gets once, correctly signed, with the failing sources listed; and retries."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
from sqlalchemy import select

from app.crawlers.fetch import Fetcher
from app.db import Database
from app.feed.alerts import verify
from app.models import Source, utcnow
from app.pipeline.cluster import ClusterStage
from app.pipeline.cycle import Crawler
from app.pipeline.match import MatchStage
from app.scoring import load_scorer
from app.services import sources as source_service
from app.services.feed_config import FeedConfig
from app.services.feed_jobs import run_feed_jobs
from app.services.webhooks import build_client, deliver_due
from tests.factories import make_article, make_issue, make_source
from tests.farm.server import FarmServer
from tests.fetching import local_fetch_options
from tests.issue_feed.receiver import receiver

CONFIG = FeedConfig(allow_private_networks=True)  # the receiver is on loopback


async def _fail_one_farm_source(db: Database, farm_server: FarmServer) -> str:
    """Crawl kompas's feed while the farm answers 503: the source is now failing."""
    farm_server.fail("/kompas/rss.xml", 503)
    async with db.writer.begin() as session:
        source = await source_service.create_source(
            session, data=source_service.NewSource(url=farm_server.feed_url("kompas"))
        )
    options = local_fetch_options(user_agent="PantauTest/1", allow_private_networks=True)
    async with Fetcher(options) as fetcher:
        crawler = Crawler(database=db, fetcher=fetcher, scorer=load_scorer())
        outcomes = await crawler.crawl_due()
    assert outcomes[0].error
    return source.url


async def test_negative_burst_alerts_the_webhook_once_signed_with_failing_sources(
    client: httpx.AsyncClient,
    db: Database,
    farm_server: FarmServer,
    admin: dict[str, str],
    analyst: dict[str, str],
    viewer: dict[str, str],
) -> None:
    failing_url = await _fail_one_farm_source(db, farm_server)
    watchlist = await client.post(
        "/v1/watchlists", json={"name": "KPK", "query": "kpk OR korupsi"}, headers=analyst
    )
    now = utcnow()
    hour = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    async with db.writer.begin() as session:
        # The failing source fed the watchlist; another one failing never did (an alert
        # about KPK does not list every offline starter source).
        feeding, outlet = (
            await session.execute(select(Source.id, Source.name).where(Source.url == failing_url))
        ).one()
        offline = await make_source(
            session, name="Offline", failing_since=now - timedelta(hours=2), last_error="503"
        )
        for day in range(1, 8):  # a quiet week: one calm KPK story a day at this hour
            await make_article(
                session,
                title=f"KPK gelar sosialisasi antikorupsi hari ke-{day}",
                body="KPK mengadakan sosialisasi di sekolah.",
                published_at=hour - timedelta(days=day) + timedelta(minutes=10),
                label="neutral",
                negativity=0.1,
                scored_at=now,
            )
        for n in range(8):  # then, in the last hour, a burst of bad press
            await make_article(
                session,
                title=f"Pegawai KPK ditangkap, dugaan korupsi meluas ({n})",
                body="Kasus korupsi di tubuh KPK memicu kemarahan publik.",
                published_at=hour + timedelta(minutes=5 * n),
                source_id=feeding,
                label="negative",
                negativity=0.9,
                scored_at=now,
            )
    await MatchStage(db).run_pending()
    await ClusterStage(db).run_pending()

    with receiver() as hook_receiver:
        created = await client.post(
            "/v1/webhooks", json={"name": "krisis", "url": hook_receiver.url}, headers=admin
        )
        assert created.status_code == 201
        secret = created.json()["secret"]
        assert "secret" not in (await client.get("/v1/webhooks", headers=admin)).json()["items"][0]
        rule = await client.post(
            "/v1/alert-rules",
            json={
                "name": "Lonjakan berita negatif KPK",
                "kind": "spike",
                "watchlist_id": watchlist.json()["id"],
                "spike_kinds": ["negative_share"],
                "webhook_id": created.json()["id"],
            },
            headers=analyst,
        )
        assert rule.status_code == 201, rule.text
        for _ in range(3):  # ticks: detection, evaluation and delivery repeat; the alert does not
            await run_feed_jobs(db, config=CONFIG, clock=lambda: now)

    assert len(hook_receiver.received) == 1
    got = hook_receiver.received[0]
    assert verify(
        got.headers["x-pantau-signature"],
        got.body,
        secret=secret.encode(),
        now=int(now.timestamp()),
    )
    assert not verify(
        got.headers["x-pantau-signature"], got.body, secret=b"wrong", now=int(now.timestamp())
    )
    payload = json.loads(got.body)
    assert got.headers["idempotency-key"] == payload["id"]
    assert payload["reason"] == "spike:negative_share"
    assert payload["subject"] == f"watchlist:{watchlist.json()['id']}"
    assert "8 of 8 articles negative" in payload["message"]
    assert [s["url"] for s in payload["failing_sources"]] == [failing_url]
    assert "503" in payload["failing_sources"][0]["reason"]
    assert payload["title"] == "KPK" and payload["watchlists"] == ["KPK"]
    assert len(payload["top_articles"]) == 3
    assert {a["outlet"] for a in payload["top_articles"]} == {outlet}  # the source's name
    assert payload["top_articles"][0]["title"].startswith("Pegawai KPK ditangkap")

    spikes = (await client.get("/v1/spikes", headers=viewer)).json()["items"]
    assert {s["kind"] for s in spikes} >= {"volume", "negative_share"}
    # The source failed at ``now`` and the burst sits in the previous hour: within the first
    # hour of a UTC day those belong to two different days' digests.
    failing_day, burst_day = [
        await client.get("/v1/digest", params={"date": d.isoformat(), "tz": "UTC"}, headers=viewer)
        for d in (now.date(), hour.date())
    ]
    assert failing_day.status_code == burst_day.status_code == 200
    # The digest is about all coverage: every failing source.
    assert {f["url"] for f in failing_day.json()["failing_sources"]} == {failing_url, offline.url}
    assert burst_day.json()["spikes"] and burst_day.json()["top_issues"]


async def test_webhook_retries_until_delivered_once_with_every_attempt_logged(
    client: httpx.AsyncClient, db: Database, admin: dict[str, str], analyst: dict[str, str]
) -> None:
    now = utcnow()
    async with db.writer.begin() as session:
        issue = await make_issue(session, title="Isu berat", severity=80.0)
    with receiver(script=[500, 500]) as hook_receiver:
        hook = (
            await client.post("/v1/webhooks", json={"url": hook_receiver.url}, headers=admin)
        ).json()
        rule = {"kind": "severity_above", "threshold": 70, "webhook_id": hook["id"]}
        assert (await client.post("/v1/alert-rules", json=rule, headers=analyst)).status_code == 201
        from app.services.alerts import evaluate_alerts

        async with db.writer.begin() as session:
            assert await evaluate_alerts(session, now=now, config=CONFIG) == 1
        async with db.writer.begin() as session:  # the cooldown holds the next evaluation
            assert (
                await evaluate_alerts(session, now=now + timedelta(minutes=5), config=CONFIG) == 0
            )
        async with build_client(CONFIG) as http:
            clock = now
            for _ in range(4):
                await deliver_due(db, client=http, now=clock, config=CONFIG)
                clock += timedelta(hours=1)  # past any backoff
    statuses = [r.status for r in hook_receiver.received]
    assert statuses == [500, 500, 200]
    assert len({r.headers["idempotency-key"] for r in hook_receiver.received}) == 1
    log = (await client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=admin)).json()
    (delivery,) = log["items"]
    assert delivery["status"] == "delivered" and delivery["attempts"] == 3
    assert [a["status"] for a in delivery["log"]] == [500, 500, 200]
    assert delivery["response_code"] == 200 and delivery["subject"] == f"issue:{issue.id}"
    assert (
        await client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=analyst)
    ).status_code == 403
