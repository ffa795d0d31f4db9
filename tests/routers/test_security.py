"""Every route needs a key, every role is refused what it may not do, limits hold."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from fastapi import routing
from fastapi.openapi.utils import _get_api_route_for_openapi

from app.config import Settings
from app.db import Database
from app.main import create_app
from app.models import Role
from app.routers import web
from app.routers.deps import current_key

OPEN = {"/healthz", "/readyz"}  # probes; /docs and /openapi.json are not APIRoutes
# The crisis room's HTML pages: signed in by session cookie (tests/web), not by bearer key.
WEB = {r.path for r in web.router.routes}


def _dependency_calls(route: Any) -> list[Any]:
    calls, stack = [], [route.dependant]
    while stack:
        dependant = stack.pop()
        calls.append(dependant.call)
        stack.extend(dependant.dependencies)
    return calls


def _required_role(route: Any) -> Role:
    roles = [getattr(c, "required_role", None) for c in _dependency_calls(route)]
    return max((r for r in roles if r is not None), key=lambda r: r.rank, default=Role.VIEWER)


def _routes() -> list[Any]:
    """The application's routes as served, router-level dependencies included."""
    app = create_app(Settings(scheduler_enabled=False, environment="test"))
    found = []
    for context in routing.iter_route_contexts(app.routes):
        route = _get_api_route_for_openapi(context)
        if route is not None and hasattr(route, "dependant"):
            found.append(route)
    return found


def test_every_route_but_the_probes_requires_a_key() -> None:
    routes = _routes()
    assert {r.path for r in routes} >= {"/v1/issues", "/v1/keys", "/metrics", "/v1/stats/timeline"}
    for route in routes:
        calls = _dependency_calls(route)
        if route.path in OPEN or route.path in WEB:
            assert current_key not in calls, route.path
        elif route.path == "/metrics":
            assert any(getattr(c, "__name__", "") == "metrics_access" for c in calls)
        else:
            assert current_key in calls, f"{route.methods} {route.path} is not authenticated"


def _concrete(path: str) -> str:
    return (
        path.replace("{issue_id}", "1")
        .replace("{article_id}", "1")
        .replace("{source_id}", "1")
        .replace("{source_id:int}", "1")
        .replace("{key_id}", "999999")
        .replace("{watchlist_id}", "999999")
        .replace("{rule_id}", "999999")
        .replace("{webhook_id}", "999999")
    )


async def test_every_route_answers_401_without_a_key(client: httpx.AsyncClient) -> None:
    for route in _routes():
        if route.path in OPEN:
            continue
        if route.path in WEB:
            if route.path not in web.PUBLIC:  # a page without a session sends you to sign in
                response = await client.get(_concrete(route.path))
                assert response.status_code == 303, route.path
                assert response.headers["location"].startswith("/login?next=/")
            continue
        for method in route.methods:
            response = await client.request(method, _concrete(route.path), json={})
            assert response.status_code == 401, f"{method} {route.path}"
            assert response.json()["type"].endswith("/unauthorized")


async def test_every_role_is_refused_what_it_may_not_do(
    client: httpx.AsyncClient,
    viewer: dict[str, str],
    analyst: dict[str, str],
    admin: dict[str, str],
) -> None:
    keys = {Role.VIEWER: viewer, Role.ANALYST: analyst, Role.ADMIN: admin}
    checked = 0
    for route in _routes():
        if route.path in OPEN or route.path in WEB:
            continue
        needed = Role.ADMIN if route.path == "/metrics" else _required_role(route)
        for role, headers in keys.items():
            for method in route.methods:
                response = await client.request(method, _concrete(route.path), headers=headers)
                if role.rank < needed.rank:
                    assert response.status_code == 403, f"{role} {method} {route.path}"
                    checked += 1
                else:
                    assert response.status_code not in (401, 403), f"{role} {method} {route.path}"
    assert checked >= 6  # keys and sources writes for viewer and analyst, metrics


async def test_metrics_need_an_admin_key_unless_public(
    client: httpx.AsyncClient, viewer: dict[str, str], admin: dict[str, str], db: Database
) -> None:
    assert (await client.get("/metrics")).status_code == 401
    assert (await client.get("/metrics", headers=viewer)).status_code == 403
    await client.get("/v1/issues", headers=admin)
    body = (await client.get("/metrics", headers=admin)).text
    assert 'pantau_http_request_duration_seconds_count{method="GET",route="/v1/issues"' in body
    assert 'pantau_queue_depth{stage="score"}' in body
    public = create_app(
        Settings(database_url=db.url, scheduler_enabled=False, metrics_public=True), database=db
    )
    public.state.database = db
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=public), base_url="http://t"
    ) as open_client:
        assert (await open_client.get("/metrics")).status_code == 200


async def _app_client(db: Database, **overrides: Any) -> httpx.AsyncClient:
    settings = Settings(
        database_url=db.url, scheduler_enabled=False, environment="test", **overrides
    )
    app = create_app(settings, database=db)
    app.state.database = db
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://pantau.test")


