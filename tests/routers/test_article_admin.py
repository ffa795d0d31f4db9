"""DELETE /v1/articles/{id}: analysts remove articles; a tombstone keeps them out."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from app.db import Database
from app.models import Article, Tombstone
from tests.factories import make_article


async def test_analyst_deletes_an_article_and_it_is_tombstoned(
    db: Database, client: httpx.AsyncClient, analyst: dict[str, str], viewer: dict[str, str]
) -> None:
    async with db.writer.begin() as session:
        article = await make_article(session)
    assert (await client.delete(f"/v1/articles/{article.id}", headers=viewer)).status_code == 403
    response = await client.delete(f"/v1/articles/{article.id}", headers=analyst)
    assert response.status_code == 204
    assert (await client.get(f"/v1/articles/{article.id}", headers=viewer)).status_code == 404
    again = await client.delete(f"/v1/articles/{article.id}", headers=analyst)
    assert again.status_code == 404
    assert again.headers["content-type"].startswith("application/problem+json")
    async with db.sessionmaker() as session:
        row = await session.get(Article, article.id)
        tombstone = await session.scalar(select(Tombstone))
    assert row is not None and row.deleted_at is not None
    assert tombstone is not None and tombstone.url_hash == article.url_hash
    assert tombstone.article_id == article.id and "api key" in (tombstone.created_by or "")


async def test_delete_needs_a_key(db: Database, client: httpx.AsyncClient) -> None:
    assert (await client.delete("/v1/articles/1")).status_code == 401
