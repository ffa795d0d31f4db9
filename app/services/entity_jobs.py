"""Entity re-scans: stored articles re-scored for the watched entities, batch by batch.

A new or edited entity reaches past coverage here: each step re-scores a batch of stored
articles against every active entity (the per-entity results in ``article.targets`` that
``?entity=`` filters, severity and stats read), recounts the issues whose articles changed,
and commits its progress with its results, so the job resumes after a crash. Progress is
the job row (``GET /v1/entities/{id}/rescan``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import Database, drain_jobs, skip_locked
from app.models import Article, EntityJob, JobState, WatchedEntity, utcnow
from app.services.entities import active_entities
from app.services.feed_config import FeedConfig
from app.services.labels import refresh_issues
from app.services.scoring import score_articles

if TYPE_CHECKING:
    from app.scoring import Scorer


def _mentions(targets: list[dict[str, Any]] | None, name: str) -> int:
    folded = name.casefold()
    for target in targets or []:
        if str(target.get("name", "")).casefold() == folded:
            count = target.get("mentions")
            return int(count) if isinstance(count, int | float) else 0
    return 0


async def entity_job_batch(
    session: AsyncSession, *, job_id: int, scorer: Scorer | Callable[[], Scorer], config: FeedConfig
) -> bool:
    """One committed step of a re-scan; False once the job has nothing left to do."""
    query = skip_locked(
        session,
        select(EntityJob).where(
            EntityJob.id == job_id, EntityJob.state.in_([JobState.PENDING, JobState.RUNNING])
        ),
    )
    job = await session.scalar(query)
    if job is None:
        return False
    entity = await session.get(WatchedEntity, job.entity_id)
    if entity is None or not entity.active:
        job.state, job.finished_at = JobState.CANCELLED, utcnow()
        return False
    # Not SKIP LOCKED: an article skipped here would never carry the entity's result.
    articles = list(
        (
            await session.scalars(
                select(Article)
                .where(
                    Article.id > job.after_id,
                    Article.scored_at.is_not(None),
                    Article.deleted_at.is_(None),
                )
                .order_by(Article.id)
                .limit(config.entity_job_batch)
            )
        ).all()
    )
    job.state = JobState.RUNNING
    if articles:
        before = {
            a.id: (a.label, a.negativity, _mentions(a.targets, entity.name)) for a in articles
        }
        from app.scoring.scorer import Scorer  # numpy and the model, only when a job scores

        await score_articles(
            session,
            articles,
            scorer=scorer if isinstance(scorer, Scorer) else scorer(),
            entities=await active_entities(session),
        )
        now = {a.id: (a.label, a.negativity, _mentions(a.targets, entity.name)) for a in articles}
        await session.flush()
        await refresh_issues(session, article_ids=[i for i in now if now[i] != before[i]])
        job.after_id = articles[-1].id
        job.done += len(articles)
        job.mentioned += sum(1 for value in now.values() if value[2] > 0)
    if len(articles) < config.entity_job_batch:
        job.state, job.finished_at = JobState.DONE, utcnow()
        job.total = max(job.total, job.done)
        return False
    return True


async def run_entity_jobs(
    database: Database, *, scorer: Scorer | Callable[[], Scorer], config: FeedConfig
) -> int:
    """Work through open re-scans, oldest first, within ``rematch_seconds``; ``scorer`` may be
    a function that loads it, called only when there is a re-scan to run."""
    return await drain_jobs(
        database,
        select(EntityJob.id)
        .where(EntityJob.state.in_([JobState.PENDING, JobState.RUNNING]))
        .order_by(EntityJob.id),
        lambda session, job_id: entity_job_batch(
            session, job_id=job_id, scorer=scorer() if callable(scorer) else scorer, config=config
        ),
        seconds=config.rematch_seconds,
    )
