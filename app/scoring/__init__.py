"""Negative-tendency scoring: pure functions over text plus the shipped linear models.

``load_scorer()`` returns the cached default scorer; ``Scorer.score`` / ``score_many`` score
articles and watched entities; ``detect_language`` tells Indonesian from English.

The names are resolved on first use: the scorer's modules import numpy and scipy, which a
command with nothing to score (`pantau crawl --once` from cron) never needs.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

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

_HOMES = {
    "ArticleScore": "app.scoring.result",
    "Entity": "app.scoring.result",
    "Label": "app.scoring.result",
    "TargetScore": "app.scoring.result",
    "Scorer": "app.scoring.scorer",
    "detect_language": "app.scoring.language",
}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value


def load_scorer(path: Path | None = None) -> Scorer:
    """The scorer for an artefact (directory or stem) with the informal model of the same
    directory, if it has one; the shipped one is loaded once."""
    if path is None:
        return _default_scorer()
    from app.scoring.artifact import load_artifact
    from app.scoring.informal import load_informal
    from app.scoring.scorer import Scorer

    models, tone, version, _ = load_artifact(path)
    return Scorer(models, version, tone, load_informal(path if path.is_dir() else path.parent))


def use_encoder_threads(threads: int) -> None:
    """`Encoder.use_threads` in this process, without importing the encoder (numpy) to set the
    one thread it starts with."""
    if threads != 1 or "app.scoring.encoder" in sys.modules:
        from app.scoring.encoder import Encoder

        Encoder.use_threads(threads)


@lru_cache(maxsize=1)
def _default_scorer() -> Scorer:
    from app.scoring.artifact import load_artifact
    from app.scoring.informal import load_informal
    from app.scoring.scorer import Scorer

    models, tone, version, _ = load_artifact(None)
    return Scorer(models, version, tone, load_informal(None))
