"""Learning curve of the tone model: validation macro-F1 at a quarter, half and all of the
training pairs (articles drawn in a fixed order, so a larger share holds the smaller ones).

    python bench/tone_curve.py [--labels labels/tone-id/labels.jsonl]
                               [--corpus ../shared/data/news/articles.jsonl]

Reads the train and validation splits only (never test). The last line is the figure: the
gain per doubling of the training pairs (if it is still well above zero, more labels pay).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.scoring.artifact import load_artifact
from app.scoring.dataset import load_tone_pairs
from app.scoring.metrics import f1_per_class, macro_f1
from app.scoring.model import CLASSES
from app.scoring.tone_train import fit_tone, pairs_of


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--labels", type=Path, default=Path("labels/tone-id/labels.jsonl"))
    ap.add_argument("--corpus", type=Path, default=Path("../shared/data/news/articles.jsonl"))
    args = ap.parse_args()
    print(
        f"machine: {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f} at the start"
    )
    models, _, _, _ = load_artifact()
    rows = load_tone_pairs(args.labels, args.corpus)
    train = [r for r in rows if r.split == "train"]
    valid = [r for r in rows if r.split == "validation"]
    y = np.array([CLASSES.index(r.label) for r in valid])
    pairs = pairs_of(valid)
    order = sorted({r.article_id for r in train}, key=lambda a: hashlib.sha256(a.encode()).digest())
    points = []
    for share in (0.25, 0.5, 1.0):
        keep = set(order[: round(share * len(order))])
        part = [r for r in train if r.article_id in keep]
        start = time.perf_counter()
        model, _ = fit_tone(part, models["id"])
        pred = model.proba(pairs, models["id"]).argmax(axis=1)
        f1 = macro_f1(y, pred)
        points.append((len(part), f1))
        print(
            f"{share:>4.0%} of training articles: {len(part)} pairs -> validation macro-F1 "
            f"{f1:.3f}, negative F1 {f1_per_class(y, pred, 3)[0]:.3f} "
            f"({time.perf_counter() - start:.0f} s)"
        )
    (_n0, f0), (_n1, f1_), (n2, f2) = points
    per_doubling = ((f1_ - f0) + (f2 - f1_)) / 2
    print(
        f"tone learning curve: +{per_doubling:.3f} macro-F1 per doubling of pairs; "
        f"{n2} pairs {f2:.3f} on {len(valid)} validation pairs"
    )


if __name__ == "__main__":
    main()
