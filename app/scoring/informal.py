"""The informal model: tone of social posts and other informal Indonesian (pure, shipped).

News headlines and social posts are different registers: the shipped Indonesian model learns
mostly from headlines and reads "gw kecewa bgt sm pelayanannya 😡" poorly. The informal model
is a linear model of its own (``model.LinearModel``, hashed word and character features),
trained on general Indonesian comments and reviews (``informal_train.py``), that reads text
through the slang table (``slang.py``). It ships as a separate artefact,
``artifacts/pantau-scoring-informal.{npz,json}``, next to the news artefact it leaves alone.

Which documents it reads (``Scorer`` asks ``reads_informal``): posts (kind ``post``), and
documents of unknown kind without a title whose text looks informal (``looks_informal``),
when the text is Indonesian once its chat forms are written out. A watched entity such a
document names gets the informal model's reading of the sentences naming it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.scoring.artifact import ARTIFACT_DIR, load_artifact
from app.scoring.language import detect_language
from app.scoring.model import LinearModel
from app.scoring.slang import informal_signals, normalise_informal
from app.scoring.text import tokens

INFORMAL_NAME = "pantau-scoring-informal"
MODEL_KEY = "informal"
POST = "post"
# A text of unknown kind looks informal with this many marks, making up this share of its
# words (news bodies: 0.07 % of 3,000 articles pass; see bench/informal_eval.py).
MIN_MARKS = 2
MIN_MARK_SHARE = 0.08


@dataclass
class InformalModel:
    model: LinearModel
    version: str

    def proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated class probabilities (negative, neutral, positive) of whole texts."""
        return self.model.proba(self.model.featurizer.counts([informal_tokens(t) for t in texts]))


def informal_tokens(text: str) -> list[str]:
    """The tokens the informal model reads: the text with its chat forms written out."""
    return tokens(normalise_informal(text))


def looks_informal(text: str) -> bool:
    """Whether a text reads like a post (slang, emoji, laughter, mentions) rather than prose."""
    marks, words = informal_signals(text)
    return marks >= MIN_MARKS and marks >= MIN_MARK_SHARE * max(words, 1)


def reads_informal(kind: str | None, title: str | None, text: str) -> bool:
    """Whether the informal model reads a document: a post, or a document of unknown kind
    without a title that looks informal; in both cases an Indonesian one (language told on
    the text with its Indonesian chat forms written out, English words left as they are)."""
    if kind == POST:
        pass
    elif kind is not None or (title or "").strip() or not looks_informal(text):
        return False
    full = f"{title}\n\n{text}" if title else text
    return detect_language(normalise_informal(full, english=False)) == "id"


def informal_paths(path: Path | None = None) -> Path:
    """The informal artefact's stem: in ``path`` when a directory, else ``path`` itself;
    the shipped one by default."""
    base = path or ARTIFACT_DIR
    return base / INFORMAL_NAME if base.is_dir() else base.with_suffix("")


def load_informal(path: Path | None = None) -> InformalModel | None:
    """The informal model at ``path`` (see ``informal_paths``); None when there is none."""
    stem = informal_paths(path)
    if not stem.with_suffix(".json").exists():
        return None
    models, _, version, _ = load_artifact(stem)
    return InformalModel(models[MODEL_KEY], version)
