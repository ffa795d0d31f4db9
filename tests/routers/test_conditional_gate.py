"""The conditional GET gate: 304s answered before routing behave like the routed ones."""

from __future__ import annotations

from typing import Any

import httpx

from app.config import Settings
from app.db import Database
from app.main import create_app
from app.models import Issue
from tests.factories import make_issue


def _client(db: Database, **overrides: Any) -> httpx.AsyncClient:
    settings = Settings(
        database_url=db.url,
        scheduler_enabled=False,
        environment="test",
        etag_cache_seconds=0,
        **{"api_key_cache_seconds": 60, "rate_limit_per_minute": 0, **overrides},
    )
    app = create_app(settings, database=db)
    app.state.database = db
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://pantau.test")


async def test_gate_answers_304_with_the_routed_headers_and_never_after_a_change(
    db: Database, viewer: dict[str, str]
) -> None:
    async with db.writer.begin() as session:
        issue = await make_issue(session)
    async with _client(db) as client:
        first = await client.get("/v1/issues", headers=viewer)  # caches the key
        etag = first.headers["etag"]
        again = await client.get("/v1/issues", headers={**viewer, "If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        for name in ("etag", "last-modified", "x-poll-interval", "cache-control"):
            assert again.headers[name] == first.headers[name], name
        for name in ("x-request-id", "x-content-type-options", "content-security-policy"):
            assert again.headers[name], name
        assert "Authorization" in again.headers["vary"]
        stamp = first.headers["last-modified"]
        dated = await client.get("/v1/issues", headers={**viewer, "If-Modified-Since": stamp})
        assert dated.status_code == 304
        async with db.writer.begin() as session:
            row = await session.get(Issue, issue.id)
            assert row is not None
            row.severity = 90.0
        changed = await client.get("/v1/issues", headers={**viewer, "If-None-Match": etag})
        assert changed.status_code == 200 and changed.headers["etag"] != etag


async def test_gate_still_refuses_what_the_routed_path_refuses(
    db: Database, viewer: dict[str, str]
) -> None:
    async with _client(db) as client:
        etag = (await client.get("/v1/issues", headers=viewer)).headers["etag"]
        conditional = {**viewer, "If-None-Match": etag}
        assert (await client.get("/v1/issues", headers={"If-None-Match": etag})).status_code == 401
        wrong = {"Authorization": "Bearer pnt_nope", "If-None-Match": etag}
        assert (await client.get("/v1/issues", headers=wrong)).status_code == 401
        csv_only = {**conditional, "Accept": "text/csv"}
        assert (await client.get("/v1/issues", headers=csv_only)).status_code == 406
        # another query string is another resource
        assert (await client.get("/v1/issues?limit=5", headers=conditional)).status_code == 200


async def test_gate_charges_the_rate_limit_once_and_answers_429_when_spent(
    db: Database, viewer: dict[str, str]
) -> None:
    async with _client(db, rate_limit_per_minute=60, rate_limit_burst=3) as client:
        first = await client.get("/v1/issues", headers=viewer)
        conditional = {**viewer, "If-None-Match": first.headers["etag"]}
        answers = [await client.get("/v1/issues", headers=conditional) for _ in range(3)]
        assert [a.status_code for a in answers] == [304, 304, 429]
        assert answers[0].headers["ratelimit-remaining"] == "1"
        assert answers[-1].json()["type"].endswith("/rate-limited")


async def test_stats_304_is_answered_by_the_gate_too(db: Database, viewer: dict[str, str]) -> None:
    async with _client(db) as client:
        url = "/v1/stats/timeline?since=2026-11-01&until=2026-11-02"
        etag = (await client.get(url, headers=viewer)).headers["etag"]
        again = await client.get(url, headers={**viewer, "If-None-Match": etag})
        assert again.status_code == 304
        other = await client.get(url + "&interval=day", headers={**viewer, "If-None-Match": etag})
        assert other.status_code == 200


async def test_unchanged_page_is_served_again_and_a_change_is_seen_at_once(
    db: Database, viewer: dict[str, str]
) -> None:
    async with db.writer.begin() as session:
        issue = await make_issue(session, severity=10.0)
    async with _client(db) as client:
        first = await client.get("/v1/issues?scope=all", headers=viewer)
        second = await client.get("/v1/issues?scope=all", headers=viewer)
        assert second.status_code == 200 and second.content == first.content
        assert second.headers["etag"] == first.headers["etag"]
        assert second.headers["x-request-id"] != first.headers["x-request-id"]
        assert second.headers["content-type"] == "application/json"
        async with db.writer.begin() as session:
            row = await session.get(Issue, issue.id)
            assert row is not None
            row.severity = 55.0
        third = await client.get("/v1/issues?scope=all", headers=viewer)
        assert third.headers["etag"] != first.headers["etag"]
        assert [i["severity"] for i in third.json()["items"]] == [55.0]
        # the body cache answers only keys it knows, with the routed refusals otherwise
        assert (await client.get("/v1/issues")).status_code == 401


async def test_body_cache_can_be_turned_off(db: Database, viewer: dict[str, str]) -> None:
    async with db.writer.begin() as session:
        await make_issue(session)
    async with _client(db, response_cache_bytes=0) as client:
        first = await client.get("/v1/issues", headers=viewer)
        again = await client.get("/v1/issues", headers=viewer)
        assert again.status_code == 200 and again.json() == first.json()
        app = client._transport.app  # type: ignore[attr-defined]
        (gate,) = [m.kwargs["gate"] for m in app.user_middleware if "gate" in m.kwargs]
        assert not gate._bodies
