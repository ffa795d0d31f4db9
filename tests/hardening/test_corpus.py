"""A few hundred of feedparser's own test feeds through the real crawler: no crash, no hang,
every outcome recorded. The whole corpus: `PYTHONPATH=. python bench/corpus_run.py`."""

from __future__ import annotations

import os

import pytest

from app.db import Database
from tests.hardening.corpus import CorpusUnavailable, crawl_corpus, load_corpus, sample

COUNT = int(os.environ.get("PANTAU_TEST_CORPUS_FILES", "400"))
BUDGET_S = 60.0


@pytest.fixture(scope="module")
def corpus() -> dict[str, bytes]:
    try:
        return sample(load_corpus(), COUNT)
    except CorpusUnavailable as exc:
        pytest.skip(f"FEEDPARSER CORPUS UNAVAILABLE (no access to PyPI?): {exc}")


@pytest.mark.slow
async def test_corpus_sample_crawls_without_crash_or_hang(
    db: Database, corpus: dict[str, bytes]
) -> None:
    report = await crawl_corpus(db, corpus, budget_seconds=BUDGET_S)
    print(report.line())
    assert report.tried == len(corpus)
    assert report.crashes == []
    assert report.unrecorded == []
    assert report.hangs == 0, f"{report.seconds:.0f} s"
    assert report.ok + sum(report.errors.values()) == report.tried
    assert report.ok > report.tried * 0.9  # the corpus is mostly well-formed feeds
    assert not [c for c in report.errors if c.startswith("other")], report.errors
