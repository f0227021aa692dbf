"""Run the analysis: mask Markdown, split sentences, parse only those with a cue, match, score, rephrase."""

from __future__ import annotations

import functools
import math
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from spacy.language import Language
from spacy.tokens import Doc

from . import gate, learned
from . import nlp as nlp_module
from .catalog import Analysis, Finding, Options, Rule, load_rules, load_signals
from .compose import VERDICT_CATEGORIES, assemble
from .compose import Sentence as Flagged
from .markdown import extract
from .matchers import Matchers, compile_rules
from .rephrase import STRATEGIES, Rewrite, candidates, jab_clause
from .scoring import CONTRAST_GUARDS, GUARDS, PRAISE, THRESHOLD, Sentence, guarded, score, shows
from .segment import sentences

# Review comments are short; past this the rest is a log paste or an attack on the worker, not prose.
MAX_CHARS = 20_000
# VADER slows down badly on long runs of emoji (5,000 emoji took 17 s in one call), so it sees only the first few.
MAX_SYMBOLS = 8
BATCH_SIZE = 64
_CHECK = Options(sensitivity="high")
_SPACE = re.compile(r"[\n\t\r]")
# The writer owning a mistake: "my bad", "that NPE is mine", "note to self", "I'm the one who added it".
_OWNS_UP = re.compile(
    r"\b(?:my (?:bad|fault|mistake|doing|typo|bug|screw-?up|own)|(?:is|was|are|were|'s) (?:all |entirely )?mine\b"
    r"|my (?:dumb|stupid|silly|own|embarrassing) (?:typo|bug|mistake|error|slip)|self-review\b"
    r"|on my (?:part|side|end)\b|note to self|i'm the one|i was the one"
    r"|\bmy (?:[\w-]+ ){1,2}(?:was|is|'s) the (?:\w+ )?(?:one|culprit|cause|problem)\b"
    r"|i (?:really |actually )?(?:broke|left|added|wrote|forgot|messed|screwed|introduced|missed)\b"
    r"|oops|i'm (?:so|such)\b"
    r"|(?:this|that|it)(?: one)?(?:'s| is| was) on me\b|turns out i\b|brain fart"
    r"|i (?:shipped|merged|flashed|misread|misconfigured|mixed up)\b)", re.I)
# A sentence that says the work got better ("This is much simpler now.") praises, whatever VADER scores it.
_IMPROVED = re.compile(r"\b(?:much|a lot|way|so|far)\s+(?:simpler|cleaner|better|clearer|faster|easier|nicer|neater|"
                       r"tidier|safer|shorter)\b|\b(?:lgtm|looks good|love it|well done|nice work|great work)\b", re.I)
# The comment clearing the change of the trouble it grumbles about (scoring.clears_the_change).
_WORK = r"(?:pr|change|changes|patch|diff|mr|code|branch|commit)"
_CLEARS = re.compile(r"\b(?:(?:unrelated|not related) to (?:this|your|the) " + _WORK +
                     r"|nothing (?:in|wrong with) (?:this|your) " + _WORK +
                     r"|(?:(?:has|had|have) )?nothing to do with (?:this|your) " + _WORK +
                     r"|not (?:caused by|from|because of) (?:this|your) " + _WORK +
                     r"|not your (?:fault|problem|doing|diff|change|code|pr)|none of (?:that|this|it) is (?:on )?your"
                     r"|your " + _WORK + r" (?:is|looks) (?:fine|good|ok|okay|correct|right)"
                     r"|nothing (?:for )?you need to do|(?:isn't|is not|wasn't) (?:on )?(?:you|your " + _WORK + r"))\b",
                     re.I)
# "Ah yes, `chmod 777`." and "Oh great, another flag." open in mock enthusiasm: what follows them is no
# praise that a later verdict ("The universal fix.") goes on with (scoring.praised_before).
_MOCK_OPENER = re.compile(r"(?:oh|ah)\b[ ,]*(?:yes|yeah|great|goodie|sure|wonderful|joy)\b",
                          re.I)
# Who a comment is aimed at (scoring.aimed_at_no_one): "you" anywhere in its prose; a sentence the writer is
# the subject of, up to two words in ("Lol, I spent an hour...", "Turns out I flashed...", "My fixture is...").
_READER = re.compile(r"\b(?:you|your|yours|yourself|yourselves|u|ur|ya|y'all)\b", re.I)
# ... unless the writer's story is of asking ("I have now left this comment on every patchset"): that is
# repetition aimed at the reader, who is not named.
_ASKED = re.compile(r"\b(?:ask(?:ed|ing)?|said|told|mention(?:ed)?|comment(?:ed)?|point(?:ed)? out|repeat(?:ed|ing)?"
                    r"|explain(?:ed|ing)?|remind(?:ed)?|request(?:ed)?|flagged"
                    r"|typ(?:e|ed|ing) (?:this|it) out)\b", re.I)
