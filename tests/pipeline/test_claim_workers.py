"""Three claim-match stages at once over the same queues (as three workers run them): none
fails, each document and claim is marked once, each match is written once.

On PostgreSQL the stages split the queues (advisory claims); before, every worker read the same
pending documents and marked them with one UPDATE each, and three workers deadlocked
(bench/HISTORY.md). On SQLite the writes serialise, and a stage marks only what is still
pending when its write begins.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from app.db import Database
from app.models import Article, Claim, ClaimMatch, utcnow
from app.pipeline.claims import ClaimStage
from tests.factories import make_article, make_claim
from tests.pipeline.test_claim_headlines import CLAIM, DOCUMENTS

UNRELATED = 150


async def test_three_stages_mark_each_document_and_claim_once(db: Database, backend: str) -> None:
    now = utcnow()
    async with db.writer.begin() as session:
        claim = await make_claim(session, claim=CLAIM, published_at=now - timedelta(days=3))
        others = [
            await make_claim(session, claim=f"Klaim palsu nomor {n}", published_at=now)
            for n in range(5)
        ]
        matching = await make_article(
            session, title=DOCUMENTS[0][0], body=DOCUMENTS[0][1], published_at=now, scored_at=now
        )
        for n in range(UNRELATED):
            await make_article(session, title=f"Laporan cuaca harian {n}", scored_at=now)
        claim_ids = sorted([claim.id, *(c.id for c in others)])
        matching_id = matching.id

    databases = [Database(db.url) for _ in range(3)]
    stages = [ClaimStage(database=d, batch_size=8) for d in databases]
    try:
        written = await asyncio.gather(*(s.run_pending() for s in stages))
    finally:
        for database in databases:
            await database.dispose()

    assert sum(s.checked for s in stages) == UNRELATED + 1
    assert sum(written) == 1
    if backend == "postgresql":  # the queue was split, not taken whole by the first stage
        assert sum(1 for s in stages if s.checked) >= 2
    async with db.sessionmaker() as session:
        unchecked = select(func.count()).where(Article.claims_checked_at.is_(None))
        assert await session.scalar(unchecked) == 0
        unmatched = select(func.count()).where(Claim.matched_at.is_(None))
        assert await session.scalar(unmatched) == 0
        assert sorted((await session.scalars(select(Claim.id))).all()) == claim_ids
        matches = (await session.execute(select(ClaimMatch.claim_id, ClaimMatch.article_id))).all()
    assert matches == [(claim.id, matching_id)]
