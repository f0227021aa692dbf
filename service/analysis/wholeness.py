"""Whether what a cut keeps of a sentence still hangs together: no phrase torn from its head, no subject lost,
no infinitive promoted to an order. The proposal is lined up with the original's parse, word by word."""

from __future__ import annotations

import difflib
import re

from spacy.tokens import Doc, Token

CODE_SPAN = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)")
FINITE_TAGS = ("VBZ", "VBP", "VBD", "MD")


# Roles that cannot stand without their head: 'of' without 'because', 'junior' without 'intern', a subject
# without its verb. Clauses (ccomp, advcl, conj) and asides can become a sentence of their own, and so can a
# relative clause, which the small parser often hangs on a jab ('Damn it, who hardcoded ...').
NEEDS_HEAD = ("prep", "pobj", "nsubj", "nsubjpass", "dobj", "attr", "cc", "mark", "aux", "auxpass", "det", "amod",
              "compound", "poss", "prt", "agent", "dative", "acomp", "nummod", "case")
HEDGES = re.compile(r"^(?:I think|Could you|Could we|Please)\s+")
_TOKEN = re.compile(r"[A-Za-z0-9_]+(?:['’][A-Za-z]+)?|['’][A-Za-z]+")


def kept_tokens(doc: Doc, text: str) -> tuple[set[int], set[int]]:
    """The original's tokens the proposal still says, lined up by the longest common runs of words, and those
    it says differently (a proposal's word between two runs stands in for what the original had there)."""
    words = [t for t in doc if not (t.is_punct or t.is_space)]
    text = HEDGES.sub("", text)  # "I think" stands in for nothing: what it was put before must hang together
    said = [w.lower().replace("’", "'") for w in _TOKEN.findall(CODE_SPAN.sub(" codespan ", text))]
    have = ["codespan" if not t.text.strip() or t.lower_.startswith("code") else t.lower_.replace("’", "'")
            for t in words]
    kept, replaced = set(), set()
    matcher = difflib.SequenceMatcher(None, have, said, autojunk=False)
    for tag, a, b, c, d in matcher.get_opcodes():
        if tag == "equal":
            kept |= {words[n].i for n in range(a, b)}
        elif tag == "replace" and d > c:
            replaced |= {words[n].i for n in range(a, b)}
    return kept, replaced


def lost_subject(verb: Token, joined: set[int]) -> bool:
    """A verb whose pronoun subject was cut with the jab ('you'), where the parse is sure of the subject."""
    subjects = [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass", "expl")]
    return any(c.pos_ == "PRON" for c in subjects) and not any(c.i in joined for c in subjects)


def misparsed(t: Token, sent, kept: set[int], joined: set[int]) -> bool:
    """The small parser hangs a noun phrase on a jab's verb ('In case nobody ever told you, [a 200] ... is not
    how ...' reads '200' as the object of 'told'); where the sentence's own root is kept and the phrase opens
    what is left before it, the phrase is the root's subject, not a piece torn off. Function words and
    modifiers ('of', 'junior' without 'intern') are never so."""
    root = sent.root
    subject = any(c.i in joined and c.dep_ in ("nsubj", "nsubjpass", "csubj", "expl") for c in root.children)
    return t.dep_ in ("nsubj", "nsubjpass", "dobj", "pobj", "attr") and root.i in kept and t.i < root.i and \
        not subject and min(kept) >= min(x.i for x in t.subtree)


def torn(doc: Doc, text: str) -> bool:
    """What is left of one sentence must hang together as one tree: 'Your change is the reason the nightly job
    failed' cut to 'Change the nightly job failed' leaves 'change' and 'failed' each without the head that joined
    them, and 'Because of your refactor the job fails' cut to 'Of refactor the job fails' leaves 'of' so."""
    kept, replaced = kept_tokens(doc, text)
    joined = kept | replaced
    for sent in doc.sents:
        if any(t.i in kept and t.dep_ in NEEDS_HEAD and t.head.i not in joined and not misparsed(t, sent, kept, joined)
               and not demonstrative_head(doc, t.head.i) for t in sent):  # "this [crap]" is "this"
            return True
        if any(t.i in kept and t.tag_ == "VBG" and t.dep_ == "xcomp" and t.head.i not in joined for t in sent):
            return True  # "Please stop merging" is not "Please merging"
        if any(t.i in kept and t.dep_ == "advcl" and t.head.i not in joined and
               any(c.dep_ == "mark" and c.i not in joined for c in t.children) for t in sent):
            return True  # "... before the error handling gets fixed?" is not "The error handling gets fixed."
        if any(t.i in kept and t.tag_ in FINITE_TAGS + ("VBN",) and lost_subject(t, joined) for t in sent):
            return True  # "Had you bothered to run the tests" is not "bothered to run the tests"
    return False


def promoted_infinitive(original: str, text: str) -> bool:
    """'Love to leak stack traces' cut to 'Leak stack traces': an infinitive that now opens the sentence reads
    as an order, which the sentence never gave (nor, under irony, meant)."""
    first = re.match(r"[A-Za-z]+", text)
    if first is None:
        return False
    word = re.escape(first.group(0).lower())
    low = original.lower()
    to = re.search(rf"\bto\s+{word}\b", low)  # "You need to run the tests" was asked of the reader: it may stay
    return bool(to) and not re.search(r"\byou\b", low[: to.start()]) and \
        not re.match(rf"\s*(?:please\s+|just\s+)?{word}\b", low)


def demonstrative_head(doc: Doc, i: int) -> bool:
    """'this crap' in 'Don't push this crap on a Friday': without the noun, 'this' says the same."""
    t = doc[i]
    kids = list(t.children)
    return t.pos_ == "NOUN" and t.dep_ in ("dobj", "nsubj", "pobj") and len(kids) == 1 and \
        kids[0].dep_ == "det" and kids[0].lower_ in ("this", "that") and kids[0].i == i - 1
