import numpy as np

from app.scoring.features import FeatureConfig, Featurizer
from app.scoring.text import tokens

CONFIG = FeatureConfig(word_bits=14, char_bits=14, dir_bits=10)


def _ids(text: str) -> set[int]:
    return set(Featurizer(CONFIG).counts([tokens(text)]).indices.tolist())


def test_reading_direction_gives_the_polarity_of_the_move() -> None:
    feats = Featurizer(CONFIG)
    pos, neg = feats._dir_ids["Ppos"], feats._dir_ids["Pneg"]
    assert neg in _ids("Rupiah Kembali Melemah") and pos not in _ids("Rupiah Kembali Melemah")
    assert pos in _ids("Utang Luar Negeri Turun") and neg not in _ids("Utang Luar Negeri Turun")
    assert pos in _ids("IHSG menguat") and neg in _ids("Dolar menguat")
    assert pos in _ids("Rupiah tidak melemah")  # negation flips the move
    assert not {pos, neg} & _ids("Rupiah stabil hari ini")


def test_batch_counts_equal_row_by_row_counts() -> None:
    rows = [tokens(t) for t in ("ihsg anjlok tajam", "", "tidak buruk sama sekali", "ihsg")]
    feats = Featurizer(CONFIG)
    batch = feats.counts(rows).toarray()
    single = np.vstack([Featurizer(CONFIG).counts([r]).toarray() for r in rows])
    assert np.array_equal(batch, single)
    assert batch[1].sum() == 0 and batch[0].sum() > batch[3].sum()


def test_context_block_holds_every_word_by_its_side_of_the_target() -> None:
    config = FeatureConfig(word_bits=10, char_bits=10, window_bits=10, window=1, context_bits=10)
    feats = Featurizer(config)
    toks = tokens("critics slammed the mayor over the flood response")
    mat = feats.window_counts([toks, toks], [(3, 4), (0, 1)])
    start = config.offset(4)
    context = mat[:, start:].toarray()
    assert context[0].sum() == 7 and context[1].sum() == 7  # all words but the mention
    assert not np.array_equal(context[0], context[1])  # sides differ
    window = mat[:, config.offset(2) : start].toarray()
    assert window[0].sum() < 7  # the distance-weighted window stays within +-1 word


def test_marks_are_one_feature_each_and_form_no_bigrams() -> None:
    plain, marked = tokens("IHSG anjlok"), tokens("IHSG anjlok?")
    assert marked == [*plain, "?"]
    without = Featurizer(CONFIG)
    assert (without.counts([plain]) != without.counts([marked])).nnz == 0  # marks off: nothing
    with_marks = Featurizer(FeatureConfig(word_bits=14, char_bits=14, dir_bits=10, marks=True))
    extra = set(with_marks.counts([marked]).indices) - set(with_marks.counts([plain]).indices)
    assert extra == set(with_marks.token_ids("?").tolist()) and len(extra) == 1


def test_marks_leave_the_target_window_alone() -> None:
    config = FeatureConfig(word_bits=10, char_bits=10, window_bits=10, window=3, context_bits=10)
    feats = Featurizer(config)
    plain, marked = tokens("critics slammed the mayor"), tokens("critics slammed the mayor?")
    a = feats.window_counts([plain], [(3, 4)])
    b = feats.window_counts([marked], [(3, 4)])
    assert (a != b).nnz == 0
