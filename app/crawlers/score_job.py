"""Scoring jobs for the CPU pool (pure): an article's score and, when it is stored without one,
the MinHash signature of the same text, so its story group can be chosen with the score write.

One trip to a worker process per article instead of two (the story stage used to send the
texts again to be signed).
"""

from __future__ import annotations

from app.crawlers.neardup import signature
from app.scoring import ArticleScore, Scorer
from app.scoring.scorer import Item
from app.scoring.worker import score_with_shipped_model

ScoreJob = tuple[Item, bool]  # the scorer's (title, text, entities); sign the text?
Scored = tuple[ArticleScore, bytes | None]  # the score; the signature (None: not asked, or short)


def score_and_sign(scorer: Scorer, jobs: list[ScoreJob]) -> list[Scored]:
    """Score the batch with `scorer` and sign the texts asked for."""
    return _signed(scorer.score_many([item for item, _ in jobs]), jobs)


def score_and_sign_shipped(jobs: list[ScoreJob]) -> list[Scored]:
    """`score_and_sign` with the shipped model (loaded once per worker process)."""
    return _signed(score_with_shipped_model([item for item, _ in jobs]), jobs)


def _signed(scores: list[ArticleScore], jobs: list[ScoreJob]) -> list[Scored]:
    # The story stage signs `body or summary`; the scorer's text is `body or summary or ""`,
    # and an empty text has no signature either way.
    return [
        (score, signature(item[1]) if sign else None)
        for score, (item, sign) in zip(scores, jobs, strict=True)
    ]
