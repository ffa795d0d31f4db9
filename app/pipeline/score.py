"""The score stage, overlapped: while the CPU pool scores one batch, the next is claimed.

Each batch is claimed in id order, scored (in the pool's processes when a batch scorer is
given; articles without a signature are signed there too), matched against the watchlists
from the texts already loaded, given story groups (`stories.plan_stories`, in publication
order within the batch), and committed (the row written once for all three); commits happen
in claim order, so the stages after scoring (match, cluster) always see a prefix of the queue
in id order, batch for batch as if the batches had run one after another.

On PostgreSQL a batch keeps its transaction open while it is scored: the claim's row locks
(SKIP LOCKED) are what let any number of workers split the queue. SQLite has one writer lock
for the whole database and one process, so a batch is read without it, scored, and written in
a short transaction of its own (skipping any article scored or deleted meanwhile); the match
and cluster stages can then write while the pool scores.

A pool job is an article's score and, when it is stored without one, the MinHash signature of
the same text, so its story group can be chosen with the score write: one trip to a worker
process per article instead of two. Given the clustering's configuration, the job also counts
the terms clustering will read (headline and lead, `feed.clustering.count_terms`) and the
signature's LSH bands; both are handed to this process (`remember_terms`, `remember_bands`),
whose clustering then neither tokenises the article when it places it nor when it fits the IDF
on the newest articles, and whose story stage does not hash its bands again.

One article never stops the others. The scorer reads a bounded text (scoring/scorer.py), the
pool kills a batch that runs past its time limit (cycle.py sets it), and a batch whose scoring
or storing fails is redone one article at a time; an article that fails alone (raises, runs
out of time, gives a non-finite number, or is refused by the database) leaves the queue
unscored, with `score_error` saying why, and goes on to the later stages.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from app.crawlers.neardup import bands, remember_bands, signature
from app.crawlers.parsers import storable
from app.crawlers.pool import PoolTimeout
from app.db import Database, is_postgres
from app.feed.clustering import ClusterConfig, Terms, count_terms, remember_terms, uncounted
from app.pipeline.isolation import article_fault
from app.scoring import load_scorer
from app.services import scoring as scoring_service
from app.services.clustering import LEAD_CHARS
from app.services.entities import active_entities
from app.services.scoring import Unscored
from app.services.watchlists import MatchText

if TYPE_CHECKING:  # the scorer (numpy, scipy) is imported where it scores
    from app.scoring import ArticleScore, Entity, Scorer
    from app.scoring.scorer import Item

logger = logging.getLogger(__name__)

# The scorer's (title, text, entities); sign the text?; the document's kind (post, article);
# the lead to count clustering's terms of (None: not asked).
ScoreJob = tuple["Item", bool, str | None, str | None]


@dataclass(frozen=True, slots=True)
class Scored:
    """A pool job's result."""

    score: ArticleScore
    signature: bytes | None = None  # None: not asked, or the text is too short
    bands: list[int] | None = None  # the signature's LSH band keys
    terms: Terms | None = None  # clustering's term counts (None: not asked)


# A batch in the pool may take its time limit plus this per article (a text at the scorer's
# cap takes about 1 s on a loaded core; a news article a few milliseconds).
SCORE_SECONDS_PER_ARTICLE = 2.0

# Runs a batch of score jobs somewhere else (the CPU pool's processes); the default is a
# thread of this process.
JobRunner = Callable[[list[ScoreJob]], Awaitable[list[Scored]]]


