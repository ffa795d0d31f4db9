"""Informal text: the informal model against the news path on held-out general Indonesian text,
and the news figures it must not move.

    python bench/informal_eval.py [--data-dir ../shared/data] [--skip-english]

Held out: SmSA valid.tsv + NusaX-senti Indonesian valid.csv (1,360 comments, reviews and posts;
the informal model's training dropped every row with the same text). Both go through the
product path, ``Scorer.score_many``: as posts (kind ``post``, the informal model) and as news
articles (kind ``article``, the shipped news model: what a post got before the informal
model). Figures: three-class macro-F1, and binary macro-F1 on the rows labelled negative or
positive (a neutral answer counts as wrong). Also the 24 hand-written posts of
tests/scoring/informal_posts.py and its 6 posts naming a watched entity, how often
unknown-kind news is routed to the informal model (CNBC headlines and news bodies without a
title), the Indonesian news figure (later CNBC period, held-out twin, as
bench/scoring_eval.py) and the English target figure (NewsMTSC devtest_mt, slow: the
sentence encoder). The last line is the headline figure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.scoring import Entity, Scorer, load_scorer
from app.scoring import dataset as ds
from app.scoring.artifact import load_models
from app.scoring.informal import reads_informal
from app.scoring.informal_train import informal_valid
from app.scoring.metrics import macro_f1
from app.scoring.model import CLASSES
from bench.scoring_eval import end_to_end, held_out_id_model, target_end_to_end
from tests.scoring.informal_posts import ENTITY_POSTS, POSTS


def figures(scorer: Scorer, rows: list[ds.Example], kind: str) -> dict[str, float]:
    results = scorer.score_many(
        [(None, r.text, ()) for r in rows], explain=False, kinds=[kind] * len(rows)
    )
    y = np.array([CLASSES.index(r.label) for r in rows])
    pred = np.array([CLASSES.index(s.label) for s in results])
    polar = y != 1
    truth = y[polar] // 2
    binary = np.where(pred[polar] == 1, 1 - truth, pred[polar] // 2)
    return {
        "rows": len(rows),
        "macro_f1": round(macro_f1(y, pred), 4),
        "binary_macro_f1": round(macro_f1(truth, binary, 2), 4),
    }


def posts_right(scorer: Scorer, kind: str) -> int:
    results = scorer.score_many([(None, t, ()) for t, _ in POSTS], kinds=[kind] * len(POSTS))
    return sum(s.label == label for s, (_, label) in zip(results, POSTS, strict=True))


def entity_posts_right(scorer: Scorer, kind: str) -> int:
    """Posts naming a watched entity: the tone toward it right."""
    items = [(None, t, (Entity(name),)) for t, name, _ in ENTITY_POSTS]
    results = scorer.score_many(items, kinds=[kind] * len(items))
    return sum(
        s.targets[0].label == lab for s, (*_, lab) in zip(results, ENTITY_POSTS, strict=True)
    )


def routed_share(texts: list[str]) -> float:
    return sum(reads_informal(None, None, t) for t in texts) / max(1, len(texts))


def speed(scorer: Scorer, rows: list[ds.Example], kind: str) -> float:
    """Documents per CPU second of this process, JSON-lines path (no explanations)."""
    items = [(None, r.text, ()) for r in rows]
    scorer.score_many(items[:64], explain=False, kinds=[kind] * 64)
    start = time.process_time()
    for _ in range(3):
        scorer.score_many(items, explain=False, kinds=[kind] * len(items))
    return 3 * len(items) / (time.process_time() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--skip-english", action="store_true", help="No English target figure.")
    args = parser.parse_args()
    sentiment = args.data_dir / "sentiment"
    scorer = load_scorer()
    if scorer.informal is None:
        sys.exit("no informal artefact: pantau scoring train-informal")
    valid = informal_valid(sentiment)
    report: dict[str, object] = {
        "model_version": scorer.model_version,
        "held_out_as_posts": figures(scorer, valid, "post"),
        "held_out_as_news": figures(scorer, valid, "article"),
        "smsa_valid_as_posts": figures(scorer, [r for r in valid if r.source == "smsa"], "post"),
        "nusax_id_valid_as_posts": figures(
            scorer, [r for r in valid if r.source == "nusax-id"], "post"
        ),
        "hand_written_posts": {
            "posts": len(POSTS),
            "informal_model": posts_right(scorer, "post"),
            "news_model": posts_right(scorer, "article"),
            "entity_posts": len(ENTITY_POSTS),
            "entity_informal_model": entity_posts_right(scorer, "post"),
            "entity_tone_model": entity_posts_right(scorer, "article"),
        },
    }
    headlines = [r.text for r in ds.load_cnbc(sentiment)]
    news_file = args.data_dir / "news" / "articles.jsonl"
    bodies = [json.loads(line).get("body") or "" for line in news_file.open(encoding="utf-8")]
    report["news_routed_informal"] = {
        "cnbc_headlines_without_title": round(routed_share(headlines), 5),
        "news_bodies_without_title": round(routed_share(bodies), 5),
        "rows": [len(headlines), len(bodies)],
    }
    models, version, document = load_models(None)
    twin = held_out_id_model(models, document, sentiment)
    held_out = Scorer({**scorer.models, "id": twin}, version, scorer.tone, scorer.informal)
    _, later = ds.split_cnbc(ds.load_cnbc(sentiment))
    news = end_to_end(held_out, later)
    report["id_news_later_period_twin"] = {k: news[k] for k in ("rows", "macro_f1", "negative_f1")}
    if not args.skip_english:
        target = target_end_to_end(scorer, sentiment)
        report["en_target_end_to_end"] = {k: target[k] for k in ("rows", "macro_f1")}
    report["posts_per_cpu_s"] = round(speed(scorer, valid, "post"))
    report["news_path_per_cpu_s_same_rows"] = round(speed(scorer, valid, "article"))
    for key, value in report.items():
        print(f"{key}: {json.dumps(value)}")
    posts, as_news = report["held_out_as_posts"], report["held_out_as_news"]
    assert isinstance(posts, dict) and isinstance(as_news, dict)
    english = report.get("en_target_end_to_end", {"macro_f1": float("nan")})
    assert isinstance(english, dict)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"informal: held-out SmSA+NusaX-id valid macro-F1 {posts['macro_f1']:.3f} as posts "
        f"(news path {as_news['macro_f1']:.3f}), binary {posts['binary_macro_f1']:.3f} "
        f"({as_news['binary_macro_f1']:.3f}); id news {news['macro_f1']:.3f}, en target "
        f"{english['macro_f1']:.3f}; {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, load {load}"
    )


if __name__ == "__main__":
    main()
