"""Tone toward a watched entity in an Indonesian article: is it bad, neutral or good for it?

One linear model over the whole (article, entity) pair, trained on pairs labelled by reading
(``labels/tone-id/``). The entity's names never reach the features: every name of the entity
is replaced by one mask token before tokenising, so "KPK menggelar rapat" and "Polri menggelar
rapat" give the same row (the name-swap test holds this). The row has blocks:

- the headline (its own block when the headline names the entity, a weaker one when not);
- the sentences naming the entity, weighted by where they stand (headline, lead, rest);
- the words on each side of the mask (left and right kept apart: "X menangkap" is not
  "menangkap X");
- the whole article as a bag of words (what the story is about);
- where and how often the entity is named;
- a dense block: the sentence model's probabilities of the masked mention sentences and
  headline (the headline model's knowledge of Indonesian news tone, with the name removed).

The explanation is linear too: each mention sentence's push toward the label, and the
phrases (words, word pairs, words beside the name) that pushed most.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from itertools import pairwise
from typing import Any

import numpy as np
import scipy.sparse as sp

from app.scoring.model import CLASSES, Calibrator, LinearModel, softmax
from app.scoring.result import Entity
from app.scoring.targets import alias_pattern, position_weight
from app.scoring.text import MARK_TOKENS, NEG_PREFIX, normalise, split_sentences, tokens

# Replaces every name of the entity; not a word of either language.
MASK = "qqentitas"
KIND = "tone"
# Dense block: mean and max negativity-class probabilities of mention sentences (3 + 1), the
# headline's (3), whether the headline / lead names the entity (2), the mean negativity of the
# sentences where the entity is the agent / the patient (2) and their shares (2).
N_DENSE = 13
MAX_SENTENCES = 400  # sentences of one article read (a hostile text cannot grow the row)


@dataclass(frozen=True)
class ToneConfig:
    bits: int = 20
    window: int = 5
    headline_weight: float = 1.0  # the headline block when it names the entity
    headline_other_weight: float = 0.5  # ... and when it does not
    mention_weight: float = 1.0
    window_weight: float = 1.0
    article_weight: float = 1.0
    position_weight: float = 0.5
    dense_weight: float = 2.0
    role_weight: float = 0.0  # mention-sentence words split by the entity's role (no gain)
    c: float = 3.0
    # How the label is chosen: "balanced" takes the class the balanced regression scores
    # highest (validation macro-F1 0.673 against 0.641, out-of-fold 0.639 against 0.626);
    # "calibrated" the most probable class after calibration, which the neutral prior wins
    # more often. Negativity and confidence are the calibrated probabilities either way.
    decision: str = "balanced"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ToneConfig:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass
class Pair:
    """What the model reads of one (article, entity): masked token rows and positions."""

    sentences: list[str]  # the article's sentences, original text (for evidence)
    toks: list[list[str]]  # masked tokens per sentence
    mentions: list[int]  # indices of sentences naming the entity
    has_title: bool
    # `sparse_terms` with each term's slot, kept by `pair_row` for `ToneModel.explain` (which
    # reads the same terms), with the configuration they were made under.
    terms: tuple[ToneConfig, list[tuple[str, float, int]]] | None = field(
        default=None, repr=False, compare=False
    )

    @property
    def found(self) -> bool:
        return bool(self.mentions)


def read_pair(sentences: Sequence[str], entity: Entity, *, has_title: bool) -> Pair:
    """Mask the entity's names in each sentence and tokenise; remember where it is named."""
    pattern = alias_pattern(entity.names)
    kept = list(sentences[:MAX_SENTENCES])
    toks: list[list[str]] = []
    mentions: list[int] = []
    for j, sentence in enumerate(kept):
        masked, n = pattern.subn(f" {MASK} ", sentence)
        if n:
            mentions.append(j)
        toks.append(tokens(masked) if n else _plain_tokens(sentence))
    return Pair(kept, toks, mentions, has_title)


@lru_cache(maxsize=65536)
def _cached_tokens(sentence: str) -> tuple[str, ...]:
    return tuple(tokens(sentence))


def _plain_tokens(sentence: str) -> list[str]:
    return list(_cached_tokens(sentence))


# Each term's hashed slot (its CRC-32 cut to the model's bits), cached in a plain dict per
# width and read with one `map` (a pair has thousands of terms; an lru_cache call per term was
# most of the row's cost). Cleared when full.
_SLOTS: dict[int, dict[str, int]] = {}
_SLOTS_MAX = 1 << 18


