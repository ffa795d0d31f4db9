"""Full-text search over articles on both backends, with highlights.

The query language is web-search style on both: words (all must match), "quoted phrases",
`-word` to exclude, `OR` between alternatives. PostgreSQL hands the text to
`websearch_to_tsquery` for the `indonesian` and `english` configurations (stemmed, weighted
title > summary > body); SQLite gets FTS5 expressions built here from quoted tokens only, so
user input can never be FTS5 syntax. On SQLite each term matches when its words occur as typed
(bare words as prefixes, in `articles_fts`) or when their Snowball stems do (`articles_fts_stem`,
the stemmers of PostgreSQL's two configurations, app/textsearch.py): "sadap" finds
"penyadapan" on both backends. Problems a user can fix (an unclosed quote, only exclusions)
are 422s with the position.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    and_,
    bindparam,
    literal_column,
    not_,
    or_,
    select,
    text,
    union,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter

from app.db import is_postgres
from app.errors import InvalidQuery
from app.models import Article
from app.textsearch import config_for, stem_word

MAX_QUERY_LENGTH = 300
_WORD = re.compile(r"\w", re.UNICODE)
# Private-use sentinels mark matches before HTML escaping, so article text cannot inject markup.
_START, _STOP = "\ue000", "\ue001"


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    phrase: bool
    negated: bool


@dataclass(frozen=True, slots=True)
class SearchQuery:
    raw: str
    groups: tuple[tuple[Term, ...], ...]  # OR of groups; each group is an AND of terms

    def fts5(self) -> str:
        """The FTS5 MATCH expression: every term quoted; bare words match as prefixes."""
        parts = []
        for group in self.groups:
            positives = [_fts5_term(t) for t in group if not t.negated]
            negatives = [_fts5_term(t) for t in group if t.negated]
            parts.append(
                "(" + " AND ".join(positives) + "".join(f" NOT {n}" for n in negatives) + ")"
            )
        return " OR ".join(parts)

    def highlight_fts5(self) -> str:
        """Any positive term as typed: what `snippet()` marks (stem-only matches get none)."""
        terms = [_fts5_term(t) for g in self.groups for t in g if not t.negated]
        return " OR ".join(dict.fromkeys(terms))


def _fts5_term(term: Term) -> str:
    quoted = '"' + term.text.replace('"', '""') + '"'
    return quoted if term.phrase else quoted + "*"


def _fts5_stems(term: Term) -> str | None:
    """The term as stems, for `articles_fts_stem`: its words stemmed as Indonesian, or as
    English (PostgreSQL ORs the two configurations); phrases keep their word order."""
    alternatives = []
    for language in ("id", "en"):
        stems = [stem_word(w, config_for(language)) for w in _WORD_RUN.findall(term.text)]
        if stems:
            alternatives.append('"' + " ".join(stems).replace('"', '""') + '"')
    unique = list(dict.fromkeys(alternatives))
    if not unique:
        return None
    return unique[0] if len(unique) == 1 else "(" + " OR ".join(unique) + ")"


_WORD_RUN = re.compile(r"\w+", re.UNICODE)


def parse_query(raw: str) -> SearchQuery:
    """Parse web-search syntax; raise InvalidQuery (422) with the position of the problem."""
    if len(raw) > MAX_QUERY_LENGTH:
        raise InvalidQuery(
            f"q is longer than {MAX_QUERY_LENGTH} characters", position=MAX_QUERY_LENGTH
        )
    bad = next((i for i, c in enumerate(raw) if ord(c) < 32 and not c.isspace()), None)
    if bad is not None:
        raise InvalidQuery(f"control character at position {bad}", position=bad)
    groups: list[list[Term]] = [[]]
    i = 0
    while i < len(raw):
        char = raw[i]
        if char.isspace():
            i += 1
            continue
        negated = char == "-"
        start = i + 1 if negated else i
        if start < len(raw) and raw[start] == '"':
            end = raw.find('"', start + 1)
            if end < 0:
                raise InvalidQuery(
                    f'unclosed quote at position {start}: close the phrase with "',
                    position=start,
                    expected='"',
                )
            words = raw[start + 1 : end].strip()
            if _WORD.search(words):
                groups[-1].append(Term(" ".join(words.split()), True, negated))
            i = end + 1
            continue
        end = start
        while end < len(raw) and not raw[end].isspace() and raw[end] != '"':
            end += 1
        word = raw[start:end]
        i = end
        if word == "OR" and not negated:
            if not groups[-1]:
                raise InvalidQuery(
                    f"OR at position {start} needs a term before it",
                    position=start,
                    expected="a term",
                )
            groups.append([])
            continue
        if _WORD.search(word):
            groups[-1].append(Term(word, False, negated))
    if groups and not groups[-1] and len(groups) > 1:
        raise InvalidQuery(
            "OR at the end needs a term after it", position=len(raw), expected="a term"
        )
    for group in groups:
        if group and all(t.negated for t in group):
            raise InvalidQuery(
                "a search needs at least one term that is not excluded with -", position=0
            )
    if not any(groups):
        raise InvalidQuery("the search has no words to look for", position=0)
    return SearchQuery(raw, tuple(tuple(g) for g in groups if g))


# Constant SQL text; the user's query is only ever the bound parameter :q.
_PG_MATCH = (
    "articles.search_vector @@ (websearch_to_tsquery('indonesian'::regconfig, :q) || "
    "websearch_to_tsquery('english'::regconfig, :q))"
)
_PG_HEADLINE = (
    "SELECT id, ts_headline(CASE WHEN language = 'en' THEN 'english' ELSE 'indonesian' "
    "END::regconfig, coalesce(body, summary, title), "
    "(websearch_to_tsquery('indonesian'::regconfig, :q) || "
    "websearch_to_tsquery('english'::regconfig, :q)), :options) FROM articles WHERE id IN :ids"
)


def match_condition(session: AsyncSession, query: SearchQuery) -> ColumnElement[bool]:
    """A WHERE condition on `articles` for the search; parameters are always bound."""
    if is_postgres(session):
        return text(_PG_MATCH).bindparams(q=query.raw)  # type: ignore[return-value]
    groups = []
    for group in query.groups:
        found = [_sqlite_term(t) for t in group if not t.negated]
        excluded = [not_(_sqlite_term(t)) for t in group if t.negated]
        groups.append(and_(*found, *excluded))
    return or_(*groups)


def _sqlite_term(term: Term) -> ColumnElement[bool]:
    """Articles where `term` occurs as typed or as stems (constant SQL, values bound under
    names unique in the statement)."""
    typed = (
        select(literal_column("rowid", BigInteger()))
        .select_from(text("articles_fts"))
        .where(
            text("articles_fts MATCH :typed").bindparams(
                bindparam("typed", _fts5_term(term), unique=True)
            )
        )
    )
    stems = _fts5_stems(term)
    if stems is None:
        return Article.id.in_(typed)
    stemmed = (
        select(literal_column("rowid", BigInteger()))
        .select_from(text("articles_fts_stem"))
        .where(
            text("articles_fts_stem MATCH :stem").bindparams(bindparam("stem", stems, unique=True))
        )
    )
    return Article.id.in_(union(typed, stemmed))


async def highlights(
    session: AsyncSession, query: SearchQuery, article_ids: Sequence[int]
) -> dict[int, str]:
    """A snippet per article with matches wrapped in <mark> and the rest HTML-escaped."""
    if not article_ids:
        return {}
    ids: BindParameter[list[int]] = bindparam("ids", value=list(article_ids), expanding=True)
    if is_postgres(session):
        statement = text(_PG_HEADLINE).bindparams(
            ids,
            q=query.raw,
            options=(
                f"StartSel={_START}, StopSel={_STOP}, MaxWords=35, MinWords=12, "
                'MaxFragments=2, FragmentDelimiter=" … "'
            ),
        )
    else:
        statement = text(
            "SELECT rowid, snippet(articles_fts, -1, :start, :stop, ' … ', 24) "
            "FROM articles_fts WHERE articles_fts MATCH :fts AND rowid IN :ids"
        ).bindparams(ids, fts=query.highlight_fts5(), start=_START, stop=_STOP)
    rows = (await session.execute(statement)).all()
    return {int(row[0]): _marked(row[1] or "") for row in rows}


def _marked(snippet: str) -> str:
    escaped = html.escape(" ".join(snippet.split()), quote=False)
    return escaped.replace(_START, "<mark>").replace(_STOP, "</mark>")
