"""Scoring benchmark: validation quality, calibration, throughput, artefact size and load time.

    python bench/scoring_eval.py [--data-dir ../shared/data] [--artifact PATH]

Quality is measured on the validation splits: the later period of the CNBC headlines (tanggal
>= 2024/11/01), SmSA valid.tsv, NewsMTSC devtest_mt, NusaX id/en for language. Since 2.6 the
shipped Indonesian model also trains on that later period, so its figures there come from its
held-out twin, trained here with the same configuration without it (a few seconds).
Headlines and sentences go through the same path as production (``score_many``, the twin in
the place of the shipped ``id`` model), and the model alone is reported as well. Throughput uses
real articles (title + first paragraphs). The last line is the headline figure.
"""

from __future__ import annotations

import argparse
import io
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
from app.scoring.artifact import artifact_paths, load_models
from app.scoring.evaluate import (
    classification_report,
    evaluate_language,
    evaluate_news,
    evaluate_reviews,
    evaluate_target,
)
from app.scoring.model import CLASSES, LinearModel
from app.scoring.stream import run_score_stream
from app.scoring.train import TrainConfig, holdout_twin, label_ids
from app.scoring.vectors import VECTORS_NAME


def end_to_end(scorer: Scorer, rows: list[ds.Example]) -> dict[str, object]:
    results = scorer.score_many([(None, r.text, ()) for r in rows], explain=False)
    return _report([(r.label, r.negativity) for r in results], rows)


def _report(
    scored: list[tuple[str, float]], rows: list[ds.Example] | list[ds.TargetExample]
) -> dict[str, object]:
    pred = np.array([CLASSES.index(label) for label, _ in scored])
    proba = np.zeros((len(scored), len(CLASSES)))
    proba[:, 0] = [neg for _, neg in scored]
    return classification_report(proba, label_ids([r.label for r in rows]), pred)


def target_end_to_end(scorer: Scorer, data_dir: Path) -> dict[str, object]:
    """NewsMTSC devtest through the product path: the mention text is the entity name. Also
    the English target cost: sentences (one watched entity each) per second, wall-clock and
    per CPU second of this process (the encoder runs one thread, as in the service)."""
    _, rows = ds.load_newsmtsc(data_dir, "devtest_mt")
    items = [(None, r.text, (Entity(r.text[r.start : r.end]),)) for r in rows]
    scorer.score_many(items[:8], explain=False)  # load the encoder
    start, cpu_start = time.perf_counter(), time.process_time()
    results = scorer.score_many(items, explain=False)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    report = _report([(r.targets[0].label, r.targets[0].negativity) for r in results], rows)
    return report | {
        "sentences_per_s": round(len(items) / elapsed, 1),
        "sentences_per_cpu_s": round(len(items) / cpu, 1),
    }


def _articles(news_file: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in news_file.open(encoding="utf-8")]


def throughput(scorer: Scorer, news_file: Path, *, explain: bool) -> float:
    """score_many on real articles (title + first 4 paragraphs, one watched entity)."""
    items = [
        (a["title"], "\n\n".join(a["body"].split("\n\n")[:4]), (Entity("Jokowi"),))
        for a in _articles(news_file)
    ]
    scorer.score_many(items[:256], explain=explain)  # warm the token caches
    start = time.perf_counter()
    for i in range(0, len(items), 256):
        scorer.score_many(items[i : i + 256], explain=explain)
    return len(items) / (time.perf_counter() - start)


def stream_throughput(scorer: Scorer, news_file: Path) -> tuple[float, float]:
    """The `pantau score` path in-process: JSON lines in, JSON lines out (parse, score,
    serialise), same articles; process start-up and model loading are not counted.

    Returns (docs per wall-clock second, docs per CPU second of this process): on a machine
    shared with other jobs the second says what the scorer costs, the first what it got."""
    lines = [
        json.dumps(
            {
                "id": a["id"],
                "title": a["title"],
                "text": "\n\n".join(a["body"].split("\n\n")[:4]),
                "targets": ["Jokowi"],
            }
        )
        + "\n"
        for a in _articles(news_file)
    ]
    run_score_stream(io.StringIO("".join(lines[:256])), io.StringIO(), scorer)  # warm caches
    out = io.StringIO()
    start, cpu_start = time.perf_counter(), time.process_time()
    run_score_stream(io.StringIO("".join(lines)), out, scorer)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    assert out.getvalue().count("\n") == len(lines)
    return len(lines) / elapsed, len(lines) / cpu


