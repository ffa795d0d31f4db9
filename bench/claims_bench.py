"""Claim matching: precision and recall on hand-labelled pairs, and documents/s of the rerank.

Reads tests/feed/claim_pairs.jsonl (how it was made: its first line). Each pair goes through
the real path (feed/claims.py): stems -> candidate -> e5 rerank -> threshold. Printed: the
figures of the shipped MatchConfig, the lexical-only and encoder-only baselines at their best
precision >= 0.9 operating point (the peers), and last the shipped figure.

    .venv/bin/python bench/claims_bench.py
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from app.feed.claims import MatchConfig, candidates, rerank, scaled_cosine, stems
from app.scoring.encoder import Encoder

PAIRS = Path(__file__).resolve().parents[1] / "tests" / "feed" / "claim_pairs.jsonl"


def load() -> list[dict[str, object]]:
    lines = PAIRS.read_text(encoding="utf-8").splitlines()
    return [p for p in map(json.loads, lines) if "label" in p]


def pr(predicted: list[bool], labels: list[int]) -> tuple[float, float]:
    tp = sum(1 for p, y in zip(predicted, labels, strict=True) if p and y)
    fp = sum(1 for p, y in zip(predicted, labels, strict=True) if p and not y)
    fn = sum(1 for p, y in zip(predicted, labels, strict=True) if not p and y)
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 0.0)


def best_at(
    scores: list[float], labels: list[int], floor: float = 0.9
) -> tuple[float, float, float]:
    """(threshold, precision, recall) with the highest recall at precision >= floor."""
    best = (1.0, 1.0, 0.0)
    for t in sorted(set(scores)):
        p, r = pr([s >= t for s in scores], labels)
        if p >= floor and r > best[2]:
            best = (t, p, r)
    return best


def main() -> None:
    pairs = load()
    labels = [int(p["label"]) for p in pairs]  # type: ignore[call-overload]
    claims = [str(p["claim"]) for p in pairs]
    docs = [str(p["doc"]) for p in pairs]
    started = time.perf_counter()
    cv, dv = Encoder.embed(claims), Encoder.embed(docs)
    embed_s = time.perf_counter() - started
    config = MatchConfig()
    predicted, lexical_scores, cosines = [], [], []
    for i in range(len(pairs)):
        cs, ds = stems(claims[i]), stems(docs[i])
        pairs_found = candidates([cs], [ds], gate=config.gate_shared)
        matches = rerank(pairs_found, cv[i : i + 1], dv[i : i + 1], config)
        predicted.append(bool(matches))
        lexical_scores.append(len(cs & ds) / max(1, len(cs)))
        cosines.append(float(cv[i] @ dv[i]))
    p, r = pr(predicted, labels)
    print(
        f"pairs: {len(pairs)} ({sum(labels)} positive); "
        f"e5 embeddings {2 * len(pairs) / embed_s:.0f} texts/s"
    )
    t, lp, lr = best_at(lexical_scores, labels)
    print(f"peer, stems only: best recall at precision>=0.9: {lr:.2f} (P {lp:.2f}, share>={t:.2f})")
    t, ep, er = best_at([scaled_cosine(c) for c in cosines], labels)
    print(f"peer, e5 only: best recall at precision>=0.9: {er:.2f} (P {ep:.2f})")
    print(f"shipped MatchConfig (threshold {config.threshold}): precision {p:.2f} recall {r:.2f}")


if __name__ == "__main__":
    main()
