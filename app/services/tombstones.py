"""Deleting articles: a soft delete plus a tombstone, so ingestion never brings them back."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import insert_or_ignore
from app.errors import NotFound
from app.models import Article, Tombstone, utcnow
from app.services.stories import recount_group


async def delete_article(
    session: AsyncSession, *, article_id: int, actor: str | None, reason: str = "deleted"
) -> None:
    """Soft-delete an article and tombstone its canonical URL hash (idempotent per URL)."""
    article = await session.scalar(
        select(Article).where(Article.id == article_id, Article.deleted_at.is_(None))
    )
    if article is None:
        raise NotFound(f"article {article_id} does not exist")
    now = utcnow()
    article.deleted_at = now
    await session.execute(
        insert_or_ignore(session, Tombstone, index_elements=["url_hash"]).values(
            url_hash=article.url_hash,
            url=article.url,
            article_id=article.id,
            reason=reason,
            created_by=actor,
            created_at=now,
        )
    )
    await session.flush()
    if article.story_group_id is not None:
        await recount_group(session, group_id=article.story_group_id)
