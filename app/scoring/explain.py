"""Which words pushed an article towards "negative": per-term shares of the negative margin.

A term's weight is its share of ``logit(negative) - mean(logit(neutral), logit(positive))``:
positive weights push towards negative, negative weights away from it. A word's character
n-grams count towards the word; shared n-grams are split per occurrence. Words inside a
negation scope are shown with a leading "¬" ("tidak ¬buruk").
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from itertools import chain, pairwise
from operator import itemgetter
from typing import Any

import numpy as np
import scipy.sparse as sp

from app.scoring.model import LinearModel
from app.scoring.text import MARK_TOKENS

TOP_TERMS = 8


def negative_direction(model: LinearModel) -> np.ndarray:
    cached = model.meta.get("_negative_direction")
    if isinstance(cached, np.ndarray):
        return cached
    direction: np.ndarray = model.weights[:, 0] - model.weights[:, 1:].mean(axis=1)
    model.meta["_negative_direction"] = direction
    return direction


def top_terms(
    model: LinearModel,
    counts: sp.csr_matrix,
    x: sp.csr_matrix,
    row: int,
    sentence_tokens: Sequence[Sequence[str]],
) -> list[dict[str, Any]]:
    """Top terms (unigrams and bigrams) of row ``row`` of an article bag, by absolute weight.

    ``counts`` is the bag (indices sorted) and ``x`` its TF-IDF transform (same structure).
    """
    lo, hi = counts.indptr[row], counts.indptr[row + 1]
    if hi == lo:
        return []
    indices = counts.indices[lo:hi]
    per_occurrence = (
        x.data[lo:hi] * negative_direction(model)[indices] / np.maximum(counts.data[lo:hi], 1e-6)
    )
    # Terms in order of first occurrence: the article's distinct tokens, then its distinct
    # bigrams (within a sentence). Counting runs in C (Counter); a token's feature ids come
    # from the featurizer's per-token cache, a bigram's one id from the two tokens' CRCs.
    occurrences = Counter(chain.from_iterable(sentence_tokens))
    pairs = Counter(chain.from_iterable(map(pairwise, sentence_tokens)))
    for pair in [p for p in pairs if p[1] in MARK_TOKENS]:
        del pairs[pair]  # mark tokens trail the words and form no bigrams
    if not occurrences:
        return []
    terms = list(occurrences)
    token_flat, sizes, crcs = model.featurizer.token_features(terms)
    crc_of = dict(zip(terms, crcs, strict=True))
    first = np.fromiter(map(crc_of.__getitem__, map(itemgetter(0), pairs)), np.uint64, len(pairs))
    second = np.fromiter(map(crc_of.__getitem__, map(itemgetter(1), pairs)), np.uint64, len(pairs))
    flat = np.concatenate((token_flat, model.featurizer.mixed_pair_ids(first, second)))
    term_counts = np.fromiter(
        chain(occurrences.values(), pairs.values()), float, len(terms) + len(pairs)
    )
    # One segment per term: a token's ids, then one id per bigram. A mark token of a model
    # without marks has no ids: its segment is empty, which reduceat cannot express (it
    # would give it the next segment's value), so only non-empty segments are reduced.
    sizes = np.concatenate((sizes, np.ones(len(pairs), np.int64)))
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    # Each id's value in the row, 0 where the row has none: scattered into a dense scratch
    # row and gathered back (a binary search of every id was a fifth of the explanation).
    dense = _scratch(model.config.n_features)
    dense[indices] = per_occurrence
    values = dense[flat]
    dense[indices] = 0.0
    weights = np.zeros(sizes.size)
    kept = sizes > 0
    if flat.size:
        weights[kept] = np.add.reduceat(values, starts[kept]) * term_counts[kept]
    order = np.argsort(-np.abs(weights), kind="stable")[:TOP_TERMS]
    pair_list = list(pairs) if order.size and order.max() >= len(terms) else []
    return [
        {"term": _name(int(k), terms, pair_list), "weight": round(float(weights[k]), 4)}
        for k in order
        if weights[k] != 0.0
    ]


_LOCAL = threading.local()


def _scratch(size: int) -> np.ndarray:
    """A zeroed float64 row of `size`, one per thread (kept zero between uses)."""
    rows: dict[int, np.ndarray] | None = getattr(_LOCAL, "rows", None)
    if rows is None:
        rows = _LOCAL.rows = {}
    row = rows.get(size)
    if row is None:
        row = rows[size] = np.zeros(size)
    return row


def _name(k: int, terms: list[str], pairs: list[tuple[str, str]]) -> str:
    if k < len(terms):
        return terms[k]
    first, second = pairs[k - len(terms)]
    return f"{first} {second}"
