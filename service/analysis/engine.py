"""Run the analysis: mask Markdown, split sentences, parse only those with a cue, match, score, rephrase."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from spacy.language import Language

from . import nlp as nlp_module
from .catalog import Analysis, Finding, Options, Rule, load_rules, load_signals
from .markdown import extract
from .matchers import Matchers, compile_rules
from .rephrase import STRATEGIES, Rewrite, candidates, choose
from .scoring import GUARDS, Sentence, guarded, score, shows
from .segment import sentences

# Review comments are short; past this the rest is a log paste or an attack on the worker, not prose.
MAX_CHARS = 20_000
# VADER slows down badly on long runs of emoji (see PERFORMANCE-NOTES.md), so it sees only the first few.
MAX_SYMBOLS = 8
BATCH_SIZE = 64
_CHECK = Options(sensitivity="high")
_SPACE = re.compile(r"[\n\t\r]")


@dataclass
class Engine:
    """A loaded pipeline with its compiled rules; one per model name per process."""

    nlp: Language
    rules: dict[str, Rule]
    matchers: Matchers
    verdicts: dict[str, bool] = field(default_factory=dict)


@functools.cache
def validated_rules() -> tuple[Rule, ...]:
    """Every rule, validated, without loading spaCy (for `tact rules` and the docs)."""
    return load_rules(guards=frozenset(GUARDS), strategies=STRATEGIES)


@functools.cache
def engine(model_name: str = nlp_module.DEFAULT_MODEL) -> Engine:
    pipeline = nlp_module.pipeline(model_name)
    rules = validated_rules()
    matchers = compile_rules(rules, pipeline, load_signals())
    return Engine(nlp=pipeline, rules={r.id: r for r in rules}, matchers=matchers)


def load(model_name: str = nlp_module.DEFAULT_MODEL) -> None:
    """Load the pipeline and rules now, so a bad rule file stops the process at start-up."""
    engine(model_name)
    nlp_module.sentiment()


@dataclass
class _Comment:
    original: str
    masked: str
    spans: list[tuple[int, int]]
    notes: tuple[str, ...]
    compounds: list[float] = field(default_factory=list)
    hits: list[tuple[float, _Pending | None]] = field(default_factory=list)


@dataclass(frozen=True)
class _Pending:
    """A finding to show whose suggestion still has to be vetted (all of a batch's are vetted at once)."""

    rule: Rule
    start: int
    end: int
    value: float
    proposals: tuple[str, ...]


def _prepare(text: str) -> _Comment:
    notes: tuple[str, ...] = ()
    if len(text) > MAX_CHARS:
        text, notes = text[:MAX_CHARS], (f"truncated at {MAX_CHARS} characters",)
    prose = extract(text)
    return _Comment(text, prose.masked, sentences(prose.masked), notes)


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
    cues = e.matchers.cues(rule.id, s.doc, match)
    rewrite = Rewrite(doc=s.doc, original=c.original[start:end], match=match, cues=cues, harsh=harsh)
    return _Pending(rule, start, end, value, candidates(rule.rephrase, rewrite))


def _finding(c: _Comment, p: _Pending, passes) -> Finding:
    rule = p.rule
    return Finding(
        rule=rule.id,
        category=rule.category,
        severity=rule.severity,
        start=p.start,
        end=p.end,
        text=c.original[p.start : p.end],
        message=rule.message,
        suggestion=choose(p.proposals, rule.category, passes),
        score=p.value,
        link=rule.link,
    )


def _best_hits(e: Engine, s: Sentence, options: Options) -> dict[str, tuple[float, tuple[int, ...]]]:
    """The highest-scoring unguarded match of each enabled rule in one sentence."""
    best: dict[str, tuple[float, tuple[int, ...]]] = {}
    for rule_id, match in e.matchers.hits(s.doc):
        rule = e.rules[rule_id]
        if rule.id in options.disabled_rules or rule.category in options.disabled_categories:
            continue
        if guarded(s, match, rule.unless):
            continue
        value = score(rule.severity, s, match)
        if rule_id not in best or value > best[rule_id][0]:
            best[rule_id] = (value, match)
    return best


def _judge(e: Engine, c: _Comment, start: int, end: int, s: Sentence, options: Options, rephrase: bool):
    best = _best_hits(e, s, options)
    # Every rule's words in the sentence, so one rule's suggestion does not keep another's ("Simply ...").
    harsh = {i for rule_id, (_, m) in best.items() for i in e.matchers.cues(rule_id, s.doc, m)}
    if best:  # harsh nouns no rule flags alone ("this mess") still have no place in a suggestion
        harsh |= {i for a, b in s.signals.get("harsh_nouns", ()) for i in range(a, b)}
    for rule_id, (value, match) in best.items():
        rule = e.rules[rule_id]
        pending = None
        if rephrase and shows(value, options.sensitivity):
            pending = _pending(e, rule, c, start, end, s, match, value, tuple(sorted(harsh)))
        c.hits.append((value, pending))


def _run(e: Engine, comments: list[_Comment], options: Options, rephrase: bool) -> list[Analysis]:
    vader = nlp_module.sentiment()
    todo = []
    for c in comments:
        for start, end in c.spans:
            text = _SPACE.sub(" ", c.masked[start:end])
            compound = vader.polarity_scores(_for_vader(text))["compound"]
            c.compounds.append(compound)
            if e.matchers.needs_parse(e.nlp.make_doc(text)):
                todo.append((c, start, end, text, compound))
    docs = e.nlp.pipe((t[3] for t in todo), batch_size=BATCH_SIZE)
    for (c, start, end, _, compound), doc in zip(todo, docs, strict=True):
        s = Sentence(
            doc=doc, signals=e.matchers.signal_spans(doc), compound=compound, comment_low=min(c.compounds),
            comment_words=len(c.masked.split()),
        )
        _judge(e, c, start, end, s, options, rephrase)
    if rephrase:
        _vet(e, [text for c in comments for _, p in c.hits if p is not None for text in p.proposals])
    return [_verdict(e, c, options) for c in comments]


def _verdict(e: Engine, c: _Comment, options: Options) -> Analysis:
    shown = [value for value, _ in c.hits if shows(value, options.sensitivity)]
    pending = [p for _, p in c.hits if p is not None]
    findings = tuple(
        sorted((_finding(c, p, e.verdicts.__getitem__) for p in pending), key=lambda f: (f.start, -f.score))
    )
    top = max((value for value, _ in c.hits), default=0.0)
    sentiment = round(sum(c.compounds) / len(c.compounds), 3) if c.compounds else 0.0
    return Analysis(flagged=bool(shown), score=top, sentiment=sentiment, findings=findings, notes=c.notes)


def _vet(e: Engine, proposals: list[str]) -> None:
    """Analyze a batch's new proposals in one pass; one passes if nothing shows even at high sensitivity."""
    new = sorted({p for p in proposals if p not in e.verdicts})
    if len(e.verdicts) + len(new) > 10_000:
        e.verdicts.clear()
    if new:
        results = _run(e, [_prepare(t) for t in new], _CHECK, rephrase=False)
        e.verdicts.update({text: not r.flagged for text, r in zip(new, results, strict=True)})


def analyze_many(texts: Iterable[str], options: Options | None = None) -> list[Analysis]:
    """Analyze a batch with one nlp.pipe; strings made while parsing are freed when the batch ends."""
    options = options or Options()
    e = engine(options.model)
    comments = [_prepare(t) for t in texts]
    with e.nlp.memory_zone():
        return _run(e, comments, options, rephrase=True)


def analyze(text: str, options: Options | None = None) -> Analysis:
    return analyze_many([text], options)[0]