_WRITER = re.compile(r"(?:^|[.!?:;]\s+|\n\s*)(?:[\w']+,?\s+){0,2}(?:i|my)\b(?!['’])|\bi(?:'m|'ve| was| had)\b", re.I)

ModelCall = tuple[Rule, tuple[int, ...]]  # the rule a model prediction shows as, and the words it leaned on


@dataclass
class Engine:
    """A loaded pipeline with its compiled rules; one per model name per process."""

    nlp: Language
    rules: dict[str, Rule]
    matchers: Matchers
    verdicts: dict[str, bool] = field(default_factory=dict)
    parses_whole: dict[str, bool] = field(default_factory=dict)
    model: learned.Model | None = None
    model_rules: dict[str, Rule] = field(default_factory=dict)  # category -> the rule its predictions show as
    # category -> the rule a prediction shows as beside another finding, where the model's lower context
    # threshold applies (Rule.beside): every model rule, those that only speak there included
    context_rules: dict[str, Rule] = field(default_factory=dict)

    def forget(self) -> None:
        """Empty what is remembered between calls (vetted proposals, their parses, the gate's string caches):
        for a benchmark whose later rounds must not find the same rewrites already checked."""
        self.verdicts.clear()
        self.parses_whole.clear()
        gate.forget()


@functools.cache
def validated_rules() -> tuple[Rule, ...]:
    """Every rule, validated, without loading spaCy (for `tact rules` and the docs)."""
    return load_rules(guards=frozenset(GUARDS), strategies=STRATEGIES)


@functools.cache
def engine(model_name: str = nlp_module.DEFAULT_MODEL) -> Engine:
    pipeline = nlp_module.pipeline(model_name)
    rules = validated_rules()
    matchers = compile_rules(rules, pipeline, load_signals())
    context_rules = {r.category: r for r in rules if r.kind == "model"}
    model_rules = {r.category: r for r in rules if r.kind == "model" and not r.beside}
    names = {r.patterns for r in context_rules.values()}
    if len(names) > 1:
        raise ValueError(f"model rules name more than one model: {sorted(names)}")
    model = learned.load(names.pop()) if names else None
    return Engine(nlp=pipeline, rules={r.id: r for r in rules}, matchers=matchers, model=model,
                  model_rules=model_rules, context_rules=context_rules)


def sentence_words(
    texts: Iterable[str], model_name: str = nlp_module.DEFAULT_MODEL
) -> list[list[tuple[str, tuple[str, ...]]]]:
    """Each text's sentences as the analyzer sees them: (the original words, the lowercased tokens the
    model reads). Training reads sentences through this, so it sees what scoring will."""
    tokenizer = nlp_module.pipeline(model_name).tokenizer  # not engine(): the model may not exist yet
    out = []
    for text in texts:
        c = _prepare(text)
        out.append([(c.original[a:b], _model_words(tokenizer(_SPACE.sub(" ", c.masked[a:b])))[1])
                    for a, b in c.spans])
    return out


def _model_words(doc) -> tuple[list[int], tuple[str, ...]]:
    """The tokens the model reads: none inside double quotes, which hold someone else's words ('the bot
    posts "Deploy failed, you broke it"', a rule's own message quoting what it flags), as `mentioned` keeps
    every rule off them. An unclosed quote quotes nothing: the sentence is read whole."""
    kept = [t for t in doc if not t.is_space]
    text = doc.text  # joined again from every token on each read
    if any(q in text for q in QUOTE_MARKS):
        quoted, inside = [], False
        for t in kept:
            if t.text in QUOTE_MARKS:
                inside = not inside if t.text == '"' else t.text == "“"
            elif inside:
                continue
            quoted.append(t)
        kept = kept if inside else quoted
    return [t.i for t in kept], tuple(t.lower_ for t in kept)


QUOTE_MARKS = ('"', "“", "”")


