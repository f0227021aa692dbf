"""The whole-comment rewrite: each harsh sentence replaced by its first gated proposal, the rest untouched.

Code blocks, inline code, quotes and links are never inside a flagged sentence's edit (the engine only
flags prose), so splicing the edited sentences back into the original keeps the Markdown as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from . import gate
from .markdown import extract
from .rephrase import SHARED_PROPOSALS, SHARED_WORDS, template

# Proposals that pass the string checks before the first batch goes to the analyzer; more only if all fail.
FIRST_ROUND = 2
DROP = ""  # a sentence that is only a jab ("Come on.", "Very inspiring.") can go when the comment says more
# Families whose sentence is a verdict rather than a point ("Clueless.", "What a mess of a reducer.", "Let me
# explain how promises work, since apparently it's needed."), and
# how many words of its own such a sentence may have and still go whole.
VERDICT_CATEGORIES = frozenset({"insult", "sarcasm", "dismissive", "profanity", "condescension"})
VERDICT_WORDS = 4
_EMPTY_ITEM = re.compile(r"^[ \t]*(?:[-*+]|\d+[.)])[ \t]*$\n?", re.M)
# Adverbs that only say the reader should have seen it ("the fix is literally in the runbook", "it is
# clearly documented"): in a comment being rewritten they go from its other sentences too, since a
# reviewer sending the gentle version would not keep them. Mid-sentence only, before a lowercase word, so a
# hedge that opens a sentence ("Obviously not for this PR") and the words in code or quotes stay.
_EXASPERATED = re.compile(r"(?<=[a-z,] )(?:literally|clearly|obviously|seriously|frankly)(?:,)? (?=[a-z])", re.I)
_WORD = re.compile(r"[^\W\d_]{2,}")


@dataclass
class Sentence:
    """One flagged sentence: where it is, its harsh words as written, and the proposals for it in order."""

    start: int
    end: int
    text: str
    cues: tuple[str, ...]
    jab_clause: str = ""  # the comma-separated piece of the sentence that holds the first cue
    verdict: bool = False  # a rule of a verdict family (insult, sarcasm, ...) hit it: see `droppable`
    whole_jab: bool = False  # found only beside another finding, with nothing technical: the rewrite leaves it out
    makers: list[tuple[object, str, Callable[[], str | None]]] = field(default_factory=list)
    options: list[tuple[str, frozenset[str]]] = field(default_factory=list)  # those that passed the string gate
    made: int = 0
    good: list[tuple[str, frozenset[str]]] = field(default_factory=list)
    chosen: tuple[str, frozenset[str]] | None = None

    def __post_init__(self) -> None:
        """Blame of the reader that no rule named ("since you clearly didn't read ...") is a jab here too: the
        gate turns down a proposal that keeps it, so it is the sentence's to drop, not its point to keep."""
        blame = tuple(b for b in gate.accusations(self.text) if b not in self.cues)
        self.cues = self.cues + blame

    def add(self, rule_id: str, found) -> None:
        """A rule's proposals; those every rule makes alike ('plain', 'clauses', ...) are kept once."""
        keys = {key for key, _, _ in self.makers}
        for name, make in found:
            key = name if name in SHARED_PROPOSALS else (name, rule_id)
            if key not in keys:
                self.makers.append((key, name, make))
                keys.add(key)

    def shortlist(self, to_the_end: bool = False) -> list[str]:
        """Make the proposals in order and keep those that pass the gate's string checks, stopping at one
        that keeps the whole point with no stray word (nothing after it could rank higher); a second call
        with `to_the_end` goes on from there, for when the analyzer or the parse turned that one down."""
        aside, start = self._aside, self.made
        for n, (_, name, make) in enumerate(self.makers[start:], start):
            self.made = n + 1
            text = make()
            if text is None or any(text == t for t, _ in self.options):
                continue
            words = template(name)
            if gate.check(self.text, text, cues=self.cues, template=words, exempt=self.lead_in).ok:
                self.options.append((text, words))
                perfect = gate.kept_share(self.text, text, aside) == 1.0 and not self._strays(text)
                if not to_the_end and (perfect or len(self.options) >= FIRST_ROUND):
                    break
        return [text for text, _ in self.options]

    @property
    def _aside(self) -> str:
        return self.exempt + " " + self.jab_clause if self.jab_clause != self.text else self.exempt

    @property
    def exempt(self) -> str:
        return " ".join(self.cues)

    @property
    def lead_in(self) -> str:
        """What a proposal may leave out: the cues, and a jab that frames what follows a colon (gate.lead_in)."""
        return (self.exempt + " " + gate.lead_in(self.text, self.cues)).strip()

    def choose(self, passes: Callable[[str], bool]) -> None:
        """Keep the proposals the gate and the analyzer accept, best first: the most of the point kept, then
        the fewest stray words of the jab's clause ('Holy, the pipeline...'), then the smaller edit."""
        good = [(n, text, words) for n, (text, words) in enumerate(self.options) if passes(text)]
        good.sort(key=lambda g: (-gate.kept_share(self.text, g[1], self._aside), self._strays(g[1]), g[0]))
        self.good = [(text, words) for _, text, words in good]
        self.chosen = self.good[0] if self.good else None

    def _strays(self, text: str) -> int:
        return len(gate.content_words(text) & gate.content_words(self.exempt + " " + self.jab_clause))

    @property
    def droppable(self) -> bool:
        """Only a jab: no code, number or name, and at most one word of its own besides the cue ('Are you
        stupid or just careless?', 'Come on.'), so the comment loses nothing when it goes.

        A verdict on the work or its author ('This code is garbage and so is the reasoning in the
        description.', 'Security is overrated anyway.') may have a few words of its own: they only say what
        is being judged, and the comment's point is in its other sentences (assemble keeps the sentence's
        best proposal when nothing else would be left)."""
        own_words = gate.new_words(self.exempt, self.text)
        limit = VERDICT_WORDS if self.verdict else 1
        return not gate.missing_tokens(self.text, DROP, self.exempt) and len(own_words) <= limit


