"""Compile rules into spaCy matchers, plus a cheap pre-filter that decides which sentences need a parse."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from spacy.language import Language
from spacy.matcher import DependencyMatcher, Matcher, PhraseMatcher
from spacy.tokens import Doc

from .catalog import Rule, RuleError

# Attributes the tokenizer alone sets; a pattern that reads only these can run before the parse.
SURFACE_ATTRS = frozenset(
    {
        "ORTH",
        "TEXT",
        "LOWER",
        "NORM",
        "SHAPE",
        "LENGTH",
        "IS_ALPHA",
        "IS_ASCII",
        "IS_DIGIT",
        "IS_LOWER",
        "IS_UPPER",
        "IS_TITLE",
        "IS_PUNCT",
        "IS_SPACE",
        "LIKE_NUM",
        "LIKE_URL",
        "OP",
    }
)
LITERAL_ATTRS = ("LOWER", "ORTH", "TEXT", "NORM")
# Words in most sentences make poor anchors: a sentence with "you" or "?" would be parsed for nothing. A
# pattern is anchored on the required word list with the smallest share of these.
COMMON = frozenset(
    "you your i we it this that the a an is are was were be do does did have has had to for of in on at "
    "why what how not n't can could would should will thanks thank now right again ? ! . ,".split()
)


class Prefiltered(NamedTuple):
    """What prefilter learned of a sentence from its tokens: the matches found, the rules left to run."""

    before: list[tuple[int, int, int]]
    deep: frozenset[str]


@dataclass
class Matchers:
    """Every rule's matcher, keyed by rule id, and the pre-filter built from the same patterns."""

    phrases: PhraseMatcher
    signals: PhraseMatcher
    # anchor word -> (rule id, the word sets one of its parsed patterns needs: one word of each must be present)
    requirements: dict[str, list[tuple[str, tuple[frozenset[str], ...]]]] = field(default_factory=dict)
    # Each rule's patterns that read the parse have a matcher of their own too, run on a parsed sentence only
    # when prefilter found the words one of them needs: one matcher for every rule, run on every parsed
    # sentence, was the largest cost left after the parse (most of its patterns have no word to start from)
    deep_rules: dict[str, Matcher | DependencyMatcher] = field(default_factory=dict)
    rule_ids: dict[int, str] = field(default_factory=dict)
    # Running every surface pattern on every sentence was the analyzer's largest cost, so each rule's surface
    # patterns have a matcher of their own that runs only on a sentence with the words one of them requires
    # (one word of each list); the few patterns that require no word ("ALL CAPS", mOcKiNg case) sit in
    # `surface_open`, which always runs.
    surface_open: Matcher | None = None
    surface_rules: dict[str, tuple[Matcher, list[tuple[frozenset[str], ...]]]] = field(default_factory=dict)
    # anchor word -> (rule id, the word sets one of its surface patterns needs): checking every surface rule's
    # word lists on every sentence cost more than the matchers themselves, so a sentence looks up only the
    # rules one of its words can start (each pattern is filed under the rarest of its required lists)
    surface_index: dict[str, list[tuple[str, tuple[frozenset[str], ...]]]] = field(default_factory=dict)
    cue_words: dict[str, tuple[frozenset[str], tuple[re.Pattern, ...]]] = field(default_factory=dict)

    def cues(self, rule_id: str, doc: Doc, match: tuple[int, ...]) -> tuple[int, ...]:
        """The matched tokens that are the rule's words, not its grammar (what a rephrasing may drop)."""
        if rule_id not in self.cue_words:
            return match
        words, regexes = self.cue_words[rule_id]
        return tuple(
            i for i in match if doc[i].lower_ in words or any(r.search(doc[i].lower_) for r in regexes)
        )

    def prefilter(self, doc: Doc) -> tuple[bool, Prefiltered]:
        """Whether a tokenized sentence could match some rule (only those sentences are parsed), the matches
        that need no parse (phrases and surface patterns), kept so the parsed sentence does not run them
        again, and the rules whose parsed patterns could match. A pattern can match only if the sentence has
        one word of each of its required lists."""
        words = {t.lower_ for t in doc}
        before = list(self.phrases(doc))
        if self.surface_open is not None:
            before += self.surface_open(doc)
        run = {rule_id for word in words & self.surface_index.keys() for rule_id, needs in self.surface_index[word]
               if all(words & need for need in needs)}
        for rule_id, (matcher, _) in self.surface_rules.items():  # in the rules' order, as ties are kept
            if rule_id in run:
                before += matcher(doc)
        deep = frozenset(rule_id for word in words & self.requirements.keys()
                         for rule_id, needs in self.requirements[word] if all(words & need for need in needs))
        return bool(before or deep), Prefiltered(before, deep)

    def needs_parse(self, doc: Doc) -> bool:
        return self.prefilter(doc)[0]

    def hits(self, doc: Doc, pre: Prefiltered | None = None) -> list[tuple[str, tuple[int, ...]]]:
        """(rule id, matched token indices) for every match in a parsed sentence; `pre` holds what prefilter
        found on the same tokens, so phrases and surface patterns are not matched twice and only the rules
        whose words are present run their parsed patterns."""
        pre = self.prefilter(doc)[1] if pre is None else pre
        found = [(m, tuple(range(s, e))) for m, s, e in pre.before]
        for rule_id, matcher in self.deep_rules.items():  # in the rules' order, as ties are kept
            if rule_id in pre.deep:
                if isinstance(matcher, DependencyMatcher):
                    found += [(m, tuple(sorted(ids))) for m, ids in matcher(doc)]
                else:
                    found += [(m, tuple(range(s, e))) for m, s, e in matcher(doc)]
        return [(self.rule_ids[m], ids) for m, ids in found]

    def signal_spans(self, doc: Doc) -> dict[str, list[tuple[int, int]]]:
        spans: dict[str, list[tuple[int, int]]] = {}
        for match_id, start, end in self.signals(doc):
            spans.setdefault(doc.vocab.strings[match_id], []).append((start, end))
        return spans


