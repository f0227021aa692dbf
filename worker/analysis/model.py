"""The analyzer's public data types: what callers pass in (Options) and get back (Analysis, Finding)."""

from __future__ import annotations

from dataclasses import dataclass

from .nlp import DEFAULT_MODEL
from .rules import CATEGORIES

SENSITIVITIES = ("low", "medium", "high")
__all__ = ["CATEGORIES", "SENSITIVITIES", "Options", "Finding", "Analysis"]


@dataclass(frozen=True)
class Options:
    """How picky to be, and which categories or rules a repository has switched off."""

    sensitivity: str = "medium"
    disabled_categories: frozenset[str] = frozenset()
    disabled_rules: frozenset[str] = frozenset()
    model: str = DEFAULT_MODEL

    def __post_init__(self) -> None:
        if self.sensitivity not in SENSITIVITIES:
            raise ValueError(
                f"sensitivity must be one of {', '.join(SENSITIVITIES)}, not {self.sensitivity!r}"
            )
        unknown = set(self.disabled_categories) - set(CATEGORIES)
        if unknown:
            raise ValueError(f"unknown categories: {', '.join(sorted(unknown))}")


@dataclass(frozen=True)
class Finding:
    """One rule's hit on a sentence; start/end are offsets into the original Markdown text."""

    rule: str
    category: str
    severity: str
    start: int
    end: int
    text: str
    message: str
    suggestion: str
    score: float
    link: str


@dataclass(frozen=True)
class Analysis:
    """The verdict on one comment: findings to show, the top score, mean sentence sentiment, and notes."""

    flagged: bool
    score: float
    sentiment: float
    findings: tuple[Finding, ...]
    notes: tuple[str, ...] = ()
