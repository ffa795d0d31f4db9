"""Access to the shared real articles for feed tests; skips loudly when they are absent."""

from __future__ import annotations

import pytest

from tests.farm.corpus import Article, CorpusUnavailable, load_articles


def real_articles() -> list[Article]:
    """All shared articles in the corpus order, or skip the calling test with the reason."""
    try:
        return load_articles()
    except CorpusUnavailable as exc:
        pytest.skip(f"SHARED NEWS CORPUS ABSENT, real-text feed check SKIPPED: {exc}")
