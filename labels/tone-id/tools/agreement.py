"""Agreement between the two passes: Cohen's kappa over pairs both readers labelled (skips
excluded), raw agreement, and skip-versus-label disagreements, per batch and overall."""

from __future__ import annotations

import json
from collections import Counter

from label import HERE, read_pass

CLASSES = ("negative", "neutral", "positive")


def kappa(pairs: list[tuple[str, str]]) -> float:
    n = len(pairs)
    if not n:
        return float("nan")
    observed = sum(a == b for a, b in pairs) / n
    ca, cb = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(ca[c] * cb[c] for c in CLASSES) / (n * n)
    return (observed - expected) / (1 - expected)


def _read(name: str) -> dict[str, str]:
    return {k: r["label"] for k, r in read_pass(name).items()}


def main() -> None:
    batches = sorted({p["batch"] for p in json.loads((HERE / "pairs.json").read_text())})
    everything: list[tuple[str, str]] = []
    skips = 0
    for b in batches:
        a, bb = _read(f"A-b{b}.jsonl"), _read(f"B-b{b}.jsonl")
        both = [(a[k], bb[k]) for k in a.keys() & bb.keys()]
        if not both:
            continue
        labelled = [(x, y) for x, y in both if "skip" not in (x, y)]
        s = sum(("skip" in (x, y)) and x != y for x, y in both)
        skips += s
        everything += labelled
        agree = sum(x == y for x, y in labelled) / max(1, len(labelled))
        print(
            f"batch {b}: {len(labelled)} pairs labelled by both, kappa {kappa(labelled):.3f}, "
            f"agreement {agree:.3f}, skip-vs-label {s}"
        )
    agree = sum(x == y for x, y in everything) / max(1, len(everything))
    print(
        f"all: {len(everything)} pairs, kappa {kappa(everything):.3f}, agreement {agree:.3f}, "
        f"skip-vs-label {skips}"
    )


if __name__ == "__main__":
    main()
