from __future__ import annotations

import httpx


async def test_register_list_and_get_a_source(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    body = {
        "url": "https://www.antaranews.com/rss/terkini.xml?utm_source=x",
        "name": "ANTARA",
        "language": "id",
        "tier": 1,
        "kind": "feed",
    }
    created = await client.post("/v1/sources", json=body, headers=admin)
    assert created.status_code == 201, created.text
    source = created.json()
    assert source["url"] == "https://www.antaranews.com/rss/terkini.xml"
    assert source["kind"] == "feed" and source["healthy"] is True and source["last_status"] is None
    listed = (await client.get("/v1/sources", headers=admin)).json()
    assert [s["id"] for s in listed["items"]] == [source["id"]]
    one = await client.get(f"/v1/sources/{source['id']}", headers=admin)
    assert one.json()["name"] == "ANTARA"


async def test_duplicate_source_is_a_conflict(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await client.post(
        "/v1/sources", json={"url": "https://a.id/rss", "kind": "feed"}, headers=admin
    )
    again = await client.post(
        "/v1/sources", json={"url": "HTTPS://A.ID/rss#x", "kind": "feed"}, headers=admin
    )
    assert again.status_code == 409
    assert again.json()["type"].endswith("/conflict")


async def test_invalid_source_input_is_a_422_problem(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    for body in (
        {"url": "ftp://a.id/x"},
        {"url": "https://a.id", "tier": 9},
        {"url": "https://a.id", "kind": "x"},
    ):
        response = await client.post("/v1/sources", json=body, headers=admin)
        assert response.status_code == 422, body
        assert response.json()["type"].endswith("/invalid-input")


async def test_missing_source_is_404(client: httpx.AsyncClient, viewer: dict[str, str]) -> None:
    response = await client.get("/v1/sources/999999", headers=viewer)
    assert response.status_code == 404
    assert response.json()["type"].endswith("/not-found")


async def test_source_list_pages_with_a_cursor(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    for n in range(5):
        await client.post(
            "/v1/sources", json={"url": f"https://s{n}.id/rss", "kind": "feed"}, headers=admin
        )
    seen: list[int] = []
    url: str | None = "/v1/sources?limit=2"
    while url:
        page = (await client.get(url, headers=admin)).json()
        seen += [s["id"] for s in page["items"]]
        url = page["page"]["next"]
    assert len(seen) == 5 and seen == sorted(seen)
    bad = await client.get("/v1/sources?cursor=garbage!!", headers=admin)
    assert bad.status_code == 422
