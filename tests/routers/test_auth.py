from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from app.db import Database
from app.models import ApiKey


@pytest.mark.parametrize("path", ["/v1/sources", "/v1/articles", "/v1/issues", "/v1/issues/1"])
async def test_every_route_needs_a_key(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/unauthorized")


@pytest.mark.parametrize("token", ["nope", "pnt_" + "x" * 43, "Bearer", "pnt_"])
async def test_unknown_or_malformed_keys_are_refused(client: httpx.AsyncClient, token: str) -> None:
    response = await client.get("/v1/issues", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


async def test_viewer_reads_but_cannot_register_sources(
    client: httpx.AsyncClient, viewer: dict[str, str], analyst: dict[str, str]
) -> None:
    assert (await client.get("/v1/sources", headers=viewer)).status_code == 200
    for headers in (viewer, analyst):
        response = await client.post(
            "/v1/sources", json={"url": "https://a.id/rss", "kind": "feed"}, headers=headers
        )
        assert response.status_code == 403
        assert response.json()["type"].endswith("/forbidden")


async def test_keys_are_stored_hashed(db: Database, admin: dict[str, str]) -> None:
    secret = admin["Authorization"].removeprefix("Bearer ")
    async with db.sessionmaker() as session:
        stored = (await session.scalars(select(ApiKey))).all()
    assert all(secret not in (k.key_hash, k.prefix) for k in stored)
    assert all(len(k.key_hash) == 64 for k in stored)


async def test_health_is_open(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
