"""Train, evaluate on the validation splits, write the artefact and its model card."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from app.scoring import dataset as ds
from app.scoring import evaluate
from app.scoring.artifact import load_artifact, save_models
from app.scoring.language import PROFILE_PATH, buildprofile_words, detect_language, reload_profile
from app.scoring.model import LinearModel
from app.scoring.tone import ToneModel
from app.scoring.tone_train import fit_tone, pairs_of
from app.scoring.train import (
    Progress,
    TrainConfig,
    holdout_twin,
    label_ids,
    no_progress,
    train_all,
)

log = logging.getLogger(__name__)

RELEASE = "2.6"
# Licence files of the training sets, copied next to the artefact.
LICENCES = {
    "cnbc-headlines-2024/LICENSE": "LICENSE-cnbc-headlines-labels.txt",
    "newsmtsc/LICENSE": "LICENSE-newsmtsc.txt",
    "nusax-senti/LICENSE": "LICENSE-nusax.txt",
}


def run_training(
    *,
    data_dir: Path,
    labels: Path | None,
    out: Path | None,
    seed: int = 13,
    include_validation: bool = True,
    progress: Progress = no_progress,
) -> str:
    cfg = TrainConfig(seed=seed, include_validation=include_validation)
    write_languageprofile_words(data_dir)
    models, info = train_all(data_dir, cfg, labels, progress)
    held_out = models["id"]
    if include_validation:
        progress("id model, held-out twin", 0, 1)
        held_out = holdout_twin(data_dir, cfg)
        progress("id model, held-out twin", 1, 1)
    validation: dict[str, Any] = {
        "id_news_later_period": evaluate.evaluate_news(held_out, data_dir),
        "id_reviews_smsa_valid": evaluate.evaluate_reviews(models["id"], data_dir),
        "en_target_devtest_mt": evaluate.evaluate_target(models["en_target"], data_dir),
        "en_sentence_devtest_mt": evaluate.evaluate_english_sentences(models["en"], data_dir),
        "language_nusax": evaluate.evaluate_language(data_dir),
    }
    if include_validation:
        validation["note"] = (
            "the id model also trained on the later period of the headlines; "
            "id_news_later_period is its twin trained without it (same configuration, "
            "no analyst labels)"
        )
    info = {**info, "name": "pantau-neg", "release": RELEASE, "validation": validation}
    json_path, version = save_models(models, out, info)
    target_dir = json_path.parent
    for source, name in LICENCES.items():
        if (data_dir / source).exists():
            shutil.copyfile(data_dir / source, target_dir / name)
    log.info("artefact written", extra={"path": str(json_path), "version": version})
    (target_dir / "validation.json").write_text(json.dumps(validation, indent=1) + "\n")
    return version


def write_languageprofile_words(data_dir: Path) -> None:
    """Word profile for language detection: Indonesian headlines (training period) and SmSA
    against English NewsMTSC and NusaX-en."""
    cnbc, _ = ds.split_cnbc(ds.load_cnbc(data_dir))
    id_texts = [r.text for r in cnbc + ds.load_smsa(data_dir)]
    en_sentences, _ = ds.load_newsmtsc(data_dir, "train")
    en_texts = [r.text for r in en_sentences + ds.load_nusax(data_dir, "en")]
    profile = buildprofile_words(id_texts, en_texts)
    PROFILE_PATH.write_text(json.dumps(profile, ensure_ascii=False) + "\n", encoding="utf-8")
    reload_profile()


TONE_RELEASE = "2.7"


def tone_figures(
    rows: list[ds.ToneExample], model: ToneModel, sentence_model: LinearModel
) -> dict[str, Any]:
    """Per-entity figures of a tone model on labelled pairs, and the article-level ones (an
    article is negative when it is bad for any of its labelled entities)."""
    pred, proba = model.predict(pairs_of(rows), sentence_model)
    y = label_ids([r.label for r in rows])
    per_pair = evaluate.classification_report(proba, y, pred)
    worst: dict[str, tuple[bool, bool]] = {}
    for r, label in zip(rows, pred, strict=True):
        bad, flag = worst.get(r.article_id, (False, False))
        worst[r.article_id] = (bad or r.label == "negative", flag or int(label) == 0)
    truth = np.array([b for b, _ in worst.values()])
    flagged = np.array([f for _, f in worst.values()])
    tp = float((truth & flagged).sum())
    precision = tp / max(1.0, float(flagged.sum()))
    recall = tp / max(1.0, float(truth.sum()))
    per_pair["article_negative"] = {
        "articles": len(worst),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(2 * precision * recall / max(1e-9, precision + recall), 4),
    }
    return per_pair


def run_tone_training(
    *,
    labels: Path,
    corpus: Path,
    artifact: Path | None,
    out: Path | None,
    analyst: Path | None = None,
    progress: Progress = no_progress,
) -> str:
    """Train the Indonesian tone model on the reading-made pairs (train and validation splits;
    the test split is never read here) plus Indonesian analyst targets, into the artefact.

    ``validation.json`` gets the figures of a twin trained on the train split alone, measured
    on the validation split.
    """
    models, _, _, document = load_artifact(artifact)
    rows = ds.load_tone_pairs(labels, corpus)
    train = [r for r in rows if r.split == "train"]
    valid = [r for r in rows if r.split == "validation"]
    extra: list[ds.ToneExample] = []
    if analyst is not None:
        extra = [r for r in ds.load_tone_pairs(analyst) if detect_language(r.text) == "id"]
    sentence_model = models["id"]
    progress("tone model, twin on the train split", 0, 1)
    twin, _ = fit_tone(train, sentence_model)
    progress("tone model, twin on the train split", 1, 1)
    progress("tone model", 0, 1)
    tone, _ = fit_tone(train + valid + extra, sentence_model)
    progress("tone model", 1, 1)
    figures = tone_figures(valid, twin, sentence_model)
    info = {
        k: v for k, v in document.items() if k not in ("format", "model_version", "models", "tone")
    }
    info["release"] = TONE_RELEASE
    info["tone"] = {
        "labels": labels.name,
        "pairs": len(train) + len(valid),
        "analyst_pairs": len(extra),
        "entities": len({r.name for r in train + valid}),
        "validation_twin": figures,
    }
    json_path, version = save_models(models, out, info, tone=tone)
    validation_path = json_path.parent / "validation.json"
    validation = json.loads(validation_path.read_text()) if validation_path.exists() else {}
    validation["id_tone_validation"] = figures
    validation_path.write_text(json.dumps(validation, indent=1) + "\n")
    log.info("tone model written", extra={"path": str(json_path), "version": version})
    return version
