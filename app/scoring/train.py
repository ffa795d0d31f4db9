"""Training the shipped models (reproducible: fixed seed, deterministic solvers)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, StratifiedKFold
from sklearn.svm import LinearSVC

from app.scoring import dataset as ds
from app.scoring.artifact import ARTIFACT_DIR
from app.scoring.encoder import DIM, PARTS, EncoderHead, HeadConfig, mention_embeddings
from app.scoring.features import WORD_LISTS, FeatureConfig, Featurizer, Matrix, fit_idf, tfidf
from app.scoring.model import CLASSES, Calibrator, LinearModel, mixture, softmax
from app.scoring.neural import NetConfig
from app.scoring.targets import token_span
from app.scoring.text import tokens
from app.scoring.vectors import VECTORS_NAME, WordVectors

log = logging.getLogger(__name__)

# Progress of a long step: (step name, units done, units in all); the CLI draws it as a bar.
Progress = Callable[[str, int, int], None]


def no_progress(step: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 13
    folds: int = 5
    # Classifier per model: "svc:C" / "svc-balanced:C" (linear SVM) or "lr:C" /
    # "lr-balanced:C" (logistic).
    clf_id: str = "svc:0.5"
    clf_en: str = "lr:10"
    clf_target: str = "lr-balanced:10"
    # Weight of review-style Indonesian data (SmSA, NusaX) against news headlines.
    review_weight: float = 0.15
    nusax_en_weight: float = 0.5
    analyst_weight: float = 2.0
    # The later period of the headlines is training data of the shipped model: the learning
    # curve is steep (bench/id_learning_curve.py); its figures come from a twin without it.
    include_validation: bool = True
    id_features: FeatureConfig = field(
        default_factory=lambda: FeatureConfig(
            char_weight=0.5, dir_bits=16, dir_weight=0.5, marks=True
        )
    )
    en_features: FeatureConfig = field(default_factory=FeatureConfig)
    target_features: FeatureConfig = field(
        default_factory=lambda: FeatureConfig(
            word_bits=18,
            char_bits=18,
            window_bits=18,
            window=10,
            context_bits=18,
            context_weight=0.7,
            vector_weight=0.5,
        )
    )
    # The distilled word-vector table (``app.scoring.distil``) the target model reads.
    vectors: Path = ARTIFACT_DIR / VECTORS_NAME
    # The target net next to the target model (``neural.py``; None: linear model alone).
    target_net: NetConfig | None = field(default_factory=NetConfig)
    # The encoder head next to the target model (``encoder.py``; None: none).
    target_head: HeadConfig | None = field(default_factory=HeadConfig)


@dataclass
class Corpus:
    texts: list[str]
    labels: np.ndarray
    weights: np.ndarray
    calibrate: np.ndarray  # rows whose out-of-fold scores fit the calibration


def label_ids(labels: Sequence[str]) -> np.ndarray:
    return np.array([CLASSES.index(label) for label in labels], dtype=np.int64)


def fit_linear(
    counts: Matrix,
    corpus: Corpus,
    config: FeatureConfig,
    clf: str,
    seed: int,
    folds: int,
    dense: np.ndarray | None = None,
    mix: Sequence[tuple[float, np.ndarray]] = (),
) -> LinearModel:
    """Fit LR on TF-IDF of ``counts`` (next to the ``dense`` word-vector rows times
    ``config.vector_weight``, if given); calibrate on out-of-fold predictions, mixed with
    other models' out-of-fold probabilities with the given shares (``mix``)."""
    idf = fit_idf(counts)
    x = tfidf(counts, idf, config)
    if dense is not None:
        x = sp.hstack([x, sp.csr_matrix(config.vector_weight * dense)], format="csr")
    y = corpus.labels
    oof = np.zeros((x.shape[0], len(CLASSES)))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_idx, test_idx in splitter.split(np.zeros(len(y)), y):
        model = _classifier(clf, seed)
        model.fit(x[train_idx], y[train_idx], sample_weight=corpus.weights[train_idx])
        oof[test_idx] = softmax(model.decision_function(x[test_idx]))
    oof = mixture(oof, mix)
    calibrator = fit_calibrator(oof[corpus.calibrate], y[corpus.calibrate])
    final = _classifier(clf, seed)
    final.fit(x, y, sample_weight=corpus.weights)
    coef = np.asarray(final.coef_, dtype=np.float64).T
    n_sparse = config.n_features
    weights = np.ascontiguousarray(coef[:n_sparse], dtype=np.float32)
    dense_weights = None
    if dense is not None:
        dense_weights = (config.vector_weight * coef[n_sparse:]).astype(np.float32)
    bias = final.intercept_.astype(np.float32)
    calibrated = calibrator.apply(oof[corpus.calibrate])
    prior = np.bincount(y[corpus.calibrate], minlength=len(CLASSES)) / corpus.calibrate.sum()
    meta: dict[str, Any] = {
        "prior": [round(float(p), 4) for p in prior],
        "oof_rows": int(corpus.calibrate.sum()),
        "oof_accuracy": round(float((calibrated.argmax(1) == y[corpus.calibrate]).mean()), 4),
    }
    return LinearModel(config, weights, bias, idf, calibrator, meta, dense_weights=dense_weights)


