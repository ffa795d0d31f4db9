"""Learning curve of the Indonesian model: how macro-F1 on a later period grows with headlines.

    python bench/id_learning_curve.py [--data-dir ../shared/data] [--seeds 3]

The shipped configuration (``TrainConfig``: features, SVM, reviews, isotonic calibration) is
trained on random fractions of the CNBC training-period headlines (2024-01..10, with all the
review rows) and scored on the later period (2024-11..12), through the model's calibrated
argmax. A line through macro-F1 against log2(headlines) gives the gain per doubling and the
figure extrapolated to every labelled 2024 headline, which the shipped model trains on (its
later-period figures can no longer be measured). A second check, with a rolling origin: each
month from September to December is scored by a model trained up to the month before last and
by one trained up to the last month (what adding the latest labels buys). About 3 minutes.
The last line is the headline figure.
"""

from __future__ import annotations

import argparse
import math
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.scoring import dataset as ds
from app.scoring.evaluate import classification_report
from app.scoring.text import tokens
from app.scoring.train import TrainConfig, fit_sentence_model, indonesian_corpus, label_ids

FRACTIONS = (0.4, 0.55, 0.7, 0.85, 1.0)


def score(
    data_dir: Path, cfg: TrainConfig, news: list[ds.Example], test: list[ds.Example]
) -> tuple[float, float]:
    """(macro-F1, negative F1) on ``test`` of the configured model trained on ``news``."""
    model = fit_sentence_model(
        indonesian_corpus(data_dir, cfg, news=news), cfg.id_features, cfg.clf_id, cfg
    )
    proba = model.proba(model.featurizer.counts(tokens(r.text) for r in test))
    report = classification_report(proba, label_ids([r.label for r in test]))
    return float(report["macro_f1"]), float(report["negative_f1"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    data_dir = args.data_dir / "sentiment"
    cfg = TrainConfig()
    everything = ds.load_cnbc(data_dir)
    train, later = ds.split_cnbc(everything)
    print(f"machine: {platform.platform()}, {platform.python_version()}")
    start = time.perf_counter()
    sizes, macro, negative = [], [], []
    for fraction in FRACTIONS:
        runs = []
        for seed in range(args.seeds if fraction < 1 else 1):
            pick = np.random.default_rng(seed).permutation(len(train))[: int(len(train) * fraction)]
            runs.append(score(data_dir, cfg, [train[i] for i in sorted(pick)], later))
        mean = np.mean(runs, axis=0)
        sizes.append(int(len(train) * fraction))
        macro.append(mean[0])
        negative.append(mean[1])
        spread = np.ptp([r[0] for r in runs])
        print(
            f"{sizes[-1]:>5} headlines ({len(runs)} draws): macro-F1 {mean[0]:.4f} "
            f"(range {spread:.4f}), negative F1 {mean[1]:.4f}",
            flush=True,
        )
    x = np.log2(sizes)
    slope, intercept = np.polyfit(x, macro, 1)
    neg_slope, neg_intercept = np.polyfit(x, negative, 1)
    # The last two points alone: a curve that flattens gives the smaller, safer slope.
    tail_slope = (macro[-1] - macro[-2]) / (x[-1] - x[-2])
    full = len(everything)
    at_full = intercept + slope * math.log2(full)
    at_full_tail = macro[-1] + tail_slope * (math.log2(full) - x[-1])
    print(
        f"line through all points: +{slope:.4f} macro-F1 per doubling "
        f"(negative F1 +{neg_slope:.4f}); extrapolated to {full} headlines: {at_full:.4f} "
        f"(negative F1 {neg_intercept + neg_slope * math.log2(full):.4f})"
    )
    print(f"last two points: +{tail_slope:.4f} per doubling; extrapolated: {at_full_tail:.4f}")
    gains = []
    starts = [f"2024/{m:02d}/01" for m in range(1, 13)] + ["2025/01/01"]
    for month in range(8, 12):  # rolling origin: September to December, before and after
        before_from, test_from, test_to = starts[month - 1 : month + 2]
        test = [r for r in everything if test_from <= r.date < test_to]
        short = score(data_dir, cfg, [r for r in everything if r.date < before_from], test)
        longer = score(data_dir, cfg, [r for r in everything if r.date < test_from], test)
        gains.append(longer[0] - short[0])
        print(
            f"{test_from[:7]} ({len(test)} headlines): trained up to the month before last "
            f"{short[0]:.4f}, up to the last month {longer[0]:.4f} ({gains[-1]:+.4f})",
            flush=True,
        )
    print(f"adding the latest month: {np.mean(gains):+.4f} macro-F1 on average")
    print(f"took {time.perf_counter() - start:.0f} s")
    print(
        f"id learning curve: +{slope:.3f} macro-F1 per doubling of headlines; "
        f"{len(train)} headlines {macro[-1]:.3f} on the later period; {full} headlines "
        f"extrapolated {min(at_full, at_full_tail):.3f}-{max(at_full, at_full_tail):.3f}"
    )


if __name__ == "__main__":
    main()
