"""Decide, from the parse, which words of a harsh sentence to cut or replace so its technical content remains."""

from __future__ import annotations

from dataclasses import dataclass, field

from spacy.tokens import Doc, Token

# Dependencies of a cue that make it an aside: dropping it (and what hangs on it) leaves a whole sentence.
ASIDES = ("advmod", "intj", "discourse", "npadvmod", "meta", "amod")
# Clauses and phrases that can leave the sentence without taking its main verb with them.
DETACHABLE = ("advcl", "parataxis", "conj", "prep", "agent", "npadvmod", "dative")
# Roles where a harsh noun names the code ("your mess in utils.py"), so a neutral noun can stand in for it.
NOMINAL = ("nsubj", "nsubjpass", "dobj", "pobj")
# Roles a sentence cannot lose: cutting the verb's complement leaves "This module is a." behind.
ESSENTIAL = ("ROOT", "attr", "acomp", "oprd", "xcomp", "ccomp", "dobj")
NEUTRAL_NOUN = "code"
# Nouns that say nothing without their "of" phrase.
CLASSIFIERS = ("kind", "sort", "type", "piece", "pile", "bunch", "load", "heap", "lot", "mess", "waste", "level",
               "bag", "pack", "excuse")
# Nouns a rule may lean on that name the reviewer's own words, not the work: "this comment" is not "this code".
PLAIN_NOUNS = frozenset({"comment", "comments", "question", "questions", "point", "note", "notes", "message",
                         "messages", "review", "reply", "answer", "request", "thread", "discussion", "time",
                         "patchset"})
WORK_DETERMINERS = ("this", "that", "these", "those", "your", "such")
QUOTES = "\"'“”‘’"
# A sentence that now opens with one of these lost its first half: "and ship it", "before opening a PR".
DANGLING = ("cc", "prep", "mark", "aux", "auxpass", "dative", "pobj", "agent", "prt")
FINITE = ("VBZ", "VBP", "VBD", "MD")
SUBJECTS = ("nsubj", "nsubjpass", "expl")
# Words before a gerund that refuse it rather than ask for it ("no on disabling", "against adding", "stop adding")
REFUSING = frozenset({"no", "not", "n't", "never", "against", "stop", "without", "nope", "veto"})


@dataclass
class Cut:
    """Tokens to leave out and tokens to say differently; `replace` maps a token index to its new word."""

    drop: set[int] = field(default_factory=set)
    replace: dict[int, str] = field(default_factory=dict)


def _root(doc: Doc) -> Token:
    return next((t for t in doc if t.dep_ == "ROOT"), doc[0])


def _with_edges(doc: Doc, tokens: set[int]) -> set[int]:
    """A cut run takes the comma or 'that' next to it, so no dangling ', the lock' or 'that lists' is left."""
    more = set(tokens)
    for i in tokens:
        for j in (i - 1, i + 1):
            if 0 <= j < len(doc) and j not in tokens and doc[j].text in (",", ";", "—", "-", ":"):
                more.add(j)
    return more


def _lead_in(doc: Doc, cue: Token, cues: set[int]) -> set[int] | None:
    """'Any beginner knows [you need an index]': the cue sits in the main clause, whose complement clause
    carries the point; everything but that complement (and its 'that') is cut."""
    root = _root(doc)
    if cue.i != root.i and not any(a.i == root.i for a in cue.ancestors):
        return None
    main = {root.i} | {c.i for c in root.children if c.dep_ == "xcomp"}
    for child in doc:
        span = {t.i for t in child.subtree}
        jabs = {i for i in span & cues if doc[i].dep_ not in ASIDES}
        after = child.dep_ == "ccomp" and child.i > cue.i
        beside = child.dep_ in ("advcl", "conj", "parataxis") and child.pos_ in ("VERB", "AUX")
        if (after or beside) and child.head.i in main and not jabs:
            if len(span) < 3 or cue.i in span:
                continue
            marks = {c.i for c in child.children if c.dep_ == "mark"}
            return {t.i for t in doc if t.i not in span and not t.is_punct} | marks
    return None


def _inner_lead_in(doc: Doc, cue: Token, cues: set[int]) -> set[int] | None:
    """'Any senior engineer would see [that this migration isn't reversible]: `down()` is empty': the parser
    hangs the knowing clause under the sentence's last one, so the lead-in is the cue's own clause, not the
    root's; its complement stays and the rest of the sentence is untouched."""
    head = cue if cue.pos_ in ("VERB", "AUX") else next((a for a in cue.ancestors if a.pos_ in ("VERB", "AUX")), None)
    if head is None or head.dep_ == "ROOT":
        return None
    clause = {t.i for t in head.subtree}
    for child in head.children:
        span = {t.i for t in child.subtree}
        if child.dep_ != "ccomp" or child.i < cue.i or len(span) < 3:
            continue
        if any(i in span and doc[i].dep_ not in ASIDES for i in cues):
            continue
        marks = {c.i for c in child.children if c.dep_ == "mark"}
        return {i for i in clause if i not in span and not doc[i].is_punct} | marks
    return None


