"""The whole-comment rewrite: each harsh sentence replaced by its first gated proposal, the rest untouched.

Code blocks, inline code, quotes and links are never inside a flagged sentence's edit (the engine only
flags prose), so splicing the edited sentences back into the original keeps the Markdown as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from . import gate

DROP = ""  # a sentence that is only a jab ("Come on.", "Very inspiring.") can go when the comment says more
_EMPTY_ITEM = re.compile(r"^[ \t]*(?:[-*+]|\d+[.)])[ \t]*$\n?", re.M)
_WORD = re.compile(r"[^\W\d_]{2,}")


@dataclass
class Sentence:
    """One flagged sentence: where it is, its harsh words as written, and the proposals for it in order."""

    start: int
    end: int
    text: str
    cues: tuple[str, ...]
    options: list[tuple[str, frozenset[str]]] = field(default_factory=list)
    chosen: tuple[str, frozenset[str]] | None = None

    def add(self, found) -> None:
        for option in found:
            if all(option[0] != text for text, _ in self.options):
                self.options.append(option)

    @property
    def exempt(self) -> str:
        return " ".join(self.cues)

    def choose(self, passes: Callable[[str], bool]) -> None:
        """The first proposal the gate and the analyzer accept; else dropping the sentence, when it holds
        nothing technical; else nothing (the note explains the words)."""
        good = [(text, words) for text, words in self.options
                if gate.check(self.text, text, cues=self.cues, template=words, exempt=self.exempt).ok and passes(text)]
        if good:  # the one that keeps most of the point; the earlier (smaller edit) on a tie
            self.chosen = max(good, key=lambda option: gate.kept_share(self.text, option[0], self.exempt))
            return
        if not gate.missing_tokens(self.text, DROP, self.exempt) and not gate.new_words(self.exempt, self.text):
            self.chosen = (DROP, frozenset())  # nothing in it but the jab: no code, no claim of its own


@dataclass(frozen=True)
class Whole:
    text: str
    cues: tuple[str, ...]
    template: frozenset[str]
    exempt: str


def proposals(sentences: list[Sentence]) -> list[str]:
    return [text for s in sentences for text, _ in s.options]


def assemble(original: str, sentences: list[Sentence]) -> Whole | None:
    """The comment with every flagged sentence edited; None when one has no edit or nothing would be left."""
    if any(s.chosen is None for s in sentences):
        return None
    out, last = [], 0
    for s in sorted(sentences, key=lambda s: s.start):
        text = s.chosen[0]
        out.append(original[last : s.start])
        last = s.end
        if text == DROP:
            while last < len(original) and original[last] in " \t":
                last += 1
            continue
        out.append(text)
    out.append(original[last:])
    text = _EMPTY_ITEM.sub("", "".join(out)) if any(s.chosen[0] == DROP for s in sentences) else "".join(out)
    text = re.sub(r"\n{3,}", "\n\n", re.sub(r"[ \t]+\n", "\n", text)).strip()
    if len(_WORD.findall(gate.prose(text))) < 2 and not gate.code_spans(text):
        return None
    cues = tuple(c for s in sentences for c in s.cues)
    template = frozenset().union(*(s.chosen[1] for s in sentences))
    return Whole(text=text, cues=cues, template=template, exempt=" ".join(cues))
