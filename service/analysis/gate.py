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

from .segment import SAID_WORD_BY_WORD

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
    re.compile(r"(?:^|\s)[\"“]\s+\w"),  # 'I see " release process"': the quoted word went
    re.compile(r"(?:^|\s)\*{1,2}\s*\*{0,2}(?:\s|$)|(?:^|\s)_{1,2}(?:\s|$)"),
    re.compile(r"^\s*[,;:.!?]"),
    re.compile(r"\b(?:is|are|was|were|be|a|an|the)\s+(?:and|or|but)\b|\b(?:is|are|was|were|be|been|being|a|an|the|and|or|but|of)\s*[,;.!?]"
               r"|\b(?:it|that|this|there|what|who)['’]s\s*[,;.!?]", re.I),
)
_PAIRS = (("(", ")"), ("[", "]"), ("“", "”"))
# Blame aimed at the reader that no rule's words cover once the cue is cut: "Bold choice, since you clearly didn't
# read the style guide" must not become "You clearly didn't read the style guide." A hedge or a condition before
# it ("looks like you didn't", "if you never ...") makes it an observation, which may stay.
_ADVERBS = r"(?:(?:clearly|obviously|apparently|evidently|really|even|just|simply|still|once again|again)\s+)"
_ACCUSATION = re.compile(
    r"\byou(?:['’]ve| have)?\s+(?:" + _ADVERBS + r"+(?:didn['’]t|did not|don['’]t|do not|can['’]t|cannot|never|"
    r"haven['’]t|have not|failed to|forgot|ignored|skipped|broke|missed)|" + _ADVERBS + r"*(?:never|didn['’]t even|"
    r"did not even|couldn['’]t (?:even|be bothered)|can['’]t even|didn['’]t bother|did not bother|don['’]t even)|"
    r"(?:clearly|obviously|apparently|evidently)\s+\w+)"
    r"|\b(?:your fault|thanks to you|because of you)\b"
    r"|\byou(?:['’]ve| have)\s+(?:surely\s+|probably\s+)?heard of\b"
    r"|\bwhoever\s+(?:wrote|taught|approved|reviewed|merged|thought|designed)\b"
    r"|\bdo i (?:have|need) to (?:ask|tell you|say|repeat|remind)\b"
    r"|\bi (?:shouldn['’]t|should not) (?:have|need) to (?:explain|tell|say|repeat|ask|remind|point out)\b"
    r"|\byou\s+(?:don['’]t|do not|didn['’]t|did not)\s+(?:even\s+)?(?:understand|know what|know how|read)\b"
    r"|\b(?:anyone|anybody|any\s+\w+|a\s+\w+\s+\w+)\s+(?:would|could)(?:\s+have|['’]ve)\s+(?:seen|caught|"
    r"noticed|known|spotted)\b"
    r"|\b(?:because|since|cause|as) you(?:['’]ve| have)?\s+(?:" + _ADVERBS + r"*)(?:didn['’]t|did not|never|"
    r"skipped|ignored|forgot|broke|missed|failed to|couldn['’]t)\b",
    re.I,
)
_CLAUSE_END = re.compile(r"[^.!?;:,]*")
_HEDGED = re.compile(r"\b(?:if|unless|when|whether|in case|looks like|seems|seem|maybe|perhaps|i think|i guess|"
                     r"might|probably|not sure)\b[^.!?;]*$", re.I)
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


@functools.lru_cache(maxsize=16384)
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


def forget() -> None:
    """Empty the string caches below (Engine.forget)."""
    for cached in (prose, technical_tokens, content_words, _stem, _base):
        cached.cache_clear()


def stem(word: str) -> str:
    return _stem(word)


@functools.lru_cache(maxsize=16384)
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


@functools.lru_cache(maxsize=16384)
def _base(word: str) -> str:
    """'shouldn't' is 'should', 'it's' is 'it': a contraction carries no claim of its own."""
    word = re.sub(r"n['’]t$", "", word.lower())
    return re.sub(r"['’](s|re|ve|ll|d|m|t)$", "", word)


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
        words = re.findall(r"[A-Za-z0-9][\w'’]*", cue)  # "CS101" is one word of a cue, not "CS"
        if not words:
            continue
        # Where the letters' case is the cue ("YOU", "iT wOrKs"), the same words in plain case are the fix.
        flags = 0 if _case_is_cue(cue) else re.I
        # Where the full stops are the cue ("Stop. Pushing. New."), the same words as one sentence are the fix.
        apart = r"[.!]+\s+" if SAID_WORD_BY_WORD.fullmatch(cue.strip()) else r"\W+"
        phrase = re.compile(r"(?<![\w'])" + apart.join(map(re.escape, words)) + r"(?![\w'])", flags)
        had = len(phrase.findall(before))
        if had and len(phrase.findall(after)) > had - 1:
            left.append(cue)
    return left