def held_out_id_model(
    models: dict[str, LinearModel], document: dict[str, object], data_dir: Path
) -> LinearModel:
    """The shipped ``id`` model when it never saw the later period, else its held-out twin."""
    trained = document.get("train_config")
    assert isinstance(trained, dict)
    if not trained.get("include_validation"):
        return models["id"]
    cfg = TrainConfig()
    twin = holdout_twin(data_dir, cfg)
    if (
        trained.get("clf_id") != cfg.clf_id
        or twin.spec()["features"] != models["id"].spec()["features"]
    ):
        sys.exit("the artefact's id configuration is not this code's: no held-out twin")
    return twin


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--artifact", type=Path, default=None)
    args = parser.parse_args()
    sentiment = args.data_dir / "sentiment"
    start = time.perf_counter()
    models, version, document = load_models(args.artifact)
    load_s = time.perf_counter() - start
    scorer = load_scorer(args.artifact)
    id_held_out = held_out_id_model(models, document, sentiment)
    held_out = Scorer({**scorer.models, "id": id_held_out}, f"{version} (id: held-out twin)")
    npz, spec = artifact_paths(args.artifact)
    vectors = npz.parent / VECTORS_NAME  # read by the target model since 2.3
    size_mb = sum(f.stat().st_size for f in (npz, spec, vectors) if f.exists()) / 1e6
    _, news_valid = ds.split_cnbc(ds.load_cnbc(sentiment))
    report: dict[str, object] = {
        "model_version": version,
        "machine": f"{platform.platform()} {platform.processor() or platform.machine()}",
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "id_held_out": "shipped model" if id_held_out is models["id"] else "twin",
        "id_news_end_to_end": end_to_end(held_out, news_valid),
        "id_news_model": evaluate_news(id_held_out, sentiment),
        "id_reviews_smsa_valid": evaluate_reviews(models["id"], sentiment),
        "en_target_end_to_end": target_end_to_end(scorer, sentiment),
        "en_target_model": evaluate_target(models["en_target"], sentiment),
        "language_nusax": evaluate_language(sentiment),
    }
    # Explanations first, then the JSON-lines path (which so sees warm token caches).
    news_file = args.data_dir / "news" / "articles.jsonl"
    report["docs_per_s_one_core_explained"] = round(throughput(scorer, news_file, explain=True))
    stream_wall, stream_cpu = stream_throughput(scorer, news_file)
    report["docs_per_s_one_core_stream"] = round(stream_wall)
    report["docs_per_cpu_s_stream"] = round(stream_cpu)
    report["artifact_mb"] = round(size_mb, 2)
    report["load_s"] = round(load_s, 3)
    for key, value in report.items():
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if k != "reliability_negative"} | (
                {"reliability": value.get("reliability_negative")}
            )
        print(f"{key}: {json.dumps(value)}")
    news, target = report["id_news_end_to_end"], report["en_target_end_to_end"]
    assert isinstance(news, dict) and isinstance(target, dict)
    print(
        f"scoring: id news macro-F1 {news['macro_f1']:.3f}, negative F1 {news['negative_f1']:.3f} "
        f"({report['id_held_out']}), "
        f"ECE {news['ece_negative']:.3f}, {report['docs_per_s_one_core_stream']} docs/s/core "
        f"(JSON lines; {report['docs_per_cpu_s_stream']} per CPU second; "
        f"{report['docs_per_s_one_core_explained']} with explanations); en target macro-F1 "
        f"{target['macro_f1']:.3f} ({target['sentences_per_cpu_s']} sentences per CPU second)"
    )


if __name__ == "__main__":
    main()
