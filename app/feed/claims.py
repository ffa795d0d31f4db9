"""Claim matching (pure): does a document repeat a fact-checked claim?

Two steps, so the encoder runs only where it can matter:

1. Candidate retrieval, cheap: the claim's content words, folded and Snowball-stemmed
   (`textsearch.stem_word`: "pelacak", "melacak" -> "lacak"), looked up in the document's. A
   claim is a candidate when the document shares at least `min_shared` of its stems, or
   one stem and an encoder similarity above `loose_cosine` (a paraphrase with new words).
2. Rerank: the e5 similarity of the document (or of its headline alone, whichever is closer)
   and the claim (`scoring.encoder.Encoder`, passage embeddings, L2-normalised), rescaled
   from the band e5 gives related Indonesian text (`COS_FLOOR` .. `COS_CEIL`) to 0..1, mixed
   with the share of the claim's stems the document holds. The mix is needed: e5-small
   alone rates a same-topic headline that does not make the claim as close as a slangy
   paraphrase that does (bench/claims_bench.py measures both).

A match is a score at or above `threshold`; `bench/claims_bench.py` reports precision and
recall on hand-labelled pairs (tests/feed/claim_pairs.jsonl, how they were made is in its
header).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.feed.text import STOPWORDS, tokenize
from app.textsearch import stem_word

if TYPE_CHECKING:  # numpy is imported where vectors are made: most cycles match no claim
    import numpy as np

COS_FLOOR = 0.80  # e5-small passage cosine of unrelated Indonesian text sits below this
COS_CEIL = 0.95


@dataclass(frozen=True, slots=True)
class MatchConfig:
    min_shared: int = 2  # stems a candidate shares with the claim
    loose_cosine: float = 0.90  # or one stem and at least this similarity
    lexical_weight: float = 0.1  # the stems' share of the score; the encoder has the rest
    threshold: float = 0.85  # chosen on tests/feed/claim_pairs.jsonl (bench/claims_bench.py)


def stems(text: str) -> frozenset[str]:
    """The content stems of `text`: folded words of 3+ characters, stopwords out, stemmed."""
    out = set()
    for word in tokenize(text):
        if len(word) < 3 or word in STOPWORDS or word.isdigit():
            continue
        stem = stem_word(word)
        out.add(stem if len(stem) >= 3 else word)
    return frozenset(out)


def lexical(claim: frozenset[str], document: frozenset[str]) -> tuple[int, float]:
    """(stems shared, the share of the claim's stems the document holds)."""
    if not claim:
        return 0, 0.0
    shared = len(claim & document)
    return shared, shared / len(claim)


def scaled_cosine(cosine: float) -> float:
    return float(min(1.0, max(0.0, (cosine - COS_FLOOR) / (COS_CEIL - COS_FLOOR))))


def score(cosine: float, share: float, config: MatchConfig) -> float:
    w = config.lexical_weight
    return (1 - w) * scaled_cosine(cosine) + w * share


@dataclass(frozen=True, slots=True)
class Match:
    claim_index: int
    document_index: int
    score: float
    lexical: float


def candidates(
    claims: Sequence[frozenset[str]], documents: Sequence[frozenset[str]]
) -> list[tuple[int, int, int, float]]:
    """(claim index, document index, stems shared, share) for pairs sharing a stem at all."""
    index: dict[str, list[int]] = {}
    for i, claim in enumerate(claims):
        for stem in claim:
            index.setdefault(stem, []).append(i)
    out = []
    for j, document in enumerate(documents):
        hits: dict[int, int] = {}
        for stem in document:
            for i in index.get(stem, ()):
                hits[i] = hits.get(i, 0) + 1
        for i, shared in hits.items():
            out.append((i, j, shared, shared / len(claims[i])))
    return out


def rerank(
    pairs: Sequence[tuple[int, int, int, float]],
    claim_vectors: np.ndarray,
    document_vectors: np.ndarray,
    config: MatchConfig,
    headline_vectors: np.ndarray | None = None,
) -> list[Match]:
    """The candidate pairs that match, scored (vectors L2-normalised, rows by index). With
    `headline_vectors` (a zero row where a document has none) the closer of a document's text
    and its headline counts: a headline making the claim matches whatever lead follows it."""
    out = []
    for i, j, shared, share in pairs:
        cosine = float(claim_vectors[i] @ document_vectors[j])
        if headline_vectors is not None:
            cosine = max(cosine, float(claim_vectors[i] @ headline_vectors[j]))
        if shared < config.min_shared and cosine < config.loose_cosine:
            continue
        value = score(cosine, share, config)
        if value >= config.threshold:
            out.append(Match(i, j, round(value, 4), round(share, 4)))
    return out


def to_blob(vector: np.ndarray) -> bytes:
    import numpy as np

    return np.asarray(vector, dtype="<f4").tobytes()


def from_blob(blob: bytes) -> np.ndarray:
    import numpy as np

    return np.frombuffer(blob, dtype="<f4")