@dataclass(slots=True)
class ScoreStage:
    database: Database
    scorer: Scorer | None = None  # None: the shipped model (loaded when this process scores)
    run: JobRunner | None = None  # None: a thread of this process
    batch_size: int = 200
    depth: int = 2  # batches in flight: one scored while the next is claimed and sent
    on_commit: Callable[[], None] | None = None  # told after each committed batch
    stories: int = 0  # articles given a story group with their score
    set_aside: int = 0  # articles that left the queue unscored (score_error says why)
    # Clustering's configuration, when `run` counts its terms (`score_and_sign_shipped`).
    cluster: ClusterConfig | None = None

    async def run_pending(self) -> int:
        """Score until no unscored, settled article is left; returns how many were scored."""
        after = 0
        previous: asyncio.Future[None] | None = None
        slots = asyncio.Semaphore(self.depth)
        tasks: list[asyncio.Task[int]] = []
        loop = asyncio.get_running_loop()
        try:
            while True:
                await slots.acquire()
                claimed: asyncio.Future[tuple[int, int]] = loop.create_future()
                committed: asyncio.Future[None] = loop.create_future()
                task = asyncio.create_task(self._batch(after, claimed, previous, committed, slots))
                tasks.append(task)
                previous = committed
                count, after = await claimed
                if count < self.batch_size:
                    break
        finally:
            done = await asyncio.gather(*tasks, return_exceptions=True)
        failures = [d for d in done if isinstance(d, BaseException)]
        if failures:
            raise failures[0]
        return sum(d for d in done if isinstance(d, int))

    async def _batch(
        self,
        after: int,
        claimed: asyncio.Future[tuple[int, int]],
        previous: asyncio.Future[None] | None,
        committed: asyncio.Future[None],
        slots: asyncio.Semaphore,
    ) -> int:
        try:
            if is_postgres(self.database.engine):
                async with self.database.writer.begin() as session:
                    articles, entities = await self._claim(session, after, claimed)
                    if not articles:
                        return 0
                    scores = await self._score(articles, entities)
                    await _wait(previous)
                    # The claim's row locks hold: nothing was scored or deleted meanwhile.
                    await self._store(session, scores, _texts(articles))
            else:
                async with self.database.sessionmaker() as session:
                    articles, entities = await self._claim(session, after, claimed)
                    texts = _texts(articles)
                if not articles:
                    return 0
                scores = await self._score(articles, entities)
                await _wait(previous)
                async with self.database.writer.begin() as session:
                    await self._store(session, scores, texts)
            self.stories += sum(1 for a in articles if a.story_group_id is None)
            if self.on_commit is not None:
                self.on_commit()
            return len(articles)
        finally:
            if not claimed.done():  # the claim itself failed: stop the loop
                claimed.set_result((0, after))
            if not committed.done():
                committed.set_result(None)
            slots.release()

    async def _claim(
        self, session: AsyncSession, after: int, claimed: asyncio.Future[tuple[int, int]]
    ) -> tuple[list[Unscored], list[Entity]]:
        articles = await scoring_service.claim_unscored_columns(
            session, limit=self.batch_size, after_id=after
        )
        entities = await active_entities(session) if articles else []
        claimed.set_result((len(articles), articles[-1].id if articles else after))
        return articles, entities

    async def _score(self, articles: Sequence[Unscored], entities: Sequence[Entity]) -> _Scores:
        """Scores by article id, the signatures of the articles that need one for their story
        group (stored without a signature and without a group), and why the others failed."""
        leads: dict[int, str] = {}
        if self.cluster is not None and self.run is not None:
            # Not those counted already (for an IDF fit that read them before their score).
            wanted = {(a.title or "", _lead(a)): a.id for a in articles}
            leads = {wanted[d]: d[1] for d in uncounted(wanted, self.cluster)}
        jobs: list[ScoreJob] = [
            (
                (a.title, a.body or a.summary or "", entities),
                a.story_group_id is None and not a.signed,
                a.kind,
                leads.get(a.id),
            )
            for a in articles
        ]
        outcomes: list[Scored | str]
        try:
            outcomes = [_checked(d) for d in await self._run(jobs)]
        except PoolTimeout as exc:
            if len(jobs) == 1:
                outcomes = [f"scoring {exc}"]
            else:
                outcomes = await self._one_by_one(jobs)
        except Exception as exc:
            if len(jobs) > 1:
                outcomes = await self._one_by_one(jobs)
            if len(jobs) == 1 or all(_raised(o) for o in outcomes):
                # Not one article of the batch could be scored, each for an error: the scorer
                # is down, not the articles. They stay queued for the next run; an article
                # that alone breaks the scorer is set aside once it shares a batch.
                raise exc
        scores = _Scores()
        for article, (item, sign, _, lead), outcome in zip(articles, jobs, outcomes, strict=True):
            if isinstance(outcome, str):
                scores.failed[article.id] = outcome
                continue
            scores.results[article.id] = outcome.score
            if sign:
                scores.signed[article.id] = outcome.signature
            if self.cluster is not None and lead is not None and outcome.terms is not None:
                remember_terms(item[0] or "", lead, self.cluster, outcome.terms)
            if outcome.signature is not None and outcome.bands is not None:
                remember_bands(outcome.signature, outcome.bands)
        return scores

    async def _run(self, jobs: list[ScoreJob]) -> list[Scored]:
        if self.run is not None:
            return await self.run(jobs)
        scorer = self.scorer if self.scorer is not None else load_scorer()
        return await asyncio.to_thread(score_and_sign, scorer, jobs)

    async def _one_by_one(self, jobs: list[ScoreJob]) -> list[Scored | str]:
        logger.warning("score batch failed; scoring its articles one by one", exc_info=True)
        return list(await asyncio.gather(*(self._one(job) for job in jobs)))

    async def _one(self, job: ScoreJob) -> Scored | str:
        """One article's score, or why it has none."""
        try:
            (done,) = await self._run([job])
        except PoolTimeout as exc:
            return f"scoring {exc}"
        except Exception as exc:
            return f"{SCORER_RAISED}{exc!r}"
        return _checked(done)

    async def _store(
        self, session: AsyncSession, scores: _Scores, texts: dict[int, MatchText]
    ) -> None:
        """Store the batch's scores (each article alone if the batch's write fails), then set
        aside the articles without one."""
        try:
            async with session.begin_nested():
                await scoring_service.store_results(
                    session, results=scores.results, texts=texts, signed=scores.signed
                )
        except Exception as exc:
            if not article_fault(exc):
                raise
            logger.warning("storing a score batch failed; storing one by one", exc_info=True)
            for article_id, result in scores.results.items():
                try:
                    async with session.begin_nested():
                        await scoring_service.store_results(
                            session,
                            results={article_id: result},
                            texts={article_id: texts[article_id]},
                            signed={k: v for k, v in scores.signed.items() if k == article_id},
                        )
                except Exception as one:
                    if not article_fault(one):
                        raise
                    scores.failed[article_id] = f"storing its score failed: {one!r}"
        if not scores.failed:
            return
        reasons = {i: storable(reason) or "failed" for i, reason in scores.failed.items()}
        await scoring_service.set_aside_unscored(session, reasons=reasons)
        self.set_aside += len(reasons)
        for article_id, reason in reasons.items():
            logger.error(
                "article set aside by a stage",
                extra={"stage": "score", "article_id": article_id, "error": reason},
            )