def _token_dicts(kind: str, pattern: list[dict]) -> list[dict]:
    return [node.get("RIGHT_ATTRS", {}) for node in pattern] if kind == "dependency" else pattern


def _required_words(token: dict) -> set[str] | None:
    op = token.get("OP", "")
    if op in ("?", "*", "!") or op.startswith("{0") or op.startswith("{,"):
        return None
    for attr in LITERAL_ATTRS:
        value = token.get(attr)
        if isinstance(value, str):
            return {value.lower()}
        if isinstance(value, dict) and isinstance(value.get("IN"), list):
            return {str(v).lower() for v in value["IN"]}
    return None


def _literal_anchor(attrs: list[dict]) -> set[str] | None:
    """Lowercase words one required token must be; any sentence without one cannot match."""
    options = [words for words in map(_required_words, attrs) if words]
    return min(options, key=lambda words: len(words & COMMON) / len(words), default=None)


def _needs(attrs: list[dict]) -> tuple[frozenset[str], ...]:
    """Every required token's word list: a sentence must have a word from each for the pattern to match."""
    return tuple(frozenset(words) for words in map(_required_words, attrs) if words)


def _cue_words(attrs: list[dict]) -> tuple[set[str], set[str]]:
    words: set[str] = set()
    regexes: set[str] = set()
    for token in attrs:
        for attr in LITERAL_ATTRS:
            value = token.get(attr)
            if isinstance(value, str):
                words.add(value.lower())
            elif isinstance(value, dict):
                words |= {str(v).lower() for v in value.get("IN", ())}
                if "REGEX" in value:
                    regexes.add(value["REGEX"])
    return words, regexes


def _is_surface(attrs: list[dict]) -> bool:
    return all(set(token) <= SURFACE_ATTRS for token in attrs)


def _add(rule: Rule, nlp: Language, m: Matchers) -> None:
    patterns = rule.patterns
    if rule.kind == "model":  # the engine asks the model itself; no pattern to compile
        return
    if rule.kind == "phrases":
        m.phrases.add(rule.id, [nlp.make_doc(p) for p in patterns])
        return
    words: set[str] = set()
    regexes: set[str] = set()
    for pattern in patterns:
        attrs = _token_dicts(rule.kind, pattern)
        more_words, more_regexes = _cue_words(attrs)
        words, regexes = words | more_words, regexes | more_regexes
        anchor = _literal_anchor(attrs)
        if rule.kind == "tokens" and _is_surface(attrs):  # exact before the parse: no anchor needed
            required = _needs(attrs)
            if required:
                matcher, needs = m.surface_rules.setdefault(rule.id, (Matcher(nlp.vocab, validate=True), []))
                matcher.add(rule.id, [pattern])
                needs.append(required)
                for word in min(required, key=lambda words: (len(words & COMMON) / len(words), len(words))):
                    m.surface_index.setdefault(word, []).append((rule.id, required))
            else:
                m.surface_open.add(rule.id, [pattern])
            continue
        elif anchor:
            for word in anchor:
                m.requirements.setdefault(word, []).append((rule.id, _needs(attrs)))
        else:
            raise RuleError(
                f"{rule.file}: rule {rule.id!r}: a pattern needs one required LOWER word or only surface "
                f"attributes, so sentences without it can skip the parse (line {rule.line})"
            )
    deep = [p for p in patterns if not (rule.kind == "tokens" and _is_surface(_token_dicts(rule.kind, p)))]
    if deep:
        kind = Matcher if rule.kind == "tokens" else DependencyMatcher
        m.deep_rules.setdefault(rule.id, kind(nlp.vocab, validate=True)).add(rule.id, deep)
    if rule.cues:  # the rule names its cues: the rest of what its patterns match is the point
        words, regexes = set(rule.cues), set()
    m.cue_words[rule.id] = (frozenset(words), tuple(re.compile(r) for r in sorted(regexes)))


def compile_rules(rules: tuple[Rule, ...], nlp: Language, signals: dict[str, tuple[str, ...]]) -> Matchers:
    """Build the matchers; a pattern spaCy rejects raises RuleError naming the rule and its line."""
    vocab = nlp.vocab
    m = Matchers(
        phrases=PhraseMatcher(vocab, attr="LOWER"),
        surface_open=Matcher(vocab, validate=True),
        signals=PhraseMatcher(vocab, attr="LOWER"),
    )
    for rule in rules:
        try:
            _add(rule, nlp, m)
        except (ValueError, KeyError, TypeError) as exc:
            if isinstance(exc, RuleError):
                raise
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise RuleError(
                f"{rule.file}: rule {rule.id!r}: pattern does not compile: {first} (line {rule.line})"
            ) from exc
        m.rule_ids[vocab.strings.add(rule.id)] = rule.id
    for name, words in signals.items():
        m.signals.add(name, [nlp.make_doc(w) for w in words])
    return m
