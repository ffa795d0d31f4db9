"""The watchlist query language: parse once, match many articles fast.

Grammar (operators are upper-case words; lower-case ``and``/``or``/``not`` are ordinary terms)::

    query   := or_expr EOF
    or_expr := and_expr ("OR" and_expr)*
    and_expr:= unary (["AND"] unary)*          adjacent terms are ANDed
    unary   := ("NOT" | "-") unary | primary    "-" must touch what it negates: -gosip
    unary   := ("NOT" | "-") unary | near
    near    := primary ["NEAR/" n primary]      both within n words, 1 <= n <= MAX_NEAR
    primary := "(" or_expr ")" | field ":" primary | WORD | "korup*" | '"a phrase"'
    field   := title | text | source | entity   (entity: takes a name from the alias table)

``a NEAR/n b`` matches when an occurrence of ``a`` and one of ``b`` stand in the same field with
at most ``n`` words between them, in either order (``NEAR/1``: adjacent or one word apart, as
SQLite FTS5's NEAR counts). Each side is a word, prefix, phrase, ``entity:`` or an OR group of
them (``(kpk OR polri) NEAR/5 periksa``); anything else, a chained NEAR or a bad distance is a
syntax error with its position, never a phrase "near 5". The operator is recognised in any case
(``near/5``) because the slash cannot be a word of the text.

A term without a field looks in the title and the text. Words are case- and accent-folded and
split like the articles (``app.feed.text.tokenize``), so a word that splits into several tokens
(``covid-19``, ``kompas.com``) is matched as a phrase. A trailing ``*`` makes the last token a
prefix (``korup*`` finds "korupsi" and "koruptor"); it works inside phrases too.

Matching never rescans text: :class:`Document` tokenises each field once into a token set, a
sorted token list (for prefixes) and a space-joined token string (for phrases), and every query
reuses that index.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal, TypeAlias

from app.feed.document import Document, DocumentIndex, FieldIndex
from app.feed.text import fold, tokenize
from app.scoring.result import Entity

Field = Literal["any", "title", "text", "source"]
MAX_QUERY_LENGTH = 2_000
MAX_DEPTH = 32
MAX_NEAR = 100  # words: a wider window is "the same article", which AND says
FIELDS: dict[str, Field] = {"title": "title", "text": "text", "source": "source"}

_EXPECT_OPERAND = "a term or '('"
_OPERATORS = frozenset({"AND", "OR", "NOT"})
_FIELD_RE = re.compile(r"([A-Za-z]+):")
_NEAR_RE = re.compile(r"near/(.*)", re.IGNORECASE | re.DOTALL)


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed: ``position`` is a 0-based character offset."""

    def __init__(self, message: str, position: int, expected: str) -> None:
        super().__init__(f"{message} at position {position}: expected {expected}")
        self.message = message
        self.position = position
        self.expected = expected


# --- the syntax tree -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    """A word, prefix or phrase looked up in one field (``any`` = title or text)."""

    field: Field
    tokens: tuple[str, ...]
    prefix: bool = False
    label: str = ""  # how the analyst wrote it, for explanations (an entity name, say)

    @property
    def text(self) -> str:
        """The term as query text: ``title:"banjir rob"``, ``korup*``."""
        body = " ".join(self.tokens) + ("*" if self.prefix else "")
        if len(self.tokens) > 1:
            body = f'"{body}"'
        return body if self.field == "any" else f"{self.field}:{body}"


@dataclass(frozen=True, slots=True)
class And:
    """All children match."""

    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    """At least one child matches."""

    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """The child does not match."""

    child: Node


@dataclass(frozen=True, slots=True)
class Near:
    """An occurrence of a ``left`` term and one of a ``right`` term, in the same field, with at
    most ``distance`` words between them (either order)."""

    left: tuple[Term, ...]  # alternatives
    right: tuple[Term, ...]
    distance: int


Node: TypeAlias = Term | And | Or | Not | Near
Matcher: TypeAlias = Callable[[DocumentIndex], bool]


# --- compiling to closures -------------------------------------------------------------------
# Each node becomes a closure specialised for its shape (one word in title-or-text is a single
# set look-up per field), so evaluating a query costs a few function calls.


