"""The watchlist query language: what matches, what does not, and errors that say where."""

from __future__ import annotations

import random
import re

import pytest

from app.feed.query import (
    MAX_DEPTH,
    MAX_QUERY_LENGTH,
    Document,
    QuerySyntaxError,
    parse,
)
from app.feed.text import fold
from app.scoring.result import Entity
from tests.feed.realdata import real_articles

PEMPROV = Entity("Pemprov DKI", ("Pemerintah Provinsi DKI Jakarta", "Pemprov DKI Jakarta"))

DOC = Document(
    title="Banjir rob melanda Jakarta Utara, Pemprov DKI siagakan pompa",
    text=(
        "Warga Muara Baru mengeluhkan genangan. Anggota DPRD menuding ada korupsi proyek "
        "tanggul laut. Hati-hati, kata petugas BPBD. Tim SAR dikerahkan ke Pluit."
    ),
    source="kompas.com",
)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("banjir", True),
        ("BANJIR", True),
        ("gempa", False),
        ('"banjir rob"', True),
        ('"rob banjir"', False),
        ("banjir AND gempa", False),
        ("banjir gempa", False),  # adjacent terms are ANDed
        ("banjir OR gempa", True),
        ("banjir NOT korupsi", False),
        ("banjir -korupsi", False),
        ("banjir -gosip", True),
        ("korup*", True),
        ("koruptor*", False),
        ("title:korupsi", False),
        ("text:korupsi", True),
        ("title:(banjir OR gempa)", True),
        ("title:(gempa OR korupsi)", False),
        ("source:kompas", True),
        ("source:kompas.com", True),
        ("source:tempo", False),
        ("-source:tempo banjir", True),
        ('"tanggul la*"', True),
        ("hati", True),  # "Hati-hati" splits like the article does
        ('"hati-hati"', True),
        ("(banjir OR gempa) AND (pompa OR tsunami)", True),
        ("banjir OR gempa AND tsunami", True),  # AND binds tighter than OR
        ("(banjir OR gempa) AND tsunami", False),
        ("NOT NOT banjir", True),
        ('entity:"Pemprov DKI"', True),
        ('entity:"pemprov dki jakarta" OR banjir', True),
        ("and", False),  # lower-case operators are ordinary words
    ],
)
def test_query_matches_like_an_analyst_expects(query: str, expected: bool) -> None:
    assert parse(query, entities=[PEMPROV]).matches(DOC) is expected


def test_matching_ignores_case_and_accents() -> None:
    doc = Document("Kafé di Bogor ditutup", "Pemiliknya, Andrés, kecewa.", "Tempo.co")
    assert parse("kafe AND andres").matches(doc)
    assert parse("KAFÉ").matches(doc)
    assert parse("source:TEMPO.CO").matches(doc)


def test_entity_expands_to_any_alias() -> None:
    query = parse('entity:"Pemprov DKI" -banjir', entities=[PEMPROV])
    by_alias = Document("Pemerintah Provinsi DKI Jakarta tambah bus", "", "tempo.co")
    by_name = Document("", "Pemprov DKI menambah bus listrik", "tempo.co")
    unrelated = Document("Pemprov Jabar tambah bus", "DKI tidak disebut", "tempo.co")
    assert query.matches(by_alias) and query.matches(by_name)
    assert not query.matches(unrelated)
    assert query.explain(by_alias).matched_terms == ("entity:Pemprov DKI",)


def test_entity_can_be_named_by_an_alias_and_scoped_to_a_field() -> None:
    query = parse('title:entity:"pemprov dki jakarta"', entities=[PEMPROV])
    assert query.matches(Document("Pemprov DKI tambah bus", "", ""))
    assert not query.matches(Document("Bus listrik", "Pemprov DKI tambah bus", ""))


def test_explain_lists_every_term_with_its_outcome() -> None:
    query = parse('("banjir rob" OR gempa) AND -korupsi')
    explanation = query.explain(DOC)
    assert not explanation.matched
    assert explanation.matched_terms == ('"banjir rob"',)
    assert explanation.blocking_terms == ("korupsi",)
    assert {h.term for h in explanation.hits if not h.matched} == {"gempa"}


def test_terms_are_the_positive_ones_for_highlighting() -> None:
    query = parse('title:kpk (korup* OR "uang suap") -gosip -(artis OR seleb)')
    assert [t.text for t in query.terms()] == ["title:kpk", "korup*", '"uang suap"']
    term = query.terms()[1]
    assert (term.field, term.tokens, term.prefix) == ("any", ("korup",), True)


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "position", "expected"),
    [
        ("", 0, "a term or '('"),
        ("   ", 3, "a term or '('"),
        ("banjir AND", 10, "a term or '('"),
        ("banjir OR OR gempa", 10, "a term or '('"),
        ("(banjir OR gempa", 16, "')'"),
        ("banjir)", 6, "an operator, a term or the end"),
        ('banjir "rob', 7, "a closing '\"'"),
        ("foo:bar", 0, "one of title:, text:, source:, entity:"),
        ("title:", 6, "a term or '('"),
        ("title:text:kpk", 6, "a term without a field"),
        ("NOT gosip", 0, "at least one term that is not negated"),
        ("entity:Ahok", 7, "a known entity (Pemprov DKI)"),
        ("ko*rup", 2, "a prefix such as korup*"),
        ("banjir ---", 9, "a word, a phrase or a prefix"),
        ("banjir !!!", 7, "a word, a phrase or a prefix"),
    ],
)
def test_syntax_errors_say_where_and_what_was_expected(
    query: str, position: int, expected: str
) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse(query, entities=[PEMPROV])
    assert (caught.value.position, caught.value.expected) == (position, expected)
    assert f"position {position}" in str(caught.value)


