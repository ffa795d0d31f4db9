"""One hostile article never stops the score stage: its class is bounded at the root (the
scorer reads a capped text; the pool kills a batch past its time limit), and an article that
still fails alone leaves the queue unscored with its reason while the others are scored. Both
backends; what an analyst sees is read through the HTTP API."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, text

from app.crawlers.pool import CpuPool
from app.db import Database
from app.models import Article, utcnow
from app.pipeline.score import ScoreStage, score_and_sign_shipped
from app.scoring import load_scorer
from app.scoring.scorer import MAX_TEXT_CHARS
from app.scoring.worker import preload
from tests.factories import make_article

HEALTHY = [
    (
        f"KPK periksa pejabat daerah soal suap proyek jalan nomor {n}",
        f"Penyidik KPK memeriksa pejabat daerah ke-{n} terkait dugaan suap proyek jalan.",
    )
    for n in range(5)
]
# Scoring time grows with the text; each of these took seconds to minutes before the cap.
OVERSIZED = {
    "one-letter sentences, 3 MB": ("Judul biasa", ". A" * 1_000_000),
    "one token, 2 MB": ("Judul biasa", "a" * 2_000_000),
    "NFKC eighteenfold": ("\ufdfa" * 50_000, "\ufdfa" * 400_000),
    "a 300,000-character title": ("Kata. " * 50_000, "Isi pendek."),
}


async def _healthy(db: Database) -> list[int]:
    async with db.writer.begin() as session:
        rows = [await make_article(session, title=t, body=b) for t, b in HEALTHY]
        return [a.id for a in rows]


async def _article(client: httpx.AsyncClient, key: dict[str, str], article_id: int) -> dict:  # type: ignore[type-arg]
    response = await client.get(f"/v1/articles/{article_id}", headers=key)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_oversized_texts_are_scored_in_bounded_time(
    db: Database, client: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    healthy = await _healthy(db)
    async with db.writer.begin() as session:
        hostile = {
            name: (await make_article(session, title=title, body=body)).id
            for name, (title, body) in OVERSIZED.items()
        }
    started = time.monotonic()
    scored = await ScoreStage(db, load_scorer(), batch_size=50).run_pending()
    elapsed = time.monotonic() - started
    assert scored == len(healthy) + len(hostile)
    assert elapsed < 60, elapsed  # 4 x ~1 s at the cap; minutes without it
    for article_id in [*healthy, *hostile.values()]:
        article = await _article(client, viewer, article_id)
        assert article["label"] in ("negative", "neutral", "positive"), article
        assert article["score_error"] is None


async def test_an_article_past_the_time_limit_is_set_aside_and_the_others_are_scored(
    db: Database,
    client: httpx.AsyncClient,
    viewer: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    healthy = await _healthy(db)
    slow_text = ". A" * (MAX_TEXT_CHARS // 3)  # at the scorer's cap, the slowest text it reads
    async with db.writer.begin() as session:
        slow = (await make_article(session, title="x", body=slow_text)).id
    pool = CpuPool(workers=1, setup=preload)  # the model loads outside the time limit
    try:
        # A limit between a news article's time and the slow text's, measured on this machine
        # now (in a worker, the slow text takes ~10x a news article; both vary with the load).
        timed = pool.spread(score_and_sign_shipped)
        assert timed is not None
        await timed([((HEALTHY[0][0], HEALTHY[0][1], ()), False, None, None)])  # starts the worker
        times = []
        jobs = [((t, b, ()), False, None, None) for t, b in HEALTHY]
        slow_job = (("x", slow_text, ()), False, None, None)
        for job in [*jobs, slow_job, slow_job, slow_job]:
            started = time.monotonic()
            await timed([job])
            times.append(time.monotonic() - started)
        # The slow text at its quickest of three, against the slowest news article: a load
        # spike during one measurement must not lift the limit above what the slow text takes.
        news, slowest = max(times[: len(jobs)]), min(times[len(jobs) :])
        if slowest < 3 * news:
            pytest.skip(f"too loaded to tell {news:.2f} s from {slowest:.2f} s")
        limit = (news * slowest) ** 0.5
        stage = ScoreStage(
            db,
            load_scorer(),
            run=pool.spread(score_and_sign_shipped, time_limit=lambda _n: limit),
            batch_size=50,
        )
        assert await stage.run_pending() == len(healthy) + 1
    finally:
        pool.shutdown()
    assert stage.set_aside == 1, [getattr(r, "error", None) for r in caplog.records]
    for article_id in healthy:
        article = await _article(client, viewer, article_id)
        assert article["label"] is not None and article["score_error"] is None
    aside = await _article(client, viewer, slow)
    assert aside["label"] is None
    assert aside["score_error"] == f"scoring took longer than {limit:g} s; its worker was stopped"


async def test_an_impossible_stored_date_is_scored_with_the_others(
    db: Database, client: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    healthy = await _healthy(db)
    async with db.writer.begin() as session:
        poison = (await make_article(session, title="Tanggal mustahil", body="Isi berita.")).id
    impossible = "'-infinity'" if db.engine.dialect.name == "postgresql" else "'0001-01-01'"
    async with db.engine.begin() as connection:
        await connection.execute(
            text(f"UPDATE articles SET published_at = {impossible} WHERE id = :id"),
            {"id": poison},
        )
    assert await ScoreStage(db, load_scorer(), batch_size=50).run_pending() == len(healthy) + 1
    for article_id in [*healthy, poison]:
        article = await _article(client, viewer, article_id)
        assert article["label"] is not None and article["score_error"] is None


_REFUSE = {
    # The database refuses one article's score row (as it would a value out of its range).
    "sqlite": [
        """CREATE TRIGGER refuse_score BEFORE UPDATE OF scored_at ON articles
        WHEN NEW.id = {id} AND NEW.score_error IS NULL
        BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"""
    ],
    "postgresql": [
        """CREATE FUNCTION refuse_score() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'refused by the test' USING ERRCODE = 'check_violation'; END $$""",
        """CREATE TRIGGER refuse_score BEFORE UPDATE ON articles FOR EACH ROW
        WHEN (NEW.id = {id} AND NEW.scored_at IS NOT NULL AND NEW.score_error IS NULL)
        EXECUTE FUNCTION refuse_score()""",
    ],
}
_ALLOW = {
    "sqlite": ["DROP TRIGGER refuse_score"],
    "postgresql": ["DROP TRIGGER refuse_score ON articles", "DROP FUNCTION refuse_score()"],
}


async def test_a_score_the_database_refuses_sets_that_article_aside_only(
    db: Database, client: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    healthy = await _healthy(db)
    async with db.writer.begin() as session:
        refused = (await make_article(session, title="Ditolak", body="Isi berita.")).id
    dialect = db.engine.dialect.name
    async with db.engine.begin() as connection:
        for statement in _REFUSE[dialect]:
            await connection.execute(text(statement.format(id=refused)))
    try:
        stage = ScoreStage(db, load_scorer(), batch_size=50)
        assert await stage.run_pending() == len(healthy) + 1
    finally:
        async with db.engine.begin() as connection:
            for statement in _ALLOW[dialect]:
                await connection.execute(text(statement))
    assert stage.set_aside == 1
    for article_id in healthy:
        article = await _article(client, viewer, article_id)
        assert article["label"] is not None and article["score_error"] is None
    aside = await _article(client, viewer, refused)
    assert aside["label"] is None
    assert aside["score_error"].startswith("storing its score failed: IntegrityError")
    assert "refused by the test" in aside["score_error"]


async def test_a_re_score_clears_the_reason(db: Database) -> None:
    async with db.writer.begin() as session:
        article = await make_article(
            session,
            title="Banjir di Jakarta",
            body="Banjir merendam ribuan rumah.",
            scored_at=None,
            published_at=utcnow() - timedelta(hours=1),
        )
    async with db.writer.begin() as session:
        await session.execute(
            text("UPDATE articles SET score_error = 'old' WHERE id = :id"), {"id": article.id}
        )
    await ScoreStage(db, load_scorer()).run_pending()
    async with db.sessionmaker() as session:
        error = await session.scalar(select(Article.score_error).where(Article.id == article.id))
    assert error is None
