"""feedparser's own test corpus (~2,200 feeds) read by both feed paths: the same result.

Each feed is parsed with `parse_feed` as it runs (the lxml fast path where it applies) and with
`fast_path=False` (feedparser for every XML feed), under three Content-Type headers; the two
must give equal `ParsedFeed`s (every item field by field) or the same ParseError. About a third
of the corpus takes the fast path; the rest shows that its checks hand the unusual to feedparser.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.crawlers import fastfeed
from app.crawlers.parsers import ParsedFeed, ParseError, parse_feed
from tests.hardening.corpus import CorpusUnavailable, load_corpus

NOW = datetime(2026, 12, 2, tzinfo=UTC)
HEADERS = (
    None,
    {"Content-Type": "text/xml"},
    {"Content-Type": "application/rss+xml; charset=UTF-8"},
)


def outcome(body: bytes, headers: dict[str, str] | None, fast: bool) -> ParsedFeed | str:
    try:
        return parse_feed(body, headers=headers, now=NOW, fast_path=fast)
    except ParseError as exc:
        return f"ParseError: {exc}"


@pytest.mark.slow
def test_both_feed_paths_agree_on_the_feedparser_corpus() -> None:
    try:
        corpus = load_corpus()
    except CorpusUnavailable as exc:
        pytest.skip(f"FEEDPARSER CORPUS UNAVAILABLE (no access to PyPI?): {exc}")
    differ = []
    fast_taken = 0
    for name, body in sorted(corpus.items()):
        stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
        try:
            fast_taken += fastfeed.parse(stripped, {"content-type": "application/xml"}) is not None
        except Exception as exc:  # the fast path must never raise: it returns None instead
            differ.append(f"{name}: fastfeed raised {exc!r}")
        for headers in HEADERS:
            if outcome(body, headers, fast=False) != outcome(body, headers, fast=True):
                differ.append(f"{name} {headers}")
    print(f"{len(corpus)} feeds, {fast_taken} read by the fast path")
    assert not differ, differ[:20]
    assert fast_taken > 500
