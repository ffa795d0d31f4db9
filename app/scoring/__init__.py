"""Negative-tendency scoring: pure functions over text plus the shipped linear models.

``load_scorer()`` returns the cached default scorer; ``Scorer.score`` / ``score_many`` score
articles and watched entities; ``detect_language`` tells Indonesian from English.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from app.scoring.artifact import load_artifact
from app.scoring.informal import load_informal
from app.scoring.language import detect_language
from app.scoring.result import ArticleScore, Entity, Label, TargetScore
from app.scoring.scorer import Scorer

__all__ = [
    "ArticleScore",
    "Entity",
    "Label",
    "Scorer",
    "TargetScore",
    "detect_language",
    "load_scorer",
]


def load_scorer(path: Path | None = None) -> Scorer:
    """The scorer for an artefact (directory or stem) with the informal model of the same
    directory, if it has one; the shipped one is loaded once."""
    if path is None:
        return _default_scorer()
    models, tone, version, _ = load_artifact(path)
    return Scorer(models, version, tone, load_informal(path if path.is_dir() else path.parent))


@lru_cache(maxsize=1)
def _default_scorer() -> Scorer:
    models, tone, version, _ = load_artifact(None)
    return Scorer(models, version, tone, load_informal(None))
