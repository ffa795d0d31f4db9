"""Validation figures shared by the release step and the benchmark (training data needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from app.scoring import dataset as ds
from app.scoring.language import detect_language
from app.scoring.metrics import expected_calibration_error, f1_per_class, macro_f1, reliability
from app.scoring.model import LinearModel
from app.scoring.text import tokens
from app.scoring.train import label_ids, target_counts, target_inputs


def classification_report(
    proba: np.ndarray, y: np.ndarray, pred: np.ndarray | None = None
) -> dict[str, Any]:
    """Figures for class probabilities ``proba`` (labels = argmax unless ``pred`` is given)."""
    pred = proba.argmax(axis=1) if pred is None else pred
    per_class = f1_per_class(y, pred, 3)
    return {
        "rows": len(y),
        "macro_f1": round(macro_f1(y, pred), 4),
        "negative_f1": round(per_class[0], 4),
        "f1": [round(f, 4) for f in per_class],
        "accuracy": round(float((pred == y).mean()), 4),
        "ece_negative": round(expected_calibration_error(proba[:, 0], y == 0), 4),
        "reliability_negative": [
            [round(p, 3), round(o, 3), n] for p, o, n in reliability(proba[:, 0], y == 0)
        ],
    }


def evaluate_news(model: LinearModel, data_dir: Path) -> dict[str, Any]:
    """Indonesian model on the later period of the cnbc headlines (the validation split)."""
    _, valid = ds.split_cnbc(ds.load_cnbc(data_dir))
    proba = model.proba(model.featurizer.counts(tokens(r.text) for r in valid))
    return classification_report(proba, label_ids([r.label for r in valid]))


def evaluate_target(model: LinearModel, data_dir: Path) -> dict[str, Any]:
    """English target-aware model on NewsMTSC devtest_mt."""
    _, rows = ds.load_newsmtsc(data_dir, "devtest_mt")
    toks, spans = target_inputs(rows)
    proba = model.target_proba(
        target_counts(model.featurizer, toks, spans),
        toks,
        spans,
        [r.text for r in rows],
        [(r.start, r.end) for r in rows],
    )
    return classification_report(proba, label_ids([r.label for r in rows]))


def evaluate_english_sentences(model: LinearModel, data_dir: Path) -> dict[str, Any]:
    sentences, _ = ds.load_newsmtsc(data_dir, "devtest_mt")
    proba = model.proba(model.featurizer.counts(tokens(r.text) for r in sentences))
    return classification_report(proba, label_ids([r.label for r in sentences]))


def evaluate_language(data_dir: Path) -> dict[str, Any]:
    """Accuracy on the parallel NusaX Indonesian/English texts."""
    rows = [(r.text, "id") for r in ds.load_nusax(data_dir, "id")]
    rows += [(r.text, "en") for r in ds.load_nusax(data_dir, "en")]
    hits = sum(detect_language(text) == lang for text, lang in rows)
    return {"rows": len(rows), "accuracy": round(hits / len(rows), 4)}


def evaluate_reviews(model: LinearModel, data_dir: Path) -> dict[str, Any]:
    """Indonesian model on SmSA valid.tsv (general sentiment; kept out of training)."""
    rows = ds.load_smsa(data_dir, ("valid.tsv",))
    proba = model.proba(model.featurizer.counts(tokens(r.text) for r in rows))
    return classification_report(proba, label_ids([r.label for r in rows]))
