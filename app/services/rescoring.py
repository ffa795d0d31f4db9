"""Re-scoring stored articles after the model changes, in independent, resumable batches.

An article is stale when it was scored by another model version. Each batch is its own
transaction and moves its rows to the current version, so an interrupted run loses at most the
batch in flight and a re-run simply continues with the rows still stale. Analyst labels stay
effective (services/labels.py); issues whose articles changed label are recounted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import Database, skip_locked
from app.models import Article
from app.scoring import Entity
from app.services.entities import active_entities
from app.services.labels import refresh_issues
from app.services.scoring import score_articles

if TYPE_CHECKING:
    from app.scoring import Scorer


def _stale(model_version: str) -> Select[Any]:
    return select(Article).where(
        Article.scored_at.is_not(None),
        Article.deleted_at.is_(None),
        or_(Article.model_version.is_(None), Article.model_version != model_version),
    )


async def count_stale(session: AsyncSession, *, model_version: str) -> int:
    query = _stale(model_version).with_only_columns(func.count()).order_by(None)
    return int(await session.scalar(query) or 0)


async def rescore_batch(
    session: AsyncSession,
    *,
    scorer: Scorer,
    entities: Sequence[Entity],
    after_id: int,
    limit: int,
) -> tuple[int, int]:
    """Re-score up to `limit` stale articles with ids above `after_id`; returns (how many,
    the last id). PostgreSQL skips rows another re-scorer holds."""
    query = _stale(scorer.model_version).where(Article.id > after_id).order_by(Article.id)
    query = query.limit(limit)
    query = skip_locked(session, query)
    articles = list((await session.scalars(query)).all())
    if not articles:
        return 0, after_id
    before = {a.id: (a.label, a.negativity) for a in articles}
    await score_articles(session, articles, scorer=scorer, entities=entities)
    changed = [a.id for a in articles if before[a.id] != (a.label, a.negativity)]
    await session.flush()
    await refresh_issues(session, article_ids=changed)
    return len(articles), articles[-1].id


async def rescore_all(
    database: Database,
    *,
    scorer: Scorer,
    batch_size: int = 500,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Re-score every stale article, committing batch by batch; returns how many."""
    async with database.sessionmaker() as session:
        entities = await active_entities(session)
    total, after = 0, 0
    while True:
        async with database.writer.begin() as session:
            done, after = await rescore_batch(
                session, scorer=scorer, entities=entities, after_id=after, limit=batch_size
            )
        if not done:
            return total
        total += done
        if on_batch is not None:
            on_batch(done)
