from __future__ import annotations

import httpx

from app.db import Database


async def test_entity_crud_and_roles(
    client: httpx.AsyncClient,
    db: Database,
    analyst: dict[str, str],
    viewer: dict[str, str],
) -> None:
    body = {"name": "Pemprov DKI", "aliases": ["Pemprov DKI Jakarta", " pemprov dki ", ""]}
    denied = await client.post("/v1/entities", json=body, headers=viewer)
    assert denied.status_code == 403
    assert denied.headers["content-type"].startswith("application/problem+json")

    created = await client.post("/v1/entities", json=body, headers=analyst)
    assert created.status_code == 201
    entity = created.json()
    assert entity["aliases"] == ["Pemprov DKI Jakarta"] and entity["active"] is True

    clash = await client.post("/v1/entities", json={"name": "pemprov dki"}, headers=analyst)
    assert clash.status_code == 409

    url = f"/v1/entities/{entity['id']}"
    changed = await client.patch(
        url, json={"active": False, "aliases": ["Pemerintah Provinsi DKI Jakarta"]}, headers=analyst
    )
    assert changed.json()["active"] is False
    assert changed.json()["aliases"] == ["Pemerintah Provinsi DKI Jakarta"]

    listed = await client.get("/v1/entities?active=false", headers=viewer)
    assert [e["name"] for e in listed.json()["items"]] == ["Pemprov DKI"]
    assert (await client.get("/v1/entities?active=true", headers=viewer)).json()["items"] == []

    assert (await client.delete(url, headers=viewer)).status_code == 403
    assert (await client.delete(url, headers=analyst)).status_code == 204
    missing = await client.get(url, headers=viewer)
    assert missing.status_code == 404 and missing.json()["type"].endswith("not-found")
