"""NEAR/n in watchlist queries: terms within n words, in either order, in one field; a bad NEAR
is a syntax error at its position, never the phrase "near 5"."""

from __future__ import annotations

import pytest

from app.feed.query import MAX_NEAR, Document, QuerySyntaxError, parse
from app.scoring.result import Entity

DOC = Document(
    title="KPK periksa saksi baru kasus korupsi tol",
    text=(
        "Penyidik Komisi Pemberantasan Korupsi kemarin memeriksa tiga saksi. Juru bicara KPK "
        "menyebut pemeriksaan saksi berlanjut pekan depan di gedung Merah Putih."
    ),
    source="tempo.co",
)
KPK = Entity("KPK", ("Komisi Pemberantasan Korupsi",))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kpk NEAR/1 periksa", True),  # adjacent
        ("periksa NEAR/1 kpk", True),  # either order
        ("kpk NEAR/1 saksi", True),  # one word between
        ("kpk NEAR/1 baru", False),  # two words between
        ("kpk NEAR/2 baru", True),
        ("title:kpk NEAR/10 tol", True),
        ("title:kpk NEAR/4 tol", False),  # five words between
        ("merah NEAR/8 kpk", True),  # in the text: eight words between "KPK" and "Merah"
        ("merah NEAR/7 kpk", False),
        ("pemeriksa* NEAR/1 saksi", True),  # a prefix side
        ('"tiga saksi" NEAR/1 kemarin', True),  # a phrase side: "kemarin memeriksa tiga saksi"
        ('"tiga saksi" NEAR/1 penyidik', False),
        ("(polri OR kejagung) NEAR/5 saksi", False),
        ("(polri OR kpk) NEAR/1 periksa", True),  # an OR group side
        ("entity:KPK NEAR/2 memeriksa", True),  # the alias "Komisi Pemberantasan Korupsi"
        ("tol NEAR/1 penyidik", False),  # title and text are separate fields
        ("kpk near/1 periksa", True),  # the operator in any case
        ("kpk NEAR/1 periksa -gosip", True),
        ("kpk NEAR/1 periksa -saksi", False),
        ("(kpk NEAR/1 periksa) AND (saksi NEAR/2 berlanjut)", True),  # several NEARs, nested
        ("NOT (kpk NEAR/1 baru) saksi", True),
        ("saksi NEAR/1 saksi", False),  # one occurrence does not stand near itself
        ("near 1", False),  # the plain words are still words
    ],
)
def test_near_matches_within_n_words(query: str, expected: bool) -> None:
    assert parse(query, entities=[KPK]).matches(DOC) is expected, query


def test_near_is_not_a_phrase() -> None:
    """The issue: NEAR/5 was read as the phrase "near 5"."""
    doc = Document(title="Near 5 km from the airport", text="", source="x")
    assert parse("airport NEAR/5 km").matches(doc)
    assert not parse("airport NEAR/1 near").matches(doc)  # the words between are counted


@pytest.mark.parametrize(
    ("query", "position", "message"),
    [
        ("kpk NEAR/0 saksi", 9, "NEAR/0 is out of range"),
        (f"kpk NEAR/{MAX_NEAR + 1} saksi", 9, "out of range"),
        ("kpk NEAR/x saksi", 9, "whole number"),
        ("kpk NEAR/ saksi", 9, "whole number"),
        ("kpk NEAR/-3 saksi", 9, "whole number"),
        ("kpk NEAR/٣ saksi", 9, "whole number"),  # an Arabic-Indic digit is not ours
        ("kpk NEAR saksi", 8, "NEAR needs a distance"),
        ("kpk NEAR/3", 10, "unexpected end of query"),
        ("NEAR/3 kpk", 0, "unexpected 'NEAR/3'"),
        ("kpk NEAR/3 saksi NEAR/3 tol", 17, "cannot be chained"),
        ("(kpk AND saksi) NEAR/3 tol", 0, "joins words"),
        ("kpk NEAR/3 (saksi NEAR/2 tol)", 11, "joins words"),  # nested inside a side
        ("kpk NEAR/3 (saksi OR -tol)", 11, "joins words"),
        ("title:kpk NEAR/3 text:saksi", 10, "different fields"),
    ],
)
def test_bad_near_is_an_error_at_its_position(query: str, position: int, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse(query)
    assert caught.value.position == position, caught.value
    assert message in str(caught.value)


def test_near_explains_both_sides() -> None:
    explanation = parse("(polri OR kpk) NEAR/1 periksa").explain(DOC)
    assert explanation.matched
    assert explanation.matched_terms == ("kpk", "periksa")