def _slots(terms: list[str], bits: int) -> list[int]:
    cache = _SLOTS.setdefault(bits, {})
    found = list(map(cache.get, terms))
    if None in found:
        mask = (1 << bits) - 1
        for k, slot in enumerate(found):
            if slot is None:
                slot = zlib.crc32(terms[k].encode("utf-8")) & mask
                cache[terms[k]] = slot
                found[k] = slot
        if len(cache) > _SLOTS_MAX:
            cache.clear()
    return found  # type: ignore[return-value]  # no None is left


def _words(toks: Sequence[str]) -> list[str]:
    return [t for t in toks if t not in MARK_TOKENS]


def _grams(toks: Sequence[str]) -> list[str]:
    words = _words(toks)
    return words + [f"{a} {b}" for a, b in pairwise(words)]


class _Block:
    """One block's feature weights, L2-normalised at the end and scaled by the block weight."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.values: dict[str, float] = {}

    def add(self, terms: Sequence[str], weight: float = 1.0) -> None:
        for t in terms:
            self.values[t] = self.values.get(t, 0.0) + weight

    def items(self, scale: float) -> list[tuple[str, float]]:
        if not self.values or scale == 0.0:
            return []
        logged = {t: math.log1p(v) for t, v in self.values.items()}
        norm = math.sqrt(sum(v * v for v in logged.values())) or 1.0
        return [(self.prefix + t, scale * v / norm) for t, v in logged.items()]


def _side_words(toks: Sequence[str], window: int) -> tuple[list[str], list[str]]:
    words = _words(toks)
    left: list[str] = []
    right: list[str] = []
    for k, w in enumerate(words):
        if w != MASK:
            continue
        left += [x for x in words[max(0, k - window) : k] if x != MASK]
        right += [x for x in words[k + 1 : k + 1 + window] if x != MASK]
    return left, right


def role(toks: Sequence[str]) -> str:
    """The entity's role in a sentence, from the word forms around its first mention: "a"
    (agent: an active me-/ber- verb follows, or "oleh" or a passive di- verb precedes), "p"
    (patient: a passive di-/ter- verb follows, or an active verb precedes), "o" otherwise.
    Word forms only: no list of sentiment words."""
    words = _words(toks)
    if MASK not in words:
        return "o"
    k = words.index(MASK)
    after = next((w for w in words[k + 1 : k + 3] if w != MASK), "")
    before = words[k - 1] if k else ""
    after = after.lstrip(NEG_PREFIX)
    before = before.lstrip(NEG_PREFIX)
    if before == "oleh" or (len(after) > 4 and after.startswith(("me", "ber"))):
        return "a"
    if len(before) > 4 and before.startswith("di") and k >= 1:
        return "a"  # "ditangkap KPK": arrested by it
    if len(after) > 4 and after.startswith(("di", "ter")) and after not in ("dia", "dalam"):
        return "p"
    if len(before) > 4 and before.startswith("me"):
        return "p"
    return "o"


def sparse_terms(pair: Pair, cfg: ToneConfig) -> list[tuple[str, float]]:
    """The named features of a pair with their values (before hashing)."""
    title = 0 if pair.has_title and pair.toks else None
    out: list[tuple[str, float]] = []
    if title is not None:
        named = title in pair.mentions
        head = _Block("h:" if named else "H:")
        head.add(_grams(pair.toks[title]))
        out += head.items(cfg.headline_weight if named else cfg.headline_other_weight)
    mention = _Block("m:")
    roles = {r: _Block(f"m{r}:") for r in "apo"}
    window = _Block("w")
    for j in pair.mentions:
        weight = position_weight(j, pair.has_title)
        grams = _grams(pair.toks[j])
        mention.add(grams, weight)
        roles[role(pair.toks[j])].add(grams, weight)
        left, right = _side_words(pair.toks[j], cfg.window)
        window.add(["l:" + w for w in left], weight)
        window.add(["r:" + w for w in right], weight)
    out += mention.items(cfg.mention_weight)
    for block in roles.values():
        out += block.items(cfg.role_weight)
    out += window.items(cfg.window_weight)
    article = _Block("a:")
    for toks in pair.toks:
        article.add(_words(toks))
    out += article.items(cfg.article_weight)
    place = _Block("p:")
    n = len(pair.mentions)
    place.add([f"n{min(n, 4)}", f"share{min(4, int(10 * n / max(1, len(pair.toks))))}"])
    out += place.items(cfg.position_weight)
    return out


def pair_row(pair: Pair, cfg: ToneConfig) -> dict[int, float]:
    row: dict[int, float] = {}
    for _, value, k in _slotted_terms(pair, cfg):
        row[k] = row.get(k, 0.0) + value
    return row


def _slotted_terms(pair: Pair, cfg: ToneConfig) -> list[tuple[str, float, int]]:
    """`sparse_terms` with each term's slot, made once per pair and configuration (the row
    and the explanation read the same terms)."""
    if pair.terms is not None and pair.terms[0] == cfg:
        return pair.terms[1]
    named = sparse_terms(pair, cfg)
    slots = _slots([term for term, _ in named], cfg.bits)
    terms = [(term, value, slot) for (term, value), slot in zip(named, slots, strict=True)]
    pair.terms = (cfg, terms)
    return terms


def dense_rows(pairs: Sequence[Pair], sentence_model: LinearModel) -> np.ndarray:
    """The dense block of each pair, from one batch of the sentence model."""
    out = np.zeros((len(pairs), N_DENSE))
    rows: list[list[str]] = []
    where: list[tuple[int, str]] = []
    for i, pair in enumerate(pairs):
        for j in pair.mentions:
            rows.append(pair.toks[j])
            where.append((i, "m"))
        if pair.has_title and pair.toks:
            rows.append(pair.toks[0])
            where.append((i, "h"))
    if not rows:
        return out
    proba = sentence_model.proba(sentence_model.featurizer.counts(rows))
    sums = np.zeros((len(pairs), 3))
    counts = np.zeros(len(pairs))
    top = np.zeros(len(pairs))
    by_role = np.zeros((len(pairs), 2))  # negativity of sentences where it is agent / patient
    n_role = np.zeros((len(pairs), 2))
    for (i, part), p, toks in zip(where, proba, rows, strict=True):
        if part == "m":
            sums[i] += p
            counts[i] += 1
            top[i] = max(top[i], p[0])
            r = role(toks)
            if r != "o":
                by_role[i, r == "p"] += p[0]
                n_role[i, r == "p"] += 1
        else:
            out[i, 4:7] = p
    out[:, 0:3] = sums / np.maximum(counts, 1)[:, None]
    out[:, 3] = top
    out[:, 9:11] = by_role / np.maximum(n_role, 1)
    out[:, 11:13] = n_role / np.maximum(counts, 1)[:, None]
    for i, pair in enumerate(pairs):
        out[i, 7] = float(pair.has_title and 0 in pair.mentions)
        out[i, 8] = float(any(position_weight(j, pair.has_title) > 1.0 for j in pair.mentions))
    return out


def design(pairs: Sequence[Pair], sentence_model: LinearModel, cfg: ToneConfig) -> sp.csr_matrix:
    """The model's input rows: the hashed sparse block, then the weighted dense block."""
    data: list[float] = []
    indices: list[int] = []
    indptr = [0]
    for pair in pairs:
        row = pair_row(pair, cfg)
        indices.extend(row)
        data.extend(row.values())
        indptr.append(len(indices))
    n = 1 << cfg.bits
    x = sp.csr_matrix(
        (np.asarray(data, dtype=np.float64), np.asarray(indices, dtype=np.int64), indptr),
        shape=(len(pairs), n),
    )
    dense = sp.csr_matrix(cfg.dense_weight * dense_rows(pairs, sentence_model))
    return sp.hstack([x, dense], format="csr")


