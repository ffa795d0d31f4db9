"""Golden outputs of the score stage's pool job (`score_and_sign_shipped`): every field of each
article's score (explanations, targets, tone phrases), its MinHash signature and band keys, and
clustering's term counts, so speed work on the pool side cannot move any of them.

The inputs are the scorer's golden sample (``tests/scoring/data/golden.json``) read four ways:
with its watched entities and without, as an article and as a post (the informal model), plus
the hand-written posts of ``tests/scoring/informal_posts.py`` and the tone templates
articles (``tests/scoring/tone_templates.py``), which the tone model answers.

Regenerate (only when the model, the features or the signature change on purpose):
``PYTHONPATH=. python -m tests.pipeline.pool_golden`` rewrites ``data/pool_golden.json``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from app.feed.clustering import ClusterConfig
from app.pipeline.score import Scored, ScoreJob, score_and_sign_shipped
from app.scoring import Entity
from app.services.clustering import LEAD_CHARS
from tests.scoring.golden import GOLDEN_PATH
from tests.scoring.informal_posts import ENTITY_POSTS, POSTS
from tests.scoring.tone_templates import ACTS_AGAINST, NAMES, NEGATIVE, NEUTRAL, POSITIVE, article

POOL_GOLDEN_PATH = Path(__file__).parent / "data" / "pool_golden.json"
BATCH = 25  # several batches, so batch boundaries are crossed as the stage does


def jobs() -> list[ScoreJob]:
    """The sample's pool jobs, in a fixed order."""
    inputs = json.loads(GOLDEN_PATH.read_text(encoding="utf-8"))["inputs"]
    out: list[ScoreJob] = []
    for watched, kind in ((True, None), (False, None), (False, "post")):
        for item in inputs:
            entities = tuple(Entity(t) for t in item["targets"]) if watched else ()
            text = item["text"]
            out.append(((item.get("title"), text, entities), True, kind, text[:LEAD_CHARS]))
    for text, _ in POSTS:
        out.append(((None, text, ()), True, "post", text[:LEAD_CHARS]))
    for text, entity, _ in ENTITY_POSTS:
        out.append(((None, text, (Entity(entity),)), False, "post", None))
    sentences = NEGATIVE + POSITIVE + NEUTRAL + ACTS_AGAINST
    for k, sentence in enumerate(sentences):
        name, other = NAMES[k % len(NAMES)], NAMES[(k + 1) % len(NAMES)]
        title, text = article(sentence, name, in_title=k % 2 == 0)
        # A second watched entity, named in every third article only.
        if k % 3 == 0:
            text += " " + sentences[(k + 5) % len(sentences)].format(X=other)
        entities = (Entity(name), Entity(other, (other.split()[-1],)))
        out.append(((title, text, entities), k % 4 != 1, None, text[:LEAD_CHARS]))
    return out


def outputs() -> list[dict[str, Any]]:
    """Every job's result as plain JSON values, scored in batches of `BATCH`."""
    all_jobs = jobs()
    done: list[Scored] = []
    for start in range(0, len(all_jobs), BATCH):
        done += score_and_sign_shipped(all_jobs[start : start + BATCH], ClusterConfig())
    return [
        {
            "score": _short(d.score.to_dict()),
            "signature": _digest(d.signature) if d.signature is not None else None,
            "bands": _digest(repr(d.bands).encode()) if d.bands is not None else None,
            "terms": [list(t) for t in d.terms] if d.terms is not None else None,
        }
        for d in done
    ]


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _short(score: dict[str, Any]) -> dict[str, Any]:
    """The score with each quoted sentence (explanation, evidence) as a short digest of it:
    the file stays small, a changed character still shows."""
    for sentence in score["explanation"]["sentences"]:
        sentence["text"] = _digest(sentence["text"].encode())[:16]
    for target in score["targets"]:
        target["evidence"] = [_digest(s.encode())[:16] for s in target["evidence"]]
    return score


def main() -> None:
    lines = ",\n".join(json.dumps(o, ensure_ascii=False, sort_keys=True) for o in outputs())
    text = '{"outputs": [\n' + lines + "\n]}"
    POOL_GOLDEN_PATH.write_text(text + "\n", "utf-8")


if __name__ == "__main__":
    main()
