"""Precision, recall, F1 and false-positive rate of flagged-versus-harsh, overall and per group."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass
class Counts:
    """A confusion matrix for one group of rows."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, harsh: bool, flagged: bool) -> None:
        if harsh:
            self.tp, self.fn = self.tp + flagged, self.fn + (not flagged)
        else:
            self.fp, self.tn = self.fp + flagged, self.tn + (not flagged)

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def harsh(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / self.harsh if self.harsh else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p and r else (0.0 if p is not None and r is not None else None)

    @property
    def fpr(self) -> float | None:
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else None


def group_values(value) -> list[str]:
    """A row can belong to several groups (a list field such as tbdf); a missing value is its own group."""
    if isinstance(value, list):
        return [str(v) for v in value] or ["(none)"]
    return ["(none)" if value is None else str(value)]


def tally(rows: Iterable[tuple[dict, bool]], by: str | None) -> tuple[Counts, dict[str, Counts]]:
    """Counts over (row, flagged) pairs, overall and per value of the field `by`."""
    overall, groups = Counts(), {}
    for row, flagged in rows:
        overall.add(bool(row["harsh"]), flagged)
        if by:
            for value in group_values(row.get(by)):
                groups.setdefault(value, Counts()).add(bool(row["harsh"]), flagged)
    return overall, dict(sorted(groups.items()))


def keeps_and_drops(rewrite: str, keep: list[str], drop: list[str]) -> bool:
    """The suggestion set's grade (tests/corpus/SUGGESTIONS.md): every keep item verbatim, no drop item."""
    lowered = rewrite.lower()
    return all(k in rewrite for k in keep) and not any(d.lower() in lowered for d in drop)


@dataclass
class RewriteCounts:
    """How the rewrites of one group of graded rows fared; a flagged row is one finding of the set."""

    rows: int = 0
    flagged: int = 0
    rewritten: int = 0
    graded: int = 0  # rewritten, and keeps every keep item and drops every drop item
    failed_gate: int = 0  # shown although a re-check of the gate or the analyzer finds fault: must stay 0

    def add(self, flagged: bool, rewrite: str, grade: bool, gate_ok: bool) -> None:
        self.rows += 1
        self.flagged += flagged
        shown = flagged and bool(rewrite)
        self.rewritten += shown
        self.graded += shown and grade
        self.failed_gate += shown and not gate_ok

    def share(self, count: int) -> float | None:
        return count / self.flagged if self.flagged else None
