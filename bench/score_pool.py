"""CPU per article of the score stage's pool job (`score_and_sign_shipped`), this checkout
against a baseline checkout (default: `main`, in a temporary git worktree), in the same run.

Usage: ``PANTAU_SHARED_DIR=../shared nice python bench/score_pool.py [--baseline PATH]
[--articles 2000] [--rounds 3]`` (needs the shared CLICK-ID articles).

Each checkout runs in its own process with this interpreter: it warms its caches on the
articles past the first ``--articles`` (a worker's token caches are warm after its first
batches), then scores, signs and counts the terms of the first ``--articles`` in batches of
200, as the stage sends them, once without watched entities and once with a watchlist of ten
entities named often in 2019 Indonesian news (the tone model answers the articles naming
them). The rounds alternate baseline and this checkout; each figure is the quickest round (the
machine is shared). Both must give the same outputs: a digest of every field (score,
explanation, targets, signature, bands, term counts) is compared. The last line is the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BATCH = 200
WATCHLIST = (
    ("Jokowi", ("Joko Widodo",)),
    ("KPK", ("Komisi Pemberantasan Korupsi",)),
    ("DPR", ()),
    ("Polri", ()),
    ("Anies Baswedan", ("Anies",)),
    ("Prabowo Subianto", ("Prabowo",)),
    ("KPU", ()),
    ("Bawaslu", ()),
    ("Pertamina", ()),
    ("BPJS Kesehatan", ("BPJS",)),
)

# Runs inside the measured checkout (its directory first on sys.path); prints one JSON line.
MEASURE = r"""
import hashlib, json, sys, time
from app.feed.clustering import ClusterConfig
from app.pipeline.score import score_and_sign_shipped
from app.scoring import Entity
from app.services.clustering import LEAD_CHARS
from tests.farm.corpus import load_articles

n, watchlist = int(sys.argv[1]), json.loads(sys.argv[2])
articles = load_articles()
measured, warm = articles[:n], articles[n:]
config = ClusterConfig()
result = {}
watched = tuple(Entity(e, tuple(a)) for e, a in watchlist)
for name, entities in (("none", ()), ("watchlist", watched)):
    def jobs(chosen):
        return [((a.title, a.body, entities), True, None, a.body[:LEAD_CHARS]) for a in chosen]
    for k in range(0, len(warm), 200):
        score_and_sign_shipped(jobs(warm[k : k + 200]), config)
    todo = jobs(measured)
    done = []
    start = time.process_time()
    for k in range(0, len(todo), 200):
        done += score_and_sign_shipped(todo[k : k + 200], config)
    spent = time.process_time() - start
    digest = hashlib.sha256()
    for d in done:
        digest.update(json.dumps(d.score.to_dict(), sort_keys=True).encode())
        digest.update(d.signature or b"-")
        digest.update(repr((d.bands, d.terms)).encode())
    result[name] = {"ms": 1000 * spent / len(todo), "digest": digest.hexdigest()}
print(json.dumps(result))
"""


def measure(checkout: Path, articles: int) -> dict[str, dict[str, object]]:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(articles), json.dumps(WATCHLIST)],
        cwd=checkout,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, dict[str, object]] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", type=Path, help="a checkout to compare (default: main)")
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        baseline = args.baseline
        if baseline is None:
            baseline = Path(tmp) / "main"
            add = ["worktree", "add", "-q", "--detach", str(baseline), "main"]
            subprocess.run(["git", "-C", str(ROOT), *add], check=True)
        try:
            best: dict[str, dict[str, float]] = {"before": {}, "after": {}}
            digests: dict[str, dict[str, object]] = {"before": {}, "after": {}}
            for _ in range(args.rounds):
                for side, checkout in (("before", baseline), ("after", ROOT)):
                    for config, figures in measure(checkout, args.articles).items():
                        ms = float(figures["ms"])  # type: ignore[arg-type]
                        best[side][config] = min(best[side].get(config, ms), ms)
                        digests[side][config] = figures["digest"]
        finally:
            if args.baseline is None:
                subprocess.run(
                    ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(baseline)],
                    check=True,
                )
    ratios = []
    for config in ("none", "watchlist"):
        before, after = best["before"][config], best["after"][config]
        same = digests["before"][config] == digests["after"][config]
        print(
            f"{config:>9}: before {before:.2f} ms/article, after {after:.2f} ms/article, "
            f"outputs {'identical' if same else 'DIFFER'}"
        )
        ratios.append(f"{config} {before / after:.2f}x")
    print(f"load {os.getloadavg()[0]:.1f}; {args.articles} articles, quickest of {args.rounds}")
    print("pool CPU per article, before/after: " + ", ".join(ratios))


if __name__ == "__main__":
    main()
