"""Issue clustering on the real corpus, scored against the hand-labelled events.

Usage: ``PYTHONPATH=. python bench/feed_cluster.py [threshold ...]`` (needs the shared
articles). With thresholds, prints one line per threshold (the sweep behind the default);
always ends with the default configuration's figure and the machine it ran on.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.feed.clustering import ClusterConfig
from tests.farm.corpus import load_articles
from tests.feed.cluster_check import run


def main() -> None:
    """Sweep the given thresholds, then report the default configuration."""
    articles = load_articles()
    for raw in sys.argv[1:]:
        result = run(articles, replace(ClusterConfig(), threshold=float(raw)))
        print(f"threshold {raw}: {result.lines()[0]}")
    start = time.perf_counter()
    result = run(articles)
    elapsed = time.perf_counter() - start
    print("\n".join(result.lines()))
    machine = f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python "
    machine += f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f}"
    print(
        f"feed_cluster: B-cubed precision {result.precision:.3f}, recall {result.recall:.3f} "
        f"on {sum(e.size for e in result.events)} labelled articles; {result.articles:,} "
        f"articles clustered in {elapsed:.1f} s on {machine}"
    )


if __name__ == "__main__":
    main()
