"""Tone toward the watched entity, on the frozen test split of the reading-made pairs.

    python bench/tone_eval.py [--labels labels/tone-id/labels.jsonl]
                              [--corpus ../shared/data/news/articles.jsonl] [--artifact PATH]

Needs the CLICK-ID corpus (../shared) for the articles' text. Reads only the test split (the
shipped tone model trained on train + validation; nothing here tunes anything). Reports, in the
same run:
- per (article, entity) pair: the shipped tone model; the previous per-entity scorer (the same
  artefact without its tone model: mention-window folding of the sentence model), and always
  answering "neutral" (the peers);
- per article: negative when it is bad for any of its labelled entities (the product's article
  label when it names a watched entity);
- name swaps (tests/scoring/tone_templates.py): mean and largest spread of negativity when only
  the entity's name changes; neutral template sentences read negative; clear sentences read right;
- speed on real articles: articles per CPU second without watched mentions and with them
  (entities named in the text), through ``score_many`` as ingestion calls it;
- artefact size and load time.
The last line is the headline figure.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from itertools import combinations
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.scoring import Entity, Scorer
from app.scoring.artifact import artifact_paths, load_artifact
from app.scoring.dataset import ToneExample, load_tone_pairs
from app.scoring.metrics import f1_per_class, macro_f1
from app.scoring.model import CLASSES
from tests.scoring.tone_templates import ACTS_AGAINST, NAMES, NEGATIVE, NEUTRAL, POSITIVE, article


def per_pair(scorer: Scorer, rows: list[ToneExample]) -> tuple[np.ndarray, np.ndarray]:
    """(predicted class ids, negativity) per pair, through the product path."""
    items = [(r.title, r.text, (Entity(r.name, r.aliases),)) for r in rows]
    results = scorer.score_many(items, explain=False)
    pred = np.array([CLASSES.index(s.targets[0].label) for s in results])
    neg = np.array([s.targets[0].negativity for s in results])
    return pred, neg


def figures(y: np.ndarray, pred: np.ndarray) -> str:
    f1 = f1_per_class(y, pred, 3)
    return f"macro-F1 {macro_f1(y, pred):.3f}, negative F1 {f1[0]:.3f}, positive F1 {f1[2]:.3f}"


def article_level(rows: list[ToneExample], pred: np.ndarray) -> str:
    truth: dict[str, bool] = {}
    said: dict[str, bool] = {}
    for r, p in zip(rows, pred, strict=True):
        truth[r.article_id] = truth.get(r.article_id, False) or r.label == "negative"
        said[r.article_id] = said.get(r.article_id, False) or p == 0
    t = np.array([truth[k] for k in truth])
    s = np.array([said[k] for k in truth])
    tp = float((t & s).sum())
    precision, recall = tp / max(1, s.sum()), tp / max(1, t.sum())
    f1 = 2 * precision * recall / max(1e-9, precision + recall)
    return (
        f"{len(t)} articles, {int(t.sum())} bad for an entity: caught {int(tp)}, "
        f"flagged wrongly {int((s & ~t).sum())}; precision {precision:.3f}, recall {recall:.3f}, "
        f"F1 {f1:.3f}"
    )


def acts_against(scorer: Scorer) -> float:
    """Share of "the entity arrests / names a suspect" sentences read negative for it."""
    said = []
    for name in NAMES:
        for template in ACTS_AGAINST:
            title, body = article(template, name)
            result = scorer.score(title=title, text=body, entities=(Entity(name),))
            said.append(result.targets[0].label == "negative")
    return float(np.mean(said))


def swaps(scorer: Scorer) -> tuple[float, float, float, float]:
    spreads: list[float] = []
    for template in NEUTRAL + NEGATIVE + POSITIVE:
        values = []
        for name in NAMES:
            title, body = article(template, name)
            values.append(
                scorer.score(title=title, text=body, entities=(Entity(name),)).targets[0].negativity
            )
        spreads += [abs(a - b) for a, b in combinations(values, 2)]
    neutral_negative = right = total = 0
    for name in NAMES:
        for template, want in (
            [(t, "neutral") for t in NEUTRAL]
            + [(t, "negative") for t in NEGATIVE]
            + [(t, "positive") for t in POSITIVE]
        ):
            title, body = article(template, name)
            label = scorer.score(title=title, text=body, entities=(Entity(name),)).targets[0].label
            if want == "neutral":
                neutral_negative += label == "negative"
            else:
                right += label == want
                total += 1
    return (
        float(np.mean(spreads)),
        float(np.max(spreads)),
        neutral_negative / (len(NAMES) * len(NEUTRAL)),
        right / total,
    )


def speed(scorer: Scorer, corpus: list[tuple[str, str]], entities: tuple[Entity, ...]) -> float:
    items = [(t, b, entities) for t, b in corpus]
    scorer.score_many(items[:50], explain=False)
    start = time.process_time()
    for lo in range(0, len(items), 200):
        scorer.score_many(items[lo : lo + 200], explain=False)
    return len(items) / (time.process_time() - start)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--labels", type=Path, default=Path("labels/tone-id/labels.jsonl"))
    ap.add_argument("--corpus", type=Path, default=Path("../shared/data/news/articles.jsonl"))
    ap.add_argument("--artifact", type=Path, default=None)
    args = ap.parse_args()
    print(
        f"machine: {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f} at the start"
    )
    start = time.perf_counter()
    models, tone, version, _ = load_artifact(args.artifact)
    loaded = time.perf_counter() - start
    if tone is None:
        raise SystemExit("the artefact has no tone model")
    npz, spec = artifact_paths(args.artifact)
    size = (npz.stat().st_size + spec.stat().st_size) / 1e6
    print(f"artefact {version}: {size:.1f} MB (+ word vectors), loaded in {loaded:.2f} s")
    shipped = Scorer(models, version, tone)
    before = Scorer(models, version + " (no tone model)")
    rows = [r for r in load_tone_pairs(args.labels, args.corpus) if r.split == "test"]
    y = np.array([CLASSES.index(r.label) for r in rows])
    print(
        f"frozen test split: {len(rows)} pairs, {len({r.article_id for r in rows})} articles, "
        f"{len({r.name for r in rows})} entities; labels {np.bincount(y, minlength=3).tolist()}"
    )
    pred, _ = per_pair(shipped, rows)
    old, _ = per_pair(before, rows)
    neutral = np.ones_like(y)
    print(f"tone model:            {figures(y, pred)}")
    print(f"previous scorer:       {figures(y, old)}")
    print(f"always neutral:        {figures(y, neutral)}")
    print(f"article level, tone model:      {article_level(rows, pred)}")
    print(f"article level, previous scorer: {article_level(rows, old)}")
    mean_spread, max_spread, neutral_negative, clear = swaps(shipped)
    old_spread, _, old_neutral, old_clear = swaps(before)
    print(
        f"name swaps: mean spread {mean_spread:.4f}, largest {max_spread:.4f} "
        f"(previous scorer {old_spread:.4f}); neutral sentences read negative "
        f"{100 * neutral_negative:.1f} % ({100 * old_neutral:.1f} %); clear sentences right "
        f"{100 * clear:.1f} % ({100 * old_clear:.1f} %)"
    )
    print(
        f"the entity acts against someone else (hard case 1), read negative for it: "
        f"{100 * acts_against(shipped):.1f} % (previous scorer {100 * acts_against(before):.1f} %)"
    )
    texts = [(r.title, r.text) for r in {r.article_id: r for r in rows}.values()]
    watched = tuple(Entity(n, a) for n, a in {(r.name, r.aliases) for r in rows})
    with_mentions = speed(shipped, texts, watched)
    without = speed(shipped, texts, ())
    print(
        f"speed: {without:.0f} articles per CPU second without watched entities, "
        f"{with_mentions:.0f} with all {len(watched)} test entities watched"
    )
    f1 = f1_per_class(y, pred, 3)
    print(
        f"tone: test macro-F1 {macro_f1(y, pred):.3f} (previous {macro_f1(y, old):.3f}, "
        f"always neutral {macro_f1(y, neutral):.3f}), negative F1 {f1[0]:.3f}, "
        f"name-swap spread {mean_spread:.3f}, {with_mentions:.0f} articles/s with mentions"
    )


if __name__ == "__main__":
    main()
