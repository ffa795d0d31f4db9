"""Text handling shared by training and scoring: normalising, sentences, tokens, negation.

Everything here is pure and deterministic; the same functions build the training features and
the run-time features, so the two cannot drift apart.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

# Words, keeping Indonesian reduplication ("hati-hati") and English contractions together, or a
# single clause-ending punctuation mark (used to close a negation scope, then dropped).
# Possessive quantifiers: nothing follows the word alternative, so backtracking into it could
# never change a match; forbidding it halves the regex engine's work (the biggest single cost
# of tokenising).
TOKEN_RE = re.compile(r"[^\W_]++(?:[-'’][^\W_]++)*+|[.,;:!?()\"“”]")
_SCOPE_END = frozenset('.,;:!?()"“”')
_DIGITS_RE = re.compile(r"\d")
# Sentence ends: ., ! or ? followed by space and an upper-case letter, digit or quote; or a
# blank line (paragraph break). Abbreviations like "Rp." or "dr." rarely precede capitals in news.
# The end mark is matched, not looked behind at, so the engine can skip to the next ".!?" or
# newline instead of trying the pattern at every character; the mark stays with its sentence.
_SENT_RE = re.compile(r"[.!?][\"”’)]*\s+(?=[\"“‘(]?[A-Z0-9])|\n\s*\n")
_ABBREV_END = re.compile(
    r"\b(?:[A-Z]|Rp|Dr|dr|Ir|Prof|St|No|Jl|Jln|Kol|Brigjen|Irjen|Kombes|AKBP|H|Hj|Mr|Mrs|Ms|"
    r"Sen|Rep|Gov|Lt|Gen|Sgt|Jr|Sr|vs|U\.S|Inc|Co|Corp|Tbk|Pt|PT)\.$"
)

NEGATORS: frozenset[str] = frozenset(
    {
        # Indonesian
        "tidak",
        "tak",
        "bukan",
        "belum",
        "jangan",
        "tanpa",
        "gak",
        "nggak",
        "enggak",
        "ga",
        "ngga",
        "engga",
        "tdk",
        "blm",
        "bkn",
        "kagak",
        "ndak",
        "nda",
        "non",
        "anti",
        # English
        "not",
        "no",
        "never",
        "without",
        "nor",
        "neither",
        "cannot",
        "n't",
        "isn't",
        "aren't",
        "wasn't",
        "weren't",
        "don't",
        "doesn't",
        "didn't",
        "won't",
        "wouldn't",
        "can't",
        "couldn't",
        "shouldn't",
        "hasn't",
        "haven't",
        "hadn't",
    }
)
NEGATION_SCOPE = 3
NEG_PREFIX = "¬"


def unnegated(token: str) -> str:
    """The word of a token, without the negation mark `negate` may have put on it."""
    return token[1:] if token[:1] == NEG_PREFIX else token


# Punctuation that tells how a sentence is said: a question, an attributed statement
# ("Menkeu: ..."), a quotation, an exclamation. Each kind present is appended once, after the
# words, as a mark token (so word positions and bigrams stay as they were).
MARKS: dict[str, str] = {"?": "?", ":": ":", "!": "!", '"': '"', "“": '"', "”": '"'}
MARK_TOKENS: frozenset[str] = frozenset(MARKS.values())
MARK_RE = re.compile("[" + re.escape("".join(MARKS)) + "]")
# Runs of spaces/tabs become one space; a lone space is left alone (it is most of the matches).
_SPACES_RE = re.compile(r"[ \t\u00a0]{2,}|[\t\u00a0]")
_PARAGRAPH_RE = re.compile(r"\n[ \t]*\n\s*")


def normalise(text: str) -> str:
    """NFKC-normalise and collapse runs of spaces (keeping paragraph breaks)."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # The substitutions only when they can match (NFKC has made no-break spaces plain).
    if "  " in text or "\t" in text or "\u00a0" in text:
        text = _SPACES_RE.sub(" ", text)
    if "\n" in text:
        text = _PARAGRAPH_RE.sub("\n\n", text)
    return text.strip()