def _classifier(spec: str, seed: int) -> LogisticRegression | LinearSVC:
    kind, _, c = spec.partition(":")
    if kind in ("svc", "svc-balanced"):
        weight = "balanced" if kind == "svc-balanced" else None
        return LinearSVC(C=float(c), random_state=seed, max_iter=5000, class_weight=weight)
    weight = "balanced" if kind == "lr-balanced" else None
    return LogisticRegression(C=float(c), max_iter=1000, tol=1e-3, class_weight=weight)


def fit_calibrator(proba: np.ndarray, y: np.ndarray) -> Calibrator:
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    for k in range(proba.shape[1]):
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        iso.fit(proba[:, k], (y == k).astype(float))
        xs.append(np.asarray(iso.X_thresholds_, dtype=np.float64))
        ys.append(np.asarray(iso.y_thresholds_, dtype=np.float64))
    return Calibrator(xs, ys)


def indonesian_corpus(
    data_dir: Path,
    cfg: TrainConfig,
    analyst: Sequence[ds.Example] = (),
    news: Sequence[ds.Example] | None = None,
) -> Corpus:
    """Headlines (``news``, or those of the configured period), reviews and analyst rows."""
    if news is None:
        train, valid = ds.split_cnbc(ds.load_cnbc(data_dir))
        news = train + (valid if cfg.include_validation else [])
    reviews = ds.load_smsa(data_dir) + ds.load_nusax(data_dir, "id")
    rows = [*news, *reviews, *analyst]
    weight = {"cnbc": 1.0, "smsa": cfg.review_weight, "nusax-id": cfg.review_weight}
    weight["analyst"] = cfg.analyst_weight
    return Corpus(
        texts=[r.text for r in rows],
        labels=label_ids([r.label for r in rows]),
        weights=np.array([weight[r.source] for r in rows]),
        calibrate=np.array([r.source in ("cnbc", "analyst") for r in rows]),
    )


def english_corpus(data_dir: Path, cfg: TrainConfig, analyst: Sequence[ds.Example] = ()) -> Corpus:
    sentences, _ = ds.load_newsmtsc(data_dir, "train")
    rows = sentences + ds.load_nusax(data_dir, "en") + list(analyst)
    weight = {"newsmtsc": 1.0, "nusax-en": cfg.nusax_en_weight, "analyst": cfg.analyst_weight}
    return Corpus(
        texts=[r.text for r in rows],
        labels=label_ids([r.label for r in rows]),
        weights=np.array([weight[r.source] for r in rows]),
        calibrate=np.array([r.source != "nusax-en" for r in rows]),
    )


