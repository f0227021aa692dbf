"""Named rephrasing strategies: each proposes a sentence that drops the jab and keeps the point, or nothing.

Proposals are not shown as they are: the engine runs each through the quality gate (gate.py) and the analyzer,
and the first that passes becomes the sentence's part of the whole-comment rewrite. There is no fallback
sentence: when no proposal passes, the note names the words that may land badly instead.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

from spacy.tokens import Doc, Token

from . import gate
from .nlp import sentiment
from .trim import NEUTRAL_NOUN, Cut, plan, request, technical
from .wholeness import demonstrative_head, promoted_infinitive, torn

CODE_SPAN = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)")
# Verbs that take "may" gracefully in a hedged claim; others keep their tense ("I think this runs ...").
MAY = ("be", "need", "have")
WH = ("WP", "WDT", "WRB", "WP$")
QUOTE_MARKS = "\"'“”‘’"
FINITE_TAGS = ("VBZ", "VBP", "VBD", "MD")
QUESTION_OPENERS = ("MD", "VBZ", "VBP", "VBD", "WP", "WDT", "WRB", "WP$")
OBJECTS = ("dobj", "obj", "attr", "pobj", "dative", "oprd", "ccomp", "xcomp")


@dataclass(frozen=True)
class Rewrite:
    """A parsed sentence (masked text), the original sentence it lines up with, the rule's match and, within
    it, the cue tokens (the rule's own words, which a rephrasing may drop). `harsh` holds the cues of every
    rule that hit the sentence, so a suggestion does not keep another rule's words ("Simply ..., it's not
    rocket science")."""

    doc: Doc
    original: str
    match: tuple[int, ...]
    cues: tuple[int, ...]
    harsh: tuple[int, ...] = ()

    @functools.cached_property
    def text(self) -> str:
        """The masked sentence's text: Doc.text joins every token again on each read."""
        return self.doc.text

    @functools.cached_property
    def code_ends(self) -> dict[int, int]:
        return {m.start(): m.end() for m in CODE_SPAN.finditer(self.original)}

    @functools.cached_property
    def all_cues(self) -> tuple[int, ...]:
        return tuple(sorted(set(self.cues) | set(self.harsh) | self.blame))

    @functools.cached_property
    def blame(self) -> frozenset[int]:
        """Tokens of reader-blaming clauses the gate would turn down ("since you clearly didn't read ..."),
        found on the original text and mapped onto the parse by offset."""
        found = [_find(self.original, b) for b in gate.accusations(self.original, whole=False)]
        spans = [(m.start(), m.end()) for m in found if m]  # one that holds code reads 'code' there: not found
        if not spans:
            return frozenset()
        return frozenset(t.i for t in self.doc for a, b in spans if a <= t.idx < b and not t.is_space)


def _find(text: str, phrase: str) -> re.Match | None:
    return re.search(re.escape(phrase), text)


def _end(r: Rewrite, token: Token) -> int:
    """Where a token ends in the original: inline code was masked to a shorter placeholder, so extend it to
    the span's closing backtick (a span with spaces inside, `ORDER BY`, is still one piece)."""
    span = r.code_ends.get(token.idx)
    if span is not None:
        return span
    end = token.idx + len(token)
    while end < len(r.original) and r.text[end] == " " and r.original[end] != " ":
        end += 1
    return end


def _text(r: Rewrite, tokens: list[Token], drop: frozenset[int] = frozenset(), replace=None) -> str:
    """Original text of a run of tokens, leaving out dropped ones and saying replaced ones differently
    (second-person possessives become "the")."""
    parts, covered = [], 0
    replace = replace or {}
    for t in tokens:
        hidden = r.original[t.idx : t.idx + len(t)] if t.is_space else ""
        if t.is_space and hidden.strip() and t.idx >= covered and t.i not in drop:
            parts.append(hidden.strip() + " ")  # a masked link: what the parse saw as blank is the URL itself
            covered = t.idx + len(t)
            continue
        if t.i in drop or t.is_space:  # runs of blanked code become space tokens; _end already covers them
            if t.whitespace_ and parts and not parts[-1].endswith(" "):
                parts[-1] += " "
            continue
        covered = _end(r, t)
        word = r.original[t.idx : covered]
        if t.i in replace:
            word = _match_case(word, replace[t.i])
        elif t.tag_ == "PRP$" and "2" in t.morph.get("Person"):
            word = "the"
        parts.append(word + (" " if t.whitespace_ else ""))
    return _tidy("".join(parts))


def _tidy(text: str) -> str:
    """Spaces and marks left by a cut, mended outside code only (`git add .` keeps its space and dot)."""
    spans = [m.group(0) for m in CODE_SPAN.finditer(text)]
    text = CODE_SPAN.sub("\x00", text)
    text = _mend(text)
    for span in spans:
        text = text.replace("\x00", span, 1)
    return text


def _mend(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r"([!?.])\1+", r"\1", text)
    text = re.sub(r"[,;:]+([.!?])", r"\1", text)  # "CI is flaky again,." lost the word after its comma
    text = re.sub(r"([,;:])[,;:]+", r"\1", text)
    return text.strip(" ,;:-")


def _lower_first(text: str) -> str:
    if len(text) > 1 and text[1].isupper() or text[:2] in ("I ", "I'"):
        return text
    return text[:1].lower() + text[1:]


def _upper_first(text: str) -> str:
    if gate.IDENTIFIER.match(text):
        return text  # "p99 latency doubled": a name keeps its case, or the gate finds it lost
    return text[:1].upper() + text[1:]


def _no_final_punct(text: str) -> str:
    return text.rstrip(" .!?;:")


def _sentence_case(text: str) -> str:
    """Shouted sentences come back in sentence case; acronyms inside normal text are left alone."""
    letters = [c for c in text if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) / len(letters) > 0.6:
        return _upper_first(text.lower())
    return text


def _words(r: Rewrite, drop: frozenset[int]) -> list[Token]:
    return [t for t in r.doc if t.i not in drop and not (t.is_punct or t.is_space)]


def _match_case(old: str, new: str) -> str:
    return _upper_first(new) if old[:1].isupper() and old[1:2].islower() else new


def _clause_head(r: Rewrite, cut: Cut) -> Token | None:
    """The verb that heads what is left: the root, or the complement clause a lead-in was cut from."""
    kept = [t for t in r.doc if t.i not in cut.drop and t.pos_ in ("VERB", "AUX")]
    return next((t for t in kept if t.head.i in cut.drop or t.dep_ == "ROOT"), None)


def _hedge_verb(r: Rewrite, cut: Cut) -> None:
    """'you need' becomes 'we may need' and 'this is' becomes 'this may be': a claim offered, not ruled."""
    head = _clause_head(r, cut)
    if head is None or head.tag_ not in ("VBZ", "VBP") or negated_token(head) or head.i in cut.replace:
        return
    if any(c.dep_ in ("aux", "auxpass") for c in head.children):
        return
    subject = next((c for c in head.children if c.dep_ in ("nsubj", "expl") and c.i not in cut.drop), None)
    if subject is None or subject.i > head.i:
        return
    if subject.lower_ == "you":
        cut.replace[subject.i] = "we"
    if head.lemma_ in MAY:
        cut.replace[head.i] = f"may {head.lemma_}"
    elif subject.lower_ == "you":
        cut.replace[head.i] = f"could {head.lemma_}"


def _asks(r: Rewrite, words: list[Token]) -> bool:
    """A question that survives the cut still opens like one ("What is...", "Does it..."); a statement left
    behind by a rhetorical lead-in ("You do realize this runs...?") is better offered as a claim."""
    return r.text.rstrip().rstrip("!.").endswith("?") and words[0].tag_ in QUESTION_OPENERS


def _soften(r: Rewrite, drop: frozenset[int] | Cut) -> str | None:
    """A request becomes a question; a claim gets "I think" and "may"; a question stays a question."""
    cut = drop if isinstance(drop, Cut) else Cut(drop=set(drop))
    words = _words(r, frozenset(cut.drop))
    if len(words) < 2 or not any(t.pos_ in ("VERB", "AUX") for t in words):
        return None
    if words[0].dep_ == "intj" and len(words) > 2 and words[1].tag_ == "VB":
        cut.drop.add(words[0].i)  # "Please clean up..." becomes "Could you clean up...?"
        words = words[1:]
    imperative = request(words, cut)
    if imperative and any(c.dep_ == "neg" for c in words[0].children):
        return None  # "Could you don't commit ...?": a negative request is left as the plain cut says it
    asks = _asks(r, words)
    if not asks and words[0].tag_ in WH or words[0].lower_ in ("so", "and", "but", "or", "that"):
        return None  # "how this cache works" is a topic, not a sentence; "so is the ..." lost its first half
    if not (asks or imperative):
        _hedge_verb(r, cut)
    body = _no_final_punct(_sentence_case(_text(r, list(r.doc), frozenset(cut.drop), cut.replace)))
    if asks:
        return _upper_first(body) + "?"
    if imperative:
        return f"Could you {_lower_first(body)}?"
    return f"I think {_lower_first(body)}."


def negated_token(token: Token) -> bool:
    return any(c.dep_ == "neg" for c in token.children)


def _head_verb(r: Rewrite) -> Token | None:
    verbs = [r.doc[i] for i in r.match if r.doc[i].pos_ in ("VERB", "AUX")]
    after = [t for t in r.doc if t.i > max(r.match) and t.pos_ == "VERB"]
    return (verbs or after or [None])[0]


def _object(r: Rewrite, verb: Token | None) -> str:
    if verb is None:
        return ""
    for child in verb.children:
        if child.dep_ in OBJECTS and child.i not in r.match:
            return _lower_first(_text(r, list(child.subtree)))
    return ""


def _trimmed(r: Rewrite, replace_nouns: bool = True) -> Cut | None:
    """The cut for these cues, planned once per parse: every rule that hit a sentence asks for the same one,
    and its strategies edit their own copy."""
    plans = r.doc.user_data.setdefault(PLANS, {})
    key = (r.all_cues, replace_nouns)
    if key not in plans:
        plans[key] = plan(r.doc, r.all_cues, replace_nouns)
    cut = plans[key]
    return None if cut is None else Cut(set(cut.drop), dict(cut.replace))


PLANS = "tact.plans"  # the key of a parse's planned cuts in Doc.user_data


# "As I already said in PS3 and PS5, X": the reminder names where it was said, which the reader may want; the
# repetition ("I already said") goes and the place stays.
SAID_WHERE = re.compile(r"^(\s*)as\s+i(?:['’]ve|\s+have)?\s+(?:already\s+|previously\s+|literally\s+|clearly\s+)*"
                        r"(?:said|mentioned|wrote|explained|noted|pointed\s+out|asked)\s+(?=(?:in|on|at)\s+[^,]*"
                        r"[A-Z0-9#`][^,]*,)", re.I)


def drop_cue(r: Rewrite) -> str | None:
    """Cut the harsh words and the lead-in or aside they sit in; keep and hedge the point."""
    where = SAID_WHERE.match(r.original)
    if where:
        return f"{where.group(1)}As noted {r.original[where.end():]}"
    cut = _trimmed(r) if r.all_cues else Cut()
    return _soften(r, cut) if cut is not None else None


def hedge(r: Rewrite) -> str | None:
    return _soften(r, frozenset())


def soften_request(r: Rewrite) -> str | None:
    return drop_cue(r)


def _verb_phrase(r: Rewrite) -> str | None:
    """The bare verb after the rhetorical frame and what follows it: 'use a dict' in 'Why didn't you just
    use a dict?'."""
    cues = set(r.all_cues)
    verb = next((t for t in r.doc if t.i > min(r.match) and t.tag_ == "VB" and t.i not in cues), None)
    if verb is None or verb.lemma_.lower() in KNOWING:
        return None  # "did you even know what a mutex is?" proposes nothing: "Could we know ..." is no request
    rest = [t for t in r.doc if t.i > verb.i]
    phrase = _no_final_punct(_text(r, rest, frozenset(cues)))
    return f"{verb.lemma_} {phrase}".strip()


def ask_instead(r: Rewrite) -> str | None:
    """A rhetorical 'why didn't you just X?' or 'did you even X?' becomes a proposal: 'Could we X here?'"""
    phrase = _verb_phrase(r)
    if phrase is None:
        return None
    here = "" if re.search(r"\b(here|there|first|too|instead)$", phrase) else " here"
    return f"Could we {phrase}{here}?"


def ask_reason(r: Rewrite) -> str | None:
    """'Why would you ever X?' asks for the reason, genuinely: 'Is there a reason to X?'"""
    phrase = _verb_phrase(r)
    return f"Is there a reason to {phrase}?" if phrase else None


def _subject_you(r: Rewrite, verb: Token | None) -> Token | None:
    if verb is None:
        return None
    return next((c for c in verb.children if c.dep_ == "nsubj" and c.lower_ == "you"), None)


_THING = r"your\s+((?:`[^`]+`|[\w-]+)(?:\s+(?:`[^`]+`|[\w-]+))?)\s+(is|was)\s+"
# "Your X is what's / the one that / the reason / why ...": what the change did, said of the change.
EFFECTS = (
    (re.compile(r"^\s*" + _THING + r"(?:what['’]s|what is|what was)\s+(.+?)[\s.!?]*$", re.I), "This {x} {be} {rest}."),
    (re.compile(r"^\s*" + _THING + r"the\s+one\s+(?:that|which|who)\s+(.+?)[\s.!?]*$", re.I), "This {x} {rest}."),
    (re.compile(r"^\s*" + _THING + r"(?:the\s+reason(?:\s+why|\s+that)?|why)\s+(.+?)[\s.!?]*$", re.I),
     "{Rest} after this {x}."),
)


# "Thanks to your `git push --force`, my commits are gone" and "Because you skipped review on the hotfix, X":
# what happened after what changed, with no one to thank or blame.
AFTER = (
    re.compile(r"^\s*(?:thanks to|because of|due to)\s+your\s+([^,]+?),\s*(.+?)[\s.!?]*$", re.I),
    re.compile(r"^\s*(?:because|since)\s+you\s+[a-z]+ed\b[^,]*?\b(?:on|in|with|to|for)\s+(the\s+[^,]+?),\s*(.+?)"
               r"[\s.!?]*$", re.I),
)


def _effect(r: Rewrite) -> str | None:
    for pattern, form in EFFECTS:
        m = pattern.match(r.original)
        if m:
            rest = m.group(3)
            return form.format(x=m.group(1), be=m.group(2), rest=rest, Rest=_upper_first(rest))
    for pattern in AFTER:
        m = pattern.match(r.original)
        if m:
            thing = m.group(1) if m.group(1).lower().startswith("the ") else f"the {m.group(1)}"
            return f"After {thing}, {m.group(2)}."
    return None


def describe_effect(r: Rewrite) -> str | None:
    """'You broke the build again.' says what changed: 'This change broke the build.'; 'Your refactor broke
    the login page.' becomes 'This refactor broke the login page.', and 'Your change is the reason the job
    failed' 'The job failed after this change.'"""
    effect = _effect(r)
    if effect is not None:
        return effect
    verb = _head_verb(r)
    subject = _subject_you(r, verb)
    owner = None
    if subject is None and verb is not None:
        noun = next((c for c in verb.children if c.dep_ == "nsubj" and c.pos_ in ("NOUN", "PROPN")), None)
        owner = next((c for c in noun.children if c.lower_ == "your"), None) if noun is not None else None
    if subject is None and owner is None:
        return None
    said = {subject.i: "this change"} if subject is not None else {owner.i: "this"}
    if owner is not None and _faulting(owner.head):
        said[owner.head.i] = "change"  # "Your sloppiness broke prod." is "This change broke prod."
    keep = {verb.i, *said}
    asides = {i for i in r.all_cues if i not in keep and r.doc[i].dep_ in ("advmod", "intj")}
    if subject is not None:
        named = _named_change(r)
        if named is not None:  # "You broke CI with this merge." → "This merge broke CI."
            said[subject.i] = f"this {named[-1].lower_}"
            asides |= {t.i for t in named[1].head.subtree}
        for t in r.doc[subject.i + 1 : verb.i + 1]:  # "you've broken" is "this change has broken"
            if t.lower_ in CONTRACTED:
                said[t.i] = CONTRACTED[t.lower_]
    text = _text(r, list(r.doc), frozenset(asides), said)
    return _finish(r, _upper_first(text))


CHANGES = ("change", "merge", "pr", "commit", "push", "patch", "refactor", "deploy", "rebase", "revert")
CONTRACTED = {"'ve": " has", "’ve": " has", "'re": " is", "’re": " is", "have": "has", "are": "is", "were": "was"}
# Nouns of a failing of the person ("your sloppiness", "your laziness"), beside those VADER scores as negative.
FAULTS = frozenset({"sloppiness", "laziness", "negligence", "carelessness", "incompetence", "ignorance", "stupidity",
                    "arrogance", "impatience", "recklessness", "cluelessness", "hubris", "ego", "attitude"})


def _faulting(noun: Token) -> bool:
    value = sentiment().lexicon.get(noun.lower_)
    return noun.lower_ in FAULTS or (value is not None and value <= -1.0)


def _named_change(r: Rewrite) -> list[Token] | None:
    """'with this merge', 'in this PR': the sentence already names the change, so it is the subject."""
    for t in r.doc:
        if t.lower_ in CHANGES and t.pos_ in ("NOUN", "PROPN"):
            det = [c for c in t.children if c.dep_ == "det" and c.lower_ in ("this", "that")]
            if det and t.head.dep_ == "prep":
                return [det[0], t]
    return None


def point_to_gap(r: Rewrite) -> str | None:
    """'You forgot the migration.' names the gap: 'The migration may still be missing; could you add it?'"""
    verb = _head_verb(r)
    if verb is None:
        return None
    for child in verb.children:
        if child.i in r.match and child.dep_ != "xcomp":
            continue
        if child.dep_ == "xcomp" and child.tag_ == "VB":  # "forgot to update the tests"
            words = [t for t in child.subtree if not (t.dep_ == "aux" and t.lower_ == "to")]
            return f"Could you {_no_final_punct(_text(r, words))}?"
        if child.dep_ in ("dobj", "obj"):
            obj = _upper_first(_text(r, list(child.subtree)))
            return f"{obj} may still be missing; could you add it?"
    return None


TAG_QUESTION = re.compile(r",?\s*\b(?:right|ok|okay|yes|no|eh|huh|yeah|correct)\s*\?*$", re.I)


def _finish(r: Rewrite, text: str) -> str | None:
    """End a proposal the way the sentence ended: a question stays one, anything else gets a full stop; a
    tag question ('..., right?') becomes the statement it was."""
    tagged = bool(TAG_QUESTION.search(text)) and text.rstrip().endswith("?")
    text = _no_final_punct(TAG_QUESTION.sub("", text) if tagged else text)
    if not text:
        return None
    first, *rest = text.lower().split()[:2]
    # "What is this loop doing" lost its question mark with the jab; "When `X` is unset" was never a question.
    wh_question = first in WH_WORDS and bool(rest) and rest[0] in QUESTION_WORDS
    asks = (r.text.rstrip().endswith("?") or wh_question) and first in QUESTION_WORDS and not tagged
    ends = "?" if asks else "."
    return text + ends


def plain(r: Rewrite) -> str | None:
    """The minimal edit: the harsh words cut, the rest as the author wrote it ('Obviously this is wrong.' →
    'This is wrong.'). Blunt and civil is fine; a hedge is only tried when this is still flagged."""
    cut = _trimmed(r) if r.all_cues else None
    if cut is None or len(_words(r, frozenset(cut.drop))) < 2:
        return None
    text = _text(r, list(r.doc), frozenset(cut.drop), cut.replace)
    return _finish(r, _upper_first(_sentence_case(text)))


SEPARATOR = re.compile(r"(?:[,;:]|\s[—–-])\s+")  # on masked text, where code spans hold no commas
LINKING = re.compile(r"^(?:but|and|so|then|yet|also|anyway)\b[,\s]*", re.I)


COMPLEMENTS = ("attr", "acomp", "dobj", "obj", "pobj", "oprd")
SUBJECTS = ("nsubj", "nsubjpass", "expl")


MODIFIERS = ("ADJ", "ADV", "INTJ", "DET", "PUNCT", "PART", "CCONJ", "SYM")


def _modifiers_only(r: Rewrite, cues) -> bool:
    """Whether the cue words only qualify others (adjectives, adverbs, interjections, quotes) rather than name
    or do something, so cutting them alone leaves the phrase they sat in meaning what it meant. A noun used as
    a curse word ('the damn script') counts, as long as it only modifies."""
    return all(_qualifies(r, i) and r.doc[i].tag_ not in ("JJS", "RBS")  # "the worst X" without "worst" is
               for i in cues)  # another claim


# Swear words that only intensify the noun after them, whatever the parser calls them ("the damn script" is
# parsed as a compound noun): without them the phrase means what it meant.
INTENSIFIERS = frozenset({"damn", "damned", "goddamn", "goddamned", "fucking", "fuckin", "freaking", "frigging",
                          "friggin", "fricking", "bloody", "effing", "flipping"})


def _qualifies(r: Rewrite, i: int) -> bool:
    t = r.doc[i]
    return t.pos_ in MODIFIERS or t.dep_ in ("amod", "advmod", "intj", "npadvmod") or t.tag_ == "PRP$" or \
        _wh_expletive(r, i) or demonstrative_head(r.doc, i) or \
        (t.lower_ in INTENSIFIERS and t.dep_ == "compound" and t.head.i > t.i)


def _wh_expletive(r: Rewrite, i: int) -> bool:
    """'the fuck' in 'What the fuck is this?' only intensifies the question word before it."""
    return i >= 2 and r.doc[i - 1].lower_ == "the" and r.doc[i - 2].lower_ in WH_WORDS


def _leading(r: Rewrite, cues) -> bool:
    """The cue words are one run that opens the sentence ('You do know that ...', 'Quit bikeshedding and ...'):
    a lead-in, which can go whole."""
    words = [t.i for t in r.doc if not (t.is_punct or t.is_space)]
    run = sorted(i for i in cues if not r.doc[i].is_punct)
    if not run or run != words[: len(run)]:
        return False
    # ... but not one that holds a kept word's subject, object or determiner ("Just what this codebase was
    # missing" without "Just what this" is "codebase was missing").
    return not any(r.doc[i].head.i not in cues and r.doc[i].dep_ in HELD for i in run)


HELD = ("nsubj", "nsubjpass", "dobj", "attr", "pobj", "det", "compound", "poss", "amod")


def words_only(r: Rewrite) -> str | None:
    """The smallest cut of all: the cue words alone ('the damn script' → 'the script'), with a 'that' the
    lead-in leaves at the front ('You do know that X' → 'X')."""
    cues = {i for i in r.all_cues if not r.doc[i].is_punct or r.doc[i].text in QUOTE_MARKS}
    if not cues or not (_modifiers_only(r, cues) or _leading(r, cues)):
        return None  # "This is a piece of shit" without "shit" is "This is a piece"
    if any(r.doc[i].dep_ == "det" and r.doc[i].head.i not in cues for i in cues):
        return None  # "another shitty workaround" without its cues is a bare "workaround"
    drop = set(cues) | {c.i for i in cues for c in r.doc[i].children if c.dep_ == "det" and c.i + 1 == i and
                        not demonstrative_head(r.doc, i)}
    for i in cues:  # "This code is garbage" without its complement reads "This code is."
        t = r.doc[i]
        if t.dep_ not in (*COMPLEMENTS, *SUBJECTS) or t.head.i in cues or _wh_expletive(r, i):
            continue
        # A copula's complement has no stand-in in a preposition: "is being dumb about it" is not "is being about".
        same = (*COMPLEMENTS, "ccomp", "xcomp") if t.dep_ in ("acomp", "attr") else \
            (*COMPLEMENTS, "prep", "ccomp", "xcomp") if t.dep_ in COMPLEMENTS else SUBJECTS
        if not any(c.i not in drop and c.dep_ in same for c in t.head.children):
            return None
    kept = [t for t in r.doc if t.i not in drop and not (t.is_punct or t.is_space)]
    while kept and kept[0].lower_ in ("that", "and", "but", "so"):
        drop.add(kept.pop(0).i)
    if len(kept) < 3:
        return None
    return _finish(r, _upper_first(_sentence_case(_text(r, list(r.doc), frozenset(drop)))))


def jab_clause(r: Rewrite) -> str:
    """The comma- or colon-separated piece that holds the first cue ('Holy crap' in 'Holy crap, the ...')."""
    cues = [r.doc[i].idx for i in r.all_cues if not r.doc[i].is_punct]
    if not cues:
        return ""
    last = 0
    for m in [*SEPARATOR.finditer(r.text), None]:
        end = m.start() if m else len(r.text)
        if last <= min(cues) < end:
            return r.original[last:end]
        last = m.end() if m else end
    return ""


def _pieces(r: Rewrite) -> list[tuple[str, list[Token]]]:
    """The sentence cut at commas, semicolons, colons and dashes: (separator before it, its tokens)."""
    pieces, last, before = [], 0, ""
    for m in [*SEPARATOR.finditer(r.text), None]:
        start, end = (m.start(), m.end()) if m else (len(r.text), len(r.text))
        pieces.append((before, [t for t in r.doc if last <= t.idx < start]))
        before, last = (r.original[start:end] if m else ""), end
    return [(sep, tokens) for sep, tokens in pieces if tokens]


def clauses(r: Rewrite, strip: bool = False) -> str | None:
    """Cut the comma- or colon-separated pieces that are only a jab, and the cue words from the others:
    'Fucking hell, the `Dockerfile` runs as root.' → 'The `Dockerfile` runs as root.'; 'Just don't commit
    `.env` files, it's not rocket science.' → 'Don't commit `.env` files.' This needs no parse of the jab
    itself, so it works for any rule's words; the gate checks that what is left is a full sentence. Without
    `strip`, every piece with a cue goes (the first example); with it, only those with nothing else in them."""
    cues = frozenset(i for i in r.all_cues if not r.doc[i].is_punct)
    if not cues:
        return None
    out, cut, after_jab = [], False, False
    for sep, tokens in _pieces(r):
        if not any(t.i in cues for t in tokens):
            aside = after_jab and len(tokens) <= 4 and not any(t.pos_ in ("VERB", "AUX") or technical(t)
                                                                for t in tokens)
            if not aside:  # "the day before" in "Like I said yesterday, and the day before, ..." goes too
                out.append((sep, r.original[tokens[0].idx : _end(r, tokens[-1])]))
            after_jab = after_jab and aside
            continue
        cut = True
        own = [t for t in tokens if t.i not in cues and t.is_alpha and not t.is_stop]
        # Only a modifier can leave a piece that stays whole ("the damn script"); without a noun or verb of
        # the jab ("Shit like this is why ...", "what kind of loser ...") the rest of the piece is a fragment.
        after_jab = len(own) <= 1 or not strip or not _modifiers_only(r, [t.i for t in tokens if t.i in cues])
        if not after_jab:
            out.append((sep, _text(r, tokens, cues)))
    if not cut or not out:
        return None
    text = LINKING.sub("", "".join((sep if n else "") + piece for n, (sep, piece) in enumerate(out)).strip())
    if len(text.split()) < 3:
        return None
    return _finish(r, _upper_first(_sentence_case(_tidy(text))))


WH_WORDS = ("what", "why", "how", "who", "where", "when", "which")
QUESTION_WORDS = ("what", "why", "how", "who", "where", "when", "which", "is", "are", "was", "were", "do", "does",
                  "did", "can", "could", "would", "should", "will", "have", "has", "shall", "may", "might")


def revisit(r: Rewrite) -> str | None:
    obj = _object(r, _head_verb(r))
    return f"Could we revisit {obj}? I may not have explained it well." if obj else None


PEOPLE_NOUNS = frozenset({"people", "person", "folks", "maintainers", "maintainer", "team", "teams", "devs", "dev",
                          "developers", "developer", "engineers", "engineer", "authors", "author", "contributors",
                          "contributor", "reviewers", "reviewer", "owners", "owner", "guys", "users", "user", "admins",
                          "staff", "leads", "lead", "management", "managers", "manager", "committers", "community"})


def focus_on_code(r: Rewrite) -> str | None:
    """'This API is laughable.' says what needs work, about the thing the sentence is about."""
    cues = set(r.all_cues)
    subject = next(
        (
            t
            for t in r.doc
            if t.dep_ in ("nsubj", "nsubjpass") and t.pos_ in ("NOUN", "PROPN") and t.i not in cues
        ),
        None,
    )
    if subject is not None and any(t.i in cues for t in subject.subtree):
        subject = None
    if subject is not None and subject.lower_ in PEOPLE_NOUNS:
        subject = None  # "the people running this repo need some more work" would judge them all over again
    if subject is None:
        return None  # "I think this needs some more work" says nothing the category's advice does not
    what = _lower_first(_text(r, list(subject.subtree)))
    verb = "need" if subject.tag_ in ("NNS", "NNPS") else "needs"
    return f"I think {what} {verb} some more work; could we go over it together?"


def de_personalize(r: Rewrite) -> str | None:
    """An attack on the person has no point to keep apart from the code it was about."""
    return focus_on_code(r)


# The reader's work, named as the change it is: "since your commit" is "since this commit".
_THIS_WORK = frozenset({"change", "changes", "commit", "commits", "pr", "patch", "branch", "diff", "refactor",
                        "rewrite", "edit", "edits", "fix", "cleanup", "update", "upgrade", "bump", "rebase"})


def name_the_change(r: Rewrite) -> str | None:
    """'The pipeline has been red since your commit' dates the failure by the change, and that is the point; the
    "your" hands it to the reader. The change is named as the change: 'since this commit', 'after the merge'."""
    said = {}
    for i in r.match:
        t = r.doc[i]
        if t.lower_ == "your" and t.i + 1 < len(r.doc):
            said[i] = "this" if r.doc[t.i + 1].lower_ in _THIS_WORK else "the"
    if not said:
        return None
    return _finish(r, _upper_first(_text(r, list(r.doc), frozenset(), said)))


def remove_words(r: Rewrite) -> str | None:
    """Leave the swearing out and keep the sentence; where the swear word carries it, talk about the code."""
    cut = _trimmed(r, replace_nouns=False)
    if cut is None:
        return focus_on_code(r)
    if len(_words(r, frozenset(cut.drop))) < 3:
        return None
    text = _text(r, list(r.doc), frozenset(cut.drop), cut.replace)
    return _upper_first(_sentence_case(text))


def _alternating(word: str) -> bool:
    """ "ThInK", "iT": letters that flip case at (nearly) every step; camelCase and acronyms do not."""
    letters = [c for c in word if c.isalpha()]
    if len(letters) == 2:
        return letters[0].islower() and letters[1].isupper()
    flips = sum(a.isupper() != b.isupper() for a, b in itertools.pairwise(letters))
    return len(letters) > 2 and flips >= len(letters) - 2 and not word.isupper()


def normal_case(r: Rewrite) -> str | None:
    """The same words without the raised voice. Mocking case is undone across its whole run ("iT wOrKs On My
    MaChInE"), the shouted words of the match ("YOU") are lowercased, and other capitals (acronyms) stay."""
    calm = _sentence_case(r.original)
    if calm != r.original:  # the whole sentence is shouted: all of it comes back in sentence case
        return _tidy(calm)
    words = [(t, r.original[t.idx : _end(r, t)]) for t in r.doc]
    mocking = {t.i for t, word in words if _alternating(word)}
    lo, hi = (min(mocking), max(mocking)) if len(mocking) > 1 else (-1, -1)
    out, last = [], 0
    for t, word in words:
        shouted = t.i in r.match and word.isupper() and len(word) > 1
        in_run = lo <= t.i <= hi and word != word.lower() and not word.isupper() and word != "I"
        if shouted or in_run or t.i in mocking:
            out += [r.original[last : t.idx], word.lower()]
            last = t.idx + len(word)
    if not out:
        return None
    return _tidy(_upper_first("".join(out) + r.original[last:]))


PEOPLE_WORDS = ("who", "whom", "you", "he", "she", "they", "someone", "somebody", "people", "everyone", "nobody")
INTERJECTIONS = frozenset({"aww", "aw", "awww", "oh", "ooh", "wow", "hmm", "hm", "meh", "ugh", "lol", "lmao", "yikes",
                           "welp", "oops", "whoa", "yay", "sigh", "ah", "eh", "huh", "omg", "ok", "okay"})


def name_concern(r: Rewrite) -> str | None:
    """'Oh look, hardcoded credentials.' and 'Yay, another singleton.' are a jab around a noun phrase about the
    work: once the jab is gone, that noun phrase is the concern, and saying so is concrete. Only a phrase that
    hangs together (one head noun, no finite verb) and speaks of things, not people, qualifies."""
    cues = set(r.all_cues)
    if any(r.doc[i].pos_ == "VERB" for i in cues):
        return None  # "Your sloppiness broke prod.": the jab is a clause about the noun, not a word around it
    kept = [t for t in r.doc if t.i not in cues and not (t.is_punct or t.is_space)]
    ids = {t.i for t in kept}
    heads = [t for t in kept if t.head.i not in ids or t.head.i == t.i]
    gerund = len(heads) == 1 and heads[0].tag_ == "VBG" and heads[0].i == kept[0].i  # "ignoring every error"
    gerund = gerund and heads[0].i > 0 and r.doc[heads[0].i - 1].text in (",", ":", "—", "-")
    if len(heads) != 1 or heads[0].pos_ not in ("NOUN", "PROPN") and not gerund:
        return None
    if heads[0].dep_ in ("pobj", "dobj", "pcomp", "attr") and heads[0].head.i in cues and \
            heads[0].head.pos_ in ("VERB", "AUX", "ADP"):
        return None  # "without a second approval", "your first time writing a Dockerfile": not the concern
    head = heads[0]
    if kept[0].dep_ == "mark" or kept[0].pos_ == "SCONJ":
        return None  # "that this leaks file handles" is a clause whose verb the parse took for a noun
    if any(t.tag_ in FINITE_TAGS or t.lower_ in PEOPLE_WORDS or t.pos_ == "INTJ" or t.lower_ in INTERJECTIONS
           for t in kept):
        return None  # "Aww, cute attempt." leaves "Aww": a sound, which the parser may call a noun, is no concern
    inside = [r.doc[i] for i in cues if min(ids) < i < max(ids)]
    if any(c.dep_ not in ("amod", "advmod", "det", "punct") for c in inside):
        return None  # "a pile of" lost what it was a pile of
    if len(kept) == 1 and not any(c.i in cues for c in head.children):
        return None  # a lone noun is the concern only where the jab modified it ("another singleton")
    phrase = _lower_first(_no_final_punct(_text(r, list(r.doc), frozenset(cues))))
    if phrase.count("`") % 2 or phrase[:1] in QUOTE_MARKS or f", {head.text}" in phrase:
        return None  # an odd backtick, a bare quotation, or "lazy, work" left behind by the cut
    if len(kept) == 1 and head.tag_ == "NNS":
        phrase = "these " + phrase
    elif head.tag_ == "NN" and kept[0].pos_ in ("NOUN", "ADJ", "VERB", "NUM") and not gerund:
        phrase = "this " + phrase  # "another singleton" and "a visionary use of ..." lose their determiner
    return f"I'm a bit worried about {phrase}; could we talk it through?"


LOOKING_FORWARD = re.compile(r"^\s*(?:i\s+)?(?:(?:just|really|would)\s+)?(?:love|can['’]t wait|cannot wait|"
                             r"look forward|am looking forward|'m looking forward)\s+to\s+([a-z]+)\b(.*?)"
                             r"[\s.!?🙃🙄😂]*$", re.I)


# What code can do to us: "This could [leak] ..."; "Love to see ..." or "Can't wait to debug ..." are the reader's.
HARMS = frozenset({"leak", "break", "crash", "hang", "lose", "drop", "expose", "corrupt", "fail", "delete", "wipe",
                   "block", "deadlock", "overflow", "page", "wake", "leave", "send", "log", "ship", "take", "double",
                   "charge", "spam", "flood", "overwrite", "truncate", "freeze", "stall"})


def as_risk(r: Rewrite) -> str | None:
    """Irony that looks forward to the harm ('Love to leak stack traces to the internet.') says the concern it
    hides: 'This could leak stack traces to the internet.'"""
    m = LOOKING_FORWARD.match(r.original)
    if m is None or m.group(1).lower() not in HARMS or not m.group(2).strip():
        return None
    return f"This could {m.group(1).lower()}{m.group(2).rstrip()}."


# "Please stop merging without green CI.": an order to quit, said as a request (PROPOSALS, run_together)
STOP_DOING = re.compile(r"^\s*(?:please\s+)?(?:just\s+)?stop\s+([a-z]+ing)\b(.+?)[\s.!?]*$", re.I)
PERSON = (r"(?:someone|somebody|anyone|anybody|everyone|everybody|any\s+[\w-]+(?:\s+[\w-]+)?|"
          r"an?\s+[\w-]+(?:\s+[\w-]+)?|every\s+[\w-]+(?:\s+[\w-]+)?|you)")
# Shapes of a jab around a proposal, each said as the proposal: (pattern, how to say it). The verb is group 1,
# what follows it group 2.
PROPOSALS = (
    # "All you had to do was add X" (minimizer): "Could we add X?"
    (re.compile(r"^\s*(?:honestly,?\s+|seriously,?\s+)?all (?:you|we) (?:had|have|needed|need|would have) to do "
                r"(?:is|was) ([a-z]+)\b(.+?)[\s.!?]*$", re.I), "Could we {verb}{rest}?"),
    # "Someone with a brain would have checked X" (counterfactual blame): "Could we check X?"
    (re.compile(r"^\s*" + PERSON + r"(?:\s+(?:with|who|that)\s+[^,]+?)?\s+(?:would|could|should)(?:\s+have|['’]ve)"
                r"\s+([a-z]+ed)\b(.+?)[\s.!?]*$", re.I), "Could we {verb}{rest}?"),
    # "Only an imbecile would write `except: pass` around X" (name-calling): "We shouldn't write `except: pass` ..."
    (re.compile(r"^\s*only (?:an?|some)\s+(?:[\w-]+\s+)?[\w-]+\s+(?:would|could)\s+([a-z]+)\b(.+?)[\s.!?]*$", re.I),
     "We shouldn't {verb}{rest}."),
    # "Any junior would know better than to put X" (presupposed knowledge): "We shouldn't put X."
    (re.compile(r"^\s*(?:i['’]d assume\s+|surely\s+)?" + PERSON + r"(?:\s+(?:with|who|that)\s+[^,]+?)?\s+(?:would\s+)?"
                r"knows?(?:\s+better)?\s+(?:than\s+)?not\s+to\s+([a-z]+)\b(.+?)[\s.!?]*$", re.I),
     "We shouldn't {verb}{rest}."),
    (re.compile(r"^\s*(?:i['’]d assume\s+|surely\s+)?" + PERSON + r"(?:\s+(?:with|who|that)\s+[^,]+?)?\s+"
                r"(?:would\s+)?know(?:s)?\s+better\s+than\s+to\s+([a-z]+)\b(.+?)[\s.!?]*$", re.I),
     "We shouldn't {verb}{rest}."),
    # "Please stop merging without green CI." (an order to quit): "Please don't merge without green CI."
    (STOP_DOING, "Please don't {verb}{rest}."),
    # "Congrats, you've reinvented `functools.lru_cache`, but with a leak." (ironic praise): "This reinvents ..."
    (re.compile(r"^\s*(?:congrats|congratulations|kudos)[,!.]*\s+you(?:['’]ve|\s+have)?\s+"
                r"(re(?:invented|implemented))\b(.+?)[\s.!?]*$", re.I), "This {verb}s{rest}."),
    # "Go read the Kubernetes docs on probes before touching this again." (teaching down): "Could we check the
    # Kubernetes docs on probes?" The reading is the point; the "before you touch it again" is the jab.
    (re.compile(r"^\s*(?:just\s+|maybe\s+)?go\s+(?:and\s+)?(read|check|skim|study|review)\b(.+?)"
                r"(?:,?\s+(?:before|first|again)\b.*)?[\s.!?]*$", re.I), "Could we check{rest}?"),
    # "Can't you just use a `LEFT JOIN`?" (a minimizing rhetorical question): "Could we use a `LEFT JOIN`?"
    (re.compile(r"^\s*(?:why\s+)?(?:can['’]?t|cannot|couldn['’]?t|could|won['’]?t)\s+(?:you|we|u)\s+"
                r"(?:just|simply|merely)\s+([a-z]+)\b(.+?)[\s.!?]*$", re.I), "Could we {verb}{rest}?"),
    (re.compile(r"^\s*why\s+not\s+(?:just|simply|merely)\s+([a-z]+)\b(.+?)[\s.!?]*$", re.I), "Could we {verb}{rest}?"),
    # "You never update the docs." (blame by habit): "Could you update the docs?"
    (re.compile(r"^\s*you\s+(?:never|rarely)\s+([a-z]+)\b(.+?)[\s.!?]*$", re.I), "Could you {verb}{rest}?"),
)


# "Hello?? Still waiting on the `schema.graphql` update." asks after it: "Is there any news on ...?"
WAITING = re.compile(r"^\s*(?:(?:i['’]m|i am|we['’]re|we are)\s+)?still waiting (?:on|for)\s+(.+?)[\s.!?]*$", re.I)


# "All you need is `overflow: hidden` on the parent, this shouldn't have taken a whole PR.": the thing needed is
# the proposal, said as enough ("I think `overflow: hidden` on the parent would be enough here."); what follows a
# comma that judges the effort goes with the frame.
ENOUGH = re.compile(r"^\s*(?:honestly,?\s+|seriously,?\s+)?all (?:you|we) (?:really |ever )?(?:need|needed|want|wanted)"
                    r" (?:is|was) ([^,;—]+?)(?:\s*[,;—]\s*(?:this|that|it|which|not)\b.*)?[\s.!?]*$", re.I)


# "Think really hard about what happens when `len(buf) == 0`." sets the reader a question to ponder: the question
# itself is the point ("What happens when `len(buf) == 0`?").
THINK_ABOUT = re.compile(r"^\s*(?:just\s+|now\s+|so\s+)?think\s+(?:really\s+|very\s+|long\s+and\s+)?(?:hard\s+)?"
                         r"(?:for\s+a\s+(?:second|moment|minute)\s+)?about\s+(what|how|why|whether|where|when|which)\b"
                         r"(.+?)[\s.!?]*$", re.I)


def propose(r: Rewrite) -> str | None:
    """A jab that wraps something to do says the thing to do: 'All you had to do was add X' and 'Someone with a
    brain would have checked X' become 'Could we add X?' / 'Could we check X?', 'Any junior would know better
    than to put X' becomes 'We shouldn't put X.', and 'You never update the docs' asks 'Could you update the
    docs?'. The verb is the sentence's own (in its bare form), and so is the rest."""
    waiting = WAITING.match(r.original)
    if waiting:
        return f"Is there any news on {waiting.group(1)}?"
    enough = ENOUGH.match(r.original)
    if enough:
        return f"I think {enough.group(1).strip()} would be enough here."
    think = THINK_ABOUT.match(r.original)
    if think:
        return f"{think.group(1).capitalize()}{think.group(2).rstrip()}?"
    for pattern, form in PROPOSALS:
        m = pattern.match(r.original)
        if m is None:
            continue
        verb = next((t for t in r.doc if t.idx == m.start(1)), None)
        if verb is None or verb.pos_ != "VERB":
            return None
        rest_start = m.start(2)
        rest = [t for t in r.doc if rest_start <= t.idx < m.end(2)]
        body = _no_final_punct(_text(r, rest, frozenset(r.blame)))
        return form.format(verb=verb.lemma_.lower(), rest=(" " + body) if body else "")
    return None


# Verbs and adjectives of knowing and seeing: "Surely you know X", "Any junior knows X", "you'd have seen that X",
# "I'm sure you're aware that X" presuppose what the reader should have known; X is the comment's point.
KNOWING = frozenset({"know", "see", "realize", "realise", "notice", "understand", "aware", "remember", "recall",
                     "learn", "tell"})
# What may stand before the verb of knowing besides the rule's own words: who knows, modals, hedges.
LEAD_IN = frozenset({"surely", "obviously", "clearly", "really", "even", "already", "of", "course", "i", "'m", "am",
                     "sure", "assume", "'d", "would", "should", "could", "have", "'ve", "hope", "you", "'re", "are",
                     "everyone", "everybody", "anyone", "anybody", "someone", "somebody", "as", "by", "now", "must",
                     "do", "does", "did", "n't", "not", "will", "'ll", "can", "a", "an", "any", "every", "the", ","})
_LEAD_TAGS = ("DET", "ADJ", "NOUN", "PROPN", "AUX", "PRON", "ADV", "PUNCT", "PART")
_CLAIM_SKIP = frozenset({"that", ",", "by", "now", "already", "well", ":"})


def _claim_start(r: Rewrite) -> tuple[int, Token | None] | None:
    """Where the known claim begins, and the verb of a counterfactual clause before it: after a verb of knowing
    whose lead-in holds a cue and only a subject, modals and hedges, or that clause ("Had you run ..., you'd
    have seen that ...")."""
    cues = set(r.all_cues)
    for t in r.doc:
        if t.lemma_.lower() not in KNOWING or t.i >= len(r.doc) - 3:
            continue
        lead = [x for x in r.doc[: t.i] if not x.is_space]
        if not any(x.i in cues for x in lead) and t.i not in cues:
            continue
        # who is presumed to know, with what qualifies them ("anyone who's read the Go FAQ", "anybody past the
        # first few chapters of the Rust book")
        knower = {x.i for c in t.children if c.dep_ == "nsubj" for x in c.subtree}
        lead = [x for x in lead if x.i not in knower]
        counterfactual = [x for x in lead if (x.head.i != t.i and x.dep_ == "advcl") or x.lower_ in ("if", "had")]
        clause = None
        if counterfactual:
            clause = counterfactual[0]
            clause = clause if clause.dep_ == "advcl" else clause.head
            inside = {x.i for x in clause.subtree}
            lead = [x for x in lead if x.i not in inside]
        if all(x.lower_ in LEAD_IN or x.i in cues or (x.pos_ in _LEAD_TAGS and x.dep_ in ("nsubj", "amod", "compound",
               "det", "punct", "aux", "advmod")) for x in lead):
            start = t.i + 1
            while start < len(r.doc) and (r.doc[start].lower_ in _CLAIM_SKIP or r.doc[start].is_space or
                                          t.lemma_ == "tell" and r.doc[start].lower_ in ("you", "us", "me", "them")):
                start += 1  # "we'd have told you it handles DST": whom it was told is not the claim
            return start, clause
    return None


# Counterfactuals that only reproach ("if you'd bothered to read ...", "had you cared to check ..."): the claim
# is the point, and the step they name is asked for only when it is a step of its own ("Had you run ...").
REPROACH_VERBS = frozenset({"bother", "care", "take", "try", "spend"})


def _next_time(r: Rewrite, clause: Token | None) -> str | None:
    """ "Had you run the migration on a copy of prod, ..." names a step worth asking for: "Could we run the
    migration on a copy of prod next time?" The verb in its bare form, its objects and modifiers as written."""
    if clause is None or clause.lemma_.lower() in REPROACH_VERBS or clause.pos_ != "VERB":
        return None
    rest = [x for x in clause.subtree if x.i > clause.i and x.dep_ != "punct" and not x.is_space]
    if not rest or any(x.i in r.all_cues for x in rest):
        return None
    body = _no_final_punct(_text(r, list(r.doc[rest[0].i : rest[-1].i + 1])))
    return f"Could we {clause.lemma_.lower()} {body} next time?"


def claim(r: Rewrite) -> str | None:
    """What the reader was presumed to know, said as the claim it is: 'Surely you know `Mutex` guards shouldn't
    be held across `.await`.' → '`Mutex` guards shouldn't be held across `.await`.'; 'If you'd bothered to read
    the stack trace you'd see the NPE is in your code' → 'The NPE is in the code'; a step the counterfactual names
    is asked for ('Had you run X, you'd have seen Y' → 'Y. Could we run X next time?'). The gate checks that the claim
    parses as a sentence and that nothing else of the sentence is lost."""
    found = _claim_start(r)
    if found is None:
        return None
    start, clause = found
    rest = list(r.doc[start:])
    if rest and rest[0].tag_ in WH:
        return None  # "Do you understand what `set -e` does" knows a question, not a claim
    if any(t.i in r.cues for t in rest) or len(_words(r, frozenset(range(start)))) < 3:
        return None  # the parse check in the gate decides whether what is left is a sentence ("this runs ...")
    text = _finish(r, _upper_first(_sentence_case(_text(r, rest, frozenset(i for i in r.blame if i >= start)))))
    step = _next_time(r, clause)
    source = _source(r, start)
    if text and source and step is None:  # "Anyone who's read the Go FAQ knows X": "X (see the Go FAQ)."
        return f"{_no_final_punct(text)} (see {source}){text[-1]}"
    return f"{text} {step}" if text and step else text


def _source(r: Rewrite, start: int) -> str | None:
    """What the presumed knower read ("anyone who's read the Go FAQ"): the place the claim can point to."""
    for t in r.doc[:start]:
        if t.lemma_ not in ("read", "skim", "open"):
            continue
        if t.dep_ in ("xcomp", "pcomp", "advcl"):
            # "If you'd spent five minutes reading `CONTRIBUTING.md`": what the reproach says to read
            obj = next((c for c in t.children if c.dep_ == "dobj"), None)
            if obj is not None and not any(x.i in r.all_cues for x in obj.subtree):
                return _lower_first(_text(r, list(obj.subtree)))
        elif t.dep_ in ("relcl", "acl"):
            # the words up to the verb of knowing, when they are a plain noun phrase ("the Go FAQ")
            end = next((x.i for x in r.doc[t.i + 1 : start] if x.lemma_.lower() in KNOWING), None)
            words = list(r.doc[t.i + 1 : end]) if end is not None else []
            if 0 < len(words) <= 6 and all(x.pos_ in ("DET", "PROPN", "NOUN", "ADJ", "NUM", "PART") for x in words):
                return _lower_first(_text(r, words))
    return None


SWEAR_WH = {"wtf": "what", "wth": "what", "wtaf": "what"}


def wh_swear(r: Rewrite) -> str | None:
    """'Seriously, wtf is `handleStuff2`?' asks what the swear word stood for: 'What is `handleStuff2`?'"""
    swear = next((t for t in r.doc if t.lower_ in SWEAR_WH and t.i in r.all_cues), None)
    if swear is None or swear.i + 1 >= len(r.doc) or r.doc[swear.i + 1].pos_ not in ("AUX", "VERB"):
        return None
    after = r.doc[swear.i + 2] if swear.i + 2 < len(r.doc) else None
    if r.doc[swear.i + 1].lemma_ == "be" and after is not None and after.lower_ in ("this", "that", "these", "those"):
        return None  # "wtf is this release" is contempt for the thing, not a question about it
    before = [t for t in r.doc[: swear.i] if not t.is_punct]
    others = [i for i in r.all_cues if i != swear.i and r.doc[i].i > swear.i]
    if any(t.i not in r.all_cues for t in before) or not _modifiers_only(r, others):
        return None
    drop = frozenset({t.i for t in r.doc[: swear.i]} | set(others))
    text = _text(r, list(r.doc), drop, {swear.i: "what"})
    return _upper_first(_no_final_punct(text)) + "?"


# A refusal said as the sentence's verdict noun ("`float` for currency is a non-starter"): cutting the noun leaves
# "is a", so the verdict is said as what it means for the code.
VERDICT_NOUN = re.compile(r"(?:\s+(?:is|are|was|would\s+be)|['’]s)\s+(?:an?\s+)?(?:(?:total|complete|hard|absolute|"
                          r"clear)\s+)?(?:non-?starter|no-go|dealbreaker|deal-breaker|dead\s+end)\b", re.I)


# Blame said as the sentence's verdict ("this deadlock is your doing — ..."): what went wrong came from the
# change, which is what "you broke X" becomes too.
YOUR_DOING = re.compile(r"(?:\s+(?:is|was)|['’]s)\s+(?:all\s+|entirely\s+|totally\s+|squarely\s+)?your\s+"
                        r"(?:doing|fault)\b", re.I)


def state_plainly(r: Rewrite) -> str | None:
    """Say the point without the jab: the same cut as drop-cue, when a point is left; a verdict noun says
    instead that the thing won't work ("`float` for currency won't work, use `decimal.Decimal`."), and "X is your
    doing" that X comes from this change."""
    said, n = VERDICT_NOUN.subn(" won't work", r.original, count=1)
    if not n:
        said, n = YOUR_DOING.subn(" comes from this change", r.original, count=1)
    return _tidy(said) if n else drop_cue(r)


# Refusals name what they refuse ("Not merging this."); the polite form keeps that verb, or goes ahead "with this".
DECLINED = ("merge", "take", "accept", "approve", "land", "ship")
DECLINE = "I don't think we should {what}; could you say more about why it's needed?"


def _own_words(r: Rewrite) -> list[Token]:
    """Words of the sentence that say something besides the jab: not cues, punctuation or stop words."""
    cues = set(r.all_cues)
    return [t for t in r.doc if t.i not in cues and t.is_alpha and not t.is_stop]


def decline(r: Rewrite) -> str | None:
    """A bare refusal ('Nah.', 'Not merging this.', 'Pointless PR.') keeps its decision and asks for the reason:
    the decision is the whole point, so saying it politely loses nothing. Only where nothing else is said."""
    if len(_own_words(r)) > 1:
        return None
    verb = next((t.lemma_ for t in r.doc if t.lemma_ in DECLINED and t.tag_ in ("VBG", "VB", "VBP")), None)
    return DECLINE.format(what=f"{verb} this" if verb else "go ahead with this yet")


def not_a_concern(r: Rewrite) -> str | None:
    """'Nobody cares about IE11.' says a thing needs no attention: 'I don't think we need to worry about IE11.'"""
    care = next((t for t in r.doc if t.lemma_ == "care" and t.i in r.all_cues), None)
    about = next((c for c in care.children if c.lower_ == "about"), None) if care is not None else None
    obj = next((c for c in about.children if c.dep_ == "pobj"), None) if about is not None else None
    if obj is None:
        return None
    return f"I don't think we need to worry about {_lower_first(_text(r, list(obj.subtree)))}."


def explain_concern(r: Rewrite) -> str | None:
    """A brush-off becomes the position it stands for: the cut where a point is left, 'I don't think we need to
    worry about X' for 'nobody cares about X', and a polite refusal that asks why for a bare 'Nah.'."""
    return drop_cue(r) or not_a_concern(r) or decline(r)


_STACCATO_STOP = re.compile(r"(?<=[^\W\d_])[.!]+\s+(?=[^\W\d_])")


def run_together(r: Rewrite) -> str | None:
    """'Stop. Pushing. New. Features. Into. This. PR.' is one sentence said word by word: the same words as one
    sentence, in sentence case, with names and acronyms ('PR') as written."""
    joined = _STACCATO_STOP.sub(" ", r.original.strip())
    if joined == r.original.strip():
        return None
    said = _sentence_case(joined)
    if said == joined:  # not shouted: the words in lower case, names and acronyms as written
        words = joined.split(" ")
        said = " ".join([words[0]] + [w if w.isupper() and len(w) > 1 else w.lower() for w in words[1:]])
    # "Stop pushing new features into this PR." is still an order to quit: said as a request, as `propose` does.
    stop = STOP_DOING.match(said)
    verb = next((t for t in r.doc if stop and t.lower_ == stop.group(1).lower() and t.tag_ == "VBG"), None)
    if verb is not None:
        return f"Please don't {verb.lemma_.lower()}{stop.group(2)}."
    return said


STRATEGIES: dict[str, Callable[[Rewrite], str | None]] = {
    "run-together": run_together,
    "drop-cue": drop_cue,
    "hedge": hedge,
    "soften-request": soften_request,
    "ask-instead": ask_instead,
    "ask-reason": ask_reason,
    "describe-effect": describe_effect,
    "point-to-gap": point_to_gap,
    "revisit": revisit,
    "focus-on-code": focus_on_code,
    "de-personalize": de_personalize,
    "remove-words": remove_words,
    "state-plainly": state_plainly,
    "normal-case": normal_case,
    "name-concern": name_concern,
    "explain-concern": explain_concern,
    "as-risk": as_risk,
    "propose": propose,
    "effect": lambda r: _effect(r),
    "wh-swear": wh_swear,
    "claim": claim,
    "name-the-change": name_the_change,
}


# Words each strategy may bring in that the comment did not have; the gate lets in these and no others. Words
# every strategy shares (the neutral noun for a harsh one, "think" of a hedge, "change" of a description) go too.
SHARED_WORDS = frozenset({NEUTRAL_NOUN, "think", "change", "please"})
TEMPLATE_WORDS: dict[str, frozenset[str]] = {
    "pointer": frozenset({"see"}),  # compose: what a dropped reproach told the reader to read ("See the style guide.")
    "ask-reason": frozenset({"reason"}),
    "point-to-gap": frozenset({"missing", "add", "still"}),
    "revisit": frozenset({"revisit", "explained"}),
    "focus-on-code": frozenset({"need", "needs", "work", "together"}),
    "de-personalize": frozenset({"need", "needs", "work", "together"}),
    "remove-words": frozenset({"need", "needs", "work", "together"}),  # it falls back on focus-on-code
    "name-concern": frozenset({"bit", "worried", "talk"}),
    "explain-concern": frozenset({"go", "ahead", "say", "needed", "need", "worry"}),
    "state-plainly": frozenset({"work", "won", "will", "comes", "from"}),
    "drop-cue": frozenset({"noted"}),
    "propose": frozenset({"news", "check", "enough", "would"}),
    "claim": frozenset({"next", "time", "see"}),
}
# Tried after a rule's own strategy, whichever that is, when it has nothing concrete to offer.
SECOND_TRIES = ("claim", "wh-swear", "effect", "propose", "normal-case", "name-concern", "as-risk", "drop-cue")
# Strategies that only cut or hedge: the plain cut goes first, as the smaller edit. The others change the
# sentence's form on purpose ("why didn't you just X?" becomes "Could we X here?"), so they go first.
PLAIN_FIRST = frozenset({"drop-cue", "hedge", "soften-request", "state-plainly", "explain-concern", "remove-words",
                         "normal-case", "name-concern", "focus-on-code", "de-personalize"})


BUILT_IN = {"plain": plain, "clauses": clauses, "pieces": functools.partial(clauses, strip=True),
            "words-only": words_only}


def all_template_words() -> frozenset[str]:
    """Every word some strategy may bring in: what a re-check of a shown rewrite allows."""
    return SHARED_WORDS.union(*TEMPLATE_WORDS.values())


def template(strategy: str) -> frozenset[str]:
    return SHARED_WORDS | TEMPLATE_WORDS.get(strategy, frozenset())


# Proposals that read only the sentence's shared cues, so every rule of a sentence would make the same one.
SHARED_PROPOSALS = frozenset({"plain", "clauses", "pieces", "words-only", "name-concern", "as-risk", "propose",
                              "effect", "wh-swear", "drop-cue", "claim"})


def _make(name: str, rewrite: Rewrite) -> str | None:
    text = BUILT_IN[name](rewrite) if name in BUILT_IN else STRATEGIES[name](rewrite)
    if not text or text.strip() == rewrite.original.strip() or promoted_infinitive(rewrite.original, text):
        return None
    return None if name in CUTS and torn(rewrite.doc, text) else text


# Proposals that only cut (and hedge): what they keep of the sentence must still hang together. The others put
# kept words into a new frame on purpose ("The migration may still be missing; ...").
CUTS = frozenset({"plain", "clauses", "pieces", "words-only", "drop-cue", "hedge", "soften-request",
                  "state-plainly", "explain-concern", "remove-words", "normal-case", "describe-effect"})


def candidates(strategy: str, rewrite: Rewrite) -> list[tuple[str, Callable[[], str | None]]]:
    """Proposals for one sentence, most faithful first, made only when asked for (name, maker): the plain cut,
    the rule's own strategy, the clause and word cuts, then the general ones. The engine gates them."""
    order = ("plain", strategy) if strategy in PLAIN_FIRST else (strategy, "plain")
    return [(name, functools.partial(_make, name, rewrite)) for name in (*order, "clauses", "pieces", "words-only",
                                                                          *SECOND_TRIES)]
