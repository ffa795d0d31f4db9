"""Regressions for what API fuzzing found: each was a 500, an undocumented answer or a gap."""

from __future__ import annotations

import httpx
import pytest

HUGE = "1144483283330665414656"  # > 2**63: SQLite's driver overflowed; > 2**31: asyncpg did


@pytest.mark.parametrize(
    "path",
    [
        f"/v1/sources/{HUGE}",
        f"/v1/sources/{HUGE}/attempts",
        "/v1/sources/2147483648",
        f"/v1/articles/{HUGE}",
        f"/v1/articles/{HUGE}/labels",
        f"/v1/issues/{HUGE}",
        f"/v1/entities/{HUGE}",
        f"/v1/articles?source_id={HUGE}",
        f"/v1/articles?source_id=-{HUGE}",
        f"/v1/stats/top-terms?source_id={HUGE}",
        "/v1/stats/timeline?source_id=2147483648",
    ],
)
async def test_ids_beyond_the_column_range_are_422_not_500(
    client: httpx.AsyncClient, admin: dict[str, str], path: str
) -> None:
    response = await client.get(path, headers=admin)
    assert response.status_code == 422, response.text


async def test_405_lists_every_method_of_the_path(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    cases = {
        "/v1/sources": "GET, POST",
        "/v1/sources/1": "DELETE, GET, PATCH",
        "/v1/sources/unhealthy": "GET",
        "/v1/articles/1": "DELETE, GET",
    }
    for path, allow in cases.items():
        response = await client.request("TRACE", path, headers=admin)
        assert response.status_code == 405
        assert response.headers["allow"] == allow, path


async def test_booleans_are_not_coerced_from_numbers(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    created = await client.post(
        "/v1/sources", headers=admin, json={"url": "https://example.com/rss.xml", "kind": "feed"}
    )
    assert created.status_code == 201
    source_id = created.json()["id"]
    response = await client.patch(f"/v1/sources/{source_id}", headers=admin, json={"enabled": 0})
    assert response.status_code == 422
    response = await client.post("/v1/entities", headers=admin, json={"name": "X", "active": 1})
    assert response.status_code == 422


async def test_malformed_json_and_unknown_ids_are_documented(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    post_sources = schema["paths"]["/v1/sources"]["post"]["responses"]
    assert "400" in post_sources
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if "{" in path:
                assert "404" in operation["responses"], f"{method} {path}"
            if "requestBody" in operation:
                assert "400" in operation["responses"], f"{method} {path}"
