"""Value types of the scoring interface (frozen, JSON-serialisable through ``to_dict``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Label = Literal["negative", "neutral", "positive"]
Language = Literal["id", "en"]


@dataclass(frozen=True, slots=True)
class Entity:
    """A watched entity and its aliases (matched case-insensitively on word boundaries)."""

    name: str
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for item in (self.name, *self.aliases):
            if item.strip():
                seen.setdefault(item.strip(), None)
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class TargetScore:
    name: str
    label: Label
    negativity: float
    confidence: float
    mentions: int
    evidence: tuple[str, ...]
    # The words and word pairs that pushed most toward the label (never the entity's names).
    phrases: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "negativity": self.negativity,
            "confidence": self.confidence,
            "mentions": self.mentions,
            "evidence": list(self.evidence),
            "phrases": list(self.phrases),
        }


@dataclass(frozen=True, slots=True)
class ArticleScore:
    label: Label
    negativity: float
    confidence: float
    language: Language
    model_version: str
    explanation: dict[str, Any]
    targets: tuple[TargetScore, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "negativity": self.negativity,
            "confidence": self.confidence,
            "language": self.language,
            "model_version": self.model_version,
            "explanation": self.explanation,
            "targets": [t.to_dict() for t in self.targets],
        }
