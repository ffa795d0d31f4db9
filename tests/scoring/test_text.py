import random
import re

from app.scoring.result import Entity
from app.scoring.targets import find_mentions, token_span
from app.scoring.text import _pieces, mark_negation, normalise, raw_tokens, split_sentences, tokens


def test_negation_marks_the_words_after_a_negator():
    assert tokens("Pelayanannya tidak buruk") == ["pelayanannya", "tidak", "¬buruk"]
    assert tokens("buruk") == ["buruk"]


def test_negation_scope_ends_at_punctuation_and_after_three_words():
    assert mark_negation(raw_tokens("bukan a, b")) == ["bukan", "¬a", "b"]
    assert mark_negation(raw_tokens("tak a b c d")) == ["tak", "¬a", "¬b", "¬c", "d"]


def test_english_contractions_negate():
    assert tokens("It wasn't bad")[-1] == "¬bad"


def test_digits_are_folded():
    assert raw_tokens("Rp 2.500 naik 15%") == ["rp", "0", ".", "000", "naik", "00"]


def test_sentences_split_on_stops_and_paragraphs_not_abbreviations():
    text = "Dr. Budi datang. Ia bicara di PT. Maju Jaya! Lalu pulang\n\nParagraf baru"
    assert split_sentences(text) == [
        "Dr. Budi datang.",
        "Ia bicara di PT. Maju Jaya!",
        "Lalu pulang",
        "Paragraf baru",
    ]


def test_alias_matching_is_case_insensitive_and_word_bounded():
    entity = Entity("Pemprov DKI", ("Pemerintah Provinsi DKI Jakarta",))
    sentences = [
        "PEMERINTAH PROVINSI DKI JAKARTA menutup jalan.",
        "Warga memprotes pemprov dki.",
        "Pemprov DKIX bukan nama resmi.",
        "Tidak ada yang disebut.",
    ]
    assert [m.sentence for m in find_mentions(entity, sentences)] == [0, 1]


def test_alias_with_punctuation_and_spacing_matches():
    entity = Entity("Basuki T. Purnama", ("Ahok",))
    sentences = ["Basuki  T. Purnama hadir.", "Ahok's statement", "Ahoker bukan Ahok"]
    mentions = find_mentions(entity, sentences)
    assert [(m.sentence, m.start) for m in mentions] == [(0, 0), (1, 0), (2, 13)]


def test_token_span_maps_characters_to_word_indices():
    sentence = "Kemarin, Gubernur Jawa Timur datang."
    start = sentence.index("Gubernur")
    assert token_span(sentence, start, start + len("Gubernur Jawa Timur")) == (1, 4)


def test_normalise_collapses_space_runs_and_keeps_paragraphs():
    text = "a \t\u00a0 b\tc\u00a0d  e f\r\n \r\n\n g"
    assert normalise(text) == "a b c d e f\n\ng"


def test_abbreviation_at_the_end_of_a_long_sentence_glues_but_a_word_ending_does_not():
    text = "Upacara itu dipimpin oleh Brigjen. Budi hadir. Ia menyapa Ketua KPH. Semua hadir."
    assert split_sentences(text) == [
        "Upacara itu dipimpin oleh Brigjen. Budi hadir.",
        "Ia menyapa Ketua KPH.",
        "Semua hadir.",
    ]


def test_sentence_pieces_equal_a_split_at_the_look_behind_pattern():
    old = re.compile(r"(?<=[.!?])[\"”’)]*\s+(?=[\"“‘(]?[A-Z0-9])|\n\s*\n")
    rng = random.Random(3)
    alphabet = 'ab.!?"”’)( \nAZ09“‘'
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        assert _pieces(text) == old.split(text)


def test_question_quote_and_colon_marks_trail_the_words_once_each():
    assert tokens("Menkeu: Rupiah Melemah, Kenapa? Kenapa?") == [
        "menkeu",
        "rupiah",
        "melemah",
        "kenapa",
        "kenapa",
        ":",
        "?",
    ]
    assert tokens("“Tidak baik” katanya!") == ["tidak", "¬baik", "katanya", '"', "!"]
    assert tokens("Harga naik, lalu turun.") == ["harga", "naik", "lalu", "turun"]
