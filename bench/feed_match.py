"""Watchlist matching throughput: 10,000 real articles x 50 watchlists, one core.

Usage: ``PYTHONPATH=. python bench/feed_match.py`` (needs the shared articles; the 3,001 real
articles are cycled to 10,000 fresh ``Document`` objects so each one is tokenised again).
Prints the figure last, with the machine it ran on.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.feed.query import Document, parse
from app.scoring.result import Entity
from tests.farm.corpus import load_articles

ENTITIES = [
    Entity("KPK", ("Komisi Pemberantasan Korupsi",)),
    Entity("Pemprov DKI", ("Pemerintah Provinsi DKI Jakarta", "Pemprov DKI Jakarta")),
    Entity("Jokowi", ("Joko Widodo", "Presiden Jokowi")),
    Entity("DPR", ("Dewan Perwakilan Rakyat",)),
    Entity("KLHK", ("Kementerian Lingkungan Hidup dan Kehutanan",)),
]

BASE_QUERIES = [
    'entity:KPK AND (revisi OR "uu kpk" OR dewan pengawas)',
    'entity:"Pemprov DKI" -title:(artis OR seleb)',
    '(karhutla OR "kabut asap" OR "kebakaran hutan") AND (riau OR kalimantan OR jambi)',
    "entity:Jokowi AND (korup* OR suap OR demo*)",
    "title:(demo OR unjuk rasa OR ricuh) AND mahasiswa -source:wowkeren",
    'entity:DPR AND (rkuhp OR "revisi uu" OR ruu*)',
    '"ibu kota" AND (pindah* OR kalimantan)',
    "entity:KLHK OR (hutan AND (segel* OR sanksi))",
    'papua OR wamena OR "rasis*"',
    '(bpjs OR "iuran bpjs") AND (naik OR kenaikan)',
]


def main() -> None:
    """Parse 50 watchlists, match 10,000 documents, print documents and matches per second."""
    load = os.getloadavg()[0]
    articles = load_articles()
    queries = [
        parse(f"({q}) AND -title:x{i}", entities=ENTITIES) for i in range(5) for q in BASE_QUERIES
    ]
    assert len(queries) == 50
    n_docs = 10_000
    start = time.perf_counter()
    docs = [
        Document(a.title, a.body, a.outlet)
        for a in (articles[i % len(articles)] for i in range(n_docs))
    ]
    hits = 0
    for doc in docs:
        for query in queries:
            hits += query.matches(doc)
    elapsed = time.perf_counter() - start
    tokenised = time.perf_counter()
    for doc in docs:  # tokenised already: this is the matching cost alone
        for query in queries:
            query.matches(doc)
    match_only = time.perf_counter() - tokenised
    machine = f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python "
    machine += f"{platform.python_version()}, load average {load:.1f} at the start"
    print(f"{hits} matches; matching alone (documents already tokenised) {match_only:.2f} s")
    print(
        f"feed_match: {n_docs:,} documents x {len(queries)} watchlists in {elapsed:.2f} s "
        f"including tokenisation ({n_docs * len(queries) / elapsed:,.0f} matches/s) on {machine}"
    )


if __name__ == "__main__":
    main()
