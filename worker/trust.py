"""The check run's quieter side, pure: the annotation limit, notes cleared since, how to allow a phrase.

``worker.publish`` calls these around ``check_run_output`` and passes the sentences in as part of
the summary's opening note, so the output builder itself stays as it is.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TypeVar

from service.settings import REPOSITORY_FILE

T = TypeVar("T")
MAX_PHRASES_SHOWN = 5


def newest_within(items: Sequence[T], max_notes: int, *, on_a_line) -> tuple[list[T], int]:
    """At most ``max_notes`` annotations, the newest comments' first; items arrive oldest first.

    Items that are not annotations (review bodies, conversation comments) are summary lines and stay.
    Returns the kept items, newest first, and how many annotations were left out.
    """
    kept, hidden, shown = [], 0, 0
    for item in reversed(items):
        if on_a_line(item):
            if shown >= max_notes:
                hidden += 1
                continue
            shown += 1
        kept.append(item)
    return kept, hidden


def summary_note(*, hidden: int, max_notes: int, cleared: int, phrases: Iterable[str | None]) -> str:
    """Sentences for the top of the summary; "" when there is nothing to say."""
    parts = []
    if cleared:
        notes = "note" if cleared == 1 else "notes"
        parts.append(f"Cleared: {cleared} earlier {notes} went away because the comment was edited or deleted.")
    if hidden:
        more = "annotation is" if hidden == 1 else "annotations are"
        parts.append(f"{hidden} more {more} not shown: this run shows the newest {max_notes} "
                     f"(`max_notes` in `{REPOSITORY_FILE}`).")
    line = allow_line(phrases)
    if line:
        parts.append(f"If a phrase is ordinary wording in this repository, add this line to `{REPOSITORY_FILE}` "
                     f"and Tact lets it through: `{line}`. A comment can also carry `<!-- tact: ignore -->` "
                     "to mark its wording as chosen on purpose.")
    return "\n\n".join(parts)


def allow_line(phrases: Iterable[str | None]) -> str:
    """The exact `allow:` line for the phrases flagged, in the order first seen, lower case, no repeats."""
    seen: list[str] = []
    for phrase in phrases:
        word = (phrase or "").strip().lower()
        if word and word not in seen:
            seen.append(word)
    if not seen:
        return ""
    return "allow: [" + ", ".join(json.dumps(p, ensure_ascii=False) for p in seen[:MAX_PHRASES_SHOWN]) + "]"
