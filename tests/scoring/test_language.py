import json
from pathlib import Path

import pytest

from app.scoring import detect_language, load_scorer
from app.scoring.language import language_votes, tokens_and_votes
from app.scoring.text import normalise, split_sentences, tokens


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Banjir merendam ratusan rumah warga di Kecamatan Cipinang sejak Senin malam.", "id"),
        ("Harga Saham BBCA Anjlok, Investor Asing Kabur", "id"),
        ("The minister said the flood had displaced hundreds of families.", "en"),
        ("Stocks fell sharply after the central bank raised interest rates.", "en"),
        ("", "id"),
    ],
)
def test_detect_language(text, expected):
    assert detect_language(text) == expected


def test_article_language_follows_the_body():
    scorer = load_scorer()
    english = scorer.score(
        title="Jakarta floods",
        text="Heavy rain flooded thousands of homes in the capital and the governor was blamed.",
    )
    indonesian = scorer.score(
        title="Banjir Jakarta",
        text="Hujan deras membuat ribuan rumah terendam dan warga menyalahkan gubernur.",
    )
    assert english.language == "en"
    assert indonesian.language == "id"


def test_english_quote_in_indonesian_article_is_scored_by_the_english_model():
    scorer = load_scorer()
    quote = (
        '"This is a complete disaster and the worst failure I have seen in my life," '
        "said the ambassador who was visiting the ministry."
    )
    text = (
        "Menteri itu memberikan keterangan kepada wartawan di kantornya pada hari Senin "
        "bersama para pejabat dari kementerian yang lain. Menurut dia, semua kementerian "
        "sudah diminta untuk bekerja sama dengan baik dan cepat. " + quote
    )
    result = scorer.score(title=None, text=text)
    alone = scorer.score(title=None, text=quote)
    assert result.language == "id"
    assert alone.language == "en"
    by_text = {s["text"]: s["negativity"] for s in result.explanation["sentences"]}
    assert by_text[quote] == alone.explanation["sentences"][0]["negativity"]


@pytest.mark.parametrize(
    "text",
    [
        "Harga Saham BBCA Anjlok, Investor Asing Kabur",
        "The minister didn't say it wasn't bad; rock'n'roll o'clock don’t hati-hati",
        "KPK tak menahan Rp1,5 triliun—ab1'cd x'y'z _a_b 'quoted' İstanbul Ǆemal ﬁnal",
        "tidak buruk, tapi bukan yang terbaik!!! (kata dia) “jangan” 2024/11/01",
        "",
    ],
)
def test_tokens_and_votes_match_the_separate_passes(text):
    assert tokens_and_votes(text) == (tokens(text), language_votes(text))


def test_tokens_and_votes_match_on_real_sentences():
    golden = Path(__file__).parent / "data" / "golden.json"
    inputs = json.loads(golden.read_text(encoding="utf-8"))["inputs"]
    for item in inputs:
        for sentence in split_sentences(normalise(item["text"])):
            assert tokens_and_votes(sentence) == (tokens(sentence), language_votes(sentence))
