"""Source health over the API: failing sources with reasons, attempts, admin changes."""

from __future__ import annotations

from datetime import timedelta

import httpx

from app.db import Database
from app.models import FetchAttempt, utcnow
from tests.factories import make_article, make_source


async def test_unhealthy_sources_are_listed_with_reason_and_since_when(
    client: httpx.AsyncClient, viewer: dict[str, str], db: Database
) -> None:
    since = utcnow() - timedelta(days=3)
    async with db.writer.begin() as session:
        bad = await make_source(
            session,
            error_count=9,
            last_status="error",
            last_error="HTTP 410 Gone: the publisher removed this feed",
            last_error_kind="hard",
            failing_since=since,
        )
        good = await make_source(session)
        await make_article(session, source_id=good.id)
        await make_article(session, source_id=good.id, fetched_at=utcnow() - timedelta(days=2))
    for url in ("/v1/sources/unhealthy", "/v1/sources?unhealthy=true"):
        page = (await client.get(url, headers=viewer)).json()
        assert [s["id"] for s in page["items"]] == [bad.id]
        row = page["items"][0]
        assert row["healthy"] is False and row["error_count"] == 9
        assert "410 Gone" in row["last_error"] and row["last_error_kind"] == "hard"
        assert row["failing_since"].startswith(since.strftime("%Y-%m-%dT%H:%M"))
    one = (await client.get(f"/v1/sources/{good.id}", headers=viewer)).json()
    assert one["items_last_24h"] == 1 and one["healthy"] is True and one["failing_since"] is None


async def test_attempts_are_listed_newest_first_with_a_cursor(
    client: httpx.AsyncClient, viewer: dict[str, str], db: Database
) -> None:
    start = utcnow() - timedelta(hours=5)
    async with db.writer.begin() as session:
        source = await make_source(session)
        for n in range(5):
            session.add(
                FetchAttempt(
                    source_id=source.id,
                    started_at=start + timedelta(minutes=n),
                    status="error" if n == 4 else "not_modified",
                    http_status=503 if n == 4 else 304,
                    error="HTTP 503" if n == 4 else None,
                )
            )
    url = f"/v1/sources/{source.id}/attempts?limit=2"
    seen: list[int] = []
    statuses: list[int] = []
    while url:
        page = (await client.get(url, headers=viewer)).json()
        statuses += [a["http_status"] for a in page["items"]]
        seen += [a["id"] for a in page["items"]]
        url = page["page"]["next"]
    assert len(seen) == 5 and seen == sorted(seen, reverse=True)
    assert statuses[0] == 503
    missing = await client.get("/v1/sources/999999/attempts", headers=viewer)
    assert missing.status_code == 404


async def test_admin_can_disable_rename_and_override_a_source(
    client: httpx.AsyncClient, admin: dict[str, str], analyst: dict[str, str], db: Database
) -> None:
    async with db.writer.begin() as session:
        source = await make_source(session)
    url = f"/v1/sources/{source.id}"
    forbidden = await client.patch(url, json={"enabled": False}, headers=analyst)
    assert forbidden.status_code == 403
    changed = await client.patch(
        url,
        json={
            "enabled": False,
            "name": "Kompas Nasional",
            "tier": 1,
            "poll_interval_override": 600,
        },
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["enabled"], body["name"], body["tier"]) == (False, "Kompas Nasional", 1)
    assert body["poll_interval_override"] == 600 and body["poll_interval"] == 600
    cleared = (await client.patch(url, json={"poll_interval_override": None}, headers=admin)).json()
    assert cleared["poll_interval_override"] is None
    for bad in ({"tier": 7}, {"enabled": None}, {"url": "https://x.id"}):
        refused = await client.patch(url, json=bad, headers=admin)
        assert refused.status_code == 422, bad
        assert refused.headers["content-type"].startswith("application/problem+json")


async def test_admin_can_delete_a_source_and_its_articles_stay(
    client: httpx.AsyncClient, admin: dict[str, str], viewer: dict[str, str], db: Database
) -> None:
    async with db.writer.begin() as session:
        source = await make_source(session)
        article = await make_article(session, source_id=source.id)
        session.add(FetchAttempt(source_id=source.id, status="ok", http_status=200))
    url = f"/v1/sources/{source.id}"
    assert (await client.delete(url, headers=viewer)).status_code == 403
    assert (await client.delete(url, headers=admin)).status_code == 204
    assert (await client.get(url, headers=admin)).status_code == 404
    assert (await client.delete(url, headers=admin)).status_code == 404
    kept = await client.get(f"/v1/articles/{article.id}", headers=admin)
    assert kept.status_code == 200 and kept.json().get("source_id") in (None,)
