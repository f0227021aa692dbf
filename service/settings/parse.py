"""Read `.github/tact.yml` with a line and column for every key, and validate it against the schema."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from functools import cache
from typing import Any

import jsonschema
import yaml

from service.analysis.catalog import rule_ids
from service.settings.model import (
    _MAX_SHOWN,
    DEPRECATED_KEYS,
    MAX_FILE_CHARS,
    REPOSITORY_FILE,
    SUPPORTED_LANGUAGES,
    SettingsError,
    _flow,
    schema,
)

# ---------- parsing

Path_ = tuple[str | int, ...]
# The schema is three levels deep (rules.disabled[0]); nothing below that is ever read, so the
# reader stops there, which also keeps nested YAML aliases ("billion laughs") from multiplying.
_MAX_DEPTH = 3
# Aliases let a 15 KB file name a list of thousands of copies of a list of thousands of values
# (a minute of work before this cap). Real settings hold a few dozen values.
MAX_VALUES = 5000
# The tags plain YAML resolves to; an explicit other tag (!!python/object, !custom) is refused,
# not silently read as the list or mapping it decorates.
_PLAIN_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in
                        ("str", "int", "float", "bool", "null", "map", "seq", "timestamp"))


class _Refused(Exception):
    """The document is hostile or absurd; parsing stops and the message says why."""

    def __init__(self, mark: yaml.Mark | None, message: str):
        super().__init__(message)
        self.mark, self.message = mark, message


class _Reader:
    """Turns a composed YAML node tree into plain data, noting where each key and value starts."""

    def __init__(self, loader: yaml.SafeLoader, filename: str):
        self.loader, self.filename = loader, filename
        self.keys: dict[Path_, yaml.Mark] = {}
        self.values: dict[Path_, yaml.Mark] = {}
        self.errors: list[SettingsError] = []
        self.budget = MAX_VALUES

    def read(self, node: yaml.Node, path: Path_ = ()) -> Any:
        self.values[path] = node.start_mark
        self.budget -= 1
        if self.budget < 0:
            raise _Refused(node.start_mark, f"the file expands to more than {MAX_VALUES} values "
                           "(through YAML aliases); Tact's settings need a few dozen")
        if node.tag not in _PLAIN_TAGS:
            tag = node.tag.replace("tag:yaml.org,2002:", "!!", 1)
            raise _Refused(node.start_mark, f"this is not valid YAML for Tact: the tag `{tag}` is not "
                           "allowed; settings are plain values without tags")
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

    An empty file is a valid, empty document. Unknown ids in ``rules.disabled`` are warnings, checked
    against the rule catalog (``known_rules`` replaces it in tests).
    """
    if len(text) > MAX_FILE_CHARS:
        too_big = f"the file is over {MAX_FILE_CHARS} characters; Tact reads settings files up to that size"
        return None, (SettingsError(filename, None, None, None, too_big),)
    try:
        # The reader checks every character first: a control character, NUL or lone surrogate stops it here.
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError:
        return None, (_error(filename, (), None, "this is not valid YAML: it holds a control character "
                             "or another character that YAML does not allow"),)
    try:
        node = loader.get_single_node()
        reader = _Reader(loader, filename)
        data = {} if node is None else reader.read(node)
    except yaml.MarkedYAMLError as exc:
        return None, (_yaml_error(exc, filename),)
    except _Refused as exc:
        return None, (_error(filename, (), exc.mark, exc.message),)
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
    return errors + _deprecated(data, filename, keys) + _unknown_rules(data, filename, values, known_rules)


def _deprecated(data: Mapping[str, Any], filename: str, keys) -> list[SettingsError]:
    """The old `annotation_level` / `conclusion` still work; say once, where it is read, what replaces them."""
    out = []
    for key, stages in DEPRECATED_KEYS.items():
        if key not in data:
            continue
        if "mode" in data:
            message = f"`{key}` is replaced by `mode`, which this file also sets, so `{key}` is ignored; it can go"
        else:
            message = (f"`{key}` is replaced by `mode`; Tact reads it for now, and "
                       f"`mode: {stages[data[key]]}` says the same thing")
        out.append(_error(filename, (key,), keys.get((key,)), message, "warning"))
    return out


def _unknown_rules(data, filename, values, known_rules) -> list[SettingsError]:
    if known_rules is None:
        known_rules = rule_ids()
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
    if err.validator in ("minimum", "maximum"):
        low, high = err.schema.get("minimum"), err.schema.get("maximum")
        return [(path, f"{subject} must be between {low} and {high} (it is {_show(err.instance)})", False)]
    if err.validator in ("maxLength", "maxItems"):
        unit = "characters" if err.validator == "maxLength" else "entries"
        return [(path, f"{subject} can have at most {err.validator_value} {unit}", False)]
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
    "integer": "a whole number",
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