async def test_rate_limited_key_gets_429_with_retry_after(
    db: Database, viewer: dict[str, str], analyst: dict[str, str]
) -> None:
    async with await _app_client(db, rate_limit_per_minute=60, rate_limit_burst=3) as client:
        answers = [await client.get("/v1/issues", headers=viewer) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert answers[0].headers["ratelimit-limit"] == "3"
        assert answers[0].headers["x-ratelimit-remaining"] == "2"
        refused = answers[-1]
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.headers["ratelimit-remaining"] == "0"
        assert refused.json()["type"].endswith("/rate-limited")
        # limits are per key
        assert (await client.get("/v1/issues", headers=analyst)).status_code == 200


async def test_key_admin_create_list_revoke(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    created = await client.post("/v1/keys", json={"name": "wall", "role": "viewer"}, headers=admin)
    assert created.status_code == 201
    secret = created.json()["secret"]
    new = {"Authorization": f"Bearer {secret}"}
    assert (await client.get("/v1/issues", headers=new)).status_code == 200
    listed = (await client.get("/v1/keys", headers=admin)).json()["items"]
    assert all("secret" not in k and "key_hash" not in k for k in listed)
    assert secret not in str(listed)
    key_id = created.json()["id"]
    assert (await client.delete(f"/v1/keys/{key_id}", headers=admin)).status_code == 200
    assert (await client.get("/v1/issues", headers=new)).status_code == 401


async def test_revocation_takes_effect_within_the_cache_ttl(
    db: Database, admin: dict[str, str]
) -> None:
    """Another process revokes the key: this one honours it once its cache entry expires."""
    now = [0.0]
    async with await _app_client(db, api_key_cache_seconds=5) as client:
        app = client._transport.app  # type: ignore[attr-defined]
        app.state.key_cache._clock = lambda: now[0]
        created = await client.post("/v1/keys", json={"name": "x", "role": "viewer"}, headers=admin)
        new = {"Authorization": f"Bearer {created.json()['secret']}"}
        assert (await client.get("/v1/issues", headers=new)).status_code == 200
        async with await _app_client(db) as other_process:
            revoked = await other_process.delete(f"/v1/keys/{created.json()['id']}", headers=admin)
            assert revoked.status_code == 200
        now[0] = 4.0
        assert (await client.get("/v1/issues", headers=new)).status_code == 200  # cached
        now[0] = 5.5
        assert (await client.get("/v1/issues", headers=new)).status_code == 401


async def test_last_admin_key_cannot_be_revoked(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    own = (await client.get("/v1/keys", headers=admin)).json()["items"][0]["id"]
    response = await client.delete(f"/v1/keys/{own}", headers=admin)
    assert response.status_code == 409


async def test_security_headers_and_request_id(
    client: httpx.AsyncClient, viewer: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="app.access"):
        response = await client.get("/v1/articles/9", headers={**viewer, "X-Request-ID": "abc-123"})
    assert response.status_code == 404
    headers = response.headers
    assert headers["x-request-id"] == "abc-123"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == "no-store"
    assert any(getattr(r, "request_id", None) == "abc-123" for r in caplog.records)
    generated = (await client.get("/healthz", headers={"X-Request-ID": "bad id\n"})).headers
    assert generated["x-request-id"] != "bad id\n" and len(generated["x-request-id"]) == 32


async def test_oversized_bodies_are_413(db: Database, admin: dict[str, str]) -> None:
    async with await _app_client(db, max_request_bytes=2048) as client:
        big = {"name": "x" * 5000, "role": "viewer"}
        response = await client.post("/v1/keys", json=big, headers=admin)
        assert response.status_code == 413
        assert response.json()["type"].endswith("/payload-too-large")

        async def chunks():  # type: ignore[no-untyped-def]
            for _ in range(5):
                yield b"x" * 1000

        streamed = await client.post(
            "/v1/keys", content=chunks(), headers={**admin, "Content-Type": "application/json"}
        )
        assert streamed.status_code == 413


async def test_not_acceptable_is_406(client: httpx.AsyncClient, viewer: dict[str, str]) -> None:
    response = await client.get("/v1/issues", headers={**viewer, "Accept": "text/html"})
    assert response.status_code == 406 and response.json()["type"].endswith("/not-acceptable")
    ok = await client.get("/v1/issues", headers={**viewer, "Accept": "application/json"})
    assert ok.status_code == 200


async def test_cors_is_closed_by_default_and_configurable(db: Database) -> None:
    preflight = {
        "Origin": "https://dash.example.id",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "Authorization",
    }
    async with await _app_client(db) as closed:
        response = await closed.options("/v1/issues", headers=preflight)
        assert "access-control-allow-origin" not in response.headers
    async with await _app_client(db, cors_origins=["https://dash.example.id"]) as opened:
        response = await opened.options("/v1/issues", headers=preflight)
        assert response.headers["access-control-allow-origin"] == "https://dash.example.id"


async def test_webhook_secret_is_shown_at_creation_and_never_again(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    created = await client.post(
        "/v1/webhooks",
        json={"name": "krisis", "url": "https://hooks.example.id/pantau"},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    assert len(secret) >= 32
    hook_id = created.json()["id"]
    answers = [
        await client.get("/v1/webhooks", headers=admin),
        await client.get(f"/v1/webhooks/{hook_id}", headers=admin),
        await client.patch(f"/v1/webhooks/{hook_id}", json={"name": "krisis 2"}, headers=admin),
        await client.get(f"/v1/webhooks/{hook_id}/deliveries", headers=admin),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert secret not in answer.text
        assert '"secret"' not in answer.text
