"""A poison article (an impossible date stored before the parsers bounded them) is set aside by
the story, match and cluster stages; the articles around it go all the way (both backends)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from app.crawlers.pool import CpuPool
from app.db import Database
from app.models import Article, utcnow
from app.pipeline.cluster import ClusterStage
from app.pipeline.match import MatchStage
from app.pipeline.story import StoryStage
from tests.factories import make_article


async def test_a_poison_article_is_set_aside_and_the_others_are_grouped(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    now = utcnow()
    async with db.writer.begin() as session:
        good = [
            await make_article(
                session,
                title=f"KPK periksa pejabat daerah soal suap proyek jalan nomor {n}",
                body=f"Penyidik KPK memeriksa pejabat daerah ke-{n} terkait suap proyek jalan.",
                published_at=now - timedelta(hours=n),
                label="negative",
                negativity=0.8,
                scored_at=now,
            )
            for n in range(6)
        ]
        poison = await make_article(
            session,
            title="Berita dengan tanggal mustahil dari feed lama",
            body="Isi berita yang tanggalnya tidak mungkin.",
            label="neutral",
            negativity=0.1,
            scored_at=now,
        )
        ids = [a.id for a in good]
    impossible = "'-infinity'" if db.engine.dialect.name == "postgresql" else "'0001-01-01'"
    async with db.engine.begin() as connection:
        await connection.execute(
            text(f"UPDATE articles SET published_at = {impossible} WHERE id = :id"),
            {"id": poison.id},
        )

    caplog.set_level(logging.ERROR, logger="app.pipeline.isolation")
    await StoryStage(db, CpuPool(workers=0), batch_size=4).run_pending(scored_only=True)
    await MatchStage(db, batch_size=4).run_pending()
    await ClusterStage(db, batch_size=4).run_pending()

    async with db.sessionmaker() as session:
        rows = (await session.scalars(select(Article).where(Article.id.in_(ids)))).all()
        assert all(a.story_group_id is not None and a.grouped_at is not None for a in rows)
        assert all(a.matched_at is not None for a in rows)
        left = await session.get(Article, poison.id)
        assert left is not None and left.grouped_at is not None  # out of every queue
    aside = [r for r in caplog.records if r.getMessage() == "article set aside by a stage"]
    assert aside and {getattr(r, "article_id", None) for r in aside} == {poison.id}
