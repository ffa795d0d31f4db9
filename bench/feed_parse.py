"""Feed parsing per item: feedparser's path against the lxml fast path, same feeds, same run.

    PYTHONPATH=. python bench/feed_parse.py [--feeds 200] [--items 50] [--repeat 3]

The feeds are bench/peer_ingest.py's farm feeds (`build_feeds`: RSS 2.0 with full content,
rendered by tests/farm/feeds.py from the shared news corpus). Each path parses every feed with
`parsers.parse_feed` (the whole of it: the XML, the items' HTML to text, the date gate); the
paths alternate feed by feed, so a shared machine's load falls on both alike, and each takes
its best of `--repeat` rounds of process CPU time. A line before times the XML reading alone
(feedparser's `parse` against `fastfeed.parse`). The items of both paths are checked equal.
The last line is the per-item ratio old/new of `parse_feed`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from peer_ingest import build_feeds  # noqa: E402

from app.crawlers import fastfeed  # noqa: E402
from app.crawlers.parsers import _feedparser_parse, parse_feed  # noqa: E402

NOW = datetime(2026, 12, 2, tzinfo=UTC)
Parse = Callable[[bytes], object]
HEADERS = {"content-type": "application/rss+xml; charset=utf-8"}


def paired(rounds: int, bodies: list[bytes], old: Parse, new: Parse) -> tuple[float, float]:
    """CPU seconds of each path over all feeds, best of `rounds`; the paths alternate feed by
    feed, so a shared machine's load falls on both alike."""
    best_old = best_new = float("inf")
    for _ in range(rounds):
        spent_old = spent_new = 0.0
        for body in bodies:
            start = time.process_time()
            old(body)
            middle = time.process_time()
            new(body)
            spent_old += middle - start
            spent_new += time.process_time() - middle
        best_old, best_new = min(best_old, spent_old), min(best_new, spent_new)
    return best_old, best_new


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    bodies = list(build_feeds(args.feeds, args.items).values())
    old = [parse_feed(b, headers=HEADERS, now=NOW, fast_path=False) for b in bodies]
    new = [parse_feed(b, headers=HEADERS, now=NOW) for b in bodies]
    assert old == new, "the two paths disagree"
    items = sum(len(feed.items) for feed in new)
    fast_taken = sum(fastfeed.parse(b, HEADERS) is not None for b in bodies)
    print(
        f"{len(bodies)} feeds, {items} items, {sum(map(len, bodies)) / 1e6:.1f} MB; "
        f"fast path taken for {fast_taken}/{len(bodies)}; items equal"
    )

    xml_old, xml_new = paired(
        args.repeat,
        bodies,
        lambda b: _feedparser_parse(b, dict(HEADERS)),
        lambda b: fastfeed.parse(b, HEADERS),
    )
    old_s, new_s = paired(
        args.repeat,
        bodies,
        lambda b: parse_feed(b, headers=HEADERS, now=NOW, fast_path=False),
        lambda b: parse_feed(b, headers=HEADERS, now=NOW),
    )
    per = 1000 / items
    print(
        f"XML reading only: feedparser {xml_old * per:.3f} ms/item, "
        f"fastfeed {xml_new * per:.3f} ms/item ({xml_old / xml_new:.1f}x)"
    )
    print(
        f"parse_feed: feedparser path {old_s * per:.3f} ms/item, "
        f"fast path {new_s * per:.3f} ms/item"
    )
    print(
        f"parse_feed old/new per item: {old_s / new_s:.2f}x "
        f"({old_s * per:.3f} -> {new_s * per:.3f} ms/item)"
    )


if __name__ == "__main__":
    main()