def split_sentences(text: str) -> list[str]:
    """Split normalised text into sentences; returns non-empty stripped pieces in order."""
    out: list[str] = []
    for piece in _pieces(text):
        piece = piece.strip()
        if not piece:
            continue
        # Glue back a split made after an abbreviation ("Dr. Budi", "PT. Maju").
        # (the last 10 characters hold the longest abbreviation, its dot and the boundary)
        if out and out[-1][-1:] == "." and _ABBREV_END.search(out[-1][-10:]):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece.replace("\n", " "))
    return out


def _pieces(text: str) -> list[str]:
    """The text between sentence boundaries (``re.split`` with the end mark kept)."""
    pieces = []
    last = 0
    for match in _SENT_RE.finditer(text):
        start = match.start()
        if text[start] != "\n":
            start += 1  # the end mark belongs to the sentence
        pieces.append(text[last:start])
        last = match.end()
    pieces.append(text[last:])
    return pieces


def raw_tokens(text: str) -> list[str]:
    """Lower-cased word and punctuation tokens; digits folded to 0 so numbers share features."""
    return [_fold(t) for t in TOKEN_RE.findall(text.lower())]


@lru_cache(maxsize=200_000)
def _fold(token: str) -> str:
    if any(c.isdigit() for c in token):
        return _DIGITS_RE.sub("0", token)
    return token.replace("’", "'")


def mark_negation(tokens: list[str]) -> list[str]:
    """Prefix the few words after a negator with NEG_PREFIX; punctuation ends the scope.

    Punctuation tokens are dropped from the result. The negator itself is kept unmarked, so
    "tidak buruk" becomes ["tidak", "¬buruk"] while "buruk" stays "buruk".
    """
    out: list[str] = []
    left = 0
    for tok in tokens:
        if tok in _SCOPE_END:
            left = 0
            continue
        if tok in NEGATORS or tok.endswith("n't"):
            out.append(tok)
            left = NEGATION_SCOPE
            continue
        if left:
            out.append(NEG_PREFIX + tok)
            left -= 1
        else:
            out.append(tok)
    return out


def sentence_marks(punctuation: Iterable[str]) -> list[str]:
    """The mark tokens of a sentence's punctuation tokens, once each, in order of first use."""
    return list(dict.fromkeys(MARKS[p] for p in punctuation if p in MARKS))


def tokens(text: str) -> list[str]:
    """The model's view of a piece of text: folded tokens with negation marked, then the
    sentence's mark tokens (``MARKS``).

    Same words as ``mark_negation(raw_tokens(text))`` in one pass (the hot path of scoring).
    """
    out: list[str] = []
    punctuation: list[str] = []
    left = 0
    folded = _FOLDED
    for raw in TOKEN_RE.findall(text.lower()):
        entry = folded.get(raw)
        if entry is None:
            entry = token_entry(raw)
        tok, kind = entry
        if kind == _PLAIN:
            if left:
                out.append(NEG_PREFIX + tok)
                left -= 1
            else:
                out.append(tok)
        elif kind == _NEGATOR:
            out.append(tok)
            left = NEGATION_SCOPE
        else:
            left = 0
            punctuation.append(tok)
    if punctuation:
        out += sentence_marks(punctuation)
    return out


_PLAIN, _NEGATOR, _SCOPE = 0, 1, 2


def token_entry(raw: str) -> tuple[str, int]:
    """(folded token, kind) of a raw token, cached."""
    tok = _fold(raw)
    if tok in _SCOPE_END:
        kind = _SCOPE
    elif tok in NEGATORS or tok.endswith("n't"):
        kind = _NEGATOR
    else:
        kind = _PLAIN
    if len(_FOLDED) > _FOLD_CACHE_LIMIT:
        _FOLDED.clear()
    _FOLDED[raw] = (tok, kind)
    return tok, kind


_FOLDED: dict[str, tuple[str, int]] = {}
_FOLD_CACHE_LIMIT = 200_000


def word_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the word tokens (not punctuation) of ``text``, in order."""
    return [m.span() for m in TOKEN_RE.finditer(text) if m.group(0)[0] not in _SCOPE_END]