def _learned(e: Engine, doc, options: Options, sentences: int = 1) -> tuple[ModelCall | None, ModelCall | None]:
    """The model's calls on one tokenized sentence, alone and beside another finding: for each, the rule it
    shows as and the words it leaned on, or None.

    Beside is the call for a sentence of a comment that another finding already flagged: the lower context
    threshold applies and every model rule may speak (a harsh comment's other sentences are far more often
    harsh than a civil comment's). One prediction serves both."""
    if e.model is None:
        return None, None
    positions, words = _model_words(doc)
    probability, category = e.model.predict(learned.features(words, nlp_module.sentiment().lexicon))
    if probability < e.model.context_threshold:
        return None, None
    calls = []
    alone = e.model.threshold_for(sentences)  # a long comment has more chances to look harsh (Model.threshold_for)
    for rules, threshold in ((e.model_rules, alone), (e.context_rules, e.model.context_threshold)):
        rule = rules.get(category)
        if probability < threshold or rule is None:
            calls.append(None)
        elif rule.id in options.disabled_rules or rule.category in options.disabled_categories:
            calls.append(None)
        else:
            calls.append(rule)
    if calls == [None, None]:
        return None, None
    # The model may lean on "you", "why" and "not" alone, which civil reviews are full of; it speaks only
    # when a word with content of its own carried it ("the reason", "textbook", "weakest").
    cues = tuple(positions[i] for i in e.model.cue_words(words, category))
    if not _content_words(doc, cues):
        return None, None
    alone, beside = ((rule, cues) if rule else None for rule in calls)
    return alone, beside


def _learned_once(e: Engine, doc, options: Options, sentences: int, text: str, seen: dict | None):
    """_learned, asked once per sentence and comment length in a batch (`seen` keeps the answers)."""
    found = seen.get((text, sentences)) if seen is not None else None
    if found is None:
        found = _learned(e, doc, options, sentences)
        if seen is not None and len(seen) < MAX_CACHED_DOCS:
            seen[(text, sentences)] = found
    return found


def _content_words(doc, indices) -> tuple[int, ...]:
    return tuple(i for i in indices if doc[i].is_alpha and not doc[i].is_stop)


def _cues(e: Engine, rule: Rule, doc, match: tuple[int, ...]) -> tuple[int, ...]:
    """The words a rewrite may cut for a rule's match. A model's match is the words it leaned on, and only
    those with content of their own are cut: cutting its "not" or "you" would change what the sentence says
    ("a `POST` is not idempotent" must not become "a `POST` is idempotent")."""
    if rule.kind == "model":
        return _content_words(doc, match)
    return e.matchers.cues(rule.id, doc, match) or match  # a rule of shapes ("YOU") has no words: its match


def load(model_name: str = nlp_module.DEFAULT_MODEL) -> None:
    """Load the pipeline and rules now, so a bad rule file stops the process at start-up."""
    engine(model_name)
    nlp_module.sentiment()


class _Held(NamedTuple):
    """A sentence whose verdict waits for the rest of its comment, with its hits so far."""

    start: int
    end: int
    sentence: Sentence
    hits: dict[str, tuple[float, tuple[int, ...]]]  # rule id -> (value, match): beside rules' hits, or quiet ones
    beside: ModelCall | None = None  # the model's call beside a finding


@dataclass
class _Comment:
    original: str
    masked: str
    spans: list[tuple[int, int]]
    notes: tuple[str, ...]
    compounds: list[float] = field(default_factory=list)
    hits: list[tuple[float, _Pending | None]] = field(default_factory=list)
    flagged: list[Flagged] = field(default_factory=list)
    rewrite: str = ""
    # sentences no rule flagged on its own, with what only speaks beside a finding; judged once the
    # comment's other sentences are
    held: list[_Held] = field(default_factory=list)
    # sentences whose hits all fall below the repository's sensitivity; flagged once it is known whether
    # another cue of the comment lifts them
    quiet: list[_Held] = field(default_factory=list)
    # (reader, writer, tool named, owns up, clears the change) in the prose
    aim: tuple[bool, bool, bool, bool, bool] | None = None
    praised_from: float | None = None  # where its first sentence of praise starts (inf: none), read once


@dataclass(frozen=True)
class _Pending:
    """A finding to show; the comment's rewrite is settled once every sentence of the batch is vetted."""

    rule: Rule
    start: int
    end: int
    value: float
    words: str
    matched: str = ""
    cues: frozenset[int] = frozenset()  # token indices of the rule's words in the sentence, to find duplicates
    also: tuple[str, ...] = ()
    doc: Doc | None = None  # the sentence's parse, so merged notes write their words from the tokens


def _prepare(text: str) -> _Comment:
    notes: tuple[str, ...] = ()
    if len(text) > MAX_CHARS:
        text, notes = text[:MAX_CHARS], (f"truncated at {MAX_CHARS} characters",)
    masked = _uncensored(extract(text).masked)
    return _Comment(text, masked, [(a, _unmasked_end(text, masked, b)) for a, b in sentences(masked)], notes)


CENSOR_MARKS = "*#@$%!"
_CENSORED = re.compile(r"(?<![\w*#@$%!])[a-z][a-z*#@$%!]*[*#@$%!][a-z*#@$%!]*(?![\w*#@$%!])", re.I)


