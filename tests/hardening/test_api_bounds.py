"""Issue 18's 500s are 4xx with a readable message (both backends, through the HTTP API)."""

from __future__ import annotations

import httpx
import pytest

from app.config import Settings
from app.db import Database
from app.main import create_app


async def test_the_same_non_ascii_entity_name_twice_is_a_conflict(
    client: httpx.AsyncClient, analyst: dict[str, str]
) -> None:
    for name, again in [
        ("Ästhetik Öl", "Ästhetik Öl"),
        ("Ökonomi Ümat", "ökonomi ümat"),  # differing only in the case of non-ASCII letters
        ("Пример", "пример"),
        ("İstanbul Şehir", "İstanbul Şehir"),
    ]:
        first = await client.post("/v1/entities", json={"name": name}, headers=analyst)
        assert first.status_code == 201, first.text
        second = await client.post("/v1/entities", json={"name": again}, headers=analyst)
        assert second.status_code == 409, (name, second.status_code, second.text)
        assert "already exists" in second.json()["detail"]


async def _rule(client: httpx.AsyncClient, admin: dict[str, str]) -> int:
    hook = await client.post(
        "/v1/webhooks", json={"name": "h", "url": "https://93.184.216.34/hook"}, headers=admin
    )
    rule = await client.post(
        "/v1/alert-rules",
        json={
            "name": "r",
            "kind": "severity_above",
            "threshold": 70,
            "webhook_id": hook.json()["id"],
        },
        headers=admin,
    )
    assert rule.status_code == 201, rule.text
    return int(rule.json()["id"])


@pytest.mark.parametrize(
    "change",
    [{"webhook_id": 9999}, {"watchlist_id": 9999}, {"webhook_id": 2**31 - 1}],
)
async def test_patching_a_rule_to_name_a_missing_webhook_or_watchlist_is_422(
    client: httpx.AsyncClient, admin: dict[str, str], change: dict[str, int]
) -> None:
    rule_id = await _rule(client, admin)
    patched = await client.patch(f"/v1/alert-rules/{rule_id}", json=change, headers=admin)
    assert patched.status_code == 422, patched.text
    assert "does not exist" in patched.json()["detail"]


@pytest.mark.parametrize(
    "query",
    [
        "subject_id=-99999999999999999999999",
        "subject_id=99999999999999999999999",
        "subject_id=-1",
    ],
)
async def test_spikes_with_an_impossible_subject_id_is_422(
    client: httpx.AsyncClient, analyst: dict[str, str], query: str
) -> None:
    response = await client.get(f"/v1/spikes?{query}", headers=analyst)
    assert response.status_code == 422, response.text


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01"])
async def test_a_digest_for_an_impossible_day_is_422(
    client: httpx.AsyncClient, analyst: dict[str, str], day: str
) -> None:
    response = await client.get(f"/v1/digest?date={day}", headers=analyst)
    assert response.status_code == 422, response.text


async def test_watchlists_refuse_entities_that_do_not_exist(
    client: httpx.AsyncClient, analyst: dict[str, str]
) -> None:
    for ids in ([999], [1, 2**31 - 1]):
        response = await client.post(
            "/v1/watchlists", json={"name": f"w{ids[0]}", "entity_ids": ids}, headers=analyst
        )
        assert response.status_code == 422, response.text
    huge = await client.post(
        "/v1/watchlists", json={"name": "w", "entity_ids": [2**70]}, headers=analyst
    )
    assert huge.status_code == 422


@pytest.mark.parametrize("size", [10_000, 200_000])
async def test_validators_answer_422_for_any_length(
    client: httpx.AsyncClient, analyst: dict[str, str], size: int
) -> None:
    for path, body in [
        ("/v1/entities", {"name": "x" * size}),
        ("/v1/entities", {"name": "KPK", "aliases": ["a" * size]}),
        ("/v1/watchlists", {"name": "w", "query": "a " * size}),
        ("/v1/watchlists/test", {"query": "(" * size}),
    ]:
        response = await client.post(path, json=body, headers=analyst)
        assert response.status_code in (413, 422), (path, response.status_code)


async def test_invalid_keys_are_limited_per_client_address(
    client: httpx.AsyncClient, db: Database
) -> None:
    """Each invalid key costs a lookup; past the burst an address gets 429 without one."""
    settings = Settings(
        database_url=db.url,
        scheduler_enabled=False,
        environment="test",
        rate_limit_per_minute=0,
        invalid_key_per_minute=6,
        invalid_key_burst=5,
    )
    app = create_app(settings, database=db)
    app.state.database = db
    statuses = []
    for client_address in (("10.0.0.1", 1000), ("10.0.0.2", 1000)):
        transport = httpx.ASGITransport(app=app, client=client_address)
        async with httpx.AsyncClient(transport=transport, base_url="http://pantau.test") as http:
            for n in range(8):
                bad = {"Authorization": f"Bearer pnt_{'x' * 20}{n}"}
                statuses.append((await http.get("/v1/articles", headers=bad)).status_code)
            limited = await http.get("/v1/articles", headers={"Authorization": "Bearer pnt_y"})
            assert "Retry-After" in limited.headers
    # Five tries, then 429 for that address; the next address has its own five.
    assert statuses == [401] * 5 + [429] * 3 + [401] * 5 + [429] * 3