def _knowing_lead_in(doc: Doc, cue: Token, cues: set[int]) -> set[int] | None:
    """The lead-in of the root's clause, else of the cue's own clause."""
    lead_in = _lead_in(doc, cue, cues)
    return lead_in if lead_in is not None else _inner_lead_in(doc, cue, cues)


def _colon_lead(doc: Doc, cues: set[int]) -> set[int] | None:
    """'Repeat after me: never hold a lock while doing I/O.', 'A word of advice for beginners: don't catch
    `Exception`': every cue sits before the sentence's first colon, and after it comes a clause of its own,
    so the lead-in and its colon go."""
    colon = next((t.i for t in doc if t.text == ":"), None)
    if colon is None or max(cues) > colon:
        return None
    rest = [t for t in doc if t.i > colon and not (t.is_punct or t.is_space)]
    if len(rest) < 3 or not any(t.pos_ in ("VERB", "AUX") for t in rest):
        return None
    return set(range(0, colon + 1))


def _prefix(doc: Doc, cues: set[int]) -> set[int] | None:
    """A cue run that opens the sentence ('You do realize ...') when the parse gives no complement clause."""
    first = min(cues)
    words = [t for t in doc if not (t.is_punct or t.is_space)]
    if not words or first != words[0].i or set(range(first, max(cues) + 1)) - cues:
        return None
    rest = [t for t in words if t.i > max(cues)]
    has_verb = any(doc[i].pos_ in ("VERB", "AUX") for i in cues)
    return set(range(first, max(cues) + 1)) if len(rest) >= 3 and has_verb else None


def _detachable(doc: Doc, cue: Token) -> set[int] | None:
    """The smallest clause or phrase around the cue that can go without the main verb: 'As I already said,'
    'because of you', ', it's not rocket science'."""
    root = _root(doc)
    for t in [cue, *cue.ancestors]:
        if t.i == root.i:
            return None
        if t.dep_ == "prep" and t.lower_ == "of" and t.head.lemma_ in CLASSIFIERS:
            return None  # "what kind of loser" is not "what kind"; "a pile of crap" is not "a pile"
        if t.dep_ in DETACHABLE:
            return {s.i for s in t.subtree} | {c.i for c in t.head.children if c.dep_ == "cc" and c.i < t.i}
    return None


def _the_work(noun: Token) -> bool:
    """'your mess', 'this garbage' point at the work, so 'code' can stand in; 'any beginner' or 'an idiot' are
    people, and 'any code knows this' would be nonsense."""
    return any(c.dep_ in ("det", "poss") and c.lower_ in WORK_DETERMINERS for c in noun.children)


def _one(doc: Doc, cue: Token, cues: set[int], cut: Cut, replace_nouns: bool) -> bool:
    """Plan the cut for one cue; False when the cue is the sentence's backbone and nothing useful remains."""
    if cue.i in cut.drop or cue.i in cut.replace:
        return True
    if cue.is_punct:
        if cue.text in QUOTES:  # scare quotes go with the word they wrap
            cut.drop.add(cue.i)
        return True
    if cue.tag_ == "PRP$" or (cue.dep_ == "det" and cue.head.i in cues):
        return True  # settled with its noun: 'your' reads 'the', 'the' goes with 'the hell'
    if cue.pos_ == "PRON" and cue.dep_ == "nsubj" and cue.head.i not in cues:
        return True  # the pattern's grammar ('you just need'), not its jab; a hedge turns it into 'we'
    if cue.dep_ in ASIDES and cue.head.i not in cues and not any(c.i not in cues for c in cue.children):
        cut.drop.add(cue.i)
        return True
    lead_in = _knowing_lead_in(doc, cue, cues)
    if lead_in is not None:
        cut.drop |= _with_edges(doc, lead_in)
        return True
    if cue.pos_ == "NOUN" and cue.dep_ in NOMINAL and replace_nouns and cue.head.i not in cues and _the_work(cue) \
            and cue.lower_ not in PLAIN_NOUNS:
        cut.replace[cue.i] = NEUTRAL_NOUN
        return True
    if cue.pos_ in ("NOUN", "PROPN") and cue.dep_ not in ESSENTIAL and not replace_nouns:
        cut.drop |= {cue.i} | {c.i for c in cue.children if c.dep_ in ("det", "poss")}
        return True
    detached = _detachable(doc, cue)
    if detached is not None and cue.pos_ in FUNCTION_WORDS and any(technical(doc[i]) for i in detached - cues):
        return True  # 'on your commit `a1b2c3d`': the phrase holds the point, the rule's 'on' is only its grammar
    if detached is not None:
        cut.drop |= _with_edges(doc, detached)
        return True
    return False


