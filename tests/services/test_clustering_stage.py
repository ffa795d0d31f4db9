"""The clustering stage against the database: a clusterer kept between batches."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import delete, select, update

from app.db import Database
from app.feed import clustering as feed_clustering
from app.feed.clustering import ClusterConfig, Terms, count_terms_batch
from app.models import Article, Issue, IssueArticle, IssueEvent, StoryGroup, utcnow
from app.services import clustering
from app.services.clustering import TermCounter, cluster_pending
from app.services.feed_config import FeedConfig
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


async def test_terms_counted_elsewhere_each_once_place_as_counted_here(db: Database) -> None:
    """With a counter (the CPU pool in the crawler), clustering and its IDF fit have each
    article's terms counted there once, and place every article as when counting itself."""
    corpus = sorted(real_articles(), key=lambda a: (a.published_at, a.id))[:150]
    now = utcnow()
    async with db.writer.begin() as session:
        for a in corpus:
            await make_article(
                session,
                title=a.title,
                body=a.body,
                outlet=a.outlet,
                published_at=a.published_at,
                scored_at=now,
                matched_at=now,
            )
    config = FeedConfig(cluster=replace(ClusterConfig(), lead_words=39))  # keys of its own
    for key in [k for k in feed_clustering._TERMS if k[2] == config.cluster]:
        del feed_clustering._TERMS[key]  # counted by the other backend's run
    asked: list[tuple[str, str]] = []

    async def counter(documents: list[tuple[str, str]]) -> list[Terms]:
        asked.extend(documents)
        return count_terms_batch(documents, config.cluster)

    async def cluster_all(counter: TermCounter | None) -> Partition:
        clustering._HELD.clear()
        clustering._IDF.clear()
        while True:
            async with db.writer.begin() as session:
                done = await cluster_pending(session, limit=40, config=config, counter=counter)
            if done.clustered == 0:
                break
        return await _cluster_all(db, lambda: None)

    elsewhere = await cluster_all(counter)
    assert len(asked) == len(set(asked)) >= len(corpus) - 5  # each once (a few repeat a text)
    await _reset(db)
    for title, text in asked:  # forget them: the second run counts in this process
        del feed_clustering._TERMS[(title, text, config.cluster)]
    assert await cluster_all(None) == elsewhere


class _Undone(Exception):
    pass


async def test_a_kept_clusterer_reads_again_what_others_wrote_or_undid(db: Database) -> None:
    """The kept clusterer holds the issues a batch wrote as the batch wrote them; an issue
    written since by someone else (here its snapshot replaced, as a merge does), and a batch
    whose transaction did not commit, are read again: placements are those of a clusterer
    rebuilt for every batch."""
    corpus = sorted(real_articles(), key=lambda a: (a.published_at, a.id))[:200]
    now = utcnow()
    async with db.writer.begin() as session:
        groups = [StoryGroup(title=f"g{n}") for n in range(100)]
        session.add_all(groups)
        await session.flush()
        for n, a in enumerate(corpus):
            await make_article(
                session,
                title=a.title,
                body=a.body,
                outlet=a.outlet,
                # Ten minutes apart: every batch sees every issue (one clustering window).
                published_at=corpus[0].published_at + timedelta(minutes=10 * n),
                # The second hundred joins the first's issues (a copy of each of its stories).
                story_group_id=groups[n % 100].id,
                scored_at=now,
                matched_at=now,
            )

    async def run(before_batch: Callable[[], None]) -> Partition:
        batch = 0
        while True:
            before_batch()
            batch += 1
            if batch == 3:  # placed and written, then rolled back
                try:
                    async with db.writer.begin() as session:
                        await cluster_pending(session, limit=40)
                        raise _Undone
                except _Undone:
                    pass
            if batch == 4:  # another writer changes the largest issue's snapshot
                async with db.writer.begin() as session:
                    issues = (await session.scalars(select(Issue).order_by(Issue.id))).all()
                    big = max(issues, key=lambda i: (i.article_count, -i.id))
                    donor = next(i for i in issues if i.id != big.id)
                    state = dict(big.cluster_state or {})
                    state["centroid"] = (donor.cluster_state or {}).get("centroid", [])
                    big.cluster_state = state
            async with db.writer.begin() as session:
                if (await cluster_pending(session, limit=40)).clustered == 0:
                    break
        return await _cluster_all(db, lambda: None)

    clustering._HELD.clear()
    kept = await run(lambda: None)
    await _reset(db)
    rebuilt = await run(clustering._HELD.clear)
    assert kept == rebuilt
    assert len(kept) > 20