_BE = r"(?:is|are|was|were|be|been|being|am|isn['’]t|aren['’]t|wasn['’]t|weren['’]t|(?<=\w)['’]s|(?<=\w)['’]re)"
# What may follow a copula whose complement was cut: a preposition, a time or place word, or the end of a clause.
_AFTER_CUT = (r"(?:about|in|on|at|with|for|of|to|from|by|again|here|there|now|today|lately|anyway|too|as well|"
              r"and|or|but|so)\b|[,;:.!?…]")
_COPULA_THEN = re.compile(r"(?<![\w'’])(" + _BE + r"(?:\s+(?:being|been))?)\s*(" + _AFTER_CUT + ")", re.I)
_COPULA_WORD = re.compile(r"(?<![\w'’])(" + _BE + r"(?:\s+(?:being|been))?)\s+([A-Za-z][\w'’-]*)", re.I)
# Words a cut may take from after a copula and leave it whole: "This is obviously a race" → "This is a race".
_ADVERB_WORDS = frozenset({"just", "so", "very", "really", "even", "again", "still", "always", "never", "not", "quite",
                           "pretty", "rather", "too", "also", "actually", "now", "literally", "basically", "simply"})


def dangling_copula(original: str, rewrite: str) -> list[str]:
    """A copula or auxiliary whose complement the cut took ('The linter is being dumb about it' → 'is being
    about it'): the rewrite joins a form of 'be' to what followed the cut word, where the original had a word
    between them that the rewrite lost and that was no adverb."""
    before, after = prose(original), prose(rewrite)
    kept = {w.lower() for w in _WORD.findall(after)}
    found = []
    for m in _COPULA_THEN.finditer(after):
        be, then = m.group(1).lower(), m.group(2).lower()
        if re.search(r"(?<![\w'’])" + re.escape(m.group(0)), before, re.I):
            continue  # the original said it so too
        lost = [w.group(2).lower() for w in _COPULA_WORD.finditer(before) if w.group(1).lower() == be]
        if any(w not in kept and w not in _ADVERB_WORDS and not w.endswith("ly") for w in lost) and then:
            found.append(m.group(0))
    return found