def _compile_term(term: Term) -> Matcher:
    toks, where = term.tokens, term.field
    if len(toks) == 1 and not term.prefix:
        tok = toks[0]
        if where == "any":
            return lambda ix: tok in ix.title.tokens or tok in ix.text.tokens
        return lambda ix: tok in ix.field(where).tokens
    if len(toks) == 1:
        pre = toks[0]
        if where == "any":
            return lambda ix: ix.title.has_prefix(pre) or ix.text.has_prefix(pre)
        return lambda ix: ix.field(where).has_prefix(pre)
    required = toks[:-1] if term.prefix else toks
    # A phrase ending in a prefix ("tanggul la*") needs a pattern; a plain one a substring.
    pattern = re.compile(" " + re.escape(" ".join(toks)) + r"[^ ]* ") if term.prefix else None
    needle = f" {' '.join(toks)} "

    def found(fx: FieldIndex) -> bool:
        for tok in required:
            if tok not in fx.tokens:
                return False
        if pattern is not None:
            return pattern.search(fx.joined) is not None
        return fx.has_phrase(needle)

    if where == "any":
        return lambda ix: found(ix.title) or found(ix.text)
    return lambda ix: found(ix.field(where))


_FIELDS_OF: dict[Field, tuple[str, ...]] = {
    "any": ("title", "text"),
    "title": ("title",),
    "text": ("text",),
    "source": ("source",),
}


def _spans(term: Term, words: list[str]) -> list[tuple[int, int]]:
    """(first, last) word positions of each occurrence of ``term`` in ``words``."""
    toks, size, last = term.tokens, len(term.tokens), len(term.tokens) - 1
    found = []
    for i in range(len(words) - size + 1):
        if all(words[i + k] == toks[k] for k in range(last)) and (
            words[i + last].startswith(toks[last]) if term.prefix else words[i + last] == toks[last]
        ):
            found.append((i, i + last))
    return found


def _within(a: list[tuple[int, int]], b: list[tuple[int, int]], distance: int) -> bool:
    """Whether a span of ``a`` and a span of ``b`` do not overlap and have at most
    ``distance`` words between them."""
    for a0, a1 in a:
        for b0, b1 in b:
            gap = b0 - a1 - 1 if b0 > a1 else a0 - b1 - 1
            if 0 <= gap <= distance:
                return True
    return False


def _compile_near(node: Near) -> Matcher:
    left_any = _compile(Or(node.left))
    right_any = _compile(Or(node.right))
    fields = sorted({f for t in node.left + node.right for f in _FIELDS_OF[t.field]})

    def side(terms: tuple[Term, ...], name: str, words: list[str]) -> list[tuple[int, int]]:
        return [s for t in terms if name in _FIELDS_OF[t.field] for s in _spans(t, words)]

    def match(ix: DocumentIndex) -> bool:
        if not (left_any(ix) and right_any(ix)):  # the cheap set look-ups first
            return False
        for name in fields:
            words = ix.field(name).words
            left = side(node.left, name, words)
            if left and _within(left, side(node.right, name, words), node.distance):
                return True
        return False

    return match


def _compile(node: Node) -> Matcher:
    if isinstance(node, Term):
        return _compile_term(node)
    if isinstance(node, Near):
        return _compile_near(node)
    if isinstance(node, Not):
        inner = _compile(node.child)
        return lambda ix: not inner(ix)
    parts = tuple(_compile(c) for c in node.children)
    if len(parts) == 2:  # the common case, without a generator
        first, second = parts
        if isinstance(node, And):
            return lambda ix: first(ix) and second(ix)
        return lambda ix: first(ix) or second(ix)
    if isinstance(node, And):
        return lambda ix: all(p(ix) for p in parts)
    return lambda ix: any(p(ix) for p in parts)


@dataclass(frozen=True, slots=True)
class Anchor:
    """A necessary condition: a matching document contains one of these words or prefixes."""

    words: frozenset[str]
    prefixes: tuple[str, ...]

    def possible(self, ix: DocumentIndex) -> bool:
        """False when the document cannot match (it has none of the words or prefixes)."""
        words = self.words
        if not (
            ix.text.tokens.isdisjoint(words)
            and ix.title.tokens.isdisjoint(words)
            and ix.source.tokens.isdisjoint(words)
        ):
            return True
        return any(f.has_prefix(p) for p in self.prefixes for f in (ix.title, ix.text, ix.source))


