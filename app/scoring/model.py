"""Linear model over hashed TF-IDF features, with per-class isotonic calibration.

Stored portably: numpy arrays in one ``.npz`` (no pickles, so no tie to a scikit-learn
version) and a JSON document with the feature configuration and metadata.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.scoring.encoder import EncoderHead
from app.scoring.features import FeatureConfig, Featurizer, Matrix, tfidf
from app.scoring.neural import TargetNet
from app.scoring.vectors import WordVectors

CLASSES: tuple[str, str, str] = ("negative", "neutral", "positive")
NEGATIVE = 0


@dataclass
class Calibrator:
    """Piecewise-linear monotone map per class (isotonic regression thresholds)."""

    xs: list[np.ndarray]
    ys: list[np.ndarray]

    def apply(self, proba: np.ndarray) -> np.ndarray:
        out = np.empty_like(proba)
        for k in range(proba.shape[1]):
            out[:, k] = np.interp(proba[:, k], self.xs[k], self.ys[k])
        total = out.sum(axis=1, keepdims=True)
        fallback = total[:, 0] <= 1e-9
        out[fallback] = proba[fallback]
        total[fallback] = 1.0
        result: np.ndarray = out / total
        return result

    @classmethod
    def identity(cls, n_classes: int) -> Calibrator:
        line = np.array([0.0, 1.0])
        return cls([line] * n_classes, [line] * n_classes)


@dataclass
class LinearModel:
    config: FeatureConfig
    weights: np.ndarray  # (n_features, n_classes) float32
    bias: np.ndarray  # (n_classes,)
    idf: np.ndarray  # (n_features,)
    calibrator: Calibrator
    meta: dict[str, Any] = field(default_factory=dict)
    # Weights of the dense word-vector block (``FeatureConfig.vector_weight``), already scaled
    # by the block weight, and the vector table it reads (set when the artefact is loaded).
    dense_weights: np.ndarray | None = None
    vectors: WordVectors | None = None
    # The target net (``neural.py``; target model only), mixed into the probabilities before
    # calibration with the share ``net.config.mix``; it reads ``vectors`` too.
    net: TargetNet | None = None
    # The encoder head (``encoder.py``; target model only), mixed in with the share
    # ``head.config.share`` next to the linear model and its net.
    head: EncoderHead | None = None
    featurizer: Featurizer = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.featurizer = Featurizer(self.config)

    def transform(self, counts: Matrix) -> Matrix:
        return tfidf(counts, self.idf, self.config)

    def proba_of(self, x: Matrix, dense: np.ndarray | None = None) -> np.ndarray:
        """Calibrated class probabilities of TF-IDF rows (and their dense word-vector rows,
        if the model has that block), columns in CLASSES order."""
        return self.calibrator.apply(self.raw_proba(x, dense))

    def raw_proba(self, x: Matrix, dense: np.ndarray | None = None) -> np.ndarray:
        """Softmax of the decision values, before calibration."""
        logits = np.asarray(x @ self.weights) + self.bias
        if self.dense_weights is not None and dense is not None:
            logits += dense @ self.dense_weights
        return softmax(logits)

    def proba(self, counts: Matrix, dense: np.ndarray | None = None) -> np.ndarray:
        """Calibrated class probabilities of count rows."""
        return self.proba_of(self.transform(counts), dense)

    def target_proba(
        self,
        counts: Matrix,
        rows: list[list[str]],
        spans: list[tuple[int, int]],
        sentences: Sequence[str] = (),
        char_spans: Sequence[tuple[int, int]] = (),
    ) -> np.ndarray:
        """Calibrated class probabilities of target mentions: count rows (sentence and window
        features) with the token rows and mention spans the dense block and the net read, and
        the sentences with the mentions' character spans the encoder head reads."""
        x = self.transform(counts)
        if self.vectors is None and self.head is None:
            return self.proba_of(x)
        dense = None
        if self.dense_weights is not None and self.vectors is not None:
            dense = self.vectors.target_features(rows, spans, self.config.window)
        parts: list[tuple[float, np.ndarray]] = []
        if self.net is not None and self.vectors is not None:
            parts.append((self.net.config.mix, self.net.proba(rows, spans, self.vectors)))
        if self.head is not None:
            if len(sentences) != len(rows):
                raise ValueError("the encoder head needs each mention's sentence and span")
            share = self.head.config.share
            parts = [(s * (1.0 - share), p) for s, p in parts]
            parts.append((share, softmax(self.head.logits(sentences, char_spans))))
        return self.calibrator.apply(mixture(self.raw_proba(x, dense), parts))

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        used = np.flatnonzero(np.any(self.weights != 0.0, axis=1)).astype(np.uint32)
        arrays: dict[str, np.ndarray] = {
            f"{prefix}/cols": used,
            f"{prefix}/weights": self.weights[used].astype(np.float16),
            f"{prefix}/idf": self.idf[used].astype(np.float16),
            f"{prefix}/bias": self.bias.astype(np.float32),
        }
        for k in range(len(CLASSES)):
            arrays[f"{prefix}/cal_x{k}"] = self.calibrator.xs[k].astype(np.float32)
            arrays[f"{prefix}/cal_y{k}"] = self.calibrator.ys[k].astype(np.float32)
        if self.dense_weights is not None:
            arrays[f"{prefix}/dense"] = self.dense_weights.astype(np.float32)
        if self.net is not None:
            arrays.update(self.net.to_arrays(prefix))
        if self.head is not None:
            arrays.update(self.head.to_arrays(prefix))
        return arrays

    @classmethod
    def from_arrays(
        cls, arrays: Mapping[str, np.ndarray], prefix: str, spec: dict[str, Any]
    ) -> LinearModel:
        config = FeatureConfig.from_json(spec["features"])
        n = config.n_features
        cols = arrays[f"{prefix}/cols"].astype(np.int64)
        weights = np.zeros((n, len(CLASSES)), dtype=np.float32)
        weights[cols] = arrays[f"{prefix}/weights"].astype(np.float32)
        idf = np.full(n, float(spec["idf_default"]), dtype=np.float32)
        idf[cols] = arrays[f"{prefix}/idf"].astype(np.float32)
        calibrator = Calibrator(
            [arrays[f"{prefix}/cal_x{k}"].astype(np.float64) for k in range(len(CLASSES))],
            [arrays[f"{prefix}/cal_y{k}"].astype(np.float64) for k in range(len(CLASSES))],
        )
        bias = arrays[f"{prefix}/bias"].astype(np.float32)
        dense = arrays.get(f"{prefix}/dense")
        meta = dict(spec.get("meta", {}))
        net = TargetNet.from_arrays(arrays, prefix, spec["net"]) if "net" in spec else None
        head = EncoderHead.from_arrays(arrays, prefix, spec["head"]) if "head" in spec else None
        return cls(
            config, weights, bias, idf, calibrator, meta, dense_weights=dense, net=net, head=head
        )

    def spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "features": self.config.to_json(),
            "idf_default": float(self.idf.max()) if self.idf.size else 1.0,
            "meta": self.meta,
        }
        if self.net is not None:
            spec["net"] = self.net.config.to_json()
        if self.head is not None:
            spec["head"] = self.head.config.to_json()
        return spec


def mixture(proba: np.ndarray, parts: Sequence[tuple[float, np.ndarray]]) -> np.ndarray:
    """``proba`` keeps what the shares of the other models' probabilities leave."""
    out = (1.0 - sum(share for share, _ in parts)) * proba
    for share, other in parts:
        out = out + share * other
    return out


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    result: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return result
