"""Training the informal model (``informal.py``): reproducible, a few minutes on two cores.

Training data: the train splits of SmSA (IndoNLU) and NusaX-senti Indonesian, both CC BY-SA
4.0, Indonesian comments, reviews and posts labelled negative / neutral / positive. Rows whose
text (folded to letters and digits) is also a validation row are dropped, so the held-out
figures are held out: NusaX was sampled from SmSA, and a quarter of NusaX-id valid is in SmSA
train word for word. Validation: SmSA valid + NusaX-id valid (``informal_valid``).
"""

from __future__ import annotations

import csv
import json
import logging
import re
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from app.scoring import dataset as ds
from app.scoring.artifact import save_models
from app.scoring.evaluate import classification_report
from app.scoring.features import WORD_LISTS, FeatureConfig, Featurizer
from app.scoring.informal import MODEL_KEY, InformalModel, informal_paths, informal_tokens
from app.scoring.metrics import macro_f1
from app.scoring.model import LinearModel
from app.scoring.train import Corpus, Progress, fit_linear, label_ids, no_progress

log = logging.getLogger(__name__)

RELEASE = "1"
# Licence notes copied next to the artefact (SmSA ships without a licence file; the shared
# data's README and IndoNLU give CC BY-SA 4.0, the licence whose text LICENSE-nusax.txt holds).
LICENCES = {"nusax-senti/LICENSE": "LICENSE-nusax.txt"}
SMSA_NOTE = "LICENSE-smsa.txt"
_FOLD_RE = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class InformalConfig:
    seed: int = 13
    folds: int = 5
    # Chosen by 3-fold cross-validation on the training rows (bench/HISTORY.md): a linear SVM
    # with balanced class weights at C=1, sentence marks on, led logistic regression (balanced
    # or not), C 0.2-2 and char weights 0.4-1.5 (0.877 against 0.855-0.874).
    clf: str = "svc-balanced:1"
    features: FeatureConfig = field(
        default_factory=lambda: FeatureConfig(
            word_bits=18, char_bits=18, char_weight=0.7, marks=True
        )
    )


def fold_text(text: str) -> str:
    return _FOLD_RE.sub(" ", text.lower()).strip()


def informal_valid(data_dir: Path) -> list[ds.Example]:
    """The validation rows: SmSA valid.tsv and NusaX-senti Indonesian valid.csv."""
    rows = ds.load_smsa(data_dir, ("valid.tsv",))
    path = data_dir / "nusax-senti" / "indonesian" / "valid.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows += [ds.Example(r["text"], r["label"], "nusax-id") for r in csv.DictReader(fh)]
    return rows


def informal_rows(data_dir: Path) -> tuple[list[ds.Example], int]:
    """Training rows (SmSA train, NusaX-id train) without the validation texts; and how
    many were dropped for being validation texts."""
    path = data_dir / "nusax-senti" / "indonesian" / "train.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        nusax = [ds.Example(r["text"], r["label"], "nusax-id") for r in csv.DictReader(fh)]
    held = {fold_text(r.text) for r in informal_valid(data_dir)}
    rows = ds.load_smsa(data_dir) + nusax
    kept = [r for r in rows if fold_text(r.text) not in held]
    return kept, len(rows) - len(kept)


def fit_informal(rows: list[ds.Example], cfg: InformalConfig) -> LinearModel:
    corpus = Corpus(
        texts=[r.text for r in rows],
        labels=label_ids([r.label for r in rows]),
        weights=np.ones(len(rows)),
        calibrate=np.ones(len(rows), dtype=bool),
    )
    counts = Featurizer(cfg.features).counts([informal_tokens(t) for t in corpus.texts])
    return fit_linear(counts, corpus, cfg.features, cfg.clf, cfg.seed, cfg.folds)


def evaluate_informal(model: InformalModel, rows: list[ds.Example]) -> dict[str, Any]:
    """Three-class figures, and the binary ones on the rows labelled negative or positive
    (a neutral answer counts as wrong there; by probability: negative against positive)."""
    proba = model.proba([r.text for r in rows])
    y = label_ids([r.label for r in rows])
    report = classification_report(proba, y)
    polar = y != 1
    pred = proba.argmax(axis=1)[polar]
    truth = y[polar] // 2
    report["binary_macro_f1"] = round(
        macro_f1(truth, np.where(pred == 1, 1 - truth, pred // 2), 2), 4
    )
    by_proba = (proba[polar, 2] > proba[polar, 0]).astype(int)
    report["binary_macro_f1_by_proba"] = round(macro_f1(truth, by_proba, 2), 4)
    return report


def run_informal_training(
    *,
    data_dir: Path,
    out: Path | None = None,
    cfg: InformalConfig | None = None,
    progress: Progress = no_progress,
) -> str:
    """Train, evaluate on the validation rows, write the artefact and its licence notes;
    returns the model version."""
    cfg = cfg or InformalConfig()
    rows, dropped = informal_rows(data_dir)
    progress("informal model", 0, 1)
    model = fit_informal(rows, cfg)
    progress("informal model", 1, 1)
    valid = informal_valid(data_dir)
    figures = {
        "all": evaluate_informal(InformalModel(model, ""), valid),
        "smsa_valid": evaluate_informal(
            InformalModel(model, ""), [r for r in valid if r.source == "smsa"]
        ),
        "nusax_id_valid": evaluate_informal(
            InformalModel(model, ""), [r for r in valid if r.source == "nusax-id"]
        ),
    }
    config = asdict(cfg)
    config["features"] = {k: v for k, v in cfg.features.to_json().items() if k not in WORD_LISTS}
    info = {
        "name": "informal",
        "release": RELEASE,
        "train_config": config,
        "training": {
            "sets": ["smsa train.tsv", "nusax-senti indonesian train.csv"],
            "licence": "CC BY-SA 4.0",
            "rows": len(rows),
            "dropped_as_validation_text": dropped,
        },
        "validation": figures,
    }
    stem = informal_paths(out)
    json_path, version = save_models({MODEL_KEY: model}, stem, info)
    for source, name in LICENCES.items():
        if (data_dir / source).exists():
            shutil.copyfile(data_dir / source, json_path.parent / name)
    (json_path.parent / SMSA_NOTE).write_text(_SMSA_TEXT, encoding="utf-8")
    log.info("informal artefact written", extra={"path": str(json_path), "version": version})
    log.info("informal validation", extra={"figures": json.dumps(figures["all"])})
    return version


_SMSA_TEXT = """SmSA (sentence-level sentiment analysis), from the IndoNLU benchmark
(Wilie et al., 2020, "IndoNLU: Benchmark and Resources for Evaluating Indonesian Natural
Language Understanding"; github IndoNLP/indonlu), train split.

Used to train the informal model (pantau-scoring-informal.*), and with weight 0.15 the
Indonesian model of pantau-scoring.*. Licence: CC BY-SA 4.0, as the data's distribution states
for it; the licence text is the one in LICENSE-nusax.txt (same licence). The trained weights
are shared under the same terms, with this attribution.
"""
