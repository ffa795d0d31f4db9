from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from app.db import Database
from tests.factories import make_article, make_source

BASE = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)


async def _seed(db: Database) -> int:
    async with db.writer.begin() as session:
        source = await make_source(session)
        for n in range(7):
            await make_article(
                session,
                source_id=source.id,
                published_at=BASE + timedelta(hours=n // 2),
                label="negative" if n % 2 else "neutral",
                negativity=0.9 if n % 2 else 0.2,
            )
        return source.id


async def test_articles_newest_first_with_stable_cursor(
    client: httpx.AsyncClient, db: Database, viewer: dict[str, str]
) -> None:
    await _seed(db)
    seen: list[tuple[str, int]] = []
    url: str | None = "/v1/articles?limit=3"
    while url:
        page = (await client.get(url, headers=viewer)).json()
        seen += [(a["published_at"], a["id"]) for a in page["items"]]
        url = page["page"]["next"]
    assert len(seen) == 7 and len(set(seen)) == 7
    assert seen == sorted(seen, reverse=True)


async def test_article_filters(
    client: httpx.AsyncClient, db: Database, viewer: dict[str, str]
) -> None:
    source_id = await _seed(db)
    negative = (await client.get("/v1/articles?label=negative", headers=viewer)).json()["items"]
    assert len(negative) == 3 and {a["label"] for a in negative} == {"negative"}
    # a WIB (UTC+7) bound: 2026-11-20 08:00 WIB is 01:00 UTC
    since = (
        await client.get(
            "/v1/articles", params={"since": "2026-11-20T08:00:00+07:00"}, headers=viewer
        )
    ).json()["items"]
    assert all(a["published_at"] >= "2026-11-20T01:00:00" for a in since) and len(since) == 5
    by_source = await client.get(f"/v1/articles?source_id={source_id}", headers=viewer)
    assert len(by_source.json()["items"]) == 7
    assert (await client.get("/v1/articles?source_id=987654", headers=viewer)).json()["items"] == []


async def test_bad_article_parameters_are_422(
    client: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    for query in (
        "label=awful",
        "since=yesterday",
        "limit=0",
        "limit=100000",
        "since=2026-11-21T00:00:00Z&until=2026-11-20T00:00:00Z",
    ):
        response = await client.get(f"/v1/articles?{query}", headers=viewer)
        assert response.status_code == 422, query


async def test_article_detail_and_404(
    client: httpx.AsyncClient, db: Database, viewer: dict[str, str]
) -> None:
    async with db.writer.begin() as session:
        article = await make_article(session, body="Isi berita", explanation={"terms": []})
    detail = (await client.get(f"/v1/articles/{article.id}", headers=viewer)).json()
    assert detail["body"] == "Isi berita" and detail["explanation"] == {"terms": []}
    assert (await client.get("/v1/articles/424242", headers=viewer)).status_code == 404