# The blocks whose terms an explanation shows as phrases, by their prefixes.
_PHRASE_BLOCKS = ("h:", "m:", "ma:", "mp:", "mo:", "wl:", "wr:")


@dataclass
class ToneModel:
    """The linear tone model; ``weights`` cover the hashed block then the dense block."""

    config: ToneConfig
    weights: np.ndarray  # (2**bits + N_DENSE, 3) float32
    bias: np.ndarray
    calibrator: Calibrator
    meta: dict[str, Any] = field(default_factory=dict)
    # `_direction`'s per label, with the weights it was made from.
    _directions: dict[int, tuple[np.ndarray, np.ndarray]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def proba(self, pairs: Sequence[Pair], sentence_model: LinearModel) -> np.ndarray:
        """Calibrated class probabilities of each pair."""
        return self.predict(pairs, sentence_model)[1]

    def predict(
        self, pairs: Sequence[Pair], sentence_model: LinearModel
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each pair's label (class index, by the configured decision) and its calibrated
        class probabilities."""
        if not pairs:
            return np.zeros(0, dtype=np.int64), np.zeros((0, len(CLASSES)))
        x = design(pairs, sentence_model, self.config)
        raw = softmax(np.asarray(x @ self.weights) + self.bias)
        calibrated = self.calibrator.apply(raw)
        chosen = raw if self.config.decision == "balanced" else calibrated
        return chosen.argmax(axis=1), calibrated

    def explain(
        self, pair: Pair, label: int, limit: int = 3
    ) -> tuple[list[int], list[tuple[str, float]]]:
        """Mention sentences (indices) and phrases (with their push) that pushed most toward
        ``label``."""
        direction = self._direction(label)
        cfg = self.config
        pushes: list[tuple[float, int]] = []
        for j in pair.mentions:
            block = _Block("m:")
            block.add(_grams(pair.toks[j]))
            items = block.items(1.0)
            slots = _slots([t for t, _ in items], cfg.bits)
            push = sum(v * direction[k] for (_, v), k in zip(items, slots, strict=True))
            pushes.append((push, j))
        pushes.sort(key=lambda pj: (-pj[0], pj[1]))
        # the sentences that pushed toward the label; at least the one that pushed most
        pushes = pushes[:1] + [pj for pj in pushes[1:] if pj[0] > 0]
        phrases: dict[str, float] = {}
        # Only the headline, mention and window blocks name phrases (most terms are the
        # article block's, passed over without splitting them).
        for term, value, slot in _slotted_terms(pair, cfg):
            if not term.startswith(_PHRASE_BLOCKS):
                continue
            text = term.partition(":")[2]
            if MASK in text or text in MARK_TOKENS or len(text) < 4:
                continue
            push = value * float(direction[slot])
            if push > 0:
                phrases[text] = phrases.get(text, 0.0) + push
        ranked = sorted(phrases.items(), key=lambda kv: (-kv[1], kv[0]))
        return [j for _, j in pushes[:limit]], ranked[: limit + 2]

    def _direction(self, label: int) -> np.ndarray:
        """Each feature's push toward ``label`` against the mean of the other classes; made
        once per label (a pass over every row of the weights) and kept while they are."""
        cached = self._directions.get(label)
        if cached is not None and cached[0] is self.weights:
            return cached[1]
        others = [k for k in range(len(CLASSES)) if k != label]
        direction: np.ndarray = self.weights[:, label] - self.weights[:, others].mean(axis=1)
        self._directions[label] = (self.weights, direction)
        return direction

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        used = np.flatnonzero(np.any(self.weights != 0.0, axis=1)).astype(np.uint32)
        arrays: dict[str, np.ndarray] = {
            f"{prefix}/cols": used,
            f"{prefix}/weights": self.weights[used].astype(np.float16),
            f"{prefix}/bias": self.bias.astype(np.float32),
        }
        for k in range(len(CLASSES)):
            arrays[f"{prefix}/cal_x{k}"] = self.calibrator.xs[k].astype(np.float32)
            arrays[f"{prefix}/cal_y{k}"] = self.calibrator.ys[k].astype(np.float32)
        return arrays

    @classmethod
    def from_arrays(
        cls, arrays: Mapping[str, np.ndarray], prefix: str, spec: Mapping[str, Any]
    ) -> ToneModel:
        config = ToneConfig.from_json(spec["config"])
        weights = np.zeros(((1 << config.bits) + N_DENSE, len(CLASSES)), dtype=np.float32)
        weights[arrays[f"{prefix}/cols"].astype(np.int64)] = arrays[f"{prefix}/weights"]
        calibrator = Calibrator(
            [arrays[f"{prefix}/cal_x{k}"].astype(np.float64) for k in range(len(CLASSES))],
            [arrays[f"{prefix}/cal_y{k}"].astype(np.float64) for k in range(len(CLASSES))],
        )
        bias = arrays[f"{prefix}/bias"].astype(np.float32)
        return cls(config, weights, bias, calibrator, dict(spec.get("meta", {})))

    def spec(self) -> dict[str, Any]:
        return {"kind": KIND, "config": self.config.to_json(), "meta": self.meta}


def article_sentences(title: str | None, text: str) -> tuple[list[str], bool]:
    """The article as the scorer reads it: the headline (if any) then the body's sentences."""
    title_n = normalise(title) if title else ""
    return ([title_n] if title_n else []) + split_sentences(normalise(text)), bool(title_n)
