"""Static word vectors distilled from a multilingual sentence encoder (multilingual-e5-small).

Each word of a fixed vocabulary was embedded on its own by the encoder at training time
(``app.scoring.distil``, which needs the optional ``distil`` extra); the table ships in the
artefact as float16 after PCA, so scoring needs neither the encoder nor any ML library.

The English target model reads three L2-normalised means of word vectors per mention: the
words within ``window`` tokens left of the mention, right of it, and the whole sentence. A
word unseen in the labelled data still moves the score through its neighbours in the vector
space ("horrific" near "terrible").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.scoring.text import MARK_TOKENS, unnegated

VECTORS_NAME = "word-vectors.npz"
N_PARTS = 3  # left window, right window, whole sentence


@dataclass
class WordVectors:
    words: list[str]
    matrix: np.ndarray  # (len(words), dims) float32
    source: Path | None = None  # the file it was loaded from
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.index = {word: k for k, word in enumerate(self.words)}

    @property
    def dims(self) -> int:
        return int(self.matrix.shape[1])

    def padded(self) -> np.ndarray:
        """The table under a zero row: row k + 1 is word k, row 0 stands for "no vector"."""
        return np.vstack([np.zeros((1, self.dims), np.float32), self.matrix])

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path, words=words_array(self.words), vectors=self.matrix.astype(np.float16)
        )

    @classmethod
    def load(cls, path: Path) -> WordVectors:
        with np.load(path, allow_pickle=False) as arrays:
            words = array_words(arrays["words"])
            matrix = arrays["vectors"].astype(np.float32)
        return cls(words, matrix, path)

    def mean(self, toks: Sequence[str]) -> np.ndarray:
        """L2-normalised mean vector of the known words (negation marks stripped, sentence
        marks skipped); zeros if none is known."""
        ids = [k for k in map(self.index.get, map(unnegated, toks)) if k is not None]
        if not ids:
            return np.zeros(self.dims, dtype=np.float32)
        total = self.matrix[ids].sum(axis=0)
        norm = float(np.linalg.norm(total))
        result: np.ndarray = total / norm if norm > 0 else total
        return result

    def target_features(
        self, rows: Sequence[Sequence[str]], spans: Sequence[tuple[int, int]], window: int
    ) -> np.ndarray:
        """(rows, 3 x dims): mean vectors of the words left of each mention span (up to
        ``window`` tokens), right of it, and of the whole sentence."""
        out = np.zeros((len(rows), N_PARTS * self.dims), dtype=np.float32)
        d = self.dims
        for i, (row, (start, end)) in enumerate(zip(rows, spans, strict=True)):
            toks = [t for t in row if t not in MARK_TOKENS]
            out[i, :d] = self.mean(toks[max(0, start - window) : start])
            out[i, d : 2 * d] = self.mean(toks[end : end + window])
            out[i, 2 * d :] = self.mean(toks)
        return out


def words_array(words: Sequence[str]) -> np.ndarray:
    """A word list as one UTF-8 blob for an ``.npz``: a numpy string array would pad every word
    to the longest and need no pickles either, but take four times the room."""
    return np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8)


def array_words(blob: np.ndarray) -> list[str]:
    """The word list `words_array` stored."""
    return blob.tobytes().decode("utf-8").split("\n")
