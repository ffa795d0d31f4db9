"""The clustering stage against the database: a clusterer kept between batches."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import delete, select, update

from app.db import Database
from app.models import Article, Issue, IssueArticle, IssueEvent, StoryGroup, utcnow
from app.services import clustering
from app.services.clustering import cluster_pending
from tests.factories import make_article
from tests.feed.realdata import real_articles

Partition = set[tuple[frozenset[int], str]]


async def _cluster_all(db: Database, before_batch: Callable[[], None]) -> Partition:
    """Cluster every pending article in batches of 40; the issues as (members, snapshot)."""
    while True:
        before_batch()
        async with db.writer.begin() as session:
            if (await cluster_pending(session, limit=40)).clustered == 0:
                break
    async with db.sessionmaker() as session:
        links = (
            await session.execute(select(IssueArticle.issue_id, IssueArticle.article_id))
        ).all()
        states = dict((await session.execute(select(Issue.id, Issue.cluster_state))).all())
    members: dict[int, set[int]] = {}
    for issue_id, article_id in links:
        members.setdefault(issue_id, set()).add(article_id)
    return {(frozenset(m), repr(states[i])) for i, m in members.items()}


async def _reset(db: Database) -> None:
    async with db.writer.begin() as session:
        for model in (IssueArticle, IssueEvent, Issue):
            await session.execute(delete(model))
        await session.execute(update(Article).values(grouped_at=None))


async def test_a_clusterer_kept_between_batches_places_as_one_rebuilt_per_batch(
    db: Database,
) -> None:
    corpus = sorted(real_articles(), key=lambda a: (a.published_at, a.id))[:240]
    now = utcnow()
    async with db.writer.begin() as session:
        groups = [StoryGroup(title=f"g{n}") for n in range(0, len(corpus), 5)]
        session.add_all(groups)
        await session.flush()
        for n, a in enumerate(corpus):
            await make_article(
                session,
                title=a.title,
                body=a.body,
                outlet=a.outlet,
                published_at=a.published_at,
                # Some story groups shared by articles of different events and batches.
                story_group_id=groups[(n * 7) % len(groups)].id if n % 5 == 0 else None,
                label="negative" if n % 4 == 0 else "neutral",
                negativity=0.8 if n % 4 == 0 else 0.2,
                scored_at=now,
                matched_at=now,
            )
    clustering._HELD.clear()
    kept = await _cluster_all(db, lambda: None)
    assert clustering._HELD  # the clusterer was kept between batches
    await _reset(db)
    rebuilt = await _cluster_all(db, clustering._HELD.clear)
    assert kept == rebuilt
    assert len(kept) > 20  # several issues, several of them touched by several batches
    assert any(len(m) > 3 for m, _ in kept)