@functools.lru_cache(maxsize=1)
def _swears() -> dict[int, tuple[str, ...]]:
    by_length: dict[int, tuple[str, ...]] = {}
    for word in load_signals()["swears"]:
        by_length[len(word)] = (*by_length.get(len(word), ()), word)
    return by_length


def _uncensored(masked: str) -> str:
    """The prose with each starred-out swear spelled out ("f***ing" reads "fucking", "sh*t" "shit"), letter for
    letter so every offset holds: starring a word out softens its spelling, not what it says to the reader, and
    the parse of "f***ing" is no parse of a word at all. A symbol run that spells no listed word stays."""
    if not any(mark in masked for mark in CENSOR_MARKS):
        return masked

    def spell(m: re.Match) -> str:
        written = m.group(0)
        for word in _swears().get(len(written), ()):
            if all(a == b or a in CENSOR_MARKS for a, b in zip(written.lower(), word, strict=True)):
                return "".join(b.upper() if a.isupper() else b for a, b in zip(written, word, strict=True))
        return written

    return _CENSORED.sub(spell, masked)


def _unmasked_end(original: str, masked: str, end: int) -> int:
    """A sentence that ends in inline code ends at the span's closing backtick: the mask is a shorter
    placeholder padded with blanks, which the splitter trims ("wtf is `x2_final_REAL`" kept only "`x2_")."""
    while end < len(masked) and masked[end] == " " and not original[end].isspace():
        end += 1
    return end


def _for_vader(text: str) -> str:
    kept, symbols = [], 0
    for ch in text:
        if unicodedata.category(ch) == "So":
            symbols += 1
            if symbols > MAX_SYMBOLS:
                continue
        kept.append(ch)
    return "".join(kept)


def _pending(e: Engine, rule: Rule, c: _Comment, start: int, end: int, s: Sentence, match, value, harsh):
    cues = _cues(e, rule, s.doc, match)
    rewrite = Rewrite(doc=s.doc, original=c.original[start:end], match=match, cues=cues, harsh=harsh)
    words = " … ".join(_runs(c.original, start, s.doc, cues))
    pending = _Pending(rule, start, end, value, words, _matched_words(s.doc, match), frozenset(cues), doc=s.doc)
    return pending, candidates(rule.rephrase, rewrite), rewrite


def _matched_words(doc, match: tuple[int, ...]) -> str:
    """The words from the first to the last matched token: what `allow:` would need to cover."""
    return doc[min(match) : max(match) + 1].text if match else ""


def _runs(original: str, offset: int, doc, cues) -> list[str]:
    """The cue tokens as written in the original, one string per run of adjacent tokens."""
    runs: list[list[int]] = []
    for i in sorted(cues):
        # "Your refactor broke": cues one word apart are one phrase, unless code, a number or a "not" is between
        gap = original[offset + doc[runs[-1][-1]].idx : offset + doc[i].idx] if runs else ""
        # ... and a phrase said word by word ("Stop. Pushing. New.") is one run across its full stops.
        said_apart = bool(re.fullmatch(r"[.!]+\s+", gap))
        if runs and i - runs[-1][-1] <= 2 and (said_apart or not re.search(r"[`\d,;:.!?]|\b(?:not|never|no)\b|n't",
                                                                           gap)):
            runs[-1].append(i)
        else:
            runs.append([i])
    return [original[offset + doc[r[0]].idx : offset + doc[r[-1]].idx + len(doc[r[-1]])] for r in runs]


def _finding(c: _Comment, p: _Pending) -> Finding:
    rule = p.rule
    return Finding(
        rule=rule.id,
        category=rule.category,
        severity=rule.severity,
        start=p.start,
        end=p.end,
        text=c.original[p.start : p.end],
        message=rule.message,
        suggestion=c.rewrite,
        score=p.value,
        link=rule.link,
        matched=p.matched,
        words=p.words,
        also=p.also,
    )


def _best_hits(
    e: Engine, s: Sentence, options: Options, pre=None
) -> tuple[dict[str, tuple[float, tuple[int, ...]]], bool]:
    """The highest-scoring unguarded match of each enabled rule in one sentence, and whether a rule the
    repository disabled, or an allowed phrase, matched it unguarded: "You broke the build again." in a
    repository that turned off `you-broke` is wording it accepts, not a gap for the model to fill."""
    best: dict[str, tuple[float, tuple[int, ...]]] = {}
    silenced = False
    for rule_id, match in e.matchers.hits(s.doc, pre):
        rule = e.rules[rule_id]
        if guarded(s, match, rule.unless):
            continue
        if rule.id in options.disabled_rules or rule.category in options.disabled_categories or \
                _allowed(s.doc, match, options):
            silenced = True
            continue
        value = score(rule.severity, s, match)
        if rule_id not in best or value > best[rule_id][0]:
            best[rule_id] = (value, match)
    return best, silenced


