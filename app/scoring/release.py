"""Train, evaluate on the validation splits, write the artefact and its model card."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

from app.scoring import dataset as ds
from app.scoring import evaluate
from app.scoring.artifact import save_models
from app.scoring.language import PROFILE_PATH, buildprofile_words, reload_profile
from app.scoring.train import Progress, TrainConfig, holdout_twin, no_progress, train_all

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
