"""Evaluation metrics used by training and the benchmark (numpy only)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def f1_per_class(y_true: ArrayLike, y_pred: ArrayLike, n_classes: int) -> list[float]:
    t = np.asarray(y_true)
    p = np.asarray(y_pred)
    out = []
    for k in range(n_classes):
        tp = float(np.sum((t == k) & (p == k)))
        fp = float(np.sum((t != k) & (p == k)))
        fn = float(np.sum((t == k) & (p != k)))
        out.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return out


def macro_f1(y_true: ArrayLike, y_pred: ArrayLike, n_classes: int = 3) -> float:
    return float(np.mean(f1_per_class(y_true, y_pred, n_classes)))


def expected_calibration_error(prob: np.ndarray, is_positive: np.ndarray, bins: int = 10) -> float:
    """ECE of a binary probability (here P(negative)) over equal-width bins."""
    prob = np.asarray(prob, dtype=float)
    hit = np.asarray(is_positive, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(prob, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.mean() * abs(prob[mask].mean() - hit[mask].mean())
    return float(total)


def reliability(
    prob: np.ndarray, is_positive: np.ndarray, bins: int = 5
) -> list[tuple[float, float, int]]:
    """(mean predicted, observed rate, count) per equal-width bin, for the model card."""
    prob = np.asarray(prob, dtype=float)
    hit = np.asarray(is_positive, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(prob, edges[1:-1]), 0, bins - 1)
    return [
        (float(prob[which == b].mean()), float(hit[which == b].mean()), int((which == b).sum()))
        for b in range(bins)
        if (which == b).any()
    ]