@dataclass(slots=True)
class _Scores:
    results: dict[int, ArticleScore] = field(default_factory=dict)
    signed: dict[int, bytes | None] = field(default_factory=dict)
    failed: dict[int, str] = field(default_factory=dict)  # article id -> why it has no score


SCORER_RAISED = "scoring failed: "


def _raised(outcome: Scored | str) -> bool:
    return isinstance(outcome, str) and outcome.startswith(SCORER_RAISED)


def _checked(done: Scored) -> Scored | str:
    """A score fit to store, or why it is not (a NaN would poison severity and JSON)."""
    score = done.score
    numbers = [score.negativity, score.confidence]
    numbers += [n for t in score.targets for n in (t.negativity, t.confidence)]
    if not all(math.isfinite(n) for n in numbers):
        return "the scorer gave a non-finite number"
    return done


def _lead(article: Unscored) -> str:
    """The lead clustering reads (`services.clustering`: the body, else the summary, cut)."""
    text = article.body if article.body is not None else article.summary
    return (text or "")[:LEAD_CHARS]


def _texts(articles: Sequence[Unscored]) -> dict[int, MatchText]:
    """What the match stage reads, taken from the rows already loaded for scoring."""
    return {
        a.id: MatchText(a.id, a.title, a.body, a.summary, a.source_id, a.outlet) for a in articles
    }


async def _wait(previous: asyncio.Future[None] | None) -> None:
    """Wait for the previous batch's commit (or its failure: order, not success, matters)."""
    if previous is not None:
        await asyncio.wait([previous])


def score_and_sign(
    scorer: Scorer, jobs: list[ScoreJob], cluster: ClusterConfig | None = None
) -> list[Scored]:
    """Score the batch with `scorer`, sign the texts and count the terms asked for."""
    items = [job[0] for job in jobs]
    return _signed(scorer.score_many(items, kinds=[job[2] for job in jobs]), jobs, cluster)


def score_and_sign_shipped(
    jobs: list[ScoreJob], cluster: ClusterConfig | None = None
) -> list[Scored]:
    """`score_and_sign` with the shipped model (loaded once per worker process)."""
    from app.scoring.worker import score_with_shipped_model

    items = [job[0] for job in jobs]
    return _signed(score_with_shipped_model(items, [job[2] for job in jobs]), jobs, cluster)


def _signed(
    scores: list[ArticleScore], jobs: list[ScoreJob], cluster: ClusterConfig | None
) -> list[Scored]:
    # The story stage signs `body or summary`; the scorer's text is `body or summary or ""`,
    # and an empty text has no signature either way.
    out = []
    for score, (item, sign, _, lead) in zip(scores, jobs, strict=True):
        sig = signature(item[1]) if sign else None
        terms = count_terms(item[0] or "", lead, cluster) if lead is not None and cluster else None
        out.append(Scored(score, sig, bands(sig) if sig is not None else None, terms))
    return out