# Shapes a cut or a template can make that no sentence should have: a request of a negation ("Could you don't
# commit ..."), the neutral noun standing in for a person ("any code would know"), and irony taken at its word.
_BROKEN = (
    re.compile(r"\b(?:could|would|can|will|should|shall|may|might|must)\s+(?:you|we|they|I)\s+(?:don['’]t|doesn['’]t|"
               r"didn['’]t|do not|does not|never)\b", re.I),
    re.compile(r"\bcode\s+(?:(?:would|should|could|will|must|does|do|can)\s+)?(?:know|knows|understand|understands|"
               r"learn|learns|realize|realise|see|sees|read|reads|remember)\b", re.I),
    # A lead-in cut down to its pronoun ("Typical you: ..." → "You: ...") and a hyphenated cue cut in half
    # ("a non-starter" → "a -").
    re.compile(r"(?:^|[.!?]\s+|\n)(?:I think\s+)?(?:you|we|they|them|he|him|she|her|it|this|us)\s*:", re.I),
    re.compile(r"(?<![\w`])-(?=\s*[,.;:!?]|\s*$)|\b(?:a|an|the|is|are)\s+-\s", re.I | re.M),
    # A hedge put before a sentence with no subject ("Left two notes ..." → "I think left two notes ..."), and a
    # tag question left as a statement ("..., right?" → "I think ..., right.").
    re.compile(r"\bI think\s+(?!(?:speed|need|feed|seed|red|bed|shed|embed|breed)\b)[a-z]{2,}ed\b"),
    re.compile(r",\s*(?:right|correct|yes|no|huh|eh|ok|okay)\s*\.(?:\s|$)", re.I | re.M),
    # A question word's clause left without its question word ("walk you through what a transaction is." →
    # "A transaction is."): a sentence of a noun phrase and a bare copula.
    re.compile(r"(?:^|[.!?]\s+|\n)(?:(?:a|an|the|this|that|your|our)\s+)?[\w-]+(?:\s+[\w-]+)?\s+(?:is|are|was|were)"
               r"\s*[.!?](?=\s|$)", re.I | re.M),
    # A verb of seeming cut from what it likened ("starts looking like a skill gap" → "starts looking.").
    re.compile(r"\b(?:looks?|looking|seems?|seeming|sounds?|sounding|feels?|feeling)\s*(?:[.!?;]|$)", re.I | re.M),
)
_PRAISE = re.compile(
    r"\b(?:so much|so|super|very|truly|totally|such an?|what an?|really)\s+(?:\w+\s+)?(?:clearer|better|cleaner|clean|"
    r"nice|great|beautiful|lovely|smart|safe|easier|readable|maintainable|elegant|helpful|brilliant|genius|clever|"
    r"robust|intuitive|efficient|professional|masterpiece|productive|thorough|thoughtful|secure|classy|inspiring|"
    r"useful|informative|reassuring)\b|\b(?:love|loving) (?:that|how|the)\b|"
    r"\b(?:great|brilliant|genius|perfect|excellent|wonderful|fantastic)\s+(?:plan|idea|move|call|choice|strategy|"
    r"approach)\b|\bwill (?:love|enjoy|appreciate)\b", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def broken_shapes(original: str, rewrite: str) -> list[str]:
    """Shapes of a broken rewrite that the original did not have ("Could you don't ...", "any code would know")."""
    before, after = prose(original), prose(rewrite)
    return [m.group(0) for p in _BROKEN for m in p.finditer(after) if len(p.findall(after)) > len(p.findall(before))]


# Rhetorical frames that stay a jab whatever is cut from the question they open.
_RHETORICAL = re.compile(r"\b(?:do|did) you (?:even )?(?:have )?(?:any|the slightest|the faintest) idea\b|"
                         r"\b(?:do|did|have) you even\b|\bare you (?:even|serious|kidding)\b", re.I)
_WH_END = re.compile(r"\b(?:know|knows|knew|understand|understands|realize|realise|see|idea|tell|remember|wonder|"
                     r"explain|ask)\s+(?:what|how|why|where|when|which|whether)\s*$", re.I)


def orphaned_clauses(original: str, rewrite: str, cues: tuple[str, ...]) -> list[str]:
    """A cue that ended on a question word ("Do you understand what") cut from the clause that hung on it:
    "`set -e` does with a pipeline." is the object clause of "what", not a sentence."""
    found = []
    for cue in cues:
        if not _WH_END.search(cue):
            continue
        at = original.find(cue)
        after = " ".join(re.findall(r"\w+", original[at + len(cue):].lower())[:2]) if at >= 0 else ""
        if after and after in " ".join(re.findall(r"\w+", rewrite.lower())) and cue not in rewrite:
            found.append(cue)
    return found


def ironic_praise(original: str, rewrite: str, cues: tuple[str, ...]) -> list[str]:
    """Praise that shared a sentence with a cue ("Wow, so much clearer now.") said on in the rewrite: with the
    wink cut, the irony reads as a literal claim, the opposite of what the comment meant."""
    found, parts = [], _SENTENCE_END.split(prose(original))
    marked = [any(c and c.lower() in part.lower() for c in cues) for part in parts]
    for n, sentence in enumerate(parts):
        if not any(marked[max(0, n - 1) : n + 2]):  # the wink may be the next sentence ("Really easy to maintain.")
            continue
        found += [m.group(0) for m in _PRAISE.finditer(sentence) if m.group(0).lower() in rewrite.lower()]
    return found


def accusations(text: str, whole: bool = True) -> list[str]:
    """The reader-blaming phrases of a text's prose ("you clearly didn't read the style guide", "thanks to you"),
    each to the end of its clause (or, without `whole`, only its blaming words: "you clearly didn't"); a
    hedged or conditional one ("if you never call `close()`") is not one."""
    body, found = prose(text), []
    for m in _ACCUSATION.finditer(body):
        if not _HEDGED.search(body[: m.start()]):
            tail = _CLAUSE_END.match(body, m.end()).group(0) if whole else ""
            found.append((m.group(0) + tail).strip())
    return found


_DETERMINER = re.compile(r"\b(?:a|an|the|this|that|these|those|your|our|my|its|their|some|any|each|every|no|one|"
                         r"new|old|same|whole|extra|raw)\s+$", re.I)


_CALL = re.compile(r"(?<![\w`])[A-Za-z_][\w.]*\([^\s()]*\)")  # "O(n^3)", "len(args)" outside backticks


def for_parse(text: str) -> str:
    """The text as the parse of full_sentences reads it: each inline code span or URL said as one word that the
    small tagger reads in its role, 'it' where a noun phrase starts ('`x` is missing, so `y` skips `z`') and
    'code' after a determiner ('the `--strict` flag'); blocks go, since a proposal is prose."""
    text = _FENCE.sub(" ", text)
    out, last = [], 0
    bare = _CODE.sub(lambda m: " " * len(m.group(0)), text)
    spans = sorted([*_CODE.finditer(text), *_URL.finditer(bare), *_CALL.finditer(bare)], key=lambda m: m.start())
    for m in spans:
        if m.start() < last:
            continue
        before = text[last : m.start()]
        head = "".join(out) + before
        word = "code" if _DETERMINER.search(head) or text[m.end() : m.end() + 2] in ("'s", "’s") else "it"
        if not head.strip() or re.search(r"[.!?]\s*$", head):
            word = word.capitalize()
        out += [before, word]
        last = m.end()
    return "".join(out) + text[last:]


FINITE = ("VBZ", "VBP", "VBD", "MD")
# A name written as it is, whatever the sentence case: "p99", "iOS", "npm_config", "x86"
IDENTIFIER = re.compile(r"[a-z]+(?:\d|_|[A-Z])\w*")
DEPENDENT_OPENERS = ("when", "because", "since", "while", "although", "whereas", "and", "or", "but", "so", "that",
                     "which", "whose", "whom", "who", "where", "than", "unless", "until", "if", "why", "how", "what")


def full_sentences(doc: Doc) -> bool:
    """Each sentence opens with a capital (or code, a quote, a number), closes with a mark and has a verb
    that can carry it: finite, or a bare imperative."""
    for sent in doc.sents:
        words = [t for t in sent if not (t.is_space or t.is_punct)]
        if not words:
            continue
        first = sent.text.lstrip()[:1]
        if not (first.isupper() or first.isdigit() or first in "`\"'“*_[@#" or IDENTIFIER.match(sent.text.lstrip())):
            return False
        if sent.text.rstrip()[-1:] not in ".?!)" and not sent.text.rstrip().endswith(("`", "*", '"', "”")):
            return False
        if words[0].lower_ == "please" and len(words) > 1 and words[1].tag_ in ("VBG", "VBN", "VBD", "VBZ"):
            return False  # "Please merging without green CI" lost the verb it was the object of
        if words[0].lower_ == "to" and len(words) > 1 and (words[1].tag_ != "VB" or sent.root.i == words[1].i):
            return False  # "To prod when ..." lost the verb it was going with; "To bring up X." its main clause
        question = sent.text.rstrip().endswith("?") and len(words) > 1 and words[1].pos_ in ("AUX", "VERB")
        if words[0].lower_ in DEPENDENT_OPENERS and not question:
            return False  # "When `X` is unset." is half of a sentence whose main clause was cut
        verbs = [t for t in words if t.pos_ in ("VERB", "AUX")]
        imperative = words[0].tag_ == "VB" or words[0].lower_ in ("please", "don't", "do", "let", "let's")
        # "Never hold a lock while doing I/O.", "Always close the cursor.": an adverb before the bare verb
        imperative |= words[0].lower_ in ("never", "always") and len(words) > 1 and words[1].tag_ == "VB"
        if not verbs or not (imperative or any(t.tag_ in FINITE for t in verbs)):
            return False
        lost_head = words[0].tag_ in ("VBN", "VBG") and words[0].dep_ not in ("amod", "compound", "csubj", "nsubj")
        if lost_head or (sent.root.pos_ not in ("VERB", "AUX") and not imperative):
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


# A negative question that opens on its auxiliary ("Can't you just use a `LEFT JOIN`?", "Why not just use a set?",
# "Don't you think a map is simpler?") proposes the positive: its "not" is the frame's, and "Could we use a
# `LEFT JOIN`?" says the same thing, so that "not" is not one a rewrite may lose.
_NEGATIVE_QUESTION = re.compile(r"(?:^|(?<=[.!?]\s))\s*(?:why\s+)?(?:(?:ca|could|would|wo|do|did|does|should|is|are)"
                                r"n['’]t|cannot|why\s+not\s+(?:just|simply|merely))\b[^.!?]*\?", re.I)


def _negations(text: str) -> int:
    said = prose(text)
    asked = sum(1 for m in _NEGATIVE_QUESTION.finditer(said))
    return len(_NEGATION.findall(said)) - asked


def check(original: str, rewrite: str, *, cues: tuple[str, ...] = (), template: frozenset[str] = frozenset(),
          exempt: str = "", dropped: str = "") -> Verdict:
    """Every string check at once; the engine adds the parse (full_sentences) and the analyzer's verdict.
    `dropped` holds the sentences the rewrite left out whole: their negations went with them."""
    if not rewrite.strip() or rewrite.strip() == original.strip():
        return Verdict(False, "no change")
    blamed = accusations(original)  # the gate wants these gone, so they are the jab's words, not the point
    exempt = " ".join((exempt, *blamed))
    lost = missing_tokens(original, rewrite, exempt)
    if lost:
        return Verdict(False, f"loses {lost[0]!r}")
    if kept_share(original, rewrite, exempt) < MIN_KEPT:
        return Verdict(False, f"loses the point ({', '.join(sorted(lost_words(original, rewrite, exempt)))})")
    added = new_words(original, rewrite, template)
    if added:
        return Verdict(False, f"adds {sorted(added)[0]!r}")
    jab = " ".join((*blamed, *(c for c in cues if not _case_is_cue(c))))
    if _negations(rewrite) < _negations(original) - _negations(jab) - _negations(dropped):
        return Verdict(False, "drops a negation")  # "THIS IS NOT HOW WE DO IT" must not become "We do it."
    marks = bad_punctuation(original, rewrite)
    if marks:
        return Verdict(False, f"punctuation {marks[0]!r}")
    left = leftover_cues(original, rewrite, cues)
    if left:
        return Verdict(False, f"keeps the cue {left[0]!r}")
    broken = broken_shapes(original, rewrite) or ironic_praise(original, rewrite, cues) or \
        orphaned_clauses(original, rewrite, cues)
    if broken:
        return Verdict(False, f"broken shape {broken[0]!r}")
    frame = _RHETORICAL.search(prose(rewrite))
    if frame:
        return Verdict(False, f"keeps the frame {frame.group(0)!r}")  # "Do you have any idea how this looks?"
    cut = dangling_copula(original, rewrite)
    if cut:
        return Verdict(False, f"cuts the complement of {cut[0]!r}")
    blame = accusations(re.sub(r"\bI think\s+", "", rewrite))  # a hedge the rewrite put in does not excuse it
    if blame:
        return Verdict(False, f"keeps blame {blame[0]!r}")
    return Verdict(True)


def recheck(original: str, rewrite: str, findings, template: frozenset[str]) -> Verdict:
    """A shown rewrite checked afresh from what the analysis says of it (the eval and the property tests):
    the findings' words are the cues, their colon lead-ins may go whole, and so may the flagged sentences the
    rewrite left out, their negations with them."""
    cues = tuple(w for f in findings for w in f.words.split(" … ") if w)
    leads = " ".join(lead_in(f.text, cues) for f in findings)
    sentences = {(f.start, f.end): f.text for f in findings}  # a sentence said twice was dropped twice
    dropped = " ".join(text for text in sentences.values() if text.strip() not in rewrite)
    # a flagged sentence with nothing technical, left out of a rewrite that keeps the comment's technical point,
    # went whole as only a jab (compose exempts its words the same way)
    jabs = [text for text in sentences.values() if text.strip() not in rewrite and not technical_tokens(text)]
    jabs = jabs if technical_tokens(rewrite) else []
    return check(original, rewrite, cues=cues, template=template, exempt=" ".join((*cues, leads, *jabs)),
                 dropped=dropped)


def lead_in(sentence: str, cues) -> str:
    """A jab that frames what follows the sentence's first colon ("Some advice from someone who's been at this
    a long time: never catch `Throwable`."): cut whole, its own words go with it. "" when there is none."""
    head, colon, _ = sentence.partition(":")
    if not colon or "`" in head or "http" in head:  # a lead-in with code or a link in it is no mere frame
        return ""
    return head if any(c and c.lower() in head.lower() for c in cues) else ""
