"""A repository's settings: parse and validate `.github/tact.yml`, merge its sources, report errors as data.

Flask-free and GitHub-free: callers hand in the files' text (or None when there is no file), so both
processes and the CLI share this module. Users' mistakes never raise; they come back as ``SettingsError``s
with file, key, line and column, for the check-run summary and the dashboard (stale's lesson: a warning
only in our logs is a warning nobody reads).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jsonschema
import yaml

SCHEMA_PATH = Path(__file__).with_name("schemas") / "tact.schema.json"
REPOSITORY_FILE = ".github/tact.yml"
# Probot's convention: an organization-wide default lives in the org's `.github` repository, same path.
ORGANIZATION_FILE = "organization .github/tact.yml"
DASHBOARD = "dashboard settings"
CATEGORIES = ("condescension", "blame", "insult", "profanity", "sarcasm", "impatience", "dismissive")
SUPPORTED_LANGUAGES = ("en",)
# A settings file is a few hundred bytes; the cap keeps a pathological file from tying up a worker.
MAX_FILE_CHARS = 64 * 1024
_MAX_SHOWN = 40  # user-written keys and values are echoed back, trimmed to this many characters


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema shipped in the package: the single declaration of every key."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


# ---------- settings


@dataclass(frozen=True)
class RepoSettings:
    """A repository's effective settings, after merging; immutable so a cached copy cannot drift."""

    enabled: bool
    sensitivity: str
    categories: Mapping[str, bool]
    disabled_rules: frozenset[str]
    annotation_level: str
    conclusion: str
    ignore_authors: tuple[str, ...]
    ignore_paths: tuple[str, ...]
    store_text: bool
    language: str

    def ignores_author(self, login: str) -> bool:
        # GitHub logins are case-insensitive; brackets are literal so "*[bot]" means the "[bot]" suffix.
        return any(_author_glob(p).fullmatch(login.lower()) for p in self.ignore_authors)

    def ignores_path(self, path: str) -> bool:
        return any(_path_glob(p).fullmatch(path.lstrip("/")) for p in self.ignore_paths)

    def disabled_categories(self) -> frozenset[str]:
        return frozenset(name for name, on in self.categories.items() if not on)

    def to_dict(self) -> dict[str, Any]:
        """The settings in tact.yml's own shape, so a stored copy validates against the schema."""
        return {
            "enabled": self.enabled,
            "sensitivity": self.sensitivity,
            "categories": dict(self.categories),
            "rules": {"disabled": sorted(self.disabled_rules)},
            "annotation_level": self.annotation_level,
            "conclusion": self.conclusion,
            "ignore_authors": list(self.ignore_authors),
            "ignore_paths": list(self.ignore_paths),
            "store_text": self.store_text,
            "language": self.language,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RepoSettings:
        """Rebuild stored settings; keys added to the schema since they were stored take their defaults.

        Stored settings are our own data, so a bad one is a bug and raises ``ValueError``.
        """
        errors = [e for e in check_mapping(d, "stored settings") if e.kind == "error"]
        if errors:
            raise ValueError("; ".join(str(e) for e in errors))
        return _build(_merge([("default", _default_document()), ("stored", d)])[0])


def _build(doc: Mapping[str, Any]) -> RepoSettings:
    return RepoSettings(
        enabled=doc["enabled"],
        sensitivity=doc["sensitivity"],
        categories=MappingProxyType({name: doc["categories"][name] for name in CATEGORIES}),
        disabled_rules=frozenset(doc["rules"]["disabled"]),
        annotation_level=doc["annotation_level"],
        conclusion=doc["conclusion"],
        ignore_authors=tuple(doc["ignore_authors"]),
        ignore_paths=tuple(doc["ignore_paths"]),
        store_text=doc["store_text"],
        language=doc["language"],
    )


def _default_document() -> dict[str, Any]:
    return {key: json.loads(json.dumps(spec["default"])) for key, spec in schema()["properties"].items()}


@cache
def _author_glob(pattern: str) -> re.Pattern[str]:
    return re.compile(
        ".*".join(".".join(map(re.escape, part.split("?"))) for part in pattern.lower().split("*"))
    )


@cache
def _path_glob(pattern: str) -> re.Pattern[str]:
    """gitignore-style: `**` spans folders, `*` and `?` stay within one; no `/` means "at any depth"."""
    if pattern.endswith("/"):
        pattern += "**"
    if "/" not in pattern.rstrip("/"):
        pattern = "**/" + pattern
    out = []
    for token in re.split(r"(\*\*/|\*\*|\*|\?)", pattern.lstrip("/")):
        out.append({"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}.get(token, re.escape(token)))
    return re.compile("".join(out))


DEFAULTS: RepoSettings = _build(_default_document())


# ---------- errors


@dataclass(frozen=True)
class SettingsError:
    """One problem in one settings source; `kind` is "error" (the source is ignored) or "warning"."""

    file: str
    key: str | None
    line: int | None
    column: int | None
    message: str
    kind: str = "error"

    def __str__(self) -> str:
        return f"{self.file}{_where(self, columns=True)}: {self.message}"


def _where(error: SettingsError, *, columns: bool) -> str:
    if error.line is None:
        return ""
    return f" line {error.line}, column {error.column}" if columns else f" line {error.line}"


@dataclass(frozen=True)
class SettingsResult:
    """The effective settings, where each value came from, and every problem found on the way."""

    settings: RepoSettings
    sources: Mapping[str, str]
    errors: tuple[SettingsError, ...] = ()
    used_last_valid: bool = False

    @property
    def has_errors(self) -> bool:
        return any(e.kind == "error" for e in self.errors)


def render_errors_markdown(errors: Collection[SettingsError], *, used_last_valid: bool = False) -> str:
    """The errors as kind, plain Markdown for the check-run summary and the dashboard; "" when none."""
    lines = [f"`{e.file}`{_where(e, columns=False)}: {e.message}" for e in errors]
    if not lines:
        return ""
    failed = sorted({e.file for e in errors if e.kind == "error"})
    if not failed:
        fallback = ""
    elif used_last_valid:
        fallback = "Tact is using your last valid settings."
    elif len(failed) == 1:
        fallback = f"Tact is leaving `{failed[0]}` out until it is fixed."
    else:
        fallback = "Tact is leaving those sources out until they are fixed."
    if len(lines) == 1:
        return f"{lines[0].rstrip('.')}; {fallback}" if fallback else lines[0]
    text = "Tact found some problems in its settings:\n\n" + "\n".join(f"- {line}" for line in lines)
    return f"{text}\n\n{fallback}" if fallback else text


# ---------- parsing

Path_ = tuple[str | int, ...]
# The schema is three levels deep (rules.disabled[0]); nothing below that is ever read, so the
# reader stops there, which also keeps nested YAML aliases ("billion laughs") from multiplying.
_MAX_DEPTH = 3


class _Reader:
    """Turns a composed YAML node tree into plain data, noting where each key and value starts."""

    def __init__(self, loader: yaml.SafeLoader, filename: str):
        self.loader, self.filename = loader, filename
        self.keys: dict[Path_, yaml.Mark] = {}
        self.values: dict[Path_, yaml.Mark] = {}
        self.errors: list[SettingsError] = []

    def read(self, node: yaml.Node, path: Path_ = ()) -> Any:
        self.values[path] = node.start_mark
        if isinstance(node, yaml.MappingNode):
            return {} if len(path) >= _MAX_DEPTH else self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return (
                []
                if len(path) >= _MAX_DEPTH
                else [self.read(n, (*path, i)) for i, n in enumerate(node.value)]
            )
        return self.loader.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.errors.append(
                    _error(self.filename, path, key_node.start_mark, "keys must be plain words")
                )
                continue
            key = key_node.value
            if key in out:
                first = self.keys[(*path, key)].line + 1
                message = f"`{_dotted((*path, key))}` is set twice (first on line {first}); keep one of them"
                self.errors.append(_error(self.filename, (*path, key), key_node.start_mark, message))
            self.keys[(*path, key)] = key_node.start_mark
            out[key] = self.read(value_node, (*path, key))
        return out


def _error(
    filename: str, path: Path_, mark: yaml.Mark | None, message: str, kind: str = "error"
) -> SettingsError:
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
    return SettingsError(filename, _dotted(path) or None, line, column, message, kind)


def _dotted(path: Path_) -> str:
    return ".".join(p for p in path if isinstance(p, str))


def parse_file(
    text: str, filename: str = REPOSITORY_FILE, *, known_rules: Collection[str] | None = None
) -> tuple[dict[str, Any] | None, tuple[SettingsError, ...]]:
    """Parse and validate one tact.yml; the document is None when any error (not warning) was found.

    An empty file is a valid, empty document. ``known_rules``, when given, turns unknown ids in
    ``rules.disabled`` into warnings (this module cannot import the rules, which live in the worker).
    """
    if len(text) > MAX_FILE_CHARS:
        too_big = f"the file is over {MAX_FILE_CHARS} characters; Tact reads settings files up to that size"
        return None, (SettingsError(filename, None, None, None, too_big),)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        reader = _Reader(loader, filename)
        data = {} if node is None else reader.read(node)
    except yaml.MarkedYAMLError as exc:
        return None, (_yaml_error(exc, filename),)
    finally:
        loader.dispose()
    if data is None:  # a file holding only "~" or "null"
        data = {}
    errors = reader.errors + _validate(data, filename, reader.keys, reader.values, known_rules)
    errors.sort(key=lambda e: (e.line or 0, e.column or 0))
    return (None if any(e.kind == "error" for e in errors) else data), tuple(errors)


def _yaml_error(exc: yaml.MarkedYAMLError, filename: str) -> SettingsError:
    mark = exc.problem_mark or exc.context_mark
    problem = " ".join(p for p in (exc.context, exc.problem) if p)
    return _error(filename, (), mark, f"this is not valid YAML: {problem}")


def check_mapping(
    data: Any, source: str, *, known_rules: Collection[str] | None = None
) -> tuple[SettingsError, ...]:
    """Validate settings that arrive as data (the dashboard's switches, stored settings); no positions."""
    return tuple(_validate(_plain(data), source, {}, {}, known_rules))


def _plain(value: Any) -> Any:
    """Mappings and tuples as dicts and lists, which is what JSON Schema's object and array mean."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | frozenset):
        return [_plain(item) for item in value]
    return value


# ---------- validation


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema())


def _validate(data, filename, keys, values, known_rules) -> list[SettingsError]:
    errors = []
    found = list(_validator().iter_errors(data))
    # A value of the wrong type also fails its enum or pattern; the type is the one worth saying.
    mistyped = {tuple(e.absolute_path) for e in found if e.validator == "type"}
    for err in found:
        if err.validator != "type" and tuple(err.absolute_path) in mistyped:
            continue
        for path, message, at_key in _explain(err):
            mark = (keys if at_key else values).get(path)
            errors.append(_error(filename, path, mark, message))
    if errors or not isinstance(data, Mapping):
        return errors
    language = data.get("language")
    if language is not None and not language_supported(language):
        message = (
            f"`language` is {_show(language)}, but Tact only reads English (`en`) so far, "
            "so it is not analyzing comments here"
        )
        errors.append(_error(filename, ("language",), values.get(("language",)), message, "warning"))
    return errors + _unknown_rules(data, filename, values, known_rules)


def _unknown_rules(data, filename, values, known_rules) -> list[SettingsError]:
    if known_rules is None:
        return []
    out = []
    for i, rule in enumerate(data.get("rules", {}).get("disabled", [])):
        if rule not in known_rules:
            path = ("rules", "disabled", i)
            message = f"`rules.disabled` names {_show(rule)}, which is not one of Tact's rules"
            message += _hint(rule, known_rules)
            out.append(_error(filename, path, values.get(path), message, "warning"))
    return out


def language_supported(language: str) -> bool:
    """English in any regional form (en, en-GB, en_US) is analyzed; nothing else is, yet."""
    return language.replace("_", "-").split("-")[0].lower() in SUPPORTED_LANGUAGES


def _explain(err: jsonschema.ValidationError) -> list[tuple[Path_, str, bool]]:
    """jsonschema's error as our sentences: (path, message, whether it points at the key or the value)."""
    path: Path_ = tuple(err.absolute_path)
    subject = _subject(path)
    if err.validator == "additionalProperties":
        known = list(err.schema.get("properties", {}))
        where = f" in `{_dotted(path)}`" if path else ""
        return [
            ((*path, str(k)), f"unknown key {_show(k)}{where}{_hint(str(k), known)}", True)
            for k in err.instance
            if k not in known
        ]
    if err.validator == "enum":
        choices = ", ".join(err.validator_value)
        return [(path, f"{subject} must be one of {choices} (it is {_show(err.instance)})", False)]
    if err.validator == "type":
        return [
            (
                path,
                f"{subject} must be {_TYPE_WORDS[err.validator_value]}{_example(err.schema)} "
                f"(it is {_show(err.instance)})",
                False,
            )
        ]
    if err.validator == "minLength":
        return [(path, f"{subject} cannot be empty", False)]
    if err.validator == "pattern":
        return [
            (
                path,
                f"{subject} is {_show(err.instance)}, which is not a rule id; rule ids look like `you-broke`",
                False,
            )
        ]
    return [(path, f"{subject}: {err.message}", False)]


_TYPE_WORDS = {
    "boolean": "true or false",
    "string": "text",
    "array": "a list",
    "object": "a mapping of keys to values",
}


def _subject(path: Path_) -> str:
    if not path:
        return "the file"
    if isinstance(path[-1], int):
        return f"item {path[-1] + 1} of `{_dotted(path)}`"
    return f"`{_dotted(path)}`"


def _example(spec: Mapping[str, Any]) -> str:
    if spec.get("type") not in ("object", "array") or not spec.get("examples"):
        return ""
    return f", for example `{_flow(spec['examples'][0])}`"


def _hint(word: str, choices: Collection[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean {_show(close[0])}?" if close else ""


def _show(value: Any) -> str:
    """A user's value as it reads in a sentence: quoted, trimmed, never a wall of text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "empty"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    text = str(value)
    text = text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"
    return f"'{text}'" if isinstance(value, str) else text


# ---------- merging

Source = str  # "default" | "organization" | "repository" | "dashboard" | "last valid"


def _merge(layers: list[tuple[Source, Mapping[str, Any]]]) -> tuple[dict[str, Any], dict[str, Source]]:
    """Later layers win. Mappings (categories, rules) merge key by key; lists replace, as in Probot."""
    doc: dict[str, Any] = {}
    sources: dict[str, Source] = {}
    for source, layer in layers:
        for key, value in layer.items():
            if isinstance(value, Mapping):
                doc[key] = {**doc.get(key, {}), **value}
                sources.update({f"{key}.{sub}": source for sub in value})
            else:
                doc[key] = value
            sources[key] = source
    return doc, sources


def resolve(
    *,
    repository_text: str | None,
    organization_text: str | None = None,
    dashboard: Mapping[str, Any] | None = None,
    last_valid: RepoSettings | None = None,
    known_rules: Collection[str] | None = None,
    organization_file: str = ORGANIZATION_FILE,
) -> SettingsResult:
    """The effective settings: defaults < organization file < repository file, or the dashboard's
    switches when the repository has no file. Never raises for a user's mistake.

    ``None`` text means "no such file"; an empty string is a file, so it stops the dashboard's switches
    from applying. A source with errors is left out; if it is the repository file and ``last_valid`` is
    given, those settings apply unchanged and ``used_last_valid`` is true.
    """
    layers: list[tuple[Source, Mapping[str, Any]]] = [("default", _default_document())]
    errors: list[SettingsError] = []
    if organization_text is not None:
        _add_layer(
            layers,
            errors,
            "organization",
            *parse_file(organization_text, organization_file, known_rules=known_rules),
        )
    if repository_text is not None:
        doc, repo_errors = parse_file(repository_text, REPOSITORY_FILE, known_rules=known_rules)
        if doc is None and last_valid is not None:
            sources = dict.fromkeys(_source_keys(), "last valid")
            return SettingsResult(last_valid, MappingProxyType(sources), (*errors, *repo_errors), True)
        _add_layer(layers, errors, "repository", doc, repo_errors)
    elif dashboard is not None:
        dash_errors = check_mapping(dashboard, DASHBOARD, known_rules=known_rules)
        _add_layer(layers, errors, "dashboard", None if _failed(dash_errors) else dashboard, dash_errors)
    doc, sources = _merge(layers)
    settings = _build(doc)
    if settings.enabled and not language_supported(settings.language):
        # Analysis is off for a language we cannot read; the warning from parsing says why.
        settings = replace(settings, enabled=False)
        sources["enabled"] = sources["language"]
    return SettingsResult(settings, MappingProxyType(sources), tuple(errors), False)


def _add_layer(layers, errors, source: Source, doc: Mapping[str, Any] | None, found) -> None:
    errors.extend(found)
    if doc is not None:
        layers.append((source, doc))


def _failed(errors: Collection[SettingsError]) -> bool:
    return any(e.kind == "error" for e in errors)


def _source_keys() -> list[str]:
    """Every key the dashboard can show a source for: top-level keys and each mapping's sub-keys."""
    out = []
    for key, spec in schema()["properties"].items():
        out.append(key)
        out.extend(f"{key}.{sub}" for sub in spec.get("properties", {}))
    return out


# ---------- documentation


def settings_table_markdown() -> str:
    """The table of keys for the README and docs/configuration.md, generated from the schema."""
    rows = ["| Key | Type | Default | Description |", "|---|---|---|---|"]
    for key, spec in schema()["properties"].items():
        rows.append(_row(key, spec))
        rows.extend(_row(f"{key}.{sub}", sub_spec) for sub, sub_spec in spec.get("properties", {}).items())
    return "\n".join(rows) + "\n"


def _row(key: str, spec: Mapping[str, Any]) -> str:
    if "enum" in spec:
        kind = " \\| ".join(f"`{v}`" for v in spec["enum"])
    elif spec["type"] == "array":
        kind = "list of text"
    else:
        kind = {"boolean": "true / false", "string": "text", "object": "mapping"}[spec["type"]]
    default = "see below" if spec["type"] == "object" else f"`{_flow(spec['default'])}`"
    description = spec["description"].replace("|", "\\|")
    return f"| `{key}` | {kind} | {default} | {description} |"


def _flow(value: Any) -> str:
    """A value as one line of YAML, the way a user would type it in tact.yml."""
    return yaml.safe_dump(value, default_flow_style=True, width=1000).removesuffix("...\n").strip()
