"""The quality gate for rewrites: what a suggestion must keep, must not add and must not leave behind.

A rewrite is shown only when it passes every check here and the analyzer finds nothing in it; otherwise the
note explains the words instead. The checks are plain string work, so they are cheap and testable with
properties; the one that needs the parse (full sentences) reads a spaCy Doc the engine already made.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass

from spacy.lang.en.stop_words import STOP_WORDS
from spacy.tokens import Doc

_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})[^\n]*\n.*?(?:^[ \t]{0,3}\1[ \t]*$|\Z)", re.S | re.M)
_CODE = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)
_URL = re.compile(r"(?:https?://|www\.)[^\s<>()\[\]`]*[^\s<>()\[\]`.,;:!?'\"]", re.I)  # not the full stop after it
_LINK = re.compile(r"\]\([^)\s]+\)")
_NUMBER = re.compile(r"(?<![\w.])\d[\d.,:%]*(?:[a-zA-Z]{1,3}\b)?")
# Names a reader would copy: snake_case, dotted.names, paths/like/this, camelCase, #123 and @someone.
_IDENT = re.compile(
    r"(?<![\w/.#@-])(?:[#@][\w-]+|\w+(?:[._/]\w+)+/?|[a-z]+[A-Z]\w*|[A-Z]\w*[A-Z]\w*[a-z]\w*|[A-Za-z]+\d\w*)"
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")
# Marks left behind by a cut: ", ." "is ;" "(" with no ")", an empty emphasis, a comma opening a sentence.
_BAD_PUNCT = (
    re.compile(r"[,;:]\s*[,;:.!?]"),
    re.compile(r"[.!?]\s*[,;]"),
    re.compile(r"([,;:!?])\1"),
    re.compile(r"(?<!\.)\.\.(?!\.)"),
    re.compile(r"\s[,;:.!?](?!\w)"),
    re.compile(r"\(\s*\)|\[\s*\]"),
    re.compile(r"(?:^|\s)\*{1,2}\s*\*{0,2}(?:\s|$)|(?:^|\s)_{1,2}(?:\s|$)"),
    re.compile(r"^\s*[,;:.!?]"),
    re.compile(r"\b(?:is|are|was|were|be|a|an|the)\s+(?:and|or|but)\b|\b(?:is|are|was|were|a|an|the|and|or|but|of)\s*[,;.!?]"
               r"|\b(?:it|that|this|there|what|who)['’]s\s*[,;.!?]", re.I),
)
_PAIRS = (("(", ")"), ("[", "]"), ("“", "”"))
# A rewrite must still say at least this share of what the sentence said besides the jab.
MIN_KEPT = 0.5
# Words that carry no claim of their own; a rewrite may bring these in freely.
FREE_WORDS = frozenset(STOP_WORDS) | {"could", "would", "may", "might", "let", "let's", "don't", "n't", "not"}


@dataclass(frozen=True)
class Verdict:
    """Whether a rewrite may be shown; `problem` says which check it failed, for tests and tuning."""

    ok: bool
    problem: str = ""


def code_spans(text: str) -> list[str]:
    """Fenced blocks and inline code spans, whole, as they appear in the text."""
    fences = [m.group(0).rstrip("\n") for m in _FENCE.finditer(text)]
    rest = _FENCE.sub(" ", text)
    return fences + [m.group(0) for m in _CODE.finditer(rest)]


def prose(text: str) -> str:
    """The text without code, URLs and link targets: where words and punctuation are checked. Inline ones
    become one word in place, so "`/`." is still a word and its full stop."""
    text = _FENCE.sub(" code ", text)
    for pattern in (_CODE, _LINK, _URL):
        text = pattern.sub("code", text)
    return text


@functools.lru_cache(maxsize=8192)
def technical_tokens(text: str) -> tuple[str, ...]:
    """Everything a rewrite has to keep verbatim: code, URLs, numbers, identifiers, paths, #refs, @names."""
    tokens = code_spans(text) + [url.rstrip(".,;:!?)'\"") for url in _URL.findall(_FENCE.sub(" ", text))]
    bare = _URL.sub(" ", prose(text).replace(" code ", " "))
    tokens += [m.group(0).rstrip(".,:") for m in _NUMBER.finditer(bare)]
    tokens += [m.group(0).rstrip("/") for m in _IDENT.finditer(bare) if not _mocking(m.group(0))]
    return tuple(t for t in tokens if t)