def _allowed(doc, match: tuple[int, ...], options: Options) -> bool:
    """Whether every matched token lies inside one occurrence of an allowed phrase (case-insensitive)."""
    if not options.allowed or not match:
        return False
    words = [t.lower_ for t in doc]
    low, high = min(match), max(match)
    for phrase in options.allowed:
        wanted = _phrase_words(options.model, phrase)
        n = len(wanted)
        for i in range(max(0, high - n + 1), min(low, len(words) - n) + 1):
            if tuple(words[i : i + n]) == wanted:
                return True
    return False


@functools.lru_cache(maxsize=1024)
def _phrase_words(model: str, phrase: str) -> tuple[str, ...]:
    """An allowed phrase split the way sentences are, so "stupid-simple" and "stupid simple" differ."""
    return tuple(t.lower_ for t in engine(model).nlp.make_doc(phrase))


def _judge(e: Engine, c: _Comment, start: int, end: int, s: Sentence, options: Options, rephrase: bool,
           model: tuple[ModelCall | None, ModelCall | None] = (None, None), pre=None):
    found, silenced = _best_hits(e, s, options, pre)
    best = {k: v for k, v in found.items() if not e.rules[k].beside}
    if callable(model):
        model = (None, None) if best else model()
    alone, beside = model
    only_jab = False
    # A rule's own note says more than the model's; the model covers the rest, except where the repository
    # switched off the rule these words are for (`silenced`): the model does not bring it back.
    if alone and not best and not silenced:
        _add_model_hit(best, s, alone, options)
        if best:  # a beside rule's words in the sentence are the model's evidence made exact: they go too
            best.update({k: v for k, v in found.items() if e.rules[k].beside})
        # The model's words are its evidence, not a jab a cut could take out: a sentence it flags with nothing
        # technical in it ("Not sure what the holdup is.") goes whole when the comment's point is elsewhere.
        only_jab = bool(best) and _point_elsewhere(c, start, end)
    if best and any(shows(value, options.sensitivity) for value, _ in best.values()):
        _flag(e, c, start, end, s, best, rephrase, options, whole_jab=only_jab)
    elif best:  # a beside rule's hit in the same sentence, strong enough to show, is a second cue
        near = {k: v for k, v in found.items() if e.rules[k].beside and shows(v[0], options.sensitivity)}
        c.quiet.append(_Held(start, end, s, {**best, **near}))
    else:
        c.held.append(_Held(start, end, s, {k: v for k, v in found.items() if e.rules[k].beside}, beside))


# "A bit of mentoring, since it's clearly needed: Docker caches a layer by its inputs.": after a colon that closes
# a lead-in, a clause this long is what the sentence says, so the sentence is not only a jab.
SAID_AFTER_COLON = 5


def _point_elsewhere(c: _Comment, start: int, end: int) -> bool:
    """The sentence is only a jab and another part of the comment has something technical."""
    return _only_a_jab(c.original[start:end]) and bool(
        gate.technical_tokens(c.original[:start] + " " + c.original[end:]))


def _only_a_jab(sentence: str) -> bool:
    """Nothing technical to keep, nor a clause of its own after a lead-in's colon."""
    _, colon, after = sentence.partition(": ")
    if colon and len(re.findall(r"[^\W\d_]+", after)) >= SAID_AFTER_COLON:
        return False
    return not gate.technical_tokens(sentence)


def _add_model_hit(best: dict, s: Sentence, call: ModelCall, options: Options, beside: bool = False) -> None:
    rule, match = call
    match = _evidence(s.doc, match)
    unless = tuple(g for g in rule.unless if g not in CONTRAST_GUARDS) if beside else rule.unless
    if not guarded(s, match, unless) and not _allowed(s.doc, match, options):
        best[rule.id] = (score(rule.severity, s, match), match)


def _evidence(doc, match: tuple[int, ...]) -> tuple[int, ...]:
    """The model's words that can be the jab: a noun it leaned on ("guards" in "Surely you know `Mutex` guards
    ...", "chapter") names what the sentence is about, and a rewrite that cut it would lose the point; a noun
    that is harsh in itself ("idiot", "garbage") stays. All of them when no other word with content is left."""
    lexicon = nlp_module.sentiment().lexicon
    kept = tuple(i for i in match if doc[i].pos_ not in ("NOUN", "PROPN", "NUM")
                 or lexicon.get(doc[i].lower_, 0.0) <= -1.0)
    return kept if _content_words(doc, kept) else match


