"""Finding watched entities in sentences, and folding mention scores into a target score."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice

import numpy as np

from app.scoring.result import Entity, Label, TargetScore
from app.scoring.text import word_spans

MAX_EVIDENCE = 3
# Mentions of one entity read per article, in article order (headline and lead first): bounds
# the cost of a text that names the entity thousands of times (an English mention costs
# tens of milliseconds of encoder time).
MAX_MENTIONS = 32
# Weight of a mention by where its sentence sits: the headline, then the lead, then the rest.
TITLE_WEIGHT = 3.0
LEAD_WEIGHT = 2.0
LEAD_SENTENCES = 3


@dataclass(frozen=True, slots=True)
class Mention:
    sentence: int  # index into the article's sentence list
    start: int  # character span of the matched name inside the sentence
    end: int


@lru_cache(maxsize=4096)
def alias_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    """One case-insensitive, word-bounded pattern for all names; longer names win."""
    parts = sorted({n.strip() for n in names if n.strip()}, key=len, reverse=True)
    escaped = [r"\s+".join(re.escape(w) for w in p.split()) for p in parts]
    body = "|".join(escaped) if escaped else r"(?!x)x"
    return re.compile(rf"(?<![^\W_])(?:{body})(?![^\W_])", re.IGNORECASE)


# The only non-ASCII characters that an ASCII letter matches case-insensitively (``re``'s
# Unicode case rules: dotted/dotless i, long s, Kelvin sign); checked in the tests.
_CASE_SPECIALS = ("\u0130", "\u0131", "\u017f", "\u212a")


@lru_cache(maxsize=4096)
def _first_words(names: tuple[str, ...]) -> tuple[str, ...] | None:
    """Lower-cased first word of each name, when all names are ASCII (else None)."""
    words = tuple(n.split()[0].lower() for n in names if n.strip())
    return words if all(w.isascii() for w in words) else None


def find_mentions(entity: Entity, sentences: Sequence[str]) -> list[Mention]:
    return find_all_mentions((entity,), sentences)[0]


def find_all_mentions(entities: Sequence[Entity], sentences: Sequence[str]) -> list[list[Mention]]:
    """`find_mentions` of each entity in the same sentences (the text joined, lower-cased
    and checked for case specials once for all of them)."""
    if not entities:
        return []
    # Most articles never name a given entity: one search over the joined sentences rules
    # that out (a match inside a sentence is also a match in the joined text). Before the
    # regex (case-insensitive, with a look-behind, so tried at every character), a substring
    # test: an ASCII word can only match where the lower-cased text holds it, unless the text
    # has one of the few other characters that match ASCII letters.
    joined = "\n".join(sentences)
    lowered = None if any(c in joined for c in _CASE_SPECIALS) else joined.lower()
    return [_mentions(e.names, sentences, joined, lowered) for e in entities]


def _mentions(
    names: tuple[str, ...], sentences: Sequence[str], joined: str, lowered: str | None
) -> list[Mention]:
    words = _first_words(names)
    if words is not None and lowered is not None and not any(w in lowered for w in words):
        return []
    pattern = alias_pattern(names)
    if pattern.search(joined) is None:
        return []
    found = (
        Mention(i, m.start(), m.end())
        for i, sentence in enumerate(sentences)
        for m in pattern.finditer(sentence)
    )
    return list(islice(found, MAX_MENTIONS))


def token_span(sentence: str, start: int, end: int) -> tuple[int, int]:
    """Indices [first, last) of the word tokens covering the character span."""
    spans = word_spans(sentence.lower())
    first = sum(1 for s, _ in spans if s < start)
    last = sum(1 for s, _ in spans if s < end)
    return first, max(last, first + 1)


def position_weight(sentence: int, has_title: bool) -> float:
    if has_title and sentence == 0:
        return TITLE_WEIGHT
    body_index = sentence - 1 if has_title else sentence
    return LEAD_WEIGHT if body_index < LEAD_SENTENCES else 1.0


def fold_target(
    entity: Entity,
    mentions: Sequence[Mention],
    mention_proba: np.ndarray,
    sentences: Sequence[str],
    *,
    has_title: bool,
    prior: np.ndarray,
    classes: Sequence[Label],
) -> TargetScore:
    """Weighted mean of the per-mention class probabilities; evidence = most negative."""
    if not mentions:
        return TargetScore(entity.name, "neutral", round(float(prior[0]), 4), 0.0, 0, ())
    weights = np.array([position_weight(m.sentence, has_title) for m in mentions])
    proba = (mention_proba * weights[:, None]).sum(axis=0) / weights.sum()
    best = int(np.argmax(proba))
    per_sentence: dict[int, float] = {}
    for m, p in zip(mentions, mention_proba[:, 0], strict=True):
        per_sentence[m.sentence] = max(per_sentence.get(m.sentence, 0.0), float(p))
    ranked = sorted(per_sentence.items(), key=lambda kv: (-kv[1], kv[0]))
    evidence = tuple(sentences[i] for i, p in ranked[:MAX_EVIDENCE] if p >= 0.5)
    return TargetScore(
        name=entity.name,
        label=classes[best],
        negativity=round(float(proba[0]), 4),
        confidence=round(float(proba[best]), 4),
        mentions=len({m.sentence for m in mentions}),
        evidence=evidence,
    )
