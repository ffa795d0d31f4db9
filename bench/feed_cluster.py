"""Issue clustering on the real corpus, scored against the hand-labelled events.

Usage: ``PYTHONPATH=. python bench/feed_cluster.py [threshold ...]`` (needs the shared
articles). With thresholds, prints one line per threshold (the sweep behind the default). Then
the default configuration against the same without the headline bonus (the peer in this run), on
the tuning events and on the validation events (labelled after the design, never tuned on), and
the shared-story figures (tests/feed/cluster_check.py); the last line is the default's figure
and the machine it ran on.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.feed.clustering import ClusterConfig, cluster
from tests.farm.corpus import load_articles
from tests.feed.cluster_check import run, to_items
from tests.feed.events import VALIDATION_EVENTS


def main() -> None:
    """Sweep the given thresholds, then report the default configuration and its peer."""
    articles = load_articles()
    load_before = os.getloadavg()[0]
    for raw in sys.argv[1:]:
        result = run(articles, replace(ClusterConfig(), threshold=float(raw)))
        print(f"threshold {raw}: {result.lines()[0]}")
    peer = replace(ClusterConfig(), headline_bonus=0.0)
    before = run(articles, peer)
    before_validation = run(articles, peer, VALIDATION_EVENTS)
    print("without the headline bonus (tuning events, then validation events):")
    print("\n".join(before.lines()))
    print("\n".join(before_validation.lines()[2:]))
    print(
        f"  validation: precision {before_validation.precision:.3f}, recall "
        f"{before_validation.recall:.3f}"
    )
    items = to_items(articles)
    start = time.perf_counter()
    cluster(items, config=peer)
    peer_elapsed = time.perf_counter() - start
    start = time.perf_counter()
    cluster(items)
    elapsed = time.perf_counter() - start
    result = run(articles)
    validation = run(articles, events=VALIDATION_EVENTS)
    print("default (tuning events, then validation events):")
    print("\n".join(result.lines()))
    print("\n".join(validation.lines()[2:]))
    print(f"  validation: precision {validation.precision:.3f}, recall {validation.recall:.3f}")
    machine = f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python "
    machine += f"{platform.python_version()}, load average {load_before:.1f}"
    print(
        f"feed_cluster: B-cubed P/R {result.precision:.3f}/{result.recall:.3f} "
        f"(without headline bonus {before.precision:.3f}/{before.recall:.3f}), validation "
        f"{validation.precision:.3f}/{validation.recall:.3f} ({before_validation.precision:.3f}/"
        f"{before_validation.recall:.3f}); shared-story articles alone "
        f"{result.shared_singleton_share:.1%} ({before.shared_singleton_share:.1%}); "
        f"{result.articles:,} articles clustered in {elapsed:.1f} s ({peer_elapsed:.1f} s) on "
        f"{machine}"
    )


if __name__ == "__main__":
    main()