@dataclass(frozen=True)
class Whole:
    text: str
    cues: tuple[str, ...]
    template: frozenset[str]
    exempt: str
    dropped: str = ""  # the sentences left out whole


def assemble(original: str, sentences: list[Sentence]) -> Whole | None:
    """The comment with every flagged sentence edited; None when one has no edit or nothing would be left.

    A sentence that is only a jab goes, when the rest of the comment still says something; otherwise its
    best proposal stands in for it."""
    first = _once([_drop_first(s) for s in sentences], sentences)
    whole = _splice(original, sentences, first)
    if whole is None and any(c and c[0] == DROP for c in first):  # nothing left: proposals stand in, where made
        whole = _splice(original, sentences, [(DROP, frozenset()) if s.whole_jab or (s.chosen is None and s.droppable)
                                              else s.chosen for s in sentences])
    return whole


# Words that say nothing once the jab is gone: "This is CS101 stuff." cut to "This is stuff." is better left out.
VAGUE = frozenset({"stuff", "thing", "things", "material", "kind", "level", "one"})


def _once(chosen: list, sentences: list[Sentence]) -> list:
    """A template said twice ('This isn't going in. End of discussion.' both refuse) is said once: the later
    sentence goes when it may, otherwise there is no rewrite."""
    seen, out = set(), []
    for c, s in zip(chosen, sentences, strict=True):
        if c is not None and c[0] != DROP and c[0] in seen:
            c = (DROP, frozenset()) if s.droppable else None
        if c is not None:
            seen.add(c[0])
        out.append(c)
    return out


def _drop_first(s: Sentence) -> tuple[str, frozenset[str]] | None:
    if s.whole_jab:
        return (DROP, frozenset())
    if s.droppable and (s.chosen is None or s.chosen[1] - SHARED_WORDS or _says_nothing(s)):
        return (DROP, frozenset())  # dropping beats a templated sentence ("I'm a bit worried about ...")
    return s.chosen


def _says_nothing(s: Sentence) -> bool:
    said = gate.content_words(s.chosen[0]) - gate.content_words(s.exempt) if s.chosen else frozenset()
    return said <= {gate.stem(w) for w in VAGUE}


# What a sentence left out whole told the reader to read ("Bold choice, since you clearly didn't read the style
# guide."): the reproach goes and the pointer stays, as "See the style guide.".
_POINTER = re.compile(
    r"\b(?:read|reread|re-read|check(?:ed)?|skim(?:med)?|open(?:ed)?|look(?:ed)?\s+at|follow(?:ed)?)\s+(?:up\s+on\s+)?"
    r"((?:the|our)\s+(?:[\w.-]+\s+){0,2}?(?:style\s+guide|guide|docs|documentation|readme|faq|runbook|manual|wiki|"
    r"changelog|spec|handbook|guidelines)\b|`[^`\n]+`|[A-Z][\w-]*\.md\b)", re.I)
