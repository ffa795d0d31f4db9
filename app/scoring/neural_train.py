"""Training the target net (``neural.py``) with PyTorch: training time only.

Needs the optional extra ``neural`` (CPU PyTorch). One member per fold of a 5-fold
cross-validation grouped by sentence (a sentence's targets never straddle folds); each member
predicts its held-out fold, so the members also give the out-of-fold probabilities the
calibration is fitted on. One thread and fixed seeds: a rerun gives the same arrays.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.model_selection import GroupKFold

from app.scoring.neural import NetConfig, TargetNet, encode
from app.scoring.text import MARK_TOKENS, unnegated
from app.scoring.vectors import WordVectors


def train_target_net(
    rows: Sequence[Sequence[str]],
    spans: Sequence[tuple[int, int]],
    groups: Sequence[str],
    labels: np.ndarray,
    weights: np.ndarray,
    vectors: WordVectors,
    config: NetConfig,
    seed: int,
) -> tuple[TargetNet, np.ndarray]:
    """Train the members; returns the net and its out-of-fold class probabilities."""
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            "training the target net needs PyTorch: pip install '.[neural]' (CPU wheel)"
        ) from exc
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        counts = Counter(unnegated(t) for row in rows for t in row if t not in MARK_TOKENS)
        words = sorted(w for w, c in counts.items() if c >= config.min_freq)
        batch = encode(rows, spans, TargetNet(config, words, []).vocab, vectors, config)
        members = []
        oof = np.zeros((len(rows), 3))
        splitter = GroupKFold(n_splits=config.members)
        for train_idx, test_idx in splitter.split(np.zeros(len(rows)), groups=list(groups)):
            params, proba = _fit_member(
                batch, labels, weights, train_idx, test_idx, len(words), vectors, config, seed
            )
            members.append(params)
            oof[test_idx] = proba
        return TargetNet(config, words, members), oof
    finally:
        torch.set_num_threads(threads)


def _fit_member(
    batch: Any,
    labels: np.ndarray,
    weights: np.ndarray,
    train_idx: np.ndarray,
    test_idx: np.ndarray,
    n_words: int,
    vectors: WordVectors,
    config: NetConfig,
    seed: int,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    import torch
    import torch.nn.functional as F  # noqa: N812 - PyTorch's own convention

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    module = _module(n_words, torch.from_numpy(vectors.padded()), config)
    optimiser = torch.optim.AdamW(
        [p for p in module.parameters() if p.requires_grad],
        lr=config.lr,
        weight_decay=config.weight_decay,
    )
    y = labels[train_idx]
    balance = len(y) / (3 * np.maximum(np.bincount(y, minlength=3), 1))
    row_weight = torch.tensor(balance[y] * weights[train_idx], dtype=torch.float32)
    target = torch.tensor(y)
    for _ in range(config.epochs):
        module.train()
        order = rng.permutation(len(train_idx))
        for lo in range(0, len(order), config.batch):
            pick = order[lo : lo + config.batch]
            logits = module(*_tensors(batch, train_idx[pick]))
            loss = F.cross_entropy(logits, target[pick], reduction="none")
            w = row_weight[pick]
            loss = (loss * w).sum() / w.sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    module.eval()
    with torch.no_grad():
        proba = module(*_tensors(batch, test_idx)).softmax(-1).numpy().astype(np.float64)
    return module.arrays(), proba


def _tensors(batch: Any, idx: np.ndarray) -> tuple[Any, ...]:
    import torch

    width = int(batch.lengths[idx].max())
    return (
        torch.from_numpy(batch.words[idx, :width]),
        torch.from_numpy(batch.vecs[idx, :width]),
        torch.from_numpy(batch.neg[idx, :width]),
        torch.from_numpy(batch.rel[idx, :width]),
        torch.from_numpy(batch.lengths[idx]),
    )


def _module(n_words: int, table: Any, config: NetConfig) -> Any:
    """The PyTorch twin of ``neural._forward``."""
    import torch
    from torch import nn
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            h = config.hidden
            self.emb = nn.Embedding(n_words + 2, config.emb, padding_idx=0)
            self.vec = nn.Embedding.from_pretrained(table, freeze=True)
            self.pos = nn.Embedding(2 * config.max_rel + 1, config.pos)
            d_in = config.emb + table.shape[1] + config.pos + 2
            self.gru = nn.GRU(d_in, h, batch_first=True, bidirectional=True)
            self.att_h = nn.Linear(2 * h, 2 * h)
            self.att = nn.Linear(4 * h, 1)
            self.out = nn.Linear(6 * h, 3)
            self.drop = nn.Dropout(config.dropout)

        def forward(self, words: Any, vecs: Any, neg: Any, rel: Any, lengths: Any) -> Any:
            width = words.shape[1]
            mask = torch.arange(width)[None, :] < lengths[:, None]
            inside = ((rel == 0) & mask).float().unsqueeze(-1)
            x = torch.cat(
                [
                    self.emb(words),
                    self.vec(vecs),
                    self.pos(rel + config.max_rel),
                    neg.unsqueeze(-1),
                    inside,
                ],
                -1,
            )
            packed = pack_padded_sequence(
                self.drop(x), lengths, batch_first=True, enforce_sorted=False
            )
            states, _ = pad_packed_sequence(
                self.gru(packed)[0], batch_first=True, total_length=width
            )
            mention = (states * inside).sum(1) / inside.sum(1).clamp(min=1.0)
            keys = torch.tanh(self.att_h(states))
            score = self.att(torch.cat([keys, mention.unsqueeze(1).expand_as(keys)], -1))
            score = score.squeeze(-1).masked_fill(~mask, -1e9)
            pooled = (states * score.softmax(1).unsqueeze(-1)).sum(1)
            peak = states.masked_fill(~mask.unsqueeze(-1), -1e9).max(1).values
            return self.out(self.drop(torch.cat([mention, pooled, peak], -1)))

        def arrays(self) -> dict[str, np.ndarray]:
            g = self.gru
            tensors: dict[str, Any] = {
                "emb": self.emb.weight,
                "pos": self.pos.weight,
                "w_ih_f": g.weight_ih_l0,
                "w_hh_f": g.weight_hh_l0,
                "b_ih_f": g.bias_ih_l0,
                "b_hh_f": g.bias_hh_l0,
                "w_ih_b": g.weight_ih_l0_reverse,
                "w_hh_b": g.weight_hh_l0_reverse,
                "b_ih_b": g.bias_ih_l0_reverse,
                "b_hh_b": g.bias_hh_l0_reverse,
                "att_h_w": self.att_h.weight,
                "att_h_b": self.att_h.bias,
                "att_w": self.att.weight,
                "att_b": self.att.bias,
                "out_w": self.out.weight,
                "out_b": self.out.bias,
            }
            return {k: v.detach().numpy().astype(np.float32).copy() for k, v in tensors.items()}

    return Net()
