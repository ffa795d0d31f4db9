"""Stemmed text for SQLite's full-text index: the words of PostgreSQL's `indonesian` config.

PostgreSQL stems article text with Snowball's Indonesian (or English) stemmer; SQLite's FTS5
has no stemmer for Indonesian. `stem_text` gives SQLite the same stems, from the same Snowball
algorithms (the `snowballstemmer` package), so "sadap" finds what "penyadapan" finds on both
backends. The SQLite connection registers it as the SQL function `pantau_stem(text, language)`
(app/db.py), which the triggers of the `articles_stem` index call.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported with the first stemmer: most commands never stem
    import snowballstemmer

_WORD = re.compile(r"\w+", re.UNICODE)
_local = threading.local()  # Snowball stemmer objects keep state between calls: one per thread


def _stemmer(language: str) -> snowballstemmer.stemmer:
    stemmers: dict[str, snowballstemmer.stemmer] | None = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = {}
    if language not in stemmers:
        import snowballstemmer

        stemmers[language] = snowballstemmer.stemmer(language)
    return stemmers[language]


def _plain(word: str) -> str:
    """Lower case without diacritics, as FTS5's `unicode61 remove_diacritics 2` reads words."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def stem_word(word: str, language: str = "indonesian") -> str:
    return str(_stemmer(language).stemWord(_plain(word)))


def config_for(language: str | None) -> str:
    """The stemmer an article's language gets, as PostgreSQL's trigger picks its config."""
    return "english" if language == "en" else "indonesian"


def stem_text(text: str | None, language: str | None = None) -> str | None:
    """`text` as its stems, separated by spaces (word positions kept for phrases)."""
    if text is None:
        return None
    config = config_for(language)
    return " ".join(stem_word(w, config) for w in _WORD.findall(text))


def query_stems(word: str) -> tuple[str, ...]:
    """The stems a query word may match: Indonesian and English, as PostgreSQL ORs both."""
    stems = [stem_word(w, c) for w in _WORD.findall(word) for c in ("indonesian", "english")]
    return tuple(dict.fromkeys(stems))


def sqlite_stem(text: str | None, language: str | None) -> str | None:
    """The SQL function `pantau_stem`; never raises (a failing trigger would fail the write)."""
    try:
        return stem_text(text, language)
    except Exception:  # a stemming bug must not lose the article: index its plain words
        return " ".join(_plain(w) for w in _WORD.findall(text or ""))