POINTER_WORDS = template("pointer")


def _pointer(sentence: str, elsewhere: str) -> str | None:
    found = _POINTER.search(sentence)
    if found is None or found.group(1).lower() in elsewhere.lower():
        return None
    return f"See {found.group(1)}."


def _splice(original: str, sentences: list[Sentence], chosen: list) -> Whole | None:
    if any(c is None for c in chosen):
        return None
    out, last, pointers = [], 0, []
    for s, (text, _) in sorted(zip(sentences, chosen, strict=True), key=lambda pair: pair[0].start):
        out.append(original[last : s.start])
        last = s.end
        if text == DROP:
            pointer = _pointer(s.text, original[: s.start] + original[s.end :])
            if pointer is not None:
                out.append(pointer)
                pointers.append(pointer)
                continue
            while last < len(original) and original[last] in " \t":
                last += 1
            continue
        out.append(text)
    out.append(original[last:])
    text = _EMPTY_ITEM.sub("", "".join(out)) if any(c[0] == DROP for c in chosen) else "".join(out)
    text = re.sub(r"\n{3,}", "\n\n", re.sub(r"[ \t]+\n", "\n", text)).strip()
    text = _calm(text)
    bare = text
    for pointer in pointers:  # a pointer alone says nothing of the comment's own
        bare = bare.replace(pointer, "")
    if len(_WORD.findall(gate.prose(bare))) < 2 and not gate.code_spans(bare):
        return None
    if _only_templates(original, sentences, chosen):
        return None
    cues = tuple(c for s in sentences for c in s.cues)
    template = frozenset().union(*(c[1] for c in chosen)) | (POINTER_WORDS if pointers else frozenset())
    # A sentence dropped whole takes its negation with it ("Not worth discussing."): no other sentence lost one.
    dropped = " ".join(s.text for s, c in zip(sentences, chosen, strict=True) if c[0] == DROP)
    # A sentence the model judged to be only a jab, beside a comment whose point is elsewhere, goes with its words
    # (only while the rewrite keeps a technical point: a stock sentence alone stands in for nothing)
    point = bool(gate.technical_tokens(text))
    # So does a verdict sentence left out whole ("This is what happens when people who can't code write YAML."):
    # `droppable` already found that it holds no code, number or name, only what is being judged.
    exempt = " ".join(s.text if point and c[0] == DROP and (s.whole_jab or s.verdict and s.droppable) else s.lead_in
                      for s, c in zip(sentences, chosen, strict=True))
    return Whole(text=text, cues=cues, template=template, exempt=exempt, dropped=dropped)


def _calm(text: str) -> str:
    """The comment's prose without its exasperated adverbs; code, quotes and links as they were (found on
    markdown.extract's masked text, whose offsets are the original's)."""
    for m in reversed(list(_EXASPERATED.finditer(extract(text).masked))):
        text = text[: m.start()] + text[m.end() :]
    return text


def _keeps_content(chosen: tuple[str, frozenset[str]]) -> bool:
    """A proposal that says the comment's own point in a frame ("`ALTER TABLE` rewrites the whole table. Could
    we run the migration on a copy of prod next time?") is not a stock sentence: two or more of its content
    words come from the comment, not the template."""
    text, template = chosen
    return len(gate.content_words(text) - {gate.stem(w) for w in template}) >= 2


def _only_templates(original: str, sentences: list[Sentence], chosen: list) -> bool:
    """Two or more stock sentences and nothing else of the comment ('Closing. No one wanted this.' as two
    polite refusals) are boilerplate in place of the comment: better no rewrite, and the note's words."""
    made = [c for c in chosen if c[0] != DROP]
    if len(made) < 2 or any(not (c[1] - SHARED_WORDS) or _keeps_content(c) for c in made):
        return False
    rest = list(original)
    for s in sentences:
        rest[s.start : s.end] = [" "] * (s.end - s.start)
    return len(_WORD.findall(gate.prose("".join(rest)))) < 2