def _mocking(word: str) -> bool:
    """'iT', 'wOrKs': case flipping at every letter is a voice, not a name."""
    flips = sum(a.isupper() != b.isupper() for a, b in zip(word, word[1:], strict=False) if a.isalpha() and b.isalpha())
    return word.isalpha() and len(word) >= 2 and flips >= len(word) - 1


def missing_tokens(original: str, rewrite: str, exempt: str = "") -> list[str]:
    """Technical tokens of the original (outside `exempt`, the jab's own words) that the rewrite lost."""
    have = Counter(technical_tokens(rewrite))
    need = Counter(technical_tokens(original)) - Counter(technical_tokens(exempt))
    return [t for t, n in need.items() if have[t] < n and t not in rewrite]


def _stem(word: str) -> str:
    word = word.lower().replace("’", "'")
    word = re.sub(r"'(s|re|ve|ll|d|m|t)$", "", word)
    for ending in ("ing", "ed", "es", "s", "e", "y", "ly"):
        if len(word) > len(ending) + 2 and word.endswith(ending):
            return word[: -len(ending)]
    return word


@functools.lru_cache(maxsize=8192)
def content_words(text: str) -> frozenset[str]:
    """Stems of the words outside code that say something (not 'the', 'could', 'we')."""
    words = _WORD.findall(prose(text))
    return frozenset(_stem(w) for w in words if w.lower() not in FREE_WORDS and _base(w) not in FREE_WORDS)


def _base(word: str) -> str:
    return re.sub(r"['’](s|re|ve|ll|d|m|t)$", "", word.lower())


def new_words(original: str, rewrite: str, template: frozenset[str] = frozenset()) -> set[str]:
    """Content words of the rewrite found neither in the original nor in the strategy's own template."""
    allowed = content_words(original) | {_stem(w) for w in template}
    return content_words(rewrite) - allowed


def bad_punctuation(original: str, rewrite: str) -> list[str]:
    """Doubled or orphaned marks in the rewrite's prose that the original did not already have."""
    before, after = prose(original), prose(rewrite)
    found = [m.group(0) for p in _BAD_PUNCT for m in p.finditer(after) if not p.search(before)]
    for left, right in _PAIRS:
        if after.count(left) != after.count(right) and before.count(left) == before.count(right):
            found.append(left + right)
    if after.count("`") % 2 or (after.count('"') % 2 and not before.count('"') % 2):
        found.append('"')
    return found


def leftover_cues(original: str, rewrite: str, cues: tuple[str, ...]) -> list[str]:
    """Cues still in the rewrite more often than the original had them besides the cue itself. A cue of
    several words counts as a phrase: 'This change broke the build' keeps 'broke' but not 'You broke'."""
    before, after = prose(original), prose(rewrite)
    left = []
    for cue in dict.fromkeys(cues):
        words = _WORD.findall(cue)
        if not words:
            continue
        # Where the letters' case is the cue ("YOU", "iT wOrKs"), the same words in plain case are the fix.
        flags = 0 if _case_is_cue(cue) else re.I
        phrase = re.compile(r"(?<![\w'])" + r"\W+".join(map(re.escape, words)) + r"(?![\w'])", flags)
        if len(phrase.findall(after)) > len(phrase.findall(before)) - 1:
            left.append(cue)
    return left


FINITE = ("VBZ", "VBP", "VBD", "MD")
DEPENDENT_OPENERS = ("when", "because", "since", "while", "although", "whereas", "and", "or", "but", "so", "that",
                     "which", "whose", "whom", "who", "where", "than", "unless", "until")


