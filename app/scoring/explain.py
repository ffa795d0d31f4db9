"""Which words pushed an article towards "negative": per-term shares of the negative margin.

A term's weight is its share of ``logit(negative) - mean(logit(neutral), logit(positive))``:
positive weights push towards negative, negative weights away from it. A word's character
n-grams count towards the word; shared n-grams are split per occurrence. Words inside a
negation scope are shown with a leading "¬" ("tidak ¬buruk").
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
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
    feats = model.featurizer
    occurrences: dict[str, int] = {}
    pairs: dict[tuple[str, str], int] = {}
    for toks in sentence_tokens:
        for tok in toks:
            occurrences[tok] = occurrences.get(tok, 0) + 1
        for pair in pairwise(toks):
            if pair[1] not in MARK_TOKENS:  # mark tokens form no bigrams
                pairs[pair] = pairs.get(pair, 0) + 1
    names = list(occurrences) + [f"{a} {b}" for a, b in pairs]
    counts = np.array(list(occurrences.values()) + list(pairs.values()), dtype=float)
    pair_ids = feats.pair_ids(list(pairs))
    id_lists = [feats.token_ids(t) for t in occurrences] + [
        pair_ids[k : k + 1] for k in range(len(pairs))
    ]
    # A mark token of a model without marks has no features (reduceat needs none empty).
    if any(len(ids) == 0 for ids in id_lists):
        kept = [k for k, ids in enumerate(id_lists) if len(ids)]
        names = [names[k] for k in kept]
        counts = counts[kept]
        id_lists = [id_lists[k] for k in kept]
    if not id_lists:
        return []
    flat = np.concatenate(id_lists).astype(np.int64, copy=False)
    pos = np.minimum(np.searchsorted(indices, flat), indices.size - 1)
    values = np.where(indices[pos] == flat, per_occurrence[pos], 0.0)
    starts = np.cumsum([0] + [len(ids) for ids in id_lists[:-1]])
    weights = np.add.reduceat(values, starts) * counts
    order = np.argsort(-np.abs(weights), kind="stable")[:TOP_TERMS]
    return [
        {"term": names[k], "weight": round(float(weights[k]), 4)}
        for k in order
        if weights[k] != 0.0
    ]
