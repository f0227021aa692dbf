"""How a handler ended, recorded on the delivery (``tact deliveries`` shows it)."""

from __future__ import annotations

from dataclasses import dataclass

from service import storage


@dataclass(frozen=True)
class Outcome:
    state: str
    reason: str

    @classmethod
    def done(cls, reason: str) -> Outcome:
        return cls(storage.DONE, reason)

    @classmethod
    def skipped(cls, reason: str) -> Outcome:
        return cls(storage.SKIPPED, reason)
