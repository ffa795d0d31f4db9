"""The scoring stage against the database: watched entities, analyst labels, re-scoring."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from app.crawlers.neardup import bands, remember_bands
from app.db import Database
from app.feed import clustering
from app.feed.clustering import ClusterConfig
from app.models import Article, ArticleWatchlist, LabelOverride, StoryGroup, utcnow
from app.pipeline.cluster import ClusterStage
from app.pipeline.match import MatchStage
from app.pipeline.score import Scored, ScoreJob, ScoreStage, score_and_sign_shipped
from app.scoring import Scorer, load_scorer
from app.services import clustering as clustering_service
from app.services import entities, labels, rescoring, scoring, stories, watchlists
from app.services.entities import create_entity
from app.services.scoring import score_pending
from tests.factories import make_article, make_source

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
    await MatchStage(db).run_pending()
    await ClusterStage(db).run_pending()
    return article.id


async def test_analyst_label_wins_over_the_model_and_survives_rescoring(db: Database) -> None:
    scorer = load_scorer()
    article_id = await _scored_and_grouped(db, scorer)
    async with db.sessionmaker() as session:
        before = await session.get(Article, article_id)
        assert before is not None and before.label == "negative"
    async with db.writer.begin() as session:
        await create_entity(session, name="Pemprov DKI")
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


async def test_stored_results_keep_analyst_labels_and_skip_deleted_or_scored_rows(
    db: Database,
) -> None:
    scorer = load_scorer()
    async with db.writer.begin() as session:
        plain = await make_article(session, title="Banjir Rendam Jakarta", body=FLOOD)
        labelled = await make_article(session, title="Banjir Rendam Bekasi", body=FLOOD)
        gone = await make_article(session, title="Banjir Rendam Depok", body=FLOOD)
    async with db.writer.begin() as session:
        await labels.add_label(session, article_id=labelled.id, data=labels.NewLabel("positive"))
    async with db.sessionmaker() as session:
        rows = list((await session.scalars(select(Article).order_by(Article.id))).all())
        results = await scoring.compute_scores(rows, scorer=scorer, entities=())
    async with db.writer.begin() as session:
        (await session.get(Article, gone.id)).deleted_at = utcnow()  # type: ignore[union-attr]
    by_id = {a.id: r for a, r in zip(rows, results, strict=True)}
    async with db.writer.begin() as session:
        assert await scoring.store_results(session, results=by_id) == 2
    async with db.writer.begin() as session:
        assert await scoring.store_results(session, results=by_id) == 0  # already scored
    async with db.sessionmaker() as session:
        got = {a.id: a for a in (await session.scalars(select(Article))).all()}
    first = got[plain.id]
    assert (first.label, first.model_label, first.label_source) == ("negative", "negative", "model")
    assert first.scored_at is not None and first.explanation and first.explanation["sentences"]
    assert first.model_version == scorer.model_version and first.targets == []
    assert first.language == by_id[plain.id].language
    second = got[labelled.id]
    assert (second.label, second.model_label, second.label_source) == (
        "positive",
        "negative",
        "analyst",
    )
    assert got[gone.id].scored_at is None


async def test_score_stage_matches_watchlists_with_the_same_row_write(db: Database) -> None:
    async with db.writer.begin() as session:
        source = await make_source(session, name="Harian Banten")
        await watchlists.create_watchlist(
            session, data=watchlists.WatchlistData(name="Banjir", query="banjir"), actor="t"
        )
        await watchlists.create_watchlist(
            session, data=watchlists.WatchlistData(name="Banten", query="source:banten"), actor="t"
        )
        flood = await make_article(session, title="Banjir Rendam Jakarta", body=FLOOD)
        other = await make_article(
            session, title="Harga Cabai Naik", body="Harga cabai naik lagi.", source_id=source.id
        )
    assert await ScoreStage(database=db, scorer=load_scorer()).run_pending() == 2
    async with db.sessionmaker() as session:
        rows = {a.id: a for a in (await session.scalars(select(Article))).all()}
        links = (await session.execute(select(ArticleWatchlist.article_id))).scalars().all()
    assert all(r.matched_at is not None and r.matched_at == r.scored_at for r in rows.values())
    assert sorted(links) == sorted([flood.id, other.id])
    async with db.writer.begin() as session:
        assert await watchlists.match_pending(session, limit=10) == 0


STORY = (
    "Pemerintah provinsi mengumumkan bantuan darurat bagi korban banjir di lima kecamatan. "
    "Bantuan berupa beras, air bersih, selimut dan obat-obatan dikirim sejak Senin pagi. "
    "Gubernur meminta bupati mempercepat pendataan warga yang rumahnya rusak berat."
)


async def test_score_stage_gives_story_groups_with_the_same_row_write(db: Database) -> None:
    # A whole second: SQLite stores it as text, with the fraction written out.
    early, late = (
        utcnow() - timedelta(hours=5),
        (utcnow() - timedelta(hours=1)).replace(microsecond=0),
    )
    async with db.writer.begin() as session:
        copy = await make_article(
            session, title="Bantuan Banjir Dikirim", body=STORY + " (antara)", published_at=late
        )
        original = await make_article(
            session, title="Pemprov Kirim Bantuan", body=STORY, published_at=early
        )
        other = await make_article(session, title="Harga Cabai Naik", body=FLOOD * 3)
        # Scored elsewhere (`pantau score`) without a story group: the story stage's own.
        elsewhere = await make_article(session, title="Lain", body=FLOOD, scored_at=utcnow())
    assert await ScoreStage(database=db, scorer=load_scorer()).run_pending() == 3
    async with db.sessionmaker() as session:
        rows = {a.id: a for a in (await session.scalars(select(Article))).all()}
        group = await session.get(StoryGroup, rows[copy.id].story_group_id)
    assert rows[copy.id].story_group_id == rows[original.id].story_group_id
    assert rows[other.id].story_group_id not in (None, rows[copy.id].story_group_id)
    assert all(rows[a.id].minhash is not None for a in (copy, original, other))
    assert group is not None and group.copy_count == 2 and group.first_article_id == original.id
    assert rows[elsewhere.id].story_group_id is None
    async with db.sessionmaker() as session:
        # The bands go to the driver as raw rows: stored exactly as the article's own time.
        same = await session.execute(
            text(
                "SELECT b.published_at = a.published_at, count(*) FROM story_bands b"
                " JOIN articles a ON a.id = b.article_id GROUP BY 1"
            )
        )
        assert [tuple(r) for r in same.all()] == [(True, 3 * 32)]
    async with db.writer.begin() as session:
        assert await stories.assign_pending_stories(session, limit=10, scored_only=True) == 1
        assert await stories.assign_pending_stories(session, limit=10) == 0


async def test_rescore_after_the_tone_release_gives_entities_their_tone(db: Database) -> None:
    shipped = load_scorer()
    if shipped.tone is None:
        pytest.skip("the artefact has no tone model")
    before = Scorer(shipped.models, "pantau-neg-2.6-like")  # the same models, no tone model
    async with db.writer.begin() as session:
        await entities.create_entity(session, name="Pemkab Sukamaju")
        article = await make_article(
            session,
            title="Pemkab Sukamaju Dikritik Lamban Tangani Banjir",
            body=(
                "Pemkab Sukamaju dikritik warga karena lamban menangani banjir yang merendam "
                "ribuan rumah. Warga menilai bantuan Pemkab Sukamaju tidak merata."
            ),
        )
    async with db.writer.begin() as session:
        assert await score_pending(session, scorer=before, limit=10) == 1
    async with db.sessionmaker() as session:
        old = await session.get(Article, article.id)
        assert old is not None and old.targets is not None
        assert old.targets[0]["phrases"] == [] and "basis" not in (old.explanation or {})
    assert await rescoring.rescore_all(db, scorer=shipped, batch_size=10) == 1
    async with db.sessionmaker() as session:
        row = await session.get(Article, article.id)
        assert row is not None and row.targets is not None
        assert row.model_version == shipped.model_version
        (target,) = row.targets
        assert target["name"] == "Pemkab Sukamaju" and target["label"] == "negative"
        assert target["phrases"] and all("sukamaju" not in p.lower() for p in target["phrases"])
        assert row.label == "negative" and row.negativity == target["negativity"]
        assert row.explanation is not None and row.explanation["basis"] == "entities"


async def test_pool_counted_terms_are_the_ones_clustering_reads(db: Database) -> None:
    """Term counts made with the score (in the pool) are keyed by the headline and lead the
    cluster stage then reads from the database, on both backends: a body, a summary only, an
    empty body beside a summary (the database's coalesce keeps the empty body) and a body past
    the lead's length with characters outside ASCII."""
    config = ClusterConfig(lead_words=33)  # a configuration of this test's own
    long_body = ("Gubernur Jawa Barat meninjau tanggul yang jebol — warga waspada. " * 40).strip()
    async with db.writer.begin() as session:
        made = [
            await make_article(session, title="Banjir Rendam Jakarta", body=FLOOD),
            await make_article(session, title="Harga Cabai", body=None, summary="Cabai naik."),
            await make_article(session, title="Kosong", body="", summary="Ringkasan saja."),
            await make_article(session, title=None, body=long_body),
        ]

    async def run(jobs: list[ScoreJob]) -> list[Scored]:  # the pool's job, in this process
        return score_and_sign_shipped(jobs, cluster=config)

    stage = ScoreStage(database=db, run=run, cluster=config)
    assert await stage.run_pending() == len(made)
    async with db.sessionmaker() as session:
        read = (
            await session.execute(
                select(Article.title, clustering_service._lead()).order_by(Article.id)
            )
        ).all()
    documents = [(title or "", lead or "") for title, lead in read]
    assert clustering.uncounted(documents, config) == []
    for title, lead in documents:
        assert clustering._TERMS[(title, lead, config)] == clustering.count_terms(
            title, lead, config
        )


def test_pool_jobs_bring_the_signature_bands_the_story_stage_reads() -> None:
    """A job signed in the pool returns its band keys; handed over, `bands` gives them back
    once, and they are the keys this process computes."""
    [scored] = score_and_sign_shipped([(("Bantuan", STORY, ()), True, None, None)])
    assert scored.signature is not None and scored.bands is not None
    remember_bands(scored.signature, [1, 2, 3])  # a marker: proves the handed-over keys are used
    assert bands(scored.signature) == [1, 2, 3]
    assert bands(scored.signature) == scored.bands  # used once, then computed here again


async def test_rescore_after_the_informal_release_reads_posts_with_it(db: Database) -> None:
    shipped = load_scorer()
    if shipped.informal is None:
        pytest.skip("no informal artefact")
    before = Scorer(shipped.models, "pantau-neg-2.7-like", shipped.tone)  # no informal model
    text = "Pelayanan rumah sakit ini buruk sekali, saya menunggu lima jam."
    async with db.writer.begin() as session:
        post = await make_article(session, title="", body=text, kind="post")
        news = await make_article(session, title="", body=text)  # same words, kind article
    async with db.writer.begin() as session:
        assert await score_pending(session, scorer=before, limit=10) == 2
    assert await rescoring.rescore_all(db, scorer=shipped, batch_size=10) == 2
    async with db.sessionmaker() as session:
        post_row = await session.get(Article, post.id)
        news_row = await session.get(Article, news.id)
        assert post_row is not None and news_row is not None
        assert post_row.model_version == news_row.model_version == shipped.model_version
        assert (post_row.explanation or {}).get("basis") == "informal"
        assert (news_row.explanation or {}).get("basis") is None
        assert post_row.label == "negative"