def _judge_beside(e: Engine, c: _Comment, options: Options, rephrase: bool) -> None:
    """The held sentences of a comment another finding flagged: the beside rules' hits count now, and where
    none hit, the model's call at its context threshold."""
    # Two cues amplify each other: "Just use `errgroup`." is a plain request and "It's a trivial swap." a
    # remark, but together they say the reader should have seen it; "Just add a `WHERE`." beside "Not exactly
    # rocket science." is part of the jab, and a rewrite that kept its "Just" would keep the minimizer. A
    # quiet hit shows beside a finding or a beside rule's hit, in its own sentence too ("simply call `x()`,
    # there's nothing more to it"), except at low sensitivity, which asks for the strongest findings only.
    shown = any(shows(value, options.sensitivity) for value, _ in c.hits)
    lift = options.sensitivity != "low" and (
        shown or any(h.hits for h in c.held) or any(e.rules[k].beside for q in c.quiet for k in q.hits))
    for q in c.quiet:
        _flag(e, c, q.start, q.end, q.sentence, _lifted(q.hits) if lift else q.hits, rephrase, options)
    if not shown and not (lift and c.quiet):
        return
    # without a finding that showed on its own, only the beside rules' hits speak, not the model's looser call
    for h in c.held if shown else [h for h in c.held if h.hits]:
        best = dict(h.hits)
        # The model's words are its evidence, not a jab a cut could take out, so beside a finding it speaks
        # only for a sentence with nothing technical to keep, which the rewrite then leaves out whole.
        # A lead-in before a colon ("A bit of mentoring, since it's clearly needed: Docker caches ...") is found
        # the same way, but what follows the colon is kept: the sentence is not left out whole.
        sentence = c.original[h.start : h.end]
        speaks = not best and h.beside is not None and not gate.technical_tokens(sentence)
        if speaks:
            _add_model_hit(best, h.sentence, h.beside, options, beside=True)
        if best:
            _flag(e, c, h.start, h.end, h.sentence, best, rephrase, options, whole_jab=speaks and _only_a_jab(sentence))
    c.flagged.sort(key=lambda f: f.start)


def _lifted(hits: dict) -> dict:
    """Hits raised to show at medium sensitivity: words that are part of a jab shown nearby."""
    return {k: (max(value, THRESHOLD["medium"]), m) for k, (value, m) in hits.items()}


def _flag(e: Engine, c: _Comment, start: int, end: int, s: Sentence, best: dict, rephrase: bool,
          options: Options, whole_jab: bool = False) -> None:
    # Every rule's words in the sentence, so one rule's suggestion does not keep another's ("Simply ...").
    own = {rule_id: _cues(e, e.rules[rule_id], s.doc, m) for rule_id, (_, m) in best.items()}
    harsh = {i for cues in own.values() for i in cues}
    if best:  # harsh nouns no rule flags alone ("this mess") still have no place in a suggestion
        harsh |= {i for a, b in s.signals.get("harsh_nouns", ()) for i in range(a, b)}
    # Two rules in one sentence: the weaker one's words leave with the rewrite too (they are in `harsh`), so
    # its note shows beside the stronger one's, as a quiet hit shows beside a finding (_judge_beside).
    if options.sensitivity != "low" and any(shows(v, options.sensitivity) for v, _ in best.values()):
        best = _lifted(best)
    flagged = None
    for rule_id, (value, match) in sorted(best.items(), key=lambda item: -item[1][0]):
        rule = e.rules[rule_id]
        pending = None
        if rephrase and shows(value, options.sensitivity):
            pending, found, rewrite = _pending(e, rule, c, start, end, s, match, value, tuple(sorted(harsh)))
            if flagged is None:
                # each rule's own runs too: "Stop writing crap" as one run would let "crap" stay in the rewrite
                runs = [run for cues in own.values() for run in _runs(c.original, start, s.doc, cues)]
                cues = tuple(dict.fromkeys(_runs(c.original, start, s.doc, harsh) + runs))
                flagged = Flagged(start, end, c.original[start:end], cues, jab_clause(rewrite), whole_jab=whole_jab)
                c.flagged.append(flagged)
            if not whole_jab:
                flagged.add(rule.id, found)
            flagged.verdict |= rule.category in VERDICT_CATEGORIES
        c.hits.append((value, pending))