def test_queries_longer_than_the_limit_are_refused() -> None:
    parse(" OR ".join(["banjir"] * 100))
    with pytest.raises(QuerySyntaxError, match="limit is 2000") as caught:
        parse("banjir " * (MAX_QUERY_LENGTH // 7 + 1))
    assert caught.value.position == MAX_QUERY_LENGTH


def test_nesting_deeper_than_the_limit_is_refused() -> None:
    parse("(" * MAX_DEPTH + "banjir" + ")" * MAX_DEPTH)
    with pytest.raises(QuerySyntaxError, match="nested deeper") as caught:
        parse("(" * (MAX_DEPTH + 1) + "banjir" + ")" * (MAX_DEPTH + 1))
    assert caught.value.position == MAX_DEPTH
    with pytest.raises(QuerySyntaxError, match="nested deeper"):
        parse("banjir " + "NOT " * (MAX_DEPTH + 1) + "gempa")


# --- the real corpus -------------------------------------------------------------------------


def test_an_entity_watchlist_finds_what_a_reader_would_on_real_articles() -> None:
    articles = real_articles()
    kpk = Entity("KPK", ("Komisi Pemberantasan Korupsi",))
    query = parse("entity:KPK -title:(seleb OR artis)", entities=[kpk])
    docs = [Document(a.title, a.body, a.outlet) for a in articles]
    hits = {a.id for a, d in zip(articles, docs, strict=True) if query.matches(d)}
    # Every headline that names the KPK is found ...
    named = {a.id for a in articles if re.search(r"\bKPK\b", a.title)}
    assert named <= hits
    # ... and every hit names it somewhere, as a word (never inside another word).
    pattern = re.compile(r"\b(kpk|komisi pemberantasan korupsi)\b")
    for article, doc in zip(articles, docs, strict=True):
        if article.id in hits:
            assert pattern.search(fold(f"{doc.title} {doc.text}")), article.title
    print(f"\nentity:KPK matched {len(hits)} of {len(articles)} real articles")


def _reference(node: tuple[object, ...], text: str, memo: dict[str, bool]) -> bool:
    """A slow, obviously-correct evaluator over folded text, for cross-checking."""
    op = node[0]
    if op in ("term", "prefix"):
        word = str(node[1])
        key = f"{op}:{word}"
        if key not in memo:
            end = r"(?![^\W_])" if op == "term" else ""
            memo[key] = re.search(rf"(?<![^\W_]){re.escape(word)}{end}", text) is not None
        return memo[key]
    if op == "not":
        return not _reference(node[1], text, memo)  # type: ignore[arg-type]
    results = [_reference(c, text, memo) for c in node[1:]]  # type: ignore[arg-type]
    return all(results) if op == "and" else any(results)


def _render(node: tuple[object, ...]) -> str:
    op = node[0]
    if op == "term":
        return str(node[1])
    if op == "prefix":
        return f"{node[1]}*"
    if op == "not":
        return f"NOT {_render(node[1])}"  # type: ignore[arg-type]
    joiner = " AND " if op == "and" else " OR "
    return "(" + joiner.join(_render(c) for c in node[1:]) + ")"  # type: ignore[arg-type]


def test_matching_agrees_with_a_slow_reference_on_random_queries() -> None:
    articles = real_articles()[:400]
    words = ["kpk", "jokowi", "habibie", "asap", "dpr", "revisi", "jakarta", "polisi", "warga"]
    prefixes = ["korup", "kebakar", "demo", "presid"]
    rng = random.Random(7)

    def make(depth: int) -> tuple[object, ...]:
        roll = rng.random()
        if depth == 0 or roll < 0.35:
            if rng.random() < 0.25:
                return ("prefix", rng.choice(prefixes))
            return ("term", rng.choice(words))
        if roll < 0.45:
            return ("not", make(depth - 1))
        return (rng.choice(["and", "or"]), make(depth - 1), make(depth - 1))

    docs = [
        (Document(a.title, a.body, a.outlet), fold(f"{a.title}\n{a.body}"), {}) for a in articles
    ]
    checked = 0
    for _ in range(60):
        tree = ("or", make(3), ("term", rng.choice(words)))
        query = parse(_render(tree))
        for doc, text, memo in docs:
            assert query.matches(doc) is _reference(tree, text, memo), (_render(tree), doc.title)
            checked += 1
    assert checked == 60 * len(docs)