def full_sentences(doc: Doc) -> bool:
    """Each sentence opens with a capital (or code, a quote, a number), closes with a mark and has a verb
    that can carry it: finite, or a bare imperative."""
    for sent in doc.sents:
        words = [t for t in sent if not (t.is_space or t.is_punct)]
        if not words:
            continue
        first = sent.text.lstrip()[:1]
        if not (first.isupper() or first.isdigit() or first in "`\"'“*_[@#"):
            return False
        if sent.text.rstrip()[-1:] not in ".?!)" and not sent.text.rstrip().endswith(("`", "*", '"', "”")):
            return False
        if words[0].lower_ in DEPENDENT_OPENERS and not sent.text.rstrip().endswith("?"):
            return False  # "When `X` is unset." is half of a sentence whose main clause was cut
        verbs = [t for t in words if t.pos_ in ("VERB", "AUX")]
        imperative = words[0].tag_ == "VB" or words[0].lower_ in ("please", "don't", "do", "let", "let's")
        if not verbs or not (imperative or any(t.tag_ in FINITE for t in verbs)):
            return False
        if words[0].tag_ in ("VBN", "VBG") or (sent.root.pos_ not in ("VERB", "AUX") and not imperative):
            return False  # "Known the API was ..." or "Another architect who has ...": no main clause
        statement = not sent.text.rstrip().endswith("?")
        finite = next((t for t in words if t.tag_ in FINITE), None)
        before = [t for t in words if finite is not None and t.i < finite.i]
        if statement and not imperative and not any(t.pos_ in ("NOUN", "PROPN", "PRON", "NUM") for t in before):
            return False  # "Honestly have tested this." lost its subject with the jab
    return True


def lost_words(original: str, rewrite: str, exempt: str = "") -> set[str]:
    """Content words of the original, outside the jab, that the rewrite no longer has."""
    return content_words(original) - content_words(exempt) - content_words(rewrite)


def kept_share(original: str, rewrite: str, exempt: str = "") -> float:
    """How much of the original's point (its content words outside the jab) the rewrite still says."""
    point = content_words(original) - content_words(exempt)
    return 1.0 - len(lost_words(original, rewrite, exempt)) / len(point) if point else 1.0


_NEGATION = re.compile(r"\b(?:not|no|never|nothing|nobody|none|neither|nor|cannot)\b|n['’]t\b", re.I)


def _case_is_cue(cue: str) -> bool:
    """'YOU', 'wOrKs': the letters' case is what lands badly, not the words."""
    return any(w != w.lower() and w != w.capitalize() for w in _WORD.findall(cue))


def _negations(text: str) -> int:
    return len(_NEGATION.findall(prose(text)))


def check(original: str, rewrite: str, *, cues: tuple[str, ...] = (), template: frozenset[str] = frozenset(),
          exempt: str = "") -> Verdict:
    """Every string check at once; the engine adds the parse (full_sentences) and the analyzer's verdict."""
    if not rewrite.strip() or rewrite.strip() == original.strip():
        return Verdict(False, "no change")
    lost = missing_tokens(original, rewrite, exempt)
    if lost:
        return Verdict(False, f"loses {lost[0]!r}")
    if kept_share(original, rewrite, exempt) < MIN_KEPT:
        return Verdict(False, f"loses the point ({', '.join(sorted(lost_words(original, rewrite, exempt)))})")
    added = new_words(original, rewrite, template)
    if added:
        return Verdict(False, f"adds {sorted(added)[0]!r}")
    if _negations(rewrite) < _negations(original) - _negations(" ".join(c for c in cues if not _case_is_cue(c))):
        return Verdict(False, "drops a negation")  # "THIS IS NOT HOW WE DO IT" must not become "We do it."
    marks = bad_punctuation(original, rewrite)
    if marks:
        return Verdict(False, f"punctuation {marks[0]!r}")
    left = leftover_cues(original, rewrite, cues)
    if left:
        return Verdict(False, f"keeps the cue {left[0]!r}")
    return Verdict(True)
