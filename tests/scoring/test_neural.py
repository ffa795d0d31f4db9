import subprocess
import sys

import numpy as np
import pytest
from sklearn.model_selection import GroupKFold

from app.scoring.artifact import load_models
from app.scoring.neural import NetConfig, TargetNet, encode
from app.scoring.text import tokens
from app.scoring.vectors import WordVectors

CONFIG = NetConfig(hidden=4, emb=3, pos=2, max_rel=3, max_len=6, members=2)
SENTENCES = [
    ("Critics blasted the minister over the failed plan", "minister", "negative"),
    ("The minister praised the strong growth figures", "minister", "positive"),
    ("The minister spoke at the annual meeting", "minister", "neutral"),
    ("Voters blamed the mayor for the crisis", "mayor", "negative"),
    ("The mayor won praise for the new park", "mayor", "positive"),
    ("The mayor opened the meeting on time", "mayor", "neutral"),
] * 4


def _vectors() -> WordVectors:
    words = ["good", "bad", "crisis", "praise", "failed"]
    return WordVectors(words, np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32))


def _random_net(seed: int = 0) -> TargetNet:
    """A net with random weights of the shapes the trainer produces."""
    rng = np.random.default_rng(seed)
    h, d_in = CONFIG.hidden, CONFIG.emb + 4 + CONFIG.pos + 2
    shapes = {
        "emb": (4, CONFIG.emb),
        "pos": (2 * CONFIG.max_rel + 1, CONFIG.pos),
        "att_h_w": (2 * h, 2 * h),
        "att_h_b": (2 * h,),
        "att_w": (1, 4 * h),
        "att_b": (1,),
        "out_w": (3, 6 * h),
        "out_b": (3,),
    }
    for side in ("f", "b"):
        shapes |= {
            f"w_ih_{side}": (3 * h, d_in),
            f"w_hh_{side}": (3 * h, h),
            f"b_ih_{side}": (3 * h,),
            f"b_hh_{side}": (3 * h,),
        }
    members = [
        {k: rng.normal(size=s).astype(np.float32) for k, s in shapes.items()}
        for _ in range(CONFIG.members)
    ]
    return TargetNet(CONFIG, ["minister", "crisis"], members)


def _inputs(rows: list[tuple[str, str, str]]) -> tuple[list[list[str]], list[tuple[int, int]]]:
    toks = [tokens(text) for text, _, _ in rows]
    spans = [(t.index(name), t.index(name) + 1) for t, (_, name, _) in zip(toks, rows, strict=True)]
    return toks, spans


def test_encode_marks_position_negation_and_cuts_a_window_around_the_mention():
    toks = tokens("not good news for the minister and a long tail of words")
    start = toks.index("minister")
    batch = encode([toks], [(start, start + 1)], {"minister": 2}, _vectors(), CONFIG)
    assert batch.lengths.tolist() == [CONFIG.max_len]
    assert batch.rel[0].tolist() == [-3, -2, -1, 0, 1, 2]  # "news for the minister and a"
    assert batch.words[0].tolist() == [1, 1, 1, 2, 1, 1]
    negated = encode([toks], [(start, start + 1)], {}, _vectors(), NetConfig())
    assert negated.neg[0, :3].tolist() == [0.0, 1.0, 1.0]  # "not ¬good ¬news"
    assert negated.vecs[0, 1] == 1  # "good" without its negation mark has a vector


def test_scores_do_not_depend_on_the_batch_around_them():
    net, vectors = _random_net(), _vectors()
    toks, spans = _inputs(SENTENCES[:6])
    together = net.proba(toks, spans, vectors)
    alone = np.vstack([net.proba([t], [s], vectors) for t, s in zip(toks, spans, strict=True)])
    assert np.allclose(together, alone, atol=1e-6)
    assert np.allclose(together.sum(axis=1), 1.0)


def test_the_mention_position_changes_the_score():
    net, vectors = _random_net(), _vectors()
    toks = tokens("Critics blasted the minister over the failed plan")
    first = net.proba([toks], [(0, 1)], vectors)
    second = net.proba([toks], [(3, 4)], vectors)
    assert not np.allclose(first, second)


def test_arrays_round_trip_through_float16():
    net, vectors = _random_net(), _vectors()
    arrays = net.to_arrays("en_target")
    loaded = TargetNet.from_arrays(arrays, "en_target", CONFIG.to_json())
    assert loaded.words == net.words
    toks, spans = _inputs(SENTENCES[:6])
    assert np.allclose(
        loaded.proba(toks, spans, vectors), net.proba(toks, spans, vectors), atol=1e-2
    )


def test_numpy_forward_matches_pytorch_and_training_repeats_exactly():
    pytest.importorskip("torch")
    from app.scoring.neural_train import train_target_net

    toks, spans = _inputs(SENTENCES)
    labels = np.array([["negative", "neutral", "positive"].index(r[2]) for r in SENTENCES])
    groups = [text for text, _, _ in SENTENCES]
    args = (toks, spans, groups, labels, np.ones(len(toks)), _vectors())
    config = NetConfig(hidden=8, emb=4, pos=4, members=2, epochs=2)
    net, oof = train_target_net(*args, config, 13)
    again, oof_again = train_target_net(*args, config, 13)
    assert np.array_equal(oof, oof_again)
    for first, second in zip(net.members, again.members, strict=True):
        assert all(np.array_equal(first[k], second[k]) for k in first)
    # Each member predicted its held-out fold in PyTorch; the numpy pass must agree.
    folds = GroupKFold(n_splits=2).split(np.zeros(len(toks)), groups=groups)
    for member, (_, test_idx) in zip(net.members, folds, strict=True):
        one = TargetNet(config, net.words, [member])
        rows, row_spans = [toks[i] for i in test_idx], [spans[i] for i in test_idx]
        assert np.allclose(one.proba(rows, row_spans, _vectors()), oof[test_idx], atol=1e-5)


def test_shipped_target_model_carries_the_net_and_scores_without_torch():
    models, _, _ = load_models()
    net = models["en_target"].net
    assert net is not None and len(net.members) == net.config.members
    assert models["id"].net is None and models["en"].net is None
    code = (
        "import sys; from app.scoring import load_scorer, Entity; s = load_scorer(); "
        "r = s.score(title=None, text='Critics slammed Acme over the toxic spill.', "
        "entities=(Entity('Acme'),)); "
        "assert r.targets[0].negativity > 0.5, r; assert 'torch' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
