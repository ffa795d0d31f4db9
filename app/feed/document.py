"""What a watchlist query looks at, tokenised once per article.

A :class:`Document` (title, text, source) builds its :class:`DocumentIndex` on first use and
keeps it, so one article matched against fifty watchlists is tokenised once. Each field keeps a
token set (words), and builds on demand a sorted token list (prefixes, by binary search) and a
space-joined token string (phrases, by substring search): most queries need neither.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from functools import cached_property

from app.feed.text import tokenize


class FieldIndex:
    """One field of a document: its tokens as a set, plus lazy prefix and phrase views."""

    __slots__ = ("_joined", "_list", "_sorted", "tokens")

    def __init__(self, text: str) -> None:
        self._list = tokenize(text)
        self.tokens: frozenset[str] = frozenset(self._list)
        self._sorted: list[str] | None = None
        self._joined: str | None = None

    @property
    def joined(self) -> str:
        """The tokens joined by single spaces, with a space at both ends (" a b c ")."""
        if self._joined is None:
            self._joined = f" {' '.join(self._list)} "
        return self._joined

    def has_prefix(self, prefix: str) -> bool:
        """Whether any token starts with ``prefix`` (binary search over the sorted tokens)."""
        if self._sorted is None:
            self._sorted = sorted(self.tokens)
        i = bisect_left(self._sorted, prefix)
        return i < len(self._sorted) and self._sorted[i].startswith(prefix)

    @property
    def words(self) -> list[str]:
        """The tokens in text order (NEAR/n measures distances over them)."""
        return self._list

    def has_phrase(self, needle: str) -> bool:
        """Whether `` a b `` (tokens with surrounding spaces) occurs in this field."""
        return needle in self.joined


class DocumentIndex:
    """The three fields of a document, each indexed."""

    __slots__ = ("source", "text", "title")

    def __init__(self, title: str, text: str, source: str) -> None:
        self.title = FieldIndex(title)
        self.text = FieldIndex(text)
        self.source = FieldIndex(source)

    def field(self, name: str) -> FieldIndex:
        """The index of ``title``, ``text`` or ``source``."""
        if name == "title":
            return self.title
        if name == "text":
            return self.text
        return self.source


@dataclass(frozen=True)
class Document:
    """An article as watchlists see it: title, text, and source (outlet name or host)."""

    title: str
    text: str
    source: str

    @cached_property
    def index(self) -> DocumentIndex:
        """The token index, built on first use."""
        return DocumentIndex(self.title, self.text, self.source)
