"""Scoring rules: which articles are due a score, and how a result lands on the row.

The scorer itself is pure (app/scoring/); the stage that claims batches, scores them in the
CPU pool and commits them in order is app/pipeline/score.py.

The model's output always lands in the model columns (model_label, model_negativity) and in
the explanation and per-entity results; the effective label (label, negativity, confidence)
follows it unless an analyst has labelled the article (label_source "analyst").
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from app.db import skip_locked
from app.models import Article, LabelOverride, TextState, utcnow
from app.models.base import core_table
from app.scoring import ArticleScore, Entity
from app.services import stories as story_service
from app.services.entities import active_entities
from app.services.labels import apply_override, latest_overrides
from app.services.watchlists import MatchText, match_texts

if TYPE_CHECKING:  # the scorer's module imports numpy and scipy: loaded where it scores
    from app.scoring import Scorer
    from app.scoring.scorer import Item

_ARTICLES = core_table(Article)
# A model result onto a row nobody scored or deleted meanwhile, as one executemany statement
# compiled once (the ORM flush built and sent one UPDATE per row). The effective columns follow
# the model's here; articles with an analyst label take the ORM path (`apply_scores`).
_WRITE_SCORE = (
    update(_ARTICLES)
    .where(
        _ARTICLES.c.id == bindparam("b_id"),
        _ARTICLES.c.scored_at.is_(None),
        _ARTICLES.c.deleted_at.is_(None),
    )
    .values(
        model_label=bindparam("b_label", type_=_ARTICLES.c.label.type),
        model_negativity=bindparam("b_negativity", type_=_ARTICLES.c.negativity.type),
        label=bindparam("b_label", type_=_ARTICLES.c.label.type),
        negativity=bindparam("b_negativity", type_=_ARTICLES.c.negativity.type),
        confidence=bindparam("b_confidence", type_=_ARTICLES.c.confidence.type),
        label_source="model",
        language=func.coalesce(
            _ARTICLES.c.language, bindparam("b_language", type_=_ARTICLES.c.language.type)
        ),
        model_version=bindparam("b_version", type_=_ARTICLES.c.model_version.type),
        explanation=bindparam("b_explanation", type_=_ARTICLES.c.explanation.type),
        targets=bindparam("b_targets", type_=_ARTICLES.c.targets.type),
        scored_at=bindparam("b_now", type_=_ARTICLES.c.scored_at.type),
        score_error=None,
    )
)
# The same, with the watchlist match done in the same transaction: one write of the row.
_WRITE_SCORE_MATCHED = _WRITE_SCORE.values(
    matched_at=bindparam("b_now", type_=_ARTICLES.c.matched_at.type)
)
# And with the story group (and the signature it was found with) too.
_WRITE_SCORE_MATCHED_STORY = _WRITE_SCORE_MATCHED.values(
    story_group_id=func.coalesce(
        _ARTICLES.c.story_group_id,
        bindparam("b_group", type_=_ARTICLES.c.story_group_id.type),
    ),
    minhash=func.coalesce(
        _ARTICLES.c.minhash, bindparam("b_minhash", type_=_ARTICLES.c.minhash.type)
    ),
)


async def score_pending(
    session: AsyncSession,
    *,
    scorer: Scorer,
    limit: int,
    entities: Sequence[Entity] | None = None,
) -> int:
    """Score up to `limit` unscored articles against the watched entities (default: every
    active one); returns how many were scored.

    Rows are claimed with SKIP LOCKED on PostgreSQL so parallel workers split the queue. An
    article waiting for its page's full text is not scored yet; one whose page failed is scored
    on its summary (`text_error` says why).
    """
    articles = await claim_unscored(session, limit=limit)
    if not articles:
        return 0
    if entities is None:
        entities = await active_entities(session)
    await score_articles(session, articles, scorer=scorer, entities=entities)
    return len(articles)


def _unscored(*columns: Any, limit: int, after_id: int, session: AsyncSession) -> Select[Any]:
    query = (
        select(*columns)
        .where(
            Article.id > after_id,
            Article.scored_at.is_(None),
            Article.deleted_at.is_(None),
            or_(Article.text_state.is_(None), Article.text_state != TextState.PENDING),
        )
        .order_by(Article.id)
        .limit(limit)
    )
    query = skip_locked(session, query)
    return query


async def claim_unscored(session: AsyncSession, *, limit: int, after_id: int = 0) -> list[Article]:
    """Up to `limit` unscored, settled articles with ids above `after_id`, in id order (locked
    with SKIP LOCKED on PostgreSQL, so parallel workers split the queue)."""
    query = _unscored(Article, limit=limit, after_id=after_id, session=session)
    return list((await session.scalars(query)).all())


@dataclass(frozen=True, slots=True)
class Unscored:
    """What the score stage reads of a claimed article (columns, not an ORM object)."""

    id: int
    title: str
    body: str | None
    summary: str | None
    source_id: int | None
    outlet: str | None
    story_group_id: int | None
    signed: bool  # a MinHash signature is stored
    kind: str  # article or post (the informal model reads posts)


async def claim_unscored_columns(
    session: AsyncSession, *, limit: int, after_id: int = 0
) -> list[Unscored]:
    """`claim_unscored` as the columns the score stage reads."""
    query = _unscored(
        Article.id,
        Article.title,
        Article.body,
        Article.summary,
        Article.source_id,
        Article.outlet,
        Article.story_group_id,
        Article.minhash.is_not(None),
        Article.kind,
        limit=limit,
        after_id=after_id,
        session=session,
    )
    return [Unscored(*row) for row in await session.execute(query)]


async def compute_scores(
    articles: Sequence[Article],
    *,
    scorer: Scorer,
    entities: Sequence[Entity],
) -> list[ArticleScore]:
    """Score loaded articles in one batch in a thread, which keeps the event loop (and the
    API) responsive meanwhile."""
    batch: list[Item] = [(a.title, a.body or a.summary or "", entities) for a in articles]
    kinds = [a.kind for a in articles]
    return await asyncio.to_thread(partial(scorer.score_many, kinds=kinds), batch)


async def apply_scores(
    session: AsyncSession, articles: Sequence[Article], results: Sequence[ArticleScore]
) -> None:
    """Store results on their rows (analyst labels kept as the effective ones)."""
    overrides = await latest_overrides(session, article_ids=[a.id for a in articles])
    now = utcnow()
    for article, result in zip(articles, results, strict=True):
        store_score(article, result, overrides.get(article.id))
        article.scored_at = article.scored_at or now


async def store_results(
    session: AsyncSession,
    *,
    results: Mapping[int, ArticleScore],
    texts: Mapping[int, MatchText] | None = None,
    signed: Mapping[int, bytes | None] | None = None,
) -> int:
    """Store results computed outside this transaction (by article id); an article scored or
    deleted meanwhile is left alone. Returns how many were stored.

    One bulk UPDATE for the batch; the few articles with an analyst label go through
    `apply_scores`, which keeps the analyst's label as the effective one. With the articles'
    `texts`, the watchlist match stage's work for them is done here too (links stored,
    `matched_at` set in the same row update), instead of reading their bodies again later.
    With `signed` (the MinHash signatures of the articles stored without one; requires
    `texts`), the story stage's work is done here too: articles still without a story group
    get one (`stories.plan_stories`), written in the same row update.
    """
    if not results:
        return 0
    live = list(
        (
            await session.scalars(
                select(Article.id).where(
                    Article.id.in_(list(results)),
                    Article.scored_at.is_(None),
                    Article.deleted_at.is_(None),
                )
            )
        ).all()
    )
    overrides = await latest_overrides(session, article_ids=live)
    now = utcnow()
    if texts is not None:
        await match_texts(session, texts=[texts[i] for i in live], now=now)
    plan = None
    if signed is not None and texts is not None:
        plan = await story_service.plan_stories(session, ids=live, signed=signed)
    group_of = plan.group_of if plan is not None else {}
    minhash_of = plan.signed if plan is not None else {}
    modelled = [i for i in live if i not in overrides]
    params: list[dict[str, object]] = [
        {
            "b_id": article_id,
            "b_label": result.label,
            "b_negativity": result.negativity,
            "b_confidence": result.confidence,
            "b_language": result.language,
            "b_version": result.model_version,
            "b_explanation": result.explanation,
            "b_targets": result.to_dict()["targets"],
            "b_now": now,
        }
        for article_id in modelled
        for result in (results[article_id],)
    ]
    if plan is not None:
        for article_id, row in zip(modelled, params, strict=True):
            row["b_group"] = group_of.get(article_id)
            row["b_minhash"] = minhash_of.get(article_id)
    if params:
        statement = _WRITE_SCORE
        if texts is not None:
            statement = _WRITE_SCORE_MATCHED if plan is None else _WRITE_SCORE_MATCHED_STORY
        await session.execute(statement, params)
    if overrides:
        labelled = list(
            (
                await session.scalars(
                    select(Article)
                    .options(defer(Article.body), defer(Article.summary), defer(Article.minhash))
                    .where(Article.id.in_(list(overrides)))
                )
            ).all()
        )
        await apply_scores(session, labelled, [results[a.id] for a in labelled])
        if texts is not None:
            for article in labelled:
                article.matched_at = now
        for article in labelled:
            if article.id in group_of:
                article.story_group_id = group_of[article.id]
            if minhash_of.get(article.id) is not None:
                article.minhash = minhash_of[article.id]
        await session.flush()
    if plan is not None:
        await story_service.finish_stories(session, plan)
    return len(live)


async def set_aside_unscored(session: AsyncSession, *, reasons: Mapping[int, str]) -> None:
    """Take articles that could not be scored out of the score queue, with no label and the
    reason (`score_error`); an article scored or deleted meanwhile is left alone. They go on
    to the match, story and cluster stages like any scored article."""
    if not reasons:
        return
    now = utcnow()
    await session.execute(
        update(_ARTICLES)
        .where(
            _ARTICLES.c.id == bindparam("b_id"),
            _ARTICLES.c.scored_at.is_(None),
            _ARTICLES.c.deleted_at.is_(None),
        )
        .values(
            score_error=bindparam("b_reason", type_=_ARTICLES.c.score_error.type),
            scored_at=bindparam("b_now", type_=_ARTICLES.c.scored_at.type),
        ),
        [{"b_id": i, "b_reason": reason[:1000], "b_now": now} for i, reason in reasons.items()],
    )


async def score_articles(
    session: AsyncSession,
    articles: Sequence[Article],
    *,
    scorer: Scorer,
    entities: Sequence[Entity],
) -> None:
    """Score loaded articles in one batch and store the results (analyst labels kept)."""
    results = await compute_scores(articles, scorer=scorer, entities=entities)
    await apply_scores(session, articles, results)


def store_score(article: Article, result: ArticleScore, override: LabelOverride | None) -> None:
    """Write a model result onto the row; an analyst label, if any, stays the effective one."""
    article.model_label = result.label
    article.model_negativity = result.negativity
    article.label = result.label
    article.negativity = result.negativity
    article.confidence = result.confidence
    article.label_source = "model"
    article.language = article.language or result.language
    article.model_version = result.model_version
    article.explanation = result.explanation
    article.targets = result.to_dict()["targets"]
    article.score_error = None
    if override is not None:
        apply_override(article, override)
