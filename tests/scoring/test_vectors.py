from pathlib import Path

import numpy as np

from app.scoring.artifact import ARTIFACT_DIR, load_models
from app.scoring.features import FeatureConfig, Featurizer
from app.scoring.model import Calibrator
from app.scoring.text import tokens
from app.scoring.train import Corpus, fit_linear, label_ids
from app.scoring.vectors import VECTORS_NAME, WordVectors


def _vectors() -> WordVectors:
    matrix = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=np.float32)
    return WordVectors(["good", "bad", "ugly"], matrix)


def test_mean_strips_negation_and_skips_marks_and_unknown_words():
    vectors = _vectors()
    assert np.allclose(vectors.mean(["good", "¬bad", "?", "unknown"]), [2**-0.5, 2**-0.5])
    assert np.array_equal(vectors.mean(["unknown"]), [0.0, 0.0])


def test_target_features_read_left_right_and_whole_sentence():
    toks = tokens("good news for the company, bad for rivals")
    start = toks.index("company")
    dense = _vectors().target_features([toks], [(start, start + 1)], window=2)
    assert dense.shape == (1, 6)
    assert np.array_equal(dense[0, :2], [0.0, 0.0])  # "for the": no known word
    assert np.allclose(dense[0, 2:4], [0.0, 1.0])  # "bad for"
    assert np.allclose(dense[0, 4:], [2**-0.5, 2**-0.5])  # good + bad


def test_save_and_load_keep_words_and_vectors(tmp_path: Path):
    path = tmp_path / VECTORS_NAME
    _vectors().save(path)
    loaded = WordVectors.load(path)
    assert loaded.words == ["good", "bad", "ugly"]
    assert loaded.index["ugly"] == 2
    assert np.array_equal(loaded.matrix, _vectors().matrix)


def test_dense_block_is_fitted_and_applied_next_to_the_sparse_features():
    texts = ["good result", "bad result", "ugly result", "good news", "bad news", "ugly news"] * 3
    labels = label_ids(["positive", "negative", "neutral"] * 6)
    config = FeatureConfig(word_bits=10, char_bits=10, vector_weight=0.5)
    counts = Featurizer(config).counts([tokens(t) for t in texts])
    dense = np.stack([_vectors().mean(tokens(t)) for t in texts])
    corpus = Corpus(texts, labels, np.ones(len(texts)), np.ones(len(texts), dtype=bool))
    model = fit_linear(counts, corpus, config, "lr:10", 13, 2, dense)
    assert model.dense_weights is not None and model.dense_weights.shape == (2, 3)
    assert model.weights.shape == (config.n_features, 3)
    model.calibrator = Calibrator.identity(3)  # the toy data calibrates to 0 and 1
    assert not np.allclose(model.proba(counts, dense), model.proba(counts))


def test_shipped_target_model_reads_the_shipped_vectors():
    models, _, _ = load_models()
    target = models["en_target"]
    assert target.vectors is not None
    assert target.vectors.source == ARTIFACT_DIR / VECTORS_NAME
    assert target.dense_weights is not None
    assert target.dense_weights.shape == (3 * target.vectors.dims, 3)
    assert models["id"].vectors is None
