"""Full-text search in Indonesian and English, on both backends."""

from __future__ import annotations

import httpx
import pytest

from app.db import Database
from tests.factories import make_article

ARTICLES = [
    ("id", "Banjir besar melanda Jakarta Utara", "Warga mengungsi karena banjir setinggi dada."),
    (
        "id",
        "Harga beras naik menjelang Lebaran",
        "Pedagang pasar mengeluhkan harga beras <b>mahal</b>.",
    ),
    ("id", "Jalan tol baru diresmikan presiden", "Jalan tol sepanjang 40 km itu dibuka hari ini."),
    (
        "en",
        "Protesters clash with police in Jakarta",
        "Police fired tear gas at protesters near the palace.",
    ),
    ("en", "Rice prices climb ahead of Eid", "Traders say rice shortages push prices higher."),
]


async def _seed(db: Database) -> dict[str, int]:
    ids = {}
    async with db.writer.begin() as session:
        for language, title, body in ARTICLES:
            article = await make_article(session, language=language, title=title, body=body)
            ids[title.split()[0].lower()] = article.id
    return ids


async def _search(
    client: httpx.AsyncClient, headers: dict[str, str], q: str, **params: str
) -> list[dict[str, object]]:
    response = await client.get("/v1/articles", params={"q": q, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_search_in_indonesian(
    client: httpx.AsyncClient, db: Database, viewer: dict[str, str]
) -> None:
    ids = await _seed(db)
    assert [a["id"] for a in await _search(client, viewer, "banjir")] == [ids["banjir"]]
    assert [a["id"] for a in await _search(client, viewer, '"jalan tol"')] == [ids["jalan"]]
    assert [a["id"] for a in await _search(client, viewer, "BERAS lebaran")] == [ids["harga"]]
    assert await _search(client, viewer, "beras -lebaran") == []


async def test_search_in_english(
    client: httpx.AsyncClient, db: Database, viewer: dict[str, str]
) -> None:
    ids = await _seed(db)
    found = {a["id"] for a in await _search(client, viewer, "protester police")}
    assert found == {ids["protesters"]}
    either = {a["id"] for a in await _search(client, viewer, "protesters OR shortages")}
    assert either == {ids["protesters"], ids["rice"]}
    english_only = await _search(client, viewer, "rice", language="en")
    assert [a["id"] for a in english_only] == [ids["rice"]]


async def test_search_highlights_are_marked_and_escaped(
    client: httpx.AsyncClient, db: Database, viewer: dict[str, str]
) -> None:
    await _seed(db)
    (hit,) = await _search(client, viewer, "mahal")
    highlight = str(hit["highlight"])
    assert "<mark>mahal</mark>" in highlight
    # article text never becomes markup: escaped (SQLite) or dropped as a tag (PostgreSQL)
    assert "<b>" not in highlight


@pytest.mark.parametrize(
    "q", ['"unclosed phrase', "-only -exclusions", "OR beras", "beras OR", "!!! ???", "x" * 301]
)
async def test_search_syntax_errors_are_422(
    client: httpx.AsyncClient, viewer: dict[str, str], q: str
) -> None:
    response = await client.get("/v1/articles", params={"q": q}, headers=viewer)
    assert response.status_code == 422, q
    assert response.headers["content-type"] == "application/problem+json"


async def test_hostile_search_text_is_only_data(
    client: httpx.AsyncClient, db: Database, viewer: dict[str, str]
) -> None:
    await _seed(db)
    for q in ("banjir' OR 1=1 --", "NEAR(banjir warga) title:x", "banjir*) OR (x", "a\x00b"):
        response = await client.get("/v1/articles", params={"q": q}, headers=viewer)
        assert response.status_code in (200, 422), q


async def test_search_combines_with_filters_and_paging(
    client: httpx.AsyncClient, db: Database, viewer: dict[str, str]
) -> None:
    async with db.writer.begin() as session:
        for n in range(5):
            await make_article(
                session, title=f"Banjir hari {n}", label="negative", negativity=0.1 * n
            )
    found = await _search(client, viewer, "banjir", min_negativity="0.15", limit="2")
    assert len(found) == 2 and all(float(str(a["negativity"])) >= 0.15 for a in found)
