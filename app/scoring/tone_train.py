"""Training the tone model (``tone.py``) on (article, entity) pairs labelled by reading."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from app.scoring.dataset import ToneExample
from app.scoring.model import CLASSES, LinearModel, softmax
from app.scoring.result import Entity
from app.scoring.tone import (
    N_DENSE,
    Pair,
    ToneConfig,
    ToneModel,
    article_sentences,
    design,
    read_pair,
)


def pairs_of(rows: Sequence[ToneExample]) -> list[Pair]:
    out = []
    for r in rows:
        sentences, has_title = article_sentences(r.title, r.text)
        out.append(read_pair(sentences, Entity(r.name, r.aliases), has_title=has_title))
    return out


class _Fitted:
    """A logistic regression fitted on the columns the rows use (the hashed space is mostly
    empty; the solver's cost grows with the columns it carries)."""

    def __init__(self, x: sp.csr_matrix, y: np.ndarray, c: float) -> None:
        self.cols = np.unique(x.indices)
        self.model = LogisticRegression(C=c, max_iter=3000, tol=1e-4, class_weight="balanced")
        self.model.fit(x[:, self.cols], y)
        self.classes_ = self.model.classes_

    def decision_function(self, x: sp.csr_matrix) -> np.ndarray:
        out: np.ndarray = self.model.decision_function(x[:, self.cols])
        return out

    def coef(self, n: int) -> np.ndarray:
        full = np.zeros((n, len(CLASSES)), dtype=np.float32)
        full[np.ix_(self.cols, self.classes_)] = np.asarray(self.model.coef_, np.float32).T
        return full


def _fit(x: sp.csr_matrix, y: np.ndarray, c: float) -> _Fitted:
    return _Fitted(x, y, c)


def fit_tone(
    rows: Sequence[ToneExample],
    sentence_model: LinearModel,
    config: ToneConfig | None = None,
    folds: int = 5,
) -> tuple[ToneModel, np.ndarray]:
    """The tone model and its out-of-fold probabilities (folds grouped by article, so no
    article is on both sides); the calibration is fitted on those."""
    from app.scoring.train import fit_calibrator, label_ids

    cfg = config or ToneConfig()
    x = design(pairs_of(rows), sentence_model, cfg)
    y = label_ids([r.label for r in rows])
    if len(set(y.tolist())) < len(CLASSES):
        raise ValueError("the tone model needs negative, neutral and positive examples")
    groups = [r.article_id or f"row-{k}" for k, r in enumerate(rows)]
    oof = np.zeros((len(rows), len(CLASSES)))
    n_folds = min(folds, len(set(groups)))
    for train_idx, test_idx in GroupKFold(n_splits=n_folds).split(x, y, groups):
        part = _fit(x[train_idx], y[train_idx], cfg.c)
        oof[np.ix_(test_idx, part.classes_)] = softmax(part.decision_function(x[test_idx]))
    final = _fit(x, y, cfg.c)
    weights = final.coef((1 << cfg.bits) + N_DENSE)
    bias = final.model.intercept_.astype(np.float32)
    calibrator = fit_calibrator(oof, y)
    meta = {
        "rows": len(rows),
        "articles": len(set(groups)),
        "prior": [round(float(p), 4) for p in np.bincount(y, minlength=3) / max(1, len(y))],
    }
    return ToneModel(cfg, weights, bias, calibrator, meta), oof
