"""Named rephrasing strategies; each suggestion is re-analyzed, and a failing one gives way to a fallback."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from spacy.tokens import Doc, Token

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
OBJECTS = ("dobj", "obj", "attr", "pobj", "dative", "oprd", "ccomp", "xcomp")


@dataclass(frozen=True)
class Rewrite:
    """A parsed sentence (masked text), the original sentence it lines up with, the rule's match and, within
    it, the cue tokens (the rule's own words, which a rephrasing may drop)."""

    doc: Doc
    original: str
    match: tuple[int, ...]
    cues: tuple[int, ...]


def _end(r: Rewrite, token: Token) -> int:
    """Where a token ends in the original: inline code was masked to a shorter placeholder, so extend it."""
    end = token.idx + len(token)
    while end < len(r.original) and r.doc.text[end] == " " and r.original[end] != " ":
        end += 1
    return end


def _text(r: Rewrite, tokens: list[Token], drop: frozenset[int] = frozenset()) -> str:
    """Original text of a run of tokens, leaving out dropped ones (and second-person possessives)."""
    parts = []
    for t in tokens:
        if t.i in drop or t.is_space:  # runs of blanked code become space tokens; _end already covers them
            continue
        word = r.original[t.idx : _end(r, t)]
        if t.tag_ == "PRP$" and "2" in t.morph.get("Person"):
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


def _soften(r: Rewrite, drop: frozenset[int]) -> str | None:
    """A request becomes a question; a claim gets "I think" and "may be"; a question stays a question."""
    words = _words(r, drop)
    if len(words) < 2:
        return None
    body = _sentence_case(_text(r, list(r.doc), drop))
    if r.doc.text.rstrip().endswith("?"):
        return _upper_first(_no_final_punct(body)) + "?"
    first = words[0]
    if first.tag_ == "VB" and not any(c.dep_.startswith("nsubj") for c in first.children):
        return f"Could you {_lower_first(_no_final_punct(body))}?"
    root = next((t for t in words if t.dep_ == "ROOT"), None)
    if root is not None and root.lemma_ == "be" and root.tag_ in ("VBZ", "VBP") and not negated_token(root):
        subject = [t for t in r.doc if t.i < root.i and t.i not in drop]
        rest = [t for t in r.doc if t.i > root.i and t.i not in drop]
        body = f"{_text(r, subject)} may be {_text(r, rest)}"
    return f"I think {_lower_first(_no_final_punct(body))}."


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


def drop_cue(r: Rewrite) -> str | None:
    return _soften(r, frozenset(r.cues))


def hedge(r: Rewrite) -> str | None:
    return _soften(r, frozenset())


def soften_request(r: Rewrite) -> str | None:
    return _soften(r, frozenset(r.cues))


def ask_instead(r: Rewrite) -> str | None:
    verb = next((t for t in r.doc if t.i > min(r.match) and t.tag_ == "VB"), None)
    if verb is None:
        return None
    rest = [t for t in r.doc if t.i > verb.i]
    phrase = _no_final_punct(_text(r, rest, frozenset(r.cues)))
    return f"Would it help to {verb.lemma_} {phrase}?".replace("  ", " ").replace(" ?", "?")


def ask_reason(r: Rewrite) -> str | None:
    return "Could you share the reasoning behind this? I may be missing some context."


def describe_effect(r: Rewrite) -> str | None:
    obj = _object(r, _head_verb(r))
    return f"It looks like this change affects {obj}; could you take a look?" if obj else None


def point_to_gap(r: Rewrite) -> str | None:
    obj = _object(r, _head_verb(r))
    return f"It looks like {obj} may still be missing; could you add it?" if obj else None


def revisit(r: Rewrite) -> str | None:
    obj = _object(r, _head_verb(r))
    return f"Could we revisit {obj}? I may not have explained it well." if obj else None


def focus_on_code(r: Rewrite) -> str | None:
    subject = next(
        (t for t in r.doc if t.dep_ in ("nsubj", "nsubjpass") and t.pos_ in ("NOUN", "PROPN")), None
    )
    what = _lower_first(_text(r, list(subject.subtree))) if subject is not None else "this"
    return f"I think {what} needs some more work; could we go over it together?"


def de_personalize(r: Rewrite) -> str | None:
    return "I think we see this differently; could we talk it through?"


def remove_words(r: Rewrite) -> str | None:
    text = _text(r, list(r.doc), frozenset(r.cues))
    return _upper_first(_sentence_case(text)) if len(_words(r, frozenset(r.cues))) >= 3 else None


def state_plainly(r: Rewrite) -> str | None:
    return None


def explain_concern(r: Rewrite) -> str | None:
    return None


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
    "explain-concern": explain_concern,
}


def candidate(strategy: str, rewrite: Rewrite) -> str | None:
    """The strategy's rephrasing, not yet vetted; None when it has nothing better than the fallback."""
    text = STRATEGIES[strategy](rewrite)
    return text if text and text.strip() != rewrite.original.strip() else None


def choose(proposal: str | None, category: str, passes: Callable[[str], bool]) -> str:
    """The proposal if the analyzer finds nothing in it, else the category's fallback (tested to pass)."""
    return proposal if proposal and passes(proposal) else FALLBACK[category]
