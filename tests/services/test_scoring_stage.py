"""The scoring stage against the database: watched entities, analyst labels, re-scoring."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.db import Database
from app.models import Article, LabelOverride
from app.scoring import Scorer, load_scorer
from app.services import entities, labels, rescoring
from app.services.issues import group_pending
from app.services.scoring import score_pending
from tests.factories import make_article

FLOOD = (
    "Banjir besar merendam ribuan rumah warga dan menewaskan tiga orang. "
    "Warga mengecam lambannya evakuasi oleh pemerintah kabupaten."
)


async def test_every_active_watched_entity_is_scored_with_its_aliases(db: Database) -> None:
    async with db.writer.begin() as session:
        await entities.create_entity(
            session, name="Pemprov DKI", aliases=["Pemerintah Provinsi DKI Jakarta"]
        )
        await entities.create_entity(session, name="Kemenkeu", active=False)
        article = await make_article(
            session,
            title="Pemerintah Provinsi DKI Jakarta Kerahkan Pompa Atasi Banjir",
            body=FLOOD,
        )
    async with db.writer.begin() as session:
        assert await score_pending(session, scorer=load_scorer(), limit=10) == 1
    async with db.sessionmaker() as session:
        row = await session.get(Article, article.id)
        assert row is not None and row.scored_at is not None
        assert row.label in ("negative", "neutral", "positive") and row.label_source == "model"
        assert (row.model_label, row.model_negativity) == (row.label, row.negativity)
        assert row.model_version == load_scorer().model_version
        assert row.explanation and row.explanation["sentences"]
        assert row.targets is not None and [t["name"] for t in row.targets] == ["Pemprov DKI"]
        assert row.targets[0]["mentions"] == 1


async def _scored_and_grouped(db: Database, scorer: Scorer) -> int:
    async with db.writer.begin() as session:
        article = await make_article(session, title="Banjir Rendam Jakarta", body=FLOOD)
    async with db.writer.begin() as session:
        await score_pending(session, scorer=scorer, limit=10, entities=())
        await group_pending(session, limit=10)
    return article.id


async def test_analyst_label_wins_over_the_model_and_survives_rescoring(db: Database) -> None:
    scorer = load_scorer()
    article_id = await _scored_and_grouped(db, scorer)
    async with db.sessionmaker() as session:
        before = await session.get(Article, article_id)
        assert before is not None and before.label == "negative"
    async with db.writer.begin() as session:
        await labels.add_label(
            session,
            article_id=article_id,
            data=labels.NewLabel("positive", targets=[("Pemprov DKI", "positive")]),
        )
    renamed = Scorer(scorer.models, "pantau-neg-test+other")
    async with db.writer.begin() as session:
        done, _ = await rescoring.rescore_batch(
            session, scorer=renamed, entities=(), after_id=0, limit=10
        )
    assert done == 1
    async with db.sessionmaker() as session:
        row = await session.get(Article, article_id)
        assert row is not None
        assert (row.label, row.negativity, row.label_source) == ("positive", 0.0, "analyst")
        assert row.model_label == "negative" and row.model_version == "pantau-neg-test+other"
        assert row.targets == [
            {
                "name": "Pemprov DKI",
                "mentions": 0,
                "evidence": [],
                "model_label": None,
                "model_negativity": None,
                "label": "positive",
                "negativity": 0.0,
                "confidence": 1.0,
                "label_source": "analyst",
            }
        ]
        history = (await session.scalars(select(LabelOverride))).all()
        assert len(history) == 1


@pytest.mark.parametrize("interrupt_after", [1, 2])
async def test_rescore_after_a_version_change_resumes_after_interruption(
    db: Database, interrupt_after: int
) -> None:
    scorer = load_scorer()
    async with db.writer.begin() as session:
        ids = [
            (await make_article(session, title=f"Rupiah melemah {n}", body=FLOOD)).id
            for n in range(5)
        ]
    async with db.writer.begin() as session:
        await score_pending(session, scorer=scorer, limit=10, entities=())
    new = Scorer(scorer.models, "pantau-neg-test+new")
    async with db.sessionmaker() as session:
        assert await rescoring.count_stale(session, model_version=new.model_version) == 5
        assert await rescoring.count_stale(session, model_version=scorer.model_version) == 0

    class Interrupted(Exception):
        pass

    batches: list[int] = []

    def stop_after(n: int) -> None:
        batches.append(n)
        if len(batches) == interrupt_after:
            raise Interrupted

    with pytest.raises(Interrupted):
        await rescoring.rescore_all(db, scorer=new, batch_size=2, on_batch=stop_after)
    async with db.sessionmaker() as session:
        versions = (await session.scalars(select(Article.model_version).order_by(Article.id))).all()
        stale = await rescoring.count_stale(session, model_version=new.model_version)
    # committed batches stay done; the rest is still stale
    assert versions.count(new.model_version) == 2 * interrupt_after
    assert stale == 5 - 2 * interrupt_after
    assert await rescoring.rescore_all(db, scorer=new, batch_size=2) == stale
    async with db.sessionmaker() as session:
        assert await rescoring.count_stale(session, model_version=new.model_version) == 0
        rows = (await session.scalars(select(Article).where(Article.id.in_(ids)))).all()
        assert {r.model_version for r in rows} == {new.model_version}
    assert await rescoring.rescore_all(db, scorer=new, batch_size=2) == 0