def anchor(node: Node) -> Anchor | None:
    """The words a document must contain one of to match ``node``, or None if there are none.

    A negation has no anchor; an AND takes its smallest child anchor; an OR unites its
    children's, and has none if one child has none. ``-gosip`` alone cannot be anchored, but
    ``kpk -gosip`` is anchored on ``kpk``; a phrase is anchored on its first word.
    """
    if isinstance(node, Term):
        if node.prefix and len(node.tokens) == 1:
            return Anchor(frozenset(), (node.tokens[0],))
        return Anchor(frozenset({node.tokens[0]}), ())
    if isinstance(node, Not):
        return None
    if isinstance(node, Near):  # both sides must occur
        return anchor(And((Or(node.left), Or(node.right))))
    found = [anchor(c) for c in node.children]
    known = [a for a in found if a is not None]
    if isinstance(node, And):
        if not known:
            return None
        return min(known, key=lambda a: len(a.words) + 4 * len(a.prefixes))
    if len(known) < len(found):
        return None
    prefixes: dict[str, None] = {}
    for a in known:
        prefixes.update(dict.fromkeys(a.prefixes))
    return Anchor(frozenset().union(*(a.words for a in known)), tuple(prefixes))


# --- queries ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TermHit:
    """One term of a query and whether it occurred in the document."""

    term: str
    negated: bool
    matched: bool


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a query did or did not match: every term, whether it occurred, whether it is negated."""

    matched: bool
    hits: tuple[TermHit, ...]

    @property
    def matched_terms(self) -> tuple[str, ...]:
        """Positive terms found in the document (what to highlight)."""
        return tuple(h.term for h in self.hits if h.matched and not h.negated)

    @property
    def blocking_terms(self) -> tuple[str, ...]:
        """Negated terms found in the document (why it may have been excluded)."""
        return tuple(h.term for h in self.hits if h.matched and h.negated)


class Query:
    """A parsed, compiled watchlist query. Build it with :func:`parse`."""

    __slots__ = ("_anchor", "_match", "root", "source")

    def __init__(self, source: str, root: Node) -> None:
        self.source = source
        self.root = root
        self._match = _compile(root)
        self._anchor = anchor(root)

    def __repr__(self) -> str:
        return f"Query({self.source!r})"

    def matches(self, doc: Document) -> bool:
        """Whether the document satisfies the query."""
        ix = doc.index
        if self._anchor is not None and not self._anchor.possible(ix):
            return False
        return self._match(ix)

    def explain(self, doc: Document) -> Explanation:
        """Every term with whether it occurred in ``doc``, and the overall verdict."""
        hits: dict[tuple[str, bool], bool] = {}
        for term, negated in _leaves(self.root, negated=False):
            key = (term.label or term.text, negated)
            hits[key] = hits.get(key, False) or _compile_term(term)(doc.index)
        return Explanation(
            self.matches(doc),
            tuple(TermHit(t, neg, hit) for (t, neg), hit in hits.items()),
        )

    def terms(self) -> tuple[Term, ...]:
        """The positive (not negated) terms, in query order, without duplicates."""
        seen: dict[Term, None] = {}
        for term, negated in _leaves(self.root, negated=False):
            if not negated:
                seen.setdefault(term, None)
        return tuple(seen)


def _leaves(node: Node, *, negated: bool) -> Iterator[tuple[Term, bool]]:
    if isinstance(node, Term):
        yield node, negated
    elif isinstance(node, Not):
        yield from _leaves(node.child, negated=not negated)
    elif isinstance(node, Near):
        for term in node.left + node.right:
            yield term, negated
    else:
        for child in node.children:
            yield from _leaves(child, negated=negated)


# --- lexing and parsing ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "(", ")", "AND", "OR", "NOT", "NEAR", "-", "FIELD", "WORD", "PHRASE" or "EOF"
    value: str
    pos: int


def _lex(query: str) -> list[_Token]:
    out: list[_Token] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            out.append(_Token("(" if ch == "(" else ")", ch, i))
            i += 1
        elif ch == '"':
            end = query.find('"', i + 1)
            if end < 0:
                raise QuerySyntaxError("unclosed quotation mark", i, "a closing '\"'")
            out.append(_Token("PHRASE", query[i + 1 : end], i))
            i = end + 1
        elif ch == "-" and i + 1 < n and not query[i + 1].isspace() and query[i + 1] != ")":
            out.append(_Token("-", ch, i))
            i += 1
        else:
            start = i
            while i < n and not query[i].isspace() and query[i] not in '()"':
                i += 1
            word = query[start:i]
            if word in _OPERATORS:
                out.append(_Token(word, word, start))
                continue
            if near := _NEAR_RE.fullmatch(word):
                _near_distance(near.group(1), start + 5)  # checked here, where the position is
                out.append(_Token("NEAR", word, start))
                continue
            if word == "NEAR":
                raise QuerySyntaxError("NEAR needs a distance", start + 4, "NEAR/n, as in NEAR/5")
            # A word may carry field prefixes (title:banjir, or the faulty title:text:banjir,
            # which the parser then rejects with a position).
            offset = 0
            while match := _FIELD_RE.match(word, offset):
                out.append(_Token("FIELD", match.group(1).lower(), start + offset))
                offset = match.end()
            if offset < len(word):
                out.append(_Token("WORD", word[offset:], start + offset))
    out.append(_Token("EOF", "", n))
    return out


def _near_distance(text: str, pos: int) -> int:
    if not text.isascii() or not text.isdigit():
        raise QuerySyntaxError(
            f"NEAR/ needs a whole number of words, not {text!r}", pos, f"1 to {MAX_NEAR}"
        )
    n = int(text)
    if not 1 <= n <= MAX_NEAR:
        raise QuerySyntaxError(f"NEAR/{n} is out of range", pos, f"1 to {MAX_NEAR}")
    return n


class _Parser:
    def __init__(self, query: str, entities: Mapping[str, Entity]) -> None:
        self.tokens = _lex(query)
        self.i = 0
        self.entities = entities

    @property
    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node:
        node = self.or_expr(0, "any")
        if self.peek.kind != "EOF":
            raise QuerySyntaxError(
                f"unexpected {self.peek.value!r}", self.peek.pos, "an operator, a term or the end"
            )
        return node

    # ``scope`` is the field that bare terms take: "any", or the field of an enclosing
    # title:( ... ) group.
    def or_expr(self, depth: int, scope: Field) -> Node:
        children = [self.and_expr(depth, scope)]
        while self.peek.kind == "OR":
            self.take()
            children.append(self.and_expr(depth, scope))
        return children[0] if len(children) == 1 else Or(tuple(children))

    def and_expr(self, depth: int, scope: Field) -> Node:
        children = [self.unary(depth, scope)]
        while self.peek.kind not in ("OR", ")", "EOF"):
            if self.peek.kind == "AND":
                self.take()
            children.append(self.unary(depth, scope))
        return children[0] if len(children) == 1 else And(tuple(children))

    def unary(self, depth: int, scope: Field) -> Node:
        if self.peek.kind in ("NOT", "-"):
            tok = self.take()
            self._check_depth(depth + 1, tok.pos)
            return Not(self.unary(depth + 1, scope))
        return self.near(depth, scope)

    def near(self, depth: int, scope: Field) -> Node:
        start = self.peek.pos
        left = self.primary(depth, scope)
        if self.peek.kind != "NEAR":
            return left
        op = self.take()
        right_start = self.peek.pos
        right = self.primary(depth, scope)
        if self.peek.kind == "NEAR":
            raise QuerySyntaxError(
                "NEAR/n cannot be chained", self.peek.pos, "(a NEAR/n b) AND (b NEAR/n c)"
            )
        sides = self._near_side(left, start), self._near_side(right, right_start)
        shared = {f for t in sides[0] for f in _FIELDS_OF[t.field]} & {
            f for t in sides[1] for f in _FIELDS_OF[t.field]
        }
        if not shared:  # it could never match
            raise QuerySyntaxError(
                "the two sides of NEAR/n look in different fields", op.pos, "terms in one field"
            )
        return Near(*sides, _near_distance(op.value[5:], op.pos + 5))

    @staticmethod
    def _near_side(node: Node, pos: int) -> tuple[Term, ...]:
        if isinstance(node, Term):
            return (node,)
        if isinstance(node, Or) and all(isinstance(c, Term) for c in node.children):
            return tuple(c for c in node.children if isinstance(c, Term))
        raise QuerySyntaxError(
            "NEAR/n joins words, prefixes, phrases, entity: or (x OR y) groups of them",
            pos,
            "a term or an OR group of terms (not AND, NOT or another NEAR)",
        )

    def primary(self, depth: int, scope: Field) -> Node:
        tok = self.take()
        if tok.kind == "(":
            self._check_depth(depth + 1, tok.pos)
            node = self.or_expr(depth + 1, scope)
            close = self.take()
            if close.kind != ")":
                raise QuerySyntaxError("unclosed parenthesis", close.pos, "')'")
            return node
        if tok.kind == "FIELD":
            return self._field(tok, depth, scope)
        if tok.kind in ("WORD", "PHRASE"):
            return self._term(tok, scope)
        what = "end of query" if tok.kind == "EOF" else repr(tok.value)
        raise QuerySyntaxError(f"unexpected {what}", tok.pos, _EXPECT_OPERAND)

    def _field(self, tok: _Token, depth: int, outer: Field) -> Node:
        name = tok.value
        if name == "entity":
            value = self.take()
            if value.kind not in ("WORD", "PHRASE"):
                raise QuerySyntaxError("entity: needs a name", value.pos, "an entity name")
            return self._entity(value, outer)
        if name not in FIELDS:
            raise QuerySyntaxError(
                f"unknown field {name + ':'!r}", tok.pos, "one of title:, text:, source:, entity:"
            )
        if outer != "any" and outer != name:
            raise QuerySyntaxError(
                f"field {name + ':'!r} inside {outer + ':'!r}", tok.pos, "a term without a field"
            )
        if self.peek.kind not in ("WORD", "PHRASE", "(", "FIELD"):
            raise QuerySyntaxError(f"{name}: needs a term", self.peek.pos, _EXPECT_OPERAND)
        return self.primary(depth, FIELDS[name])

    def _term(self, tok: _Token, field_name: Field) -> Term:
        raw = tok.value
        prefix = raw.endswith("*")
        toks = tuple(tokenize(raw.rstrip("*") if prefix else raw))
        if not toks:
            raise QuerySyntaxError(
                f"{raw!r} has no letters or digits", tok.pos, "a word, a phrase or a prefix"
            )
        if "*" in raw.rstrip("*"):
            star = tok.pos + raw.index("*") + (1 if tok.kind == "PHRASE" else 0)
            raise QuerySyntaxError("'*' may only end a word", star, "a prefix such as korup*")
        return Term(field_name, toks, prefix)

    def _entity(self, tok: _Token, field_name: Field) -> Node:
        entity = self.entities.get(fold(" ".join(tok.value.split())))
        if entity is None:
            known = ", ".join(sorted(e.name for e in set(self.entities.values()))[:10])
            raise QuerySyntaxError(
                f"unknown entity {tok.value!r}", tok.pos, f"a known entity ({known or 'none'})"
            )
        alternatives: dict[tuple[str, ...], None] = {}
        for name in entity.names:
            toks = tuple(tokenize(name))
            if toks:
                alternatives.setdefault(toks, None)
        terms = tuple(Term(field_name, t, False, f"entity:{entity.name}") for t in alternatives)
        if not terms:
            raise QuerySyntaxError(f"entity {entity.name!r} has no usable name", tok.pos, "a name")
        return terms[0] if len(terms) == 1 else Or(terms)

    @staticmethod
    def _check_depth(depth: int, pos: int) -> None:
        if depth > MAX_DEPTH:
            raise QuerySyntaxError(
                f"query nested deeper than {MAX_DEPTH} levels", pos, "a flatter query"
            )


def alias_table(entities: Iterable[Entity]) -> dict[str, Entity]:
    """Look-up of entities by any of their folded names and aliases (first entity wins)."""
    table: dict[str, Entity] = {}
    for entity in entities:
        for name in entity.names:
            table.setdefault(fold(" ".join(name.split())), entity)
    return table


def parse(query: str, *, entities: Iterable[Entity] = ()) -> Query:
    """Parse a watchlist query; ``entities`` are what ``entity:"..."`` may name.

    Raises :class:`QuerySyntaxError` with the position and what was expected, also for queries
    longer than ``MAX_QUERY_LENGTH``, nested deeper than ``MAX_DEPTH`` or with nothing positive
    to look for (``NOT gosip`` alone would match almost every article).
    """
    if len(query) > MAX_QUERY_LENGTH:
        raise QuerySyntaxError(
            f"query is {len(query)} characters long, the limit is {MAX_QUERY_LENGTH}",
            MAX_QUERY_LENGTH,
            "a shorter query",
        )
    table = entities if isinstance(entities, Mapping) else alias_table(entities)
    result = Query(query, _Parser(query, table).parse())
    if not result.terms():
        raise QuerySyntaxError(
            "the query only excludes", 0, "at least one term that is not negated"
        )
    return result
