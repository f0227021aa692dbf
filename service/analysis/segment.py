"""Split masked prose into sentence spans cheaply, without the parser."""

from __future__ import annotations

import re

# A sentence longer than this is cut, so no single parse or VADER call can take unbounded time.
MAX_SENTENCE = 400
_LIST_OR_HEADING = re.compile(r"[ \t]*(?:[-*+]|\d+[.)]|#{1,6})[ \t]")
_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s)|[.!?]+[\"'”’)\]]*$")
_MARKER = re.compile(r"(?:[-*+]|\d+[.)]|#{1,6})[ \t]+")
_HAS_WORD = re.compile(r"[^\W\d_]{2,}")
# One word and its full stop ("READ.", "The."): a piece of a phrase said word by word for emphasis.
_WORD = r"[^\W\d_][\w'’-]*"
_ONE_WORD = re.compile(_WORD + r"[.!]+")
# A run of them as one sentence ("Stop. Pushing. New."): what the segmenter joins (gate.leftover_cues reads it).
SAID_WORD_BY_WORD = re.compile(rf"(?:{_WORD}[.!]+\s+){{2,}}{_WORD}[.!]*")
# Words that cannot stand as a sentence alone: a run of one-word pieces that holds one ("Read. The. Comments.",
# "Stop. Pushing. Into. This. PR.") is one phrase broken up, not three replies ("Done. Thanks. Merging.").
_BOUND = frozenset({"the", "a", "an", "this", "that", "these", "those", "your", "my", "our", "their", "into", "in",
                    "on", "of", "to", "for", "with", "from", "at", "by", "is", "are", "it", "you", "and", "or",
                    "before", "after", "not", "do", "does", "did", "be", "every", "any", "all"})
STACCATO = 3  # one-word pieces in a row that make one phrase


def _blocks(text: str):
    """Runs of lines that belong together: a wrapped line continues unless the previous one ended."""
    start = end = None
    offset = 0
    for line in text.split("\n"):
        line_start, offset = offset, offset + len(line) + 1
        if not line.strip():
            if start is not None:
                yield start, end
            start = None
            continue
        joins = start is not None and not _LIST_OR_HEADING.match(line)
        joins = joins and text[start:end].rstrip()[-1:] not in ".!?:;"
        if not joins:
            if start is not None:
                yield start, end
            start = line_start
        end = line_start + len(line)
    if start is not None:
        yield start, end


def _cut(start: int, end: int):
    while end - start > MAX_SENTENCE:
        yield start, start + MAX_SENTENCE
        start += MAX_SENTENCE
    yield start, end


def _trim(text: str, start: int, end: int):
    """Strip whitespace, and a list or heading marker, which is layout rather than part of the sentence."""
    while start < end and text[start].isspace():
        start += 1
    marker = _MARKER.match(text, start, end)
    if marker:
        start = marker.end()
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _quoting(head: str) -> bool:
    """Inside an open quotation ('The UI string "Are you sure? This is dumb." is from the mock') a full stop
    ends the quoted words, not the writer's sentence, so the quotation stays whole and reads as quoted."""
    return head.count('"') % 2 == 1 or head.count("“") > head.count("”")


def _staccato(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Runs of one-word pieces that make one phrase are one sentence, read (and rewritten) whole."""
    out, run = [], []

    def close() -> None:
        words = [text[a:b].rstrip(".!").lower() for a, b in run]
        if len(run) >= STACCATO and _BOUND & set(words) and run[-1][1] - run[0][0] <= MAX_SENTENCE:
            out.append((run[0][0], run[-1][1]))
        else:
            out.extend(run)
        run.clear()

    for a, b in spans:
        one = _ONE_WORD.fullmatch(text, a, b)
        if one and (not run or not text[run[-1][1] : a].strip()):
            run.append((a, b))
            continue
        close()
        if one:
            run.append((a, b))
        else:
            out.append((a, b))
    close()
    return out


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence with at least one word, in order, whitespace trimmed."""
    spans = []
    for block_start, block_end in _blocks(text):
        cursor = block_start
        block = text[block_start:block_end]
        cuts = [block_start + m.end() for m in _SENTENCE_END.finditer(block) if not _quoting(block[: m.end()])]
        cuts.append(block_end)
        pieces = []
        for cut in cuts:
            start, end = _trim(text, cursor, cut)
            cursor = cut
            if end > start and _HAS_WORD.search(text, start, end):
                pieces.extend(_cut(start, end))
            elif end > start and pieces and end - pieces[-1][0] <= MAX_SENTENCE:
                # A piece with no word ("🙄", ":)", "???") after a sentence of the same block is that sentence's
                # tone: "The redesign removed search. 🙄" is one sentence, read with its eye-roll.
                pieces[-1] = (pieces[-1][0], end)
        spans.extend(_staccato(text, pieces) if len(pieces) >= STACCATO else pieces)
    return spans
