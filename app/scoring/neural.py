"""A small target-aware recurrent network for English mentions, run with numpy.

Trained with PyTorch at training time only (``app.scoring.neural_train``, optional extra
``neural``); the artefact holds its arrays and this module runs the forward pass, so scoring
needs no ML library.

Per token of the sentence (at most ``max_len`` tokens around the mention): a trained word
embedding (words seen ``min_freq`` times in training; others share one row), the distilled
word vector (``vectors.py``, frozen), an embedding of the position relative to the mention
(clipped to ±``max_rel``), a negation flag and an inside-the-mention flag. A bidirectional GRU
reads them; the mention's mean state, an attention pooling queried by it, and a max pooling
feed a linear layer. The shipped net is several such members (one per cross-validation fold)
whose class probabilities are averaged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from app.scoring.text import MARK_TOKENS, NEG_PREFIX, unnegated
from app.scoring.vectors import WordVectors, array_words, words_array

PAD, UNKNOWN = 0, 1  # word-embedding rows; the vocabulary's words start at 2
_PARAMS = (
    "emb",
    "pos",
    "w_ih_f",
    "w_hh_f",
    "b_ih_f",
    "b_hh_f",
    "w_ih_b",
    "w_hh_b",
    "b_ih_b",
    "b_hh_b",
    "att_h_w",
    "att_h_b",
    "att_w",
    "att_b",
    "out_w",
    "out_b",
)


@dataclass(frozen=True)
class NetConfig:
    hidden: int = 64
    emb: int = 32
    pos: int = 16
    max_rel: int = 20
    max_len: int = 80
    min_freq: int = 2
    members: int = 5  # one per fold of the sentence-grouped cross-validation
    epochs: int = 8
    lr: float = 2e-3
    batch: int = 32
    dropout: float = 0.3
    weight_decay: float = 1e-4
    # Share of the net in the target probabilities (the linear model has the rest).
    mix: float = 0.3

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Encoded:
    """A padded batch: word rows, vector rows, negation flags, relative positions, lengths."""

    words: np.ndarray  # (n, L) int64
    vecs: np.ndarray  # (n, L) int64, 0 = no vector
    neg: np.ndarray  # (n, L) float32
    rel: np.ndarray  # (n, L) int64 in [-max_rel, max_rel]; 0 = inside the mention
    lengths: np.ndarray  # (n,) int64


def encode(
    rows: Sequence[Sequence[str]],
    spans: Sequence[tuple[int, int]],
    vocab: Mapping[str, int],
    vectors: WordVectors,
    config: NetConfig,
) -> Encoded:
    """Inputs of the net for each token row (``text.tokens``) and its mention span."""
    cut: list[tuple[list[str], list[float], list[int]]] = []
    for row, (start, end) in zip(rows, spans, strict=True):
        toks = [t for t in row if t not in MARK_TOKENS]
        lo = max(0, min(start - config.max_len // 2, len(toks) - config.max_len))
        toks = toks[lo : lo + config.max_len]
        start, end = start - lo, end - lo
        words = [unnegated(t) for t in toks]
        neg = [1.0 if t[:1] == NEG_PREFIX else 0.0 for t in toks]
        rel = [
            max(-config.max_rel, i - start)
            if i < start
            else (0 if i < end else min(config.max_rel, i - end + 1))
            for i in range(len(toks))
        ]
        cut.append((words, neg, rel))
    n, width = len(cut), max((len(c[0]) for c in cut), default=0)
    out = Encoded(
        np.zeros((n, max(width, 1)), dtype=np.int64),
        np.zeros((n, max(width, 1)), dtype=np.int64),
        np.zeros((n, max(width, 1)), dtype=np.float32),
        np.zeros((n, max(width, 1)), dtype=np.int64),
        np.array([len(c[0]) for c in cut], dtype=np.int64),
    )
    index = vectors.index
    for i, (words, neg, rel) in enumerate(cut):
        k = len(words)
        out.words[i, :k] = [vocab.get(w, UNKNOWN) for w in words]
        out.vecs[i, :k] = [index.get(w, -1) + 1 for w in words]
        out.neg[i, :k] = neg
        out.rel[i, :k] = rel
    return out


@dataclass
class TargetNet:
    config: NetConfig
    words: list[str]  # the trained vocabulary, row k + 2 of each member's ``emb``
    members: list[dict[str, np.ndarray]]  # float32 arrays named as in ``_PARAMS``

    def __post_init__(self) -> None:
        self.vocab = {w: k + 2 for k, w in enumerate(self.words)}
        self._stacked: _Stacked | None = None
        self._table: tuple[WordVectors, np.ndarray] | None = None

    def proba(
        self,
        rows: Sequence[Sequence[str]],
        spans: Sequence[tuple[int, int]],
        vectors: WordVectors,
    ) -> np.ndarray:
        """Class probabilities (mean over the members), one row per mention.

        Rows are run in chunks of similar length (a chunk is padded to its longest row), all
        members and both directions of the GRU in the same matrix products."""
        out = np.zeros((len(rows), 3))
        if not rows:
            return out
        if self._stacked is None:
            self._stacked = _stack(self.members)
        if self._table is None or self._table[0] is not vectors:
            self._table = (vectors, vectors.padded())
        batch = encode(rows, spans, self.vocab, vectors, self.config)
        order = np.argsort(batch.lengths, kind="stable")
        for lo in range(0, len(order), _CHUNK):
            idx = order[lo : lo + _CHUNK]
            width = max(int(batch.lengths[idx].max()), 1)
            chunk = Encoded(
                batch.words[idx, :width],
                batch.vecs[idx, :width],
                batch.neg[idx, :width],
                batch.rel[idx, :width],
                batch.lengths[idx],
            )
            logits = _forward(self._stacked, chunk, self._table[1], self.config)
            out[idx] = _softmax(logits).mean(axis=0)
        return out

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        arrays = {f"{prefix}/net_words": words_array(self.words)}
        for m, params in enumerate(self.members):
            for name in _PARAMS:
                arrays[f"{prefix}/net{m}/{name}"] = params[name].astype(np.float16)
        return arrays

    @classmethod
    def from_arrays(
        cls, arrays: Mapping[str, np.ndarray], prefix: str, spec: dict[str, Any]
    ) -> TargetNet:
        config = NetConfig(**spec)
        words = array_words(arrays[f"{prefix}/net_words"])
        members = [
            {name: arrays[f"{prefix}/net{m}/{name}"].astype(np.float32) for name in _PARAMS}
            for m in range(config.members)
        ]
        return cls(config, words, members)


_CHUNK = 64  # rows per forward pass


@dataclass(frozen=True)
class _Stacked:
    """The members' arrays stacked: GRU streams (member m forward at 2m, backward at 2m + 1)
    and per-member pooling and output layers, so one matrix product serves them all."""

    emb: list[np.ndarray]
    pos: list[np.ndarray]
    w_ih: np.ndarray  # (streams, d_in, 3h)
    b_ih: np.ndarray  # (streams, 1, 3h)
    w_hh: np.ndarray  # (streams, h, 3h)
    b_hh: np.ndarray  # (streams, 1, 3h)
    att_h_w: np.ndarray  # (members, 2h, 2h)
    att_h_b: np.ndarray  # (members, 1, 1, 2h)
    att_w: np.ndarray  # (members, 4h)
    att_b: np.ndarray  # (members, 1, 1)
    out_w: np.ndarray  # (members, 6h, 3)
    out_b: np.ndarray  # (members, 1, 3)


def _stack(members: Sequence[Mapping[str, np.ndarray]]) -> _Stacked:
    def streams(name: str) -> list[np.ndarray]:
        return [p[f"{name}_{side}"] for p in members for side in ("f", "b")]

    return _Stacked(
        emb=[p["emb"] for p in members],
        pos=[p["pos"] for p in members],
        w_ih=np.stack([w.T for w in streams("w_ih")]),
        b_ih=np.stack(streams("b_ih"))[:, None, :],
        w_hh=np.stack([w.T for w in streams("w_hh")]),
        b_hh=np.stack(streams("b_hh"))[:, None, :],
        att_h_w=np.stack([p["att_h_w"].T for p in members]),
        att_h_b=np.stack([p["att_h_b"] for p in members])[:, None, None, :],
        att_w=np.stack([p["att_w"][0] for p in members]),
        att_b=np.stack([p["att_b"] for p in members])[:, :, None],
        out_w=np.stack([p["out_w"].T for p in members]),
        out_b=np.stack([p["out_b"] for p in members])[:, None, :],
    )


def _forward(s: _Stacked, batch: Encoded, table: np.ndarray, config: NetConfig) -> np.ndarray:
    """Logits (members, rows, 3): the PyTorch module of ``neural_train``, in numpy."""
    width = batch.words.shape[1]
    mask = np.arange(width)[None, :] < batch.lengths[:, None]
    inside = (batch.rel == 0) & mask
    shared = [table[batch.vecs], batch.neg[:, :, None], inside[:, :, None].astype(np.float32)]
    inputs = []
    for m, (emb, pos) in enumerate(zip(s.emb, s.pos, strict=True)):
        x = np.concatenate([emb[batch.words], shared[0], pos[batch.rel + config.max_rel]], 2)
        x = np.concatenate([x, shared[1], shared[2]], axis=2)
        for k in (2 * m, 2 * m + 1):
            inputs.append(x @ s.w_ih[k] + s.b_ih[k])
    states = _gru(np.stack(inputs), mask, s.w_hh, s.b_hh)  # (streams, n, L, h)
    states = np.concatenate([states[0::2], states[1::2]], axis=3)  # (members, n, L, 2h)
    weight = inside[None, :, :, None].astype(np.float32)
    mention = (states * weight).sum(axis=2) / np.maximum(weight.sum(axis=2), 1.0)
    keys = np.tanh(states @ s.att_h_w[:, None] + s.att_h_b)
    size = states.shape[3]
    score = np.einsum("mnlk,mk->mnl", keys, s.att_w[:, :size])
    score += np.einsum("mnk,mk->mn", mention, s.att_w[:, size:])[:, :, None] + s.att_b
    score = np.where(mask[None], score, -1e9)
    pooled = np.einsum("mnlk,mnl->mnk", states, _softmax(score))
    peak = np.where(mask[None, :, :, None], states, -1e9).max(axis=2)
    features = np.concatenate([mention, pooled, peak], axis=2)
    logits: np.ndarray = features @ s.out_w + s.out_b
    return logits


def _gru(inputs: np.ndarray, mask: np.ndarray, w_hh: np.ndarray, b_hh: np.ndarray) -> np.ndarray:
    """All GRU streams over padded rows (gates in PyTorch's order: reset, update, new); even
    streams read forward, odd ones backward. Padding neither feeds nor moves the state, as
    with PyTorch's packed sequences. ``inputs``: (streams, n, L, 3h), input products done."""
    streams, n, width, gates = inputs.shape
    hidden = gates // 3
    inputs = inputs.copy()
    inputs[1::2] = inputs[1::2, :, ::-1]  # backward streams read time reversed
    masks = np.stack([mask, mask[:, ::-1]] * (streams // 2))[:, :, :, None]
    out = np.zeros((streams, n, width, hidden), dtype=np.float32)
    h = np.zeros((streams, n, hidden), dtype=np.float32)
    for t in range(width):
        gi = inputs[:, :, t]
        gh = h @ w_hh + b_hh
        rz = _sigmoid(gi[..., : 2 * hidden] + gh[..., : 2 * hidden])
        new = np.tanh(gi[..., 2 * hidden :] + rz[..., :hidden] * gh[..., 2 * hidden :])
        z = rz[..., hidden:]
        step = new + z * (h - new)  # (1 - z) * new + z * h
        h = np.where(masks[:, :, t], step, h)
        out[:, :, t] = h
    out[1::2] = out[1::2, :, ::-1]
    return out


def _sigmoid(z: np.ndarray) -> np.ndarray:
    result: np.ndarray = 0.5 * (1.0 + np.tanh(0.5 * z))
    return result


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    result: np.ndarray = e / e.sum(axis=-1, keepdims=True)
    return result