def _run(e: Engine, comments: list[_Comment], options: Options, rephrase: bool) -> list[Analysis]:
    vader = nlp_module.sentiment()
    # sentence -> what is read of it before the parse; the rewrites analyzed again repeat most sentences
    seen = getattr(_ZONE, "sentences", None)
    todo, later = [], []
    for c in comments:
        for start, end in c.spans:
            text = _SPACE.sub(" ", c.masked[start:end])
            read = seen.get(text) if seen is not None else None
            if read is None:
                words = e.nlp.make_doc(text)
                read = (vader.polarity_scores(_for_vader(text))["compound"], words, *e.matchers.prefilter(words))
                if seen is not None and len(seen) < MAX_CACHED_DOCS:
                    seen[text] = read
            compound, words, needs, pre = read
            c.compounds.append(compound)
            # Rules first (_judge): the model fills gaps, those a rule's guard left too ("Problem solved forever."
            # taken at its word by a rule beside a comment the model reads as sarcastic). Where a rule's words are
            # there, the sentence is parsed anyway, so the model is asked only if no rule's hit stands.
            n = len(c.spans)
            call = functools.partial(_learned_once, e, words, options, n, text, seen)
            model = call if pre.before else call()
            if callable(model) or model[0] or needs:
                todo.append((c, start, end, text, compound, model, pre))
            elif model[1]:  # the model's call beside a finding: parsed only if the comment has one
                later.append((c, start, end, text, compound, model, pre))
    for (c, start, end, _, compound, model, pre), doc in _parsed(e, todo):
        _judge(e, c, start, end, _sentence(e, c, start, doc, compound), options, rephrase, model, pre)
    later = [t for t in later if any(shows(value, options.sensitivity) for value, _ in t[0].hits)]
    for (c, start, end, _, compound, model, _pre), doc in _parsed(e, later):
        c.held.append(_Held(start, end, _sentence(e, c, start, doc, compound), {}, model[1]))
    for c in comments:
        _judge_beside(e, c, options, rephrase)
    if rephrase:
        _rewrite(e, comments, options)
    return [_verdict(c, options) for c in comments]


# sentence -> its parse, for the analyze_many call running on this thread: a rewrite is analyzed again whole,
# and its untouched sentences (and the proposals vetted a moment before) need not be parsed twice. Per thread,
# and emptied when the call's memory zone ends, since the docs' strings go with it.
_ZONE = threading.local()
MAX_CACHED_DOCS = 2_000  # parses kept for one call at most: a hostile comment of 10,000 sentences holds none


def _parsed(e: Engine, todo: list[tuple]):
    docs = getattr(_ZONE, "docs", None)
    if docs is None or len(docs) + len(todo) > MAX_CACHED_DOCS:  # a huge comment or batch: stream, keep nothing
        return zip(todo, e.nlp.pipe((t[3] for t in todo), batch_size=BATCH_SIZE), strict=True)
    new = list(dict.fromkeys(t[3] for t in todo if t[3] not in docs))
    docs.update(zip(new, e.nlp.pipe(new, batch_size=BATCH_SIZE), strict=True))
    return ((t, docs[t[3]]) for t in todo)


def _sentence(e: Engine, c: _Comment, start: int, doc, compound: float) -> Sentence:
    if c.aim is None:  # what the whole comment says of its people, read once for all its sentences
        found = e.matchers.signals(e.nlp.make_doc(c.masked))
        c.aim = (bool(_READER.search(c.masked)), bool(_WRITER.search(c.masked)) and not _ASKED.search(c.masked),
                 any(e.nlp.vocab.strings[m] == "weather" for m, _, _ in found), bool(_OWNS_UP.search(c.masked)),
                 bool(_CLEARS.search(c.masked)))
        c.praised_from = next((a for (a, b), value in zip(c.spans, c.compounds, strict=False)
                               if (value >= PRAISE or _IMPROVED.search(c.masked[a:b]))
                               and not _MOCK_OPENER.match(c.masked, a)), math.inf)
    return Sentence(
        doc=doc, signals=e.matchers.signal_spans(doc), compound=compound, comment_low=min(c.compounds),
        comment_high=max(c.compounds),
        comment_words=len(c.masked.split()), opens=start == c.spans[0][0], owns_up=c.aim[3],
        clears_change=c.aim[4],
        praise_before=c.praised_from < start,
        reader_in_comment=c.aim[0], writer_in_comment=c.aim[1], tool_in_comment=c.aim[2],
    )


