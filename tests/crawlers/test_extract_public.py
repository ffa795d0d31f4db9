"""The extractor on the 49 public pages of bench/extraction_pages: better than trafilatura alone
(its defaults, given the same HTML), and at the level of its favor_precision mode (bench)."""

from __future__ import annotations

import trafilatura

from app.crawlers.extract import extract_page
from tests.crawlers.public_pages import f1, public_pages


def test_extraction_is_at_least_trafilatura_alone_on_the_public_pages() -> None:
    pages = public_pages()
    assert len(pages) == 49
    ours = [f1(extract_page(html, url=url).text, want) for url, html, want in pages]
    plain = [f1(trafilatura.extract(html.decode(), url=url), want) for url, html, want in pages]
    mean = sum(ours) / len(ours)
    # 0.9420 against 0.9226 (defaults) and 0.9414 (favor_precision), trafilatura 2.3.1; the
    # extractor was 0.9232 before it asked for precision. Token F1 of the same text is exact,
    # so the margin is only for trafilatura releases that move a page or two.
    assert mean >= sum(plain) / len(plain) + 0.01
    assert mean >= 0.935
