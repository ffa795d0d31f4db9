"""Golden outputs of the shipped scorer on a fixed sample, so speed work cannot move scores.

Regenerate (only when the model or the features change on purpose):
``PYTHONPATH=. python -m tests.scoring.golden`` rewrites ``data/golden.json`` from its inputs.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from app.scoring import Entity, Scorer, load_scorer
from app.scoring.text import normalise, split_sentences, tokens

GOLDEN_PATH = Path(__file__).parent / "data" / "golden.json"


def outputs(scorer: Scorer, inputs: list[dict[str, Any]]) -> dict[str, Any]:
    """Scores of the sample (JSON-lines path and with explanations) and a digest of the raw
    feature counts of its sentences under each model."""
    batch = [
        (item.get("title"), item["text"], tuple(Entity(t) for t in item["targets"]))
        for item in inputs
    ]
    scores: dict[str, list[Any]] = {}
    for explain in (False, True):
        scores[f"explain={explain}"] = [
            {
                "label": s.label,
                "negativity": s.negativity,
                "confidence": s.confidence,
                "language": s.language,
                "targets": [[t.name, t.label, t.negativity] for t in s.targets],
                "explanation": s.explanation,
            }
            for s in scorer.score_many(batch, explain=explain)
        ]
    rows = [tokens(s) for item in inputs for s in split_sentences(normalise(item["text"]))]
    digests = {}
    for key, model in sorted(scorer.models.items()):
        counts = model.featurizer.counts(rows).tocsr()
        counts.sum_duplicates()
        counts.sort_indices()
        digest = hashlib.sha256()
        for array, dtype in ((counts.indptr, np.int64), (counts.indices, np.int64)):
            digest.update(array.astype(dtype).tobytes())
        digest.update(counts.data.astype(np.float32).tobytes())
        digests[key] = digest.hexdigest()
    return {"model_version": scorer.model_version, "scores": scores, "count_digests": digests}


def main() -> None:
    golden = json.loads(GOLDEN_PATH.read_text(encoding="utf-8"))
    golden["expected"] = outputs(load_scorer(), golden["inputs"])
    GOLDEN_PATH.write_text(json.dumps(golden, ensure_ascii=False, indent=1) + "\n", "utf-8")


if __name__ == "__main__":
    main()
