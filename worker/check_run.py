"""Findings -> the "Review tone" check run's output, within GitHub's limits. Pure: no I/O.

One note per comment: every flagged phrase with how it may read, then the whole comment rewritten (the
suggestion is the same for every finding of a comment), or, where no rewrite kept the point, a line saying so.

GitHub's limits on titles, summaries and annotation messages are stated once, in ``service.github``
(``publish_check_run`` also batches the annotations); actions: label <= 20, description <= 40,
identifier <= 20 characters. The run's idempotency key is ``service.github.content_key`` of what it shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import groupby

from service import github
from service.github import CheckRunOutput, clip

CHECK_NAME = "Review tone"
LOOKS_FINE = "looks_fine"
SUMMARY_LIMIT = github.MARKDOWN_BYTES
TITLE_LIMIT = github.TITLE_CHARS
MESSAGE_LIMIT = github.DETAILS_BYTES
SHORTENED = "\n\n(shortened to fit GitHub's limit)"
REWRITE_HEAD = "A gentler wording of the whole comment:"
NO_REWRITE = ("No rewrite kept every point of this comment without these words, so none is offered; each line "
              "above says how the words may read.")
LOOKS_FINE_ACTION = {"label": "Looks fine", "identifier": LOOKS_FINE,
                     "description": "Hide these notes on this pull request"}


@dataclass(frozen=True)
class Item:
    """One finding with the comment it belongs to, as the publisher needs it."""

    kind: str  # review_comment | review | issue_comment
    url: str | None
    author: str | None
    path: str | None
    line: int | None
    start_line: int | None
    rule: str
    category: str
    severity: str
    message: str
    suggestion: str
    excerpt: str | None
    comment_id: int | None = None  # findings of one comment share one note

    @property
    def comment_key(self) -> tuple:
        return (self.comment_id, self.kind, self.url, self.path, self.line)

    @property
    def on_a_line(self) -> bool:
        """Only diff comments that still point at a line can be annotations; the rest go in the summary."""
        return self.kind == "review_comment" and bool(self.path) and self.line is not None


def check_run_output(items: Sequence[Item], *, annotation_level: str = "notice", conclusion: str = "neutral",
                     comments_read: int = 0, settings_note: str = "", head_sha: str = "",
                     run_key: str = "") -> CheckRunOutput:
    """The whole PR's current state: a note per flagged comment on its line, the rest listed in the summary."""
    comments = _by_comment(items)
    annotations = tuple(_annotation(group, annotation_level) for group in comments if group[0].on_a_line)
    elsewhere = [group for group in comments if not group[0].on_a_line]
    title = _title(len(items))
    summary = _summary(items, elsewhere, comments_read, settings_note)
    output = CheckRunOutput(
        name=CHECK_NAME,
        title=clip(title, TITLE_LIMIT, note=SHORTENED),
        summary=_clip(summary, SUMMARY_LIMIT),
        text=None,
        conclusion=conclusion if items else "success",
        annotations=annotations,
        actions=(LOOKS_FINE_ACTION,) if items else (),
    )
    # Same head and same content -> same key, so a retried publish finds its run instead of adding one;
    # a Re-run's key (run_key) asks for a new one.
    return replace(output, external_id="tact-" + github.content_key(f"{head_sha}:{run_key}", output)[:32])


def _title(count: int) -> str:
    if count == 0:
        return "No wording to revisit"
    return f"{count} phrasing{'s' if count != 1 else ''} that may land harder than intended"


def _by_comment(items: Sequence[Item]) -> list[list[Item]]:
    """Findings grouped by their comment, in the order the comments came (the publisher sends them so)."""
    return [list(group) for _, group in groupby(items, key=lambda item: item.comment_key)]


def _summary(items: Sequence[Item], elsewhere: Sequence[list[Item]], comments_read: int, settings_note: str) -> str:
    parts = []
    if settings_note:
        parts.append(settings_note)
    if not items:
        parts.append(f"Tact read {comments_read} review comment{'s' if comments_read != 1 else ''} on this pull "
                     "request and has no suggestions.")
    else:
        parts.append("Tact is an automated reviewer of tone. Each note below explains how a phrase may read and "
                     "offers a gentler wording of the whole comment; the choice is always yours. This check never "
                     "blocks a merge unless your repository asks it to.")
    if elsewhere:
        parts.append("### Comments outside the diff\n\n" + "\n\n".join(_summary_entry(group) for group in elsewhere))
    return "\n\n".join(parts)


def _summary_entry(group: list[Item]) -> str:
    item = group[0]
    where = {"review": "review", "issue_comment": "conversation comment"}.get(item.kind, "outdated comment")
    link = f"[{where}]({item.url})" if item.url else where
    by = f" by @{item.author}" if item.author else ""
    return f"**{link}{by}**\n\n{_note(group)}"


def _note(group: list[Item]) -> str:
    """Each flagged phrase with its reason, then the one rewrite of the whole comment (or why there is none)."""
    lines = [f"- {_phrase(item)}{item.message}" for item in group]
    rewrite = group[0].suggestion.strip()
    tail = f"{REWRITE_HEAD}\n\n{_quoted(rewrite)}" if rewrite else NO_REWRITE
    return "\n".join(lines) + "\n\n" + tail


def _phrase(item: Item) -> str:
    label = f"{item.category} (`{item.rule}`)"  # in code, so a rule id such as you-broke reads as a name
    return f"\u201c{_one_line(item.excerpt)}\u201d, {label}: " if item.excerpt else f"{label}: "


def _quoted(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines())


def _annotation(group: list[Item], level: str) -> dict:
    item = group[0]
    start = item.start_line if item.start_line and item.start_line <= item.line else item.line
    categories = ", ".join(dict.fromkeys(i.category for i in group))
    count = f"{len(group)} phrasings" if len(group) > 1 else "1 phrasing"
    annotation = {
        "path": item.path,
        "start_line": start,
        "end_line": item.line,
        "annotation_level": level,
        "title": _clip(f"Review tone: {count} ({categories})", TITLE_LIMIT),
        "message": _clip(_note(group), MESSAGE_LIMIT),
    }
    excerpts = [i.excerpt for i in group if i.excerpt]
    if excerpts:
        annotation["raw_details"] = _clip("\n".join(dict.fromkeys(excerpts)), MESSAGE_LIMIT)
    return annotation


def _clip(text: str, limit: int) -> str:
    """GitHub counts these limits in bytes: the cut keeps both the characters and the UTF-8 bytes within."""
    return clip(text, limit, limit, note=SHORTENED)


def _one_line(text: str) -> str:
    return " ".join(text.split())

