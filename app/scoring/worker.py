"""Scoring in worker processes: each process loads the shipped model once and keeps it."""

from __future__ import annotations

from collections.abc import Sequence

from app.scoring import ArticleScore, load_scorer
from app.scoring.scorer import Item


def score_with_shipped_model(
    items: list[Item], kinds: Sequence[str | None] | None = None
) -> list[ArticleScore]:
    """`Scorer.score_many` of the shipped model (loaded on first use in this process); the
    documents' `kinds` route posts to the informal model."""
    return load_scorer().score_many(items, kinds=kinds)
