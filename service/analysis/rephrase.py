"""Named rephrasing strategies; each suggestion is re-analyzed, and a failing one gives way to a fallback."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

from spacy.tokens import Doc, Token

from .trim import Cut, plan, request

# Each fallback is a sentence a reviewer could post as is; a test checks that each passes the analyzer.
FALLBACK = {
    "condescension": "I think there may be a simpler way here; could we talk it through?",
    "blame": "Something seems off after this change; could you take a look?",
    "insult": "I think this needs some more work; could we go over it together?",
    "profanity": "This part seems tricky; could we look at it together?",
    "sarcasm": "This change seems to cause a few problems; could you take a look?",
    "impatience": "Could you take a look at this when you get a chance?",
    "dismissive": "I'm not sure this is needed yet; could you say more about the goal?",
}
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

    @property
    def all_cues(self) -> tuple[int, ...]:
        return tuple(sorted(set(self.cues) | set(self.harsh)))


def _end(r: Rewrite, token: Token) -> int:
    """Where a token ends in the original: inline code was masked to a shorter placeholder, so extend it."""
    end = token.idx + len(token)
    while end < len(r.original) and r.doc.text[end] == " " and r.original[end] != " ":
        end += 1
    return end


def _text(r: Rewrite, tokens: list[Token], drop: frozenset[int] = frozenset(), replace=None) -> str:
    """Original text of a run of tokens, leaving out dropped ones and saying replaced ones differently
    (second-person possessives become "the")."""
    parts = []
    replace = replace or {}
    for t in tokens:
        if t.i in drop or t.is_space:  # runs of blanked code become space tokens; _end already covers them
            if t.whitespace_ and parts and not parts[-1].endswith(" "):
                parts[-1] += " "
            continue
        word = r.original[t.idx : _end(r, t)]
        if t.i in replace:
            word = _match_case(word, replace[t.i])
        elif t.tag_ == "PRP$" and "2" in t.morph.get("Person"):
            word = "the"
        parts.append(word + (" " if t.whitespace_ else ""))
    return _tidy("".join(parts))


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r"([!?.])\1+", r"\1", text)
    return text.strip(" ,;:-")


def _lower_first(text: str) -> str:
    if len(text) > 1 and text[1].isupper() or text[:2] in ("I ", "I'"):
        return text
    return text[:1].lower() + text[1:]


def _upper_first(text: str) -> str:
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
    return r.doc.text.rstrip().rstrip("!.").endswith("?") and words[0].tag_ in QUESTION_OPENERS


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
    asks = _asks(r, words)
    if not asks and words[0].tag_ in WH:
        return None  # "how this cache works" is a topic, not a sentence
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
    return plan(r.doc, r.all_cues, replace_nouns)


def drop_cue(r: Rewrite) -> str | None:
    """Cut the harsh words and the lead-in or aside they sit in; keep and hedge the point."""
    cut = _trimmed(r) if r.all_cues else Cut()
    return _soften(r, cut) if cut is not None else None


def hedge(r: Rewrite) -> str | None:
    return _soften(r, frozenset())


def soften_request(r: Rewrite) -> str | None:
    return drop_cue(r)


def ask_instead(r: Rewrite) -> str | None:
    """'Did you even test this?' asks about the work: 'Would it help to test this?'"""
    cues = set(r.all_cues)
    verb = next((t for t in r.doc if t.i > min(r.match) and t.tag_ == "VB" and t.i not in cues), None)
    if verb is None:
        return None
    rest = [t for t in r.doc if t.i > verb.i]
    phrase = _no_final_punct(_text(r, rest, frozenset(cues)))
    return f"Would it help to {verb.lemma_} {phrase}?".replace("  ", " ").replace(" ?", "?")


def ask_reason(r: Rewrite) -> str | None:
    return "Could you share the reasoning behind this? I may be missing some context."


def describe_effect(r: Rewrite) -> str | None:
    obj = _object(r, _head_verb(r))
    if obj:
        return f"It looks like this change affects {obj}; could you take a look?"
    return _with_tail(drop_cue(r), "could we look at it together?")


def point_to_gap(r: Rewrite) -> str | None:
    obj = _object(r, _head_verb(r))
    return f"It looks like {obj} may still be missing; could you add it?" if obj else None


def revisit(r: Rewrite) -> str | None:
    obj = _object(r, _head_verb(r))
    return f"Could we revisit {obj}? I may not have explained it well." if obj else None


def _with_tail(text: str | None, tail: str) -> str | None:
    """A hedged claim gets an offer to work on it together; a question or request already invites an answer."""
    if text is None or not text.endswith("."):
        return text
    return f"{text[:-1]}; {tail}"


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
    if subject is None:
        return None  # "I think this needs some more work" says nothing the category's advice does not
    what = _lower_first(_text(r, list(subject.subtree)))
    verb = "need" if subject.tag_ in ("NNS", "NNPS") else "needs"
    return f"I think {what} {verb} some more work; could we go over it together?"


def de_personalize(r: Rewrite) -> str | None:
    return "I think we see this differently; could we talk it through?"


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


def name_concern(r: Rewrite) -> str | None:
    """'Oh look, hardcoded credentials.' and 'Yay, another singleton.' are a jab around a noun phrase about the
    work: once the jab is gone, that noun phrase is the concern, and saying so is concrete. Only a phrase that
    hangs together (one head noun, no finite verb) and speaks of things, not people, qualifies."""
    cues = set(r.all_cues)
    kept = [t for t in r.doc if t.i not in cues and not (t.is_punct or t.is_space)]
    ids = {t.i for t in kept}
    heads = [t for t in kept if t.head.i not in ids or t.head.i == t.i]
    if len(heads) != 1 or heads[0].pos_ not in ("NOUN", "PROPN"):
        return None
    head = heads[0]
    if any(t.tag_ in FINITE_TAGS or t.lower_ in PEOPLE_WORDS or t.pos_ == "INTJ" for t in kept):
        return None
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
    elif head.tag_ == "NN" and kept[0].pos_ in ("NOUN", "ADJ", "VERB", "NUM"):
        phrase = "this " + phrase  # "another singleton" and "a visionary use of ..." lose their determiner
    return f"I'm a bit worried about {phrase}; could we talk it through?"


def state_plainly(r: Rewrite) -> str | None:
    """Say the point without the jab: the same cut as drop-cue, when a point is left."""
    return drop_cue(r)


def explain_concern(r: Rewrite) -> str | None:
    return drop_cue(r)


STRATEGIES: dict[str, Callable[[Rewrite], str | None]] = {
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
}


# Tried after a rule's own strategy, whichever that is, when it has nothing concrete to offer.
SECOND_TRIES = ("name-concern",)


def is_general_advice(text: str) -> bool:
    """A category's fallback gives advice about the category, not a rephrasing of the sentence."""
    return text in FALLBACK.values()


def candidates(strategy: str, rewrite: Rewrite) -> tuple[str, ...]:
    """The rule's own rephrasing first, then more general ones, not yet vetted; empty when none says more
    than the category's fallback."""
    found: list[str] = []
    for name in (strategy, *SECOND_TRIES):
        text = STRATEGIES[name](rewrite)
        if not text or text.strip() == rewrite.original.strip() or is_general_advice(text) or text in found:
            continue
        found.append(text)
    return tuple(found)


def choose(proposals: tuple[str, ...], category: str, passes: Callable[[str], bool]) -> str:
    """The first proposal the analyzer finds nothing in, else the category's fallback (tested to pass)."""
    return next((p for p in proposals if passes(p)), FALLBACK[category])
