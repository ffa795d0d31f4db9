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


def preload() -> None:
    """Load the shipped model now and score one line (its first call builds caches), so a
    worker's first batch does not spend its time limit on either. The line names no entity:
    the sentence encoder, which starts threads, stays unloaded."""
    load_scorer().score_many([("Harga beras naik", "Warga mengeluh harga beras naik.", ())])
