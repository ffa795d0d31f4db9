"""Hashed word, character, window and direction features with TF-IDF weighting.

The feature space needs no vocabulary: every feature string is hashed with CRC-32 (stable
across Python versions and processes, unlike ``hash``) into one of five blocks:

- words: unigrams, bigrams (negation-marked tokens) and lexicon group markers,
- chars: character 3-5-grams of each word (robust to affixes, typos and spelling variants),
- window: for target-aware scoring, words near the target mention, weighted by distance,
- direction: market "reading direction" (``lexicon.UP_WORDS``/``DOWN_WORDS``): which word
  moved which way ("rupiah melemah" is bad, "utang turun" is good),
- context: for target-aware scoring, every word of the sentence marked by its side of the
  mention (left or right), unweighted.

With ``marks``, a sentence's mark tokens (``text.MARKS``: a question, an attributed statement,
a quotation, an exclamation) are word-block features too; otherwise they add nothing. They
never form bigrams.

Each block is L2-normalised on its own, like a union of separate TF-IDF vectorisers.

Speed: per-token work (hashing the word and its character n-grams) is cached per distinct
token; a batch becomes one (rows x batch vocabulary) count matrix times a (vocabulary x
features) matrix, and bigram ids are mixed from the two tokens' hashes with numpy, so no
Python loop runs per feature or per token pair.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from itertools import chain
from typing import Any, TypeAlias, cast

import numpy as np
import scipy.sparse as sp

from app.scoring.lexicon import (
    BAD_SUBJECTS,
    CRISIS_TERMS,
    DOWN_WORDS,
    FAVOURABLE_TERMS,
    GOOD_SUBJECTS,
    UP_WORDS,
)
from app.scoring.text import MARK_TOKENS, NEG_PREFIX

Matrix: TypeAlias = sp.csr_matrix
_CACHE_LIMIT = 400_000
_MIX = np.uint64(0x9E3779B97F4A7C15)
_LOOKBACK = 3  # how far before a direction word its subject may stand
_ID_BYTES = 8
# A cached token: (unigram CRC, direction code, subject code, feature ids as int64 bytes).
_Entry: TypeAlias = tuple[int, int, int, bytes]


@dataclass(frozen=True)
class FeatureConfig:
    word_bits: int = 19
    char_bits: int = 19
    window_bits: int = 0
    dir_bits: int = 0
    char_min: int = 3
    char_max: int = 5
    window: int = 6
    char_weight: float = 1.0
    window_weight: float = 1.0
    dir_weight: float = 0.5
    context_bits: int = 0
    context_weight: float = 1.0
    marks: bool = False
    # Weight of the dense block of distilled word vectors (``vectors.py``; target model only).
    vector_weight: float = 0.0
    crisis_terms: tuple[str, ...] = CRISIS_TERMS
    favourable_terms: tuple[str, ...] = FAVOURABLE_TERMS
    up_words: tuple[str, ...] = UP_WORDS
    down_words: tuple[str, ...] = DOWN_WORDS
    good_subjects: tuple[str, ...] = GOOD_SUBJECTS
    bad_subjects: tuple[str, ...] = BAD_SUBJECTS
    extra: dict[str, Any] = field(default_factory=dict)

    def block_sizes(self) -> tuple[int, int, int, int, int]:
        """Sizes of the word, char, window, direction and context blocks, in this order."""
        return (
            1 << self.word_bits,
            1 << self.char_bits,
            (1 << self.window_bits) if self.window_bits else 0,
            (1 << self.dir_bits) if self.dir_bits else 0,
            (1 << self.context_bits) if self.context_bits else 0,
        )

    def block_weights(self) -> tuple[float, float, float, float, float]:
        return (1.0, self.char_weight, self.window_weight, self.dir_weight, self.context_weight)

    @property
    def n_features(self) -> int:
        return sum(self.block_sizes())

    def offset(self, block: int) -> int:
        return sum(self.block_sizes()[:block])

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in WORD_LISTS:
            data[key] = list(getattr(self, key))
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FeatureConfig:
        data = dict(data)
        for key in WORD_LISTS:
            if key in data:
                data[key] = tuple(data[key])
        return cls(**data)


WORD_LISTS = (
    "crisis_terms",
    "favourable_terms",
    "up_words",
    "down_words",
    "good_subjects",
    "bad_subjects",
)


def _crc(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def _hash(text: str, bits: int) -> int:
    return _crc(text) & ((1 << bits) - 1)


def mix(first: np.ndarray, second: np.ndarray, bits: int) -> np.ndarray:
    """Stable hash of an ordered pair of 32-bit hashes, reduced to ``bits`` bits."""
    with np.errstate(over="ignore"):
        h = first.astype(np.uint64) * _MIX + second.astype(np.uint64)
        h ^= h >> np.uint64(29)
        h *= _MIX
        h ^= h >> np.uint64(32)
    return (h & np.uint64((1 << bits) - 1)).astype(np.int64)


class Featurizer:
    """Turns token lists into hashed count rows; caches per-token work (the hot path)."""

    def __init__(self, config: FeatureConfig) -> None:
        self.config = config
        self._char_offset = config.offset(1)
        self._window_offset = config.offset(2)
        self._dir_offset = config.offset(3)
        self._context_offset = config.offset(4)
        self._gram_ids: dict[str, int] = {}
        self._negated_gram_ids: dict[str, int] = {}
        self._gram_sizes = range(config.char_min, config.char_max + 1)
        self._char_mask = (1 << config.char_bits) - 1
        self._word_mask = (1 << config.word_bits) - 1
        # per token: (unigram crc, direction code, subject code, feature ids as int64 bytes)
        self._entries: dict[str, _Entry] = {}
        crisis = [t.split() for t in config.crisis_terms]
        favour = [t.split() for t in config.favourable_terms]
        self._lex1 = {t[0]: "crisis" for t in crisis if len(t) == 1}
        self._lex1.update({t[0]: "favour" for t in favour if len(t) == 1})
        lex2 = {(t[0], t[1]): "crisis" for t in crisis if len(t) == 2}
        lex2.update({(t[0], t[1]): "favour" for t in favour if len(t) == 2})
        keys, values = [], []
        for (a, b), group in lex2.items():
            for first in (a, NEG_PREFIX + a):
                keys.append((_crc("w" + first), _crc("w" + b)))
                values.append(_hash(f"L{group}", config.word_bits))
        pair_keys = mix(
            np.array([k[0] for k in keys], dtype=np.uint64),
            np.array([k[1] for k in keys], dtype=np.uint64),
            32,
        )
        order = np.argsort(pair_keys)
        self._lex2_keys = pair_keys[order]
        self._lex2_ids = np.array(values, dtype=np.int64)[order]
        self._up = frozenset(config.up_words)
        self._down = frozenset(config.down_words)
        self._good = frozenset(config.good_subjects)
        self._bad = frozenset(config.bad_subjects)
        bits = max(config.dir_bits, 1)
        self._mark_crcs = np.array(sorted(_crc("w" + m) for m in MARK_TOKENS), dtype=np.int64)
        self._dir_ids = {
            name: self._dir_offset + _hash(name, bits)
            for name in (
                *(f"D{s}{d}" for s in ("good", "bad", "?") for d in ("up", "down")),
                "Ppos",
                "Pneg",
            )
        }

    # -- per token (cached) --------------------------------------------------------------

    def token_ids(self, token: str) -> np.ndarray:
        """Feature ids of one token: its word unigram, char n-grams and lexicon marker."""
        entry = self._entries.get(token) or self._entry(token)
        return np.frombuffer(entry[3], dtype=np.int64).copy()

    def _entry(self, token: str) -> _Entry:
        """Per token, cached: (unigram CRC, direction code, subject code, feature ids).
        ``counts`` reads a batch vocabulary's entries with one ``map``."""
        if token in MARK_TOKENS:
            marks = [_hash("M" + token, self.config.word_bits)] if self.config.marks else []
            self._entries[token] = (_crc("w" + token), 0, 0, np.array(marks, np.int64).tobytes())
            return self._entries[token]
        negated = token.startswith(NEG_PREFIX)
        word = token[1:] if negated else token
        direction = 1 if word in self._up else 2 if word in self._down else 0
        if direction and negated:
            direction = 3 - direction
        subject = 1 if word in self._good else 2 if word in self._bad else 0
        crc = _crc("w" + token)
        # The ids are kept as raw int64 bytes: a batch joins them with one bytes.join (numpy
        # converts Python ints one by one, the slowest step of a batch), and bytes are
        # invisible to the garbage collector.
        ids = np.array(self._id_list(crc, word, negated), dtype=np.int64).tobytes()
        entry = (crc, direction, subject, ids)
        if len(self._entries) > _CACHE_LIMIT:
            self._entries.clear()
        self._entries[token] = entry
        return entry

    def _id_list(self, crc: int, word: str, negated: bool) -> list[int]:
        cfg = self.config
        out = [crc & self._word_mask]
        group = self._lex1.get(word)
        if group is not None:
            out.append(_hash(f"L{group}{'¬' if negated else ''}", cfg.word_bits))
        padded = f" {word} "
        size = len(padded)
        grams = [padded[i : i + n] for n in self._gram_sizes for i in range(max(size - n + 1, 1))]
        # Character n-grams repeat across tokens: their ids are cached on their own, per
        # prefix ("c" plain, "n" inside a negation scope).
        cache = self._negated_gram_ids if negated else self._gram_ids
        found = list(map(cache.get, grams))
        if None in found:
            prefix = "n" if negated else "c"
            for k, gid in enumerate(found):
                if gid is None:
                    gid = self._char_offset + (_crc(prefix + grams[k]) & self._char_mask)
                    cache[grams[k]] = gid
                    found[k] = gid
            if len(cache) > _CACHE_LIMIT:
                cache.clear()
        out.extend(found)  # type: ignore[arg-type]  # no None is left
        return out

    def token_features(self, tokens: Sequence[str]) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """(concatenated feature ids, number of ids, unigram CRC) of each token, from the
        per-token cache (what ``token_ids`` gives one token at a time)."""
        found = list(map(self._entries.get, tokens))
        entries = (
            [e or self._entry(t) for e, t in zip(found, tokens, strict=True)]
            if None in found
            else cast(list[_Entry], found)
        )
        blobs = [e[3] for e in entries]
        sizes = np.fromiter(map(len, blobs), dtype=np.int64, count=len(blobs)) // _ID_BYTES
        flat = np.frombuffer(b"".join(blobs), dtype=np.int64)
        return flat, sizes, [e[0] for e in entries]

    def mixed_pair_ids(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Word-block ids of bigrams from their tokens' unigram CRCs."""
        ids: np.ndarray = mix(first, second, 32) & self._word_mask
        return ids

    # -- batches -------------------------------------------------------------------------

    def counts(
        self,
        rows: Iterable[Sequence[str]],
        *,
        groups: np.ndarray | None = None,
        weights: np.ndarray | None = None,
        n_groups: int = 0,
    ) -> Matrix:
        """Raw count matrix (one row per token sequence).

        With ``groups`` (one output row per sequence) and ``weights``, output row g is the
        weighted sum of the count rows of the sequences in group g: one pass instead of
        building every sequence's row and summing them afterwards.
        """
        rows = rows if isinstance(rows, list) else list(rows)
        lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
        # Vocabulary in order of first occurrence; the loops over tokens run inside dict/map.
        vocab = {tok: k for k, tok in enumerate(dict.fromkeys(chain.from_iterable(rows)))}
        flat = list(map(vocab.__getitem__, chain.from_iterable(rows)))
        n_rows, n_feat = len(rows), self.config.n_features
        n_out = n_groups if groups is not None else n_rows
        if not flat:
            return sp.csr_matrix((n_out, n_feat), dtype=np.float32)
        tid = np.asarray(flat, dtype=np.int64)
        row_of = np.repeat(np.arange(n_rows), lengths)
        if groups is None or weights is None:
            out_of, value = row_of, np.ones(tid.size, dtype=np.float32)
        else:
            out_of, value = groups[row_of], weights[row_of]
        entries = list(map(self._entries.get, vocab))
        if None in entries:
            entries = [e or self._entry(t) for e, t in zip(entries, vocab, strict=True)]
        crcs, directions, subjects, blobs = zip(*entries, strict=True)
        info = np.array((crcs, directions, subjects), dtype=np.int64).T
        extra_rows, extra_cols = self._pair_and_direction_ids(row_of, info[tid])
        if groups is None or weights is None:
            extra_value = np.ones(extra_cols.size, dtype=np.float32)
        else:
            extra_rows, extra_value = groups[extra_rows], weights[extra_rows]
        # One product: each distinct bigram/direction feature joins the vocabulary as a
        # pseudo-token mapped to its own id, so no separate sum of matrices is needed.
        extra_ids, extra_tok = np.unique(extra_cols, return_inverse=True)
        n_tok = len(vocab) + extra_ids.size
        doc_tok = sp.csr_matrix(
            (
                np.concatenate((value, extra_value)),
                (
                    np.concatenate((out_of, extra_rows)),
                    np.concatenate((tid, len(vocab) + extra_tok)),
                ),
            ),
            shape=(n_out, n_tok),
        )
        sizes = np.fromiter(map(len, blobs), dtype=np.int64, count=len(blobs)) // _ID_BYTES
        token_feats = np.frombuffer(b"".join(blobs), dtype=np.int64)
        n_ids = token_feats.size
        tok_feat = sp.csr_matrix(
            (
                np.ones(n_ids + extra_ids.size, dtype=np.float32),
                np.concatenate((token_feats, extra_ids)),
                np.concatenate(([0], np.cumsum(sizes), n_ids + np.arange(1, extra_ids.size + 1))),
            ),
            shape=(n_tok, n_feat),
        )
        # A product of csr matrices holds no duplicate entries (indices may be unsorted:
        # callers that search them sort first), so no sum_duplicates pass here.
        return sp.csr_matrix(doc_tok @ tok_feat)

    def _pair_and_direction_ids(
        self, row_of: np.ndarray, info: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(row, feature id) of every bigram, lexicon bigram and direction feature."""
        crc, direction, subject = info[:, 0], info[:, 1], info[:, 2]
        same = np.flatnonzero(row_of[1:] == row_of[:-1])
        # Mark tokens trail the words: a pair ending in one is no bigram.
        same = same[~np.isin(crc[same + 1], self._mark_crcs)]
        full = mix(crc[same], crc[same + 1], 32)
        rows = [row_of[same]]
        cols = [full & ((1 << self.config.word_bits) - 1)]
        pos = np.minimum(np.searchsorted(self._lex2_keys, full), max(self._lex2_keys.size - 1, 0))
        if self._lex2_keys.size:
            hit = self._lex2_keys[pos] == full
            rows.append(row_of[same][hit])
            cols.append(self._lex2_ids[pos[hit]])
        if self.config.dir_bits:
            r, c = self._direction_ids(row_of, crc, direction, subject)
            rows.append(r)
            cols.append(c)
        return np.concatenate(rows), np.concatenate(cols)

    def _direction_ids(
        self, row_of: np.ndarray, crc: np.ndarray, direction: np.ndarray, subject: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """For each up/down word: the class of its subject (nearest good/bad word up to
        _LOOKBACK tokens before) with the implied polarity, and each preceding word paired
        with the direction (so subjects outside the lists are learned too)."""
        where = np.flatnonzero(direction)
        if not where.size:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        found = np.zeros(where.size, dtype=np.int64)
        rows, cols = [], []
        bits = self.config.dir_bits
        for k in range(1, _LOOKBACK + 1):
            before = where - k
            ok = (before >= 0) & (row_of[np.maximum(before, 0)] == row_of[where])
            sub = np.where(ok, subject[np.maximum(before, 0)], 0)
            found = np.where(found == 0, sub, found)
            rows.append(row_of[where][ok])
            cols.append(
                self._dir_offset
                + mix(crc[before[ok]], direction[where][ok].astype(np.uint64), bits)
            )
        names = np.array(
            [self._dir_ids[f"D{s}{d}"] for s in ("?", "good", "bad") for d in ("up", "down")]
        )
        dir_index = direction[where] - 1
        rows.append(row_of[where])
        cols.append(names[found * 2 + dir_index])
        polar = found > 0
        positive = (found == 1) == (direction[where] == 1)
        rows.append(row_of[where][polar])
        cols.append(np.where(positive[polar], self._dir_ids["Ppos"], self._dir_ids["Pneg"]))
        return np.concatenate(rows), np.concatenate(cols)

    def window_counts(
        self, rows: Sequence[Sequence[str]], spans: Sequence[tuple[int, int]]
    ) -> Matrix:
        """Distance-weighted ids of the words around each target span ``toks[start:end]``;
        with a context block, also every word of the sentence by its side of the target."""
        cfg = self.config
        indptr = [0]
        ids: list[int] = []
        weights: list[float] = []
        for row, (start, end) in zip(rows, spans, strict=True):
            n_words = len(row)
            while n_words and row[n_words - 1] in MARK_TOKENS:
                n_words -= 1
            toks = row[:n_words]
            lo = max(0, start - cfg.window)
            hi = min(len(toks), end + cfg.window)
            for i in range(lo, hi):
                if start <= i < end:
                    continue
                dist = start - i if i < start else i - end + 1
                side = "L" if i < start else "R"
                weight = 1.0 / (1.0 + 0.25 * (dist - 1))
                keys = [f"{side}{toks[i]}", f"*{toks[i]}"]
                if i + 1 < hi and not start <= i + 1 < end:
                    keys.append(f"{side}{toks[i]} {toks[i + 1]}")
                for key in keys:
                    ids.append(self._window_offset + _hash(key, cfg.window_bits))
                    weights.append(weight)
            if cfg.context_bits:
                for side, words in (("L", toks[:start]), ("R", toks[end:])):
                    ids.extend(
                        self._context_offset + _hash(side + tok, cfg.context_bits) for tok in words
                    )
                weights.extend([1.0] * (len(ids) - len(weights)))
            indptr.append(len(ids))
        mat = sp.csr_matrix(
            (
                np.asarray(weights, dtype=np.float32),
                np.asarray(ids, dtype=np.int64),
                np.asarray(indptr, dtype=np.int64),
            ),
            shape=(len(indptr) - 1, cfg.n_features),
        )
        mat.sum_duplicates()
        return mat


def tfidf(counts: Matrix, idf: np.ndarray, config: FeatureConfig) -> Matrix:
    """Sublinear TF times IDF, L2-normalised per block and scaled by the block weight."""
    indices = counts.indices
    data = np.log(np.maximum(counts.data, 1e-6))
    data += 1.0
    data *= idf[indices]
    np.maximum(data, 0.0, out=data)
    sizes = config.block_sizes()
    n_blocks = len(sizes)
    bounds = np.cumsum((0, *sizes[:-1])).astype(indices.dtype)
    block = np.searchsorted(bounds, indices, side="right")
    block -= 1
    n_rows = counts.shape[0]
    key = np.repeat(np.arange(0, n_blocks * n_rows, n_blocks), np.diff(counts.indptr))
    key += block
    squares = data.astype(np.float64)
    squares *= squares
    sq = np.bincount(key, weights=squares, minlength=n_rows * n_blocks)
    norms = np.maximum(np.sqrt(sq), 1e-12)[key]
    scale = np.asarray(config.block_weights())[block]
    values = data / norms
    values *= scale
    return sp.csr_matrix(
        (values.astype(np.float32), indices.copy(), counts.indptr.copy()), shape=counts.shape
    )


def fit_idf(counts: Matrix) -> np.ndarray:
    """Smoothed IDF as in scikit-learn; unseen features get the maximum value."""
    n_docs = counts.shape[0]
    df = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float64)
    idf: np.ndarray = (np.log((1.0 + n_docs) / (1.0 + df)) + 1.0).astype(np.float32)
    return idf
