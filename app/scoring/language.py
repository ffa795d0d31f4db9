"""Indonesian/English language identification from stopwords and word-shape cues.

Two languages only: the product monitors Indonesian media, with English wire and foreign
coverage. Ties go to Indonesian, the common case.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from itertools import compress
from operator import not_
from pathlib import Path
from typing import Literal

from app.scoring.lexicon import EN_STOPWORDS, ID_STOPWORDS
from app.scoring.text import (
    MARK_RE,
    NEG_PREFIX,
    NEGATION_SCOPE,
    TOKEN_RE,
    sentence_marks,
    token_entry,
)

PROFILE_PATH = Path(__file__).parent / "artifacts" / "language-words.json"
PROFILE_SIZE = 4000

Language = Literal["id", "en"]

_WORD_RE = re.compile(r"[a-z]+(?:'[a-z]+)?")
# Word endings and shapes typical of one language and rare in the other.
_ID_SHAPE = re.compile(r"(?:nya|kan|lah|kah|ng|ny)$|^(?:me[mn]|ber|ter|di|pe[mn]|ke)\w{3,}")
_EN_SHAPE = re.compile(r"(?:ing|tion|ed|ly|'s|ough|ight)$|^(?:th|wh)")
# English must lead by this much: Indonesian headlines carry English brand and market words
# ("Wall Street", "The Strongest Bank in Indonesia"), never the reverse in our sources.
EN_MARGIN = 1.0


def language_votes(text: str) -> tuple[float, float]:
    """(Indonesian, English) evidence for ``text``: stopwords count 2, word shapes 0.5
    (shapes are only looked at when the stopwords do not decide)."""
    # Evidence as complex numbers: real part Indonesian, imaginary part English. Every part
    # is a multiple of 0.5, so the sums are exact in any order.
    votes = _WORD_VOTES
    words = 0j
    shapes = 0j
    for w in _WORD_RE.findall(text.lower()):
        vote = votes.get(w)
        if vote is None:
            vote = _word_vote(w)
        words += vote[0]
        shapes += vote[1]
    if abs(words.real - words.imag) <= 2.0 * EN_MARGIN:
        words += shapes
    return words.real, words.imag


# Per word: stopword-and-profile evidence and word-shape evidence.
_WORD_VOTES: dict[str, tuple[complex, complex]] = {}
_VOTE_CACHE_LIMIT = 200_000


def _word_vote(word: str) -> tuple[complex, complex]:
    id_words, en_words = profile_words()
    vote = (
        complex(
            2.0 * (word in ID_STOPWORDS) + (word in id_words),
            2.0 * (word in EN_STOPWORDS) + (word in en_words),
        ),
        complex(
            0.5 * (_ID_SHAPE.search(word) is not None), 0.5 * (_EN_SHAPE.search(word) is not None)
        ),
    )
    if len(_WORD_VOTES) > _VOTE_CACHE_LIMIT:
        _WORD_VOTES.clear()
    _WORD_VOTES[word] = vote
    return vote


def tokens_and_votes(text: str) -> tuple[list[str], tuple[float, float]]:
    """``(tokens(text), language_votes(text))`` in one pass over the text (scoring's hot path).

    Every word ``language_votes`` reads lies inside one token of ``tokens`` (a run of letters,
    possibly joined by an apostrophe), so the votes are summed per token, cached with it.
    Sentences without a negator (most) need no per-token Python loop.
    """
    raws = TOKEN_RE.findall(text.lower())
    entries = list(map(_TOKEN_VOTES.get, raws))
    if None in entries:
        entries = [e or _token_vote(raw) for e, raw in zip(entries, raws, strict=True)]
    if not entries:
        return [], (0.0, 0.0)
    toks, kinds, word_votes, shape_votes = zip(*entries, strict=True)
    # Every vote is a multiple of 0.5, so these sums are exact in any order.
    words = sum(word_votes, 0j)
    if abs(words.real - words.imag) <= 2.0 * EN_MARGIN:
        words += sum(shape_votes, 0j)
    if 2 not in kinds and 1 not in kinds:
        return list(toks), (words.real, words.imag)
    marks = []
    # Punctuation is dropped from the words and its marks appended (text.tokens); most
    # sentences have commas and stops but no mark, which one regex search tells.
    if 2 in kinds and MARK_RE.search(text):
        marks = sentence_marks(t for t, k in zip(toks, kinds, strict=True) if k == 2)
    if 1 not in kinds:  # drop the punctuation (kind 2) without a Python-level loop
        return list(compress(toks, map(not_, kinds))) + marks, (words.real, words.imag)
    out = []
    left = 0
    for tok, kind in zip(toks, kinds, strict=True):
        if kind == 0:
            if left:
                out.append(NEG_PREFIX + tok)
                left -= 1
            else:
                out.append(tok)
        elif kind == 1:
            out.append(tok)
            left = NEGATION_SCOPE
        else:
            left = 0
    return out + marks, (words.real, words.imag)


# Per raw token: folded token, kind (text.token_entry) and its summed word and shape votes.
_TOKEN_VOTES: dict[str, tuple[str, int, complex, complex]] = {}


def _token_vote(raw: str) -> tuple[str, int, complex, complex]:
    word_vote = 0j
    shape_vote = 0j
    for w in _WORD_RE.findall(raw):
        vote = _WORD_VOTES.get(w) or _word_vote(w)
        word_vote += vote[0]
        shape_vote += vote[1]
    tok, kind = token_entry(raw)
    if len(_TOKEN_VOTES) > _VOTE_CACHE_LIMIT:
        _TOKEN_VOTES.clear()
    entry = (tok, kind, word_vote, shape_vote)
    _TOKEN_VOTES[raw] = entry
    return entry


def decide(id_score: float, en_score: float) -> Language:
    return "en" if en_score > id_score + EN_MARGIN else "id"


def detect_language(text: str) -> Language:
    """Return "en" when the text reads as English, else "id"."""
    return decide(*language_votes(text))


@lru_cache(maxsize=1)
def profile_words() -> tuple[frozenset[str], frozenset[str]]:
    """Frequent words of each language (not shared by both), built by the train command."""
    if not PROFILE_PATH.exists():
        return frozenset(), frozenset()
    data = json.loads(PROFILE_PATH.read_text(encoding="utf-8"))
    return frozenset(data["id"]), frozenset(data["en"])


def reload_profile() -> None:
    """Forget the loaded profile and every word vote made from it (after a new profile)."""
    profile_words.cache_clear()
    _WORD_VOTES.clear()
    _TOKEN_VOTES.clear()


def buildprofile_words(id_texts: Iterable[str], en_texts: Iterable[str]) -> dict[str, list[str]]:
    """The PROFILE_SIZE most frequent words of each language, minus those frequent in both."""
    tops = []
    for texts in (id_texts, en_texts):
        counts = Counter(w for t in texts for w in _WORD_RE.findall(t.lower()) if len(w) > 1)
        tops.append([w for w, _ in counts.most_common(PROFILE_SIZE)])
    shared = set(tops[0]) & set(tops[1])
    return {"id": sorted(set(tops[0]) - shared), "en": sorted(set(tops[1]) - shared)}