FUNCTION_WORDS = ("ADP", "DET", "PART", "CCONJ", "SCONJ", "PRON")


def technical(token: Token) -> bool:
    """Inline code (masked to the word 'code' before a run of blanks), a number or a link the parse saw."""
    following = token.nbor(1) if token.i + 1 < len(token.doc) else None
    masked_code = token.lower_ == NEUTRAL_NOUN and following is not None and following.is_space
    return masked_code or token.like_num or token.like_url


def whole(doc: Doc, cut: Cut) -> bool:
    """What is left still reads as a sentence: its verb is finite or a request, and keeps its subject."""
    words = [t for t in doc if t.i not in cut.drop and not (t.is_punct or t.is_space)]
    if len(words) < 2 or words[0].dep_ in DANGLING:
        return False
    if not cut.drop:
        return True  # only words swapped: the sentence keeps its own shape
    if request(words, cut):
        return True
    heads = [t for t in words if t.pos_ in ("VERB", "AUX") and (t.dep_ == "ROOT" or t.head.i in cut.drop)]
    if not heads:
        return False
    head = heads[0]
    kept_aux = any(c.dep_ in ("aux", "auxpass") and c.i not in cut.drop for c in head.children)
    # The small tagger reads "you close" as VB; with its subject kept it is a present tense all the same.
    kept_subject = any(c.dep_ in SUBJECTS and c.i not in cut.drop for c in head.children)
    finite = head.tag_ in FINITE or kept_aux or (head.tag_ == "VB" and kept_subject)
    return finite and any(t.dep_ in SUBJECTS for t in words)


def request(words: list[Token], cut: Cut) -> bool:
    """What is left opens with a bare verb whose only subject was a cut 'you': 'Could you run the tests?'"""
    if words[0].dep_ == "intj" and len(words) > 2:
        words = words[1:]
    first = words[0]
    subjects = [c for c in first.children if c.dep_ in SUBJECTS]
    if first.tag_ != "VB" or not all(c.i in cut.drop and c.lower_ == "you" for c in subjects):
        return False
    return bool(subjects) or first.dep_ == "ROOT" or addressed(first)


def addressed(verb: Token) -> bool:
    """A bare verb under another ('You need to [run] the tests', 'Why didn't you just [use] a dict?') was asked
    of the reader only if that verb's subject is 'you'; under 'Love to [leak] stack traces' it was no request,
    and saying it as one turns irony into an order."""
    head = verb.head
    return head.i != verb.i and any(c.dep_ in SUBJECTS and c.lower_ == "you" for c in head.children)


def _gerund_request(doc: Doc, cues: set[int]) -> Cut | None:
    """'Merely a matter of adding `--no-cache-dir` to the pip line', 'It's just a case of moving the check up':
    a minimizing frame before a gerund that carries the rest of the sentence. The frame goes and the gerund
    becomes the request it stood for ('Add `--no-cache-dir` to the pip line')."""
    verb = next((t for t in doc if t.tag_ == "VBG" and t.dep_ in ("pcomp", "attr")), None)
    if verb is None or not any(i < verb.i for i in cues) or any(i > verb.i for i in cues):
        return None
    before = [t for t in doc if t.i < verb.i]
    if not all(t.i in cues or t.is_stop or t.is_punct or t.lower_ in ("matter", "case", "question") for t in before):
        return None
    if any(t.lower_ in REFUSING for t in before):
        return None  # "Hard no on disabling the linter" refuses the gerund: it must not become "Disable the linter"

    rest = [t for t in doc if t.i > verb.i and not (t.is_punct or t.is_space)]
    if len(rest) < 2 or any(t.i not in {s.i for s in verb.subtree} for t in rest):
        return None
    return Cut(drop={t.i for t in before}, replace={verb.i: verb.lemma_})


def plan(doc: Doc, cues: tuple[int, ...], replace_nouns: bool = True) -> Cut | None:
    """What to cut so every cue is gone; None when some cue carries the sentence ('This is garbage.')."""
    cut = Cut()
    wanted = set(cues)
    if not wanted:
        return None
    gerund = _gerund_request(doc, wanted)
    if gerund is not None:
        return gerund
    prefix = _prefix(doc, wanted)
    if prefix is not None and _lead_in(doc, doc[min(wanted)], wanted) is None:
        cut.drop |= _with_edges(doc, prefix)
    elif (lead := _colon_lead(doc, wanted)) is not None and all(
            _knowing_lead_in(doc, doc[i], wanted) is None for i in wanted):
        cut.drop |= lead  # a knowing clause before the colon keeps its complement instead ("... would see that X:")
    for i in sorted(wanted):
        if not _one(doc, doc[i], wanted, cut, replace_nouns):
            return None
    return cut if whole(doc, cut) else None