def _rewrite(e: Engine, comments: list[_Comment], options: Options) -> None:
    """Gate every sentence's proposals (strings first, then the analyzer and the parse, in one batch), then
    assemble each comment's rewrite and gate it whole.

    Each edited sentence passed alone at the highest sensitivity, but the whole is analyzed again at the
    repository's: guards that read the comment's length or its other sentences can change their verdict when
    a jab goes (test_properties checks the shown rewrites)."""
    flagged = [f for c in comments for f in c.flagged]
    for to_the_end in (False, True):
        texts = [text for f in flagged for text in f.shortlist(to_the_end)]
        _vet(e, texts)
        _parse_check(e, [t for t in texts if e.verdicts[t]])  # the parse only for those the analyzer passed
        for f in flagged:
            f.choose(lambda text: e.verdicts[text] and e.parses_whole.get(text, False))
        flagged = [f for f in flagged if f.chosen is None and f.made < len(f.makers)]
    wholes = {}
    for c in comments:
        whole = assemble(c.original, c.flagged) if c.flagged else None
        if whole and gate.check(c.original, whole.text, cues=whole.cues, template=whole.template,
                                exempt=whole.exempt, dropped=whole.dropped).ok:
            wholes[id(c)] = whole.text
    # A shorter comment can lose a guard ("a refusal inside a longer comment is an answer"), so the whole is
    # analyzed once more, at the repository's sensitivity, before it is shown.
    texts = sorted({t for t in wholes.values() if not e.verdicts.get(t)})  # a vetted proposal passed at high
    verdicts = {t: not r.flagged for t, r in zip(texts, _run(e, [_prepare(t) for t in texts], options,
                                                             rephrase=False), strict=True)}
    for c in comments:
        if id(c) in wholes and verdicts.get(wholes[id(c)], True):
            c.rewrite = wholes[id(c)]


def _parse_check(e: Engine, texts: list[str]) -> None:
    """Whether each proposal parses into full sentences (gate.full_sentences), remembered like verdicts."""
    new = sorted({t for t in texts if t and t not in e.parses_whole})
    if len(e.parses_whole) + len(new) > 10_000:
        e.parses_whole.clear()
        new = sorted({t for t in texts if t})
    docs = e.nlp.pipe(gate.for_parse(t) for t in new)
    e.parses_whole.update({t: gate.full_sentences(doc) for t, doc in zip(new, docs, strict=True)})


def _verdict(c: _Comment, options: Options) -> Analysis:
    shown = [value for value, _ in c.hits if shows(value, options.sensitivity)]
    pending = _merged(c.original, [p for _, p in c.hits if p is not None])
    findings = tuple(sorted((_finding(c, p) for p in pending), key=lambda f: (f.start, -f.score)))
    top = max((value for value, _ in c.hits), default=0.0)
    sentiment = round(sum(c.compounds) / len(c.compounds), 3) if c.compounds else 0.0
    return Analysis(
        flagged=bool(shown), score=top, sentiment=sentiment, findings=findings, notes=c.notes, rewrite=c.rewrite
    )


def _merged(original: str, pending: list[_Pending]) -> list[_Pending]:
    """One finding per jab: rules whose words overlap in one sentence ('Everyone knows' and 'Everyone') are
    one note, the highest-scoring rule's, naming the words of both, written once from their tokens together
    ('Any first-year', not 'Any first-year … Any … year')."""
    kept: list[_Pending] = []
    for p in sorted(pending, key=lambda p: -p.value):
        twin = next((k for k in kept if (k.start, k.end) == (p.start, p.end) and k.cues & p.cues), None)
        if twin is None:
            kept.append(p)
            continue
        cues = twin.cues | p.cues
        words = " … ".join(_runs(original, twin.start, twin.doc, cues))
        kept[kept.index(twin)] = replace(twin, words=words, cues=cues, also=(*twin.also, p.rule.id))
    return kept


def _vet(e: Engine, proposals: list[str]) -> None:
    """Analyze a batch's new proposals in one pass; one passes if nothing shows even at high sensitivity."""
    new = sorted({p for p in proposals if p and p not in e.verdicts})
    if len(e.verdicts) + len(new) > 10_000:
        e.verdicts.clear()  # then every proposal of this batch is new again
        new = sorted({p for p in proposals if p})
    if new:
        results = _run(e, [_prepare(t) for t in new], _CHECK, rephrase=False)
        e.verdicts.update({text: not r.flagged for text, r in zip(new, results, strict=True)})


def analyze_many(texts: Iterable[str], options: Options | None = None) -> list[Analysis]:
    """Analyze a batch with one nlp.pipe; strings made while parsing are freed when the batch ends."""
    options = options or Options()
    e = engine(options.model)
    comments = [_prepare(t) for t in texts]
    with e.nlp.memory_zone():
        _ZONE.docs, _ZONE.sentences = {}, {}
        try:
            return _run(e, comments, options, rephrase=True)
        finally:
            _ZONE.docs = _ZONE.sentences = None


def analyze(text: str, options: Options | None = None) -> Analysis:
    return analyze_many([text], options)[0]
