"""The `hoax_spread` alert rule over the API, on both backends: a debunked claim that articles
and posts repeat again, past the rule's threshold, alerts its webhook once, signed."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import httpx

from app.db import Database
from app.feed.alerts import verify
from app.models import ArticleWatchlist, ClaimMatch, utcnow
from app.services.feed_config import FeedConfig
from app.services.feed_jobs import run_feed_jobs
from tests.factories import make_article, make_claim, make_source, make_watchlist
from tests.issue_feed.receiver import receiver

CONFIG = FeedConfig(allow_private_networks=True, public_url="https://pantau.example.id")
CLAIM = "Bendungan Sutami jebol, warga Malang diminta mengungsi malam ini"


async def _repeat(
    db: Database,
    claim_id: int,
    *,
    at: datetime,
    now: datetime,
    watchlist_id: int | None,
    n: int = 1,
) -> list[str]:
    """`n` Telegram posts repeating the claim, published from `at`, matched at `now` (as the
    claim stage writes them); returns their URLs."""
    urls = []
    async with db.writer.begin() as session:
        for i in range(n):
            source = await make_source(session, kind="telegram")
            article = await make_article(
                session,
                title=f"{CLAIM} ({i})",
                kind="post",
                platform="telegram",
                source_id=source.id,
                published_at=at + timedelta(minutes=i),
                scored_at=now,
            )
            session.add(
                ClaimMatch(
                    claim_id=claim_id, article_id=article.id, score=0.9, lexical=0.8, matched_at=now
                )
            )
            if watchlist_id is not None:
                session.add(ArticleWatchlist(article_id=article.id, watchlist_id=watchlist_id))
            urls.append(article.url)
    return urls


async def test_hoax_rule_needs_a_document_threshold(
    client: httpx.AsyncClient, admin: dict[str, str], analyst: dict[str, str]
) -> None:
    hook = await client.post(
        "/v1/webhooks", json={"name": "h", "url": "http://127.0.0.1:9/hook"}, headers=admin
    )
    webhook_id = hook.json()["id"]
    for body in ({}, {"threshold": 0}):
        refused = await client.post(
            "/v1/alert-rules",
            json={"kind": "hoax_spread", "webhook_id": webhook_id, **body},
            headers=analyst,
        )
        assert refused.status_code == 422, refused.text
        assert "threshold" in refused.json()["detail"]
    made = await client.post(
        "/v1/alert-rules",
        json={"kind": "hoax_spread", "threshold": 2, "webhook_id": webhook_id},
        headers=analyst,
    )
    assert made.status_code == 201, made.text
    assert made.json()["kind"] == "hoax_spread" and made.json()["name"] == "hoax_spread"


async def test_debunked_claim_spreading_past_the_threshold_alerts_once(
    client: httpx.AsyncClient, db: Database, admin: dict[str, str], analyst: dict[str, str]
) -> None:
    now = utcnow()
    debunked_at = now - timedelta(days=2)
    async with db.writer.begin() as session:
        watched = await make_watchlist(session, name="Malang")
        other = await make_watchlist(session, name="Lain")
        claim = await make_claim(
            session,
            claim=CLAIM,
            url="https://turnbackhoax.id/2026/hoaks-bendungan-sutami-jebol/",
            published_at=debunked_at,
        )
        confirmed = await make_claim(
            session,
            claim=CLAIM + " (klarifikasi)",
            verdict="clarification",
            published_at=debunked_at,
        )
        watched_id, other_id, claim_id = watched.id, other.id, claim.id
        confirmed_id = confirmed.id
    # Before the debunk the claim circulated: that spread is what the debunk answered.
    await _repeat(
        db, claim_id, at=debunked_at - timedelta(hours=5), now=now, watchlist_id=watched_id, n=3
    )
    # A clarification is not a debunk: its repeats never alert.
    await _repeat(
        db, confirmed_id, at=now - timedelta(hours=3), now=now, watchlist_id=watched_id, n=4
    )
    again = await _repeat(
        db, claim_id, at=now - timedelta(hours=3), now=now, watchlist_id=watched_id, n=2
    )
    await _repeat(db, claim_id, at=now - timedelta(hours=2), now=now, watchlist_id=other_id)

    with receiver() as hook:
        webhook = await client.post(
            "/v1/webhooks", json={"name": "krisis", "url": hook.url}, headers=admin
        )
        rule = await client.post(
            "/v1/alert-rules",
            json={
                "name": "Hoaks Malang",
                "kind": "hoax_spread",
                "threshold": 3,
                "watchlist_id": watched_id,
                "webhook_id": webhook.json()["id"],
            },
            headers=analyst,
        )
        assert rule.status_code == 201, rule.text
        # Two repeats since the debunk in the watchlist (the third is another watchlist's).
        await run_feed_jobs(db, config=CONFIG, clock=lambda: now)
        assert hook.received == []

        again += await _repeat(
            db, claim_id, at=now - timedelta(hours=1), now=now, watchlist_id=watched_id
        )
        for _ in range(3):  # the alert goes out once; later ticks are in its cooldown
            await run_feed_jobs(db, config=CONFIG, clock=lambda: now)

    assert len(hook.received) == 1
    got = hook.received[0]
    secret = webhook.json()["secret"].encode()
    assert verify(
        got.headers["x-pantau-signature"], got.body, secret=secret, now=int(now.timestamp())
    )
    payload = json.loads(got.body)
    assert got.headers["idempotency-key"] == payload["id"]
    assert payload["subject"] == f"claim:{claim_id}"
    assert payload["reason"] == "hoax>=3"
    assert "3 articles and posts" in payload["message"] and CLAIM in payload["message"]
    assert payload["debunk"]["url"] == "https://turnbackhoax.id/2026/hoaks-bendungan-sutami-jebol/"
    assert payload["debunk"]["verdict_label"] == "HOAKS"
    assert payload["title"] == CLAIM
    assert payload["watchlists"] == ["Malang"]
    assert payload["link"] == f"https://pantau.example.id/v1/claims/{claim_id}"
    # The documents shown are the watchlist's repeats since the debunk, nothing older.
    assert {a["url"] for a in payload["top_articles"]} == set(again)
    deliveries = await client.get(
        f"/v1/alert-rules/{rule.json()['id']}/deliveries", headers=analyst
    )
    assert [d["status"] for d in deliveries.json()["items"]] == ["delivered"]