def target_inputs(
    rows: Sequence[ds.TargetExample],
) -> tuple[list[list[str]], list[tuple[int, int]]]:
    """Tokens of each target row's sentence and the token span of its mention."""
    return [tokens(r.text) for r in rows], [token_span(r.text, r.start, r.end) for r in rows]


def target_counts(
    featurizer: Featurizer, toks: list[list[str]], spans: list[tuple[int, int]]
) -> Matrix:
    """Sentence features plus distance-weighted window features around each mention."""
    return sp.csr_matrix(featurizer.counts(toks) + featurizer.window_counts(toks, spans))


def train_all(
    data_dir: Path,
    cfg: TrainConfig,
    labels_file: Path | None = None,
    progress: Progress = no_progress,
) -> tuple[dict[str, LinearModel], dict[str, Any]]:
    """Train the Indonesian, English and English target-aware models."""
    from app.scoring.language import detect_language

    analyst: list[ds.Example] = []
    analyst_targets: list[dict[str, str]] = []
    if labels_file is not None:
        analyst, analyst_targets = ds.load_analyst_labels(labels_file)
    id_targets, en_targets = _analyst_target_rows(analyst_targets)
    id_analyst = [r for r in analyst if detect_language(r.text) == "id"] + id_targets
    en_analyst = [r for r in analyst if detect_language(r.text) == "en"]
    models: dict[str, LinearModel] = {}
    for key, corpus, fcfg, clf in (
        ("id", indonesian_corpus(data_dir, cfg, id_analyst), cfg.id_features, cfg.clf_id),
        ("en", english_corpus(data_dir, cfg, en_analyst), cfg.en_features, cfg.clf_en),
    ):
        progress(f"{key} model", 0, 1)
        models[key] = fit_sentence_model(corpus, fcfg, clf, cfg)
        progress(f"{key} model", 1, 1)
        log.info("trained", extra={"model": key, "rows": len(corpus.texts)})
    _, target_rows = ds.load_newsmtsc(data_dir, "train")
    target_rows += en_targets
    fcfg = cfg.target_features
    corpus = Corpus(
        texts=[r.text for r in target_rows],
        labels=label_ids([r.label for r in target_rows]),
        weights=np.array(
            [cfg.analyst_weight if r.source == "analyst" else 1.0 for r in target_rows]
        ),
        calibrate=np.ones(len(target_rows), dtype=bool),
    )
    toks, spans = target_inputs(target_rows)
    counts = target_counts(Featurizer(fcfg), toks, spans)
    vectors = WordVectors.load(cfg.vectors) if fcfg.vector_weight or cfg.target_net else None
    dense = None
    if vectors is not None and fcfg.vector_weight:
        dense = vectors.target_features(toks, spans, fcfg.window)
    net = None
    mix: list[tuple[float, np.ndarray]] = []
    if vectors is not None and cfg.target_net is not None:
        from app.scoring.neural_train import train_target_net

        progress("target net", 0, 1)
        net, net_oof = train_target_net(
            toks,
            spans,
            corpus.texts,
            corpus.labels,
            corpus.weights,
            vectors,
            cfg.target_net,
            cfg.seed,
        )
        mix.append((cfg.target_net.mix, net_oof))
        progress("target net", 1, 1)
        log.info("trained", extra={"model": "en_target net", "rows": len(target_rows)})
    head = None
    if cfg.target_head is not None:
        head, head_oof = train_head(target_rows, corpus, cfg.target_head, cfg.folds, progress)
        share = cfg.target_head.share
        mix = [(s * (1.0 - share), p) for s, p in mix] + [(share, head_oof)]
        log.info("trained", extra={"model": "en_target head", "rows": len(target_rows)})
    progress("en_target model", 0, 1)
    target = fit_linear(counts, corpus, fcfg, cfg.clf_target, cfg.seed, cfg.folds, dense, mix)
    progress("en_target model", 1, 1)
    target.vectors = vectors
    target.net = net
    target.head = head
    models["en_target"] = target
    info = {
        "train_config": _jsonable(asdict(cfg)),
        "analyst_rows": len(analyst),
        "analyst_target_rows": {"id": len(id_targets), "en": len(en_targets)},
    }
    return models, info


