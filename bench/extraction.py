"""Main-text extraction: Pantau's extractor against trafilatura alone, on the same pages.

Pages: the news farm's article pages (tests/farm) built from ../shared/data/news, each the real
title and paragraphs inside a real-looking Indonesian news page (menus, "Baca juga" inserts,
related and popular boxes, reader comments, HTML comments, footer). Reference: the article's
known body. Score: main-text token F1 (bag of lower-cased words, as the public extraction
benchmarks score), mean over the pages. The peer in the same run is `trafilatura.extract` with
its defaults (and with `favor_precision`), given the same HTML string.

    PYTHONPATH=. python bench/extraction.py [--pages 600]

The last line is the figure: ours / trafilatura / trafilatura favor_precision.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import time
from collections import Counter

import trafilatura

from app.crawlers.extract import extract_page
from tests.farm.corpus import load_articles
from tests.farm.pages import article_page
from tests.farm.site import Site


def f1(got: str | None, want: str) -> float:
    a = Counter(re.findall(r"\w+", (got or "").lower()))
    b = Counter(re.findall(r"\w+", want.lower()))
    common = sum((a & b).values())
    if not common:
        return 0.0
    p, r = common / sum(a.values()), common / sum(b.values())
    return 2 * p * r / (p + r)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=600)
    args = parser.parse_args()
    site = Site(load_articles())
    pages: list[tuple[str, bytes, str]] = []
    outlets = [o.slug for o in site.outlets]
    per_outlet = max(1, args.pages // len(outlets))
    for slug in outlets:
        view = site.view(slug, f"http://farm.test/{slug}")
        for story in view.stories[:per_outlet]:
            url = f"http://farm.test{view.href(story.path)}"
            pages.append((url, article_page(view, story), "\n\n".join(story.paragraphs)))
    print(
        f"machine: {platform.machine()}, {len(os.sched_getaffinity(0))} CPUs, Python "
        f"{platform.python_version()}, load {os.getloadavg()[0]:.1f}; {len(pages)} farm pages "
        f"from {len(outlets)} outlets; trafilatura {trafilatura.__version__}"
    )
    results = {}
    runs = {
        "pantau": lambda url, html: extract_page(html, url=url).text,
        "trafilatura": lambda url, html: trafilatura.extract(html.decode(), url=url),
        "trafilatura favor_precision": lambda url, html: trafilatura.extract(
            html.decode(), url=url, favor_precision=True
        ),
    }
    for name, run in runs.items():
        started = time.perf_counter()
        scores = [f1(run(url, html), body) for url, html, body in pages]
        elapsed = time.perf_counter() - started
        results[name] = sum(scores) / len(scores)
        print(
            f"{name}: F1 mean {results[name]:.4f}, min {min(scores):.3f}, "
            f"{sum(s < 0.9 for s in scores)} pages under 0.9; {len(pages) / elapsed:.0f} pages/s"
        )
    print(
        "main-text token F1 on farm pages: pantau {pantau:.4f} / trafilatura {trafilatura:.4f} / "
        "favor_precision {fp:.4f}".format(fp=results["trafilatura favor_precision"], **results)
    )


if __name__ == "__main__":
    main()