def fit_sentence_model(
    corpus: Corpus, features: FeatureConfig, clf: str, cfg: TrainConfig
) -> LinearModel:
    counts = Featurizer(features).counts([tokens(t) for t in corpus.texts])
    return fit_linear(counts, corpus, features, clf, cfg.seed, cfg.folds)


def holdout_twin(data_dir: Path, cfg: TrainConfig) -> LinearModel:
    """The Indonesian model of ``cfg`` trained without the later period of the headlines (and
    without analyst labels): the held-out figures on that period are this model's."""
    twin = replace(cfg, include_validation=False)
    return fit_sentence_model(
        indonesian_corpus(data_dir, twin), twin.id_features, twin.clf_id, twin
    )


def train_head(
    rows: Sequence[ds.TargetExample],
    corpus: Corpus,
    config: HeadConfig,
    folds: int,
    progress: Progress = no_progress,
) -> tuple[EncoderHead, np.ndarray]:
    """The encoder head (``encoder.py``) and its out-of-fold class probabilities, from folds
    grouped by sentence (a sentence's targets never straddle folds)."""
    x = np.empty((len(rows), PARTS * DIM), dtype=np.float32)
    chunk = 256
    for lo in range(0, len(rows), chunk):
        part = rows[lo : lo + chunk]
        x[lo : lo + len(part)] = mention_embeddings(
            [r.text for r in part], [(r.start, r.end) for r in part], config.window
        )
        progress("encoder head: embedding mentions", lo + len(part), len(rows))
    y, weights = corpus.labels, corpus.weights
    oof = np.zeros((len(rows), len(CLASSES)))
    for train_idx, test_idx in GroupKFold(n_splits=folds).split(x, groups=corpus.texts):
        model = _head_classifier(config).fit(x[train_idx], y[train_idx], weights[train_idx])
        oof[np.ix_(test_idx, model.classes_)] = model.predict_proba(x[test_idx])
    final = _head_classifier(config).fit(x, y, sample_weight=weights)
    coef = np.ascontiguousarray(np.asarray(final.coef_, dtype=np.float32).T)
    return EncoderHead(config, coef, final.intercept_.astype(np.float32)), oof


def _head_classifier(config: HeadConfig) -> LogisticRegression:
    return LogisticRegression(C=config.c, max_iter=3000, class_weight="balanced")


def _analyst_target_rows(
    rows: Sequence[dict[str, str]],
) -> tuple[list[ds.Example], list[ds.TargetExample]]:
    """Analyst per-entity labels, at each sentence naming the entity: Indonesian mentions
    become rows of the Indonesian model (the words around the name, as the scorer reads an
    Indonesian mention), English ones become target rows of the target-aware model."""
    from app.scoring.language import detect_language
    from app.scoring.result import Entity
    from app.scoring.scorer import ID_WINDOW
    from app.scoring.targets import find_mentions
    from app.scoring.text import normalise, split_sentences, word_spans

    id_rows: list[ds.Example] = []
    en_rows: list[ds.TargetExample] = []
    for row in rows:
        sentences = split_sentences(normalise(row["text"]))
        for m in find_mentions(Entity(row["name"]), sentences):
            text = sentences[m.sentence]
            if detect_language(text) == "en":
                en_rows.append(ds.TargetExample(text, m.start, m.end, row["label"], "analyst"))
                continue
            spans = word_spans(text.lower())
            first, last = token_span(text, m.start, m.end)
            lo = spans[max(0, first - ID_WINDOW)][0]
            hi = spans[min(len(spans), last + ID_WINDOW) - 1][1]
            id_rows.append(ds.Example(text[lo:hi], row["label"], "analyst"))
    return id_rows, en_rows


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in WORD_LISTS}
        elif isinstance(value, Path):
            value = value.name
        out[key] = value
    return out
