"""The settings, their schema and defaults, and the errors reported about them."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from service.analysis.catalog import CATEGORIES

SCHEMA_PATH = Path(__file__).with_name("tact.schema.json")
REPOSITORY_FILE = ".github/tact.yml"
# Probot's convention: an organization-wide default lives in the org's `.github` repository, same path.
ORGANIZATION_FILE = "organization .github/tact.yml"
DASHBOARD = "dashboard settings"
# How a person reads each source a setting can come from (SettingsResult.sources), on every dashboard page.
SOURCE_WORDS = {
    "default": "Tact's default",
    "organization": "the organization's .github/tact.yml",
    "repository": ".github/tact.yml",
    "dashboard": "this dashboard",
    "installation": "the installation-wide default",
    "last valid": "the last valid .github/tact.yml",
}
SUPPORTED_LANGUAGES = ("en",)
PUBLISHING_MODES = ("notice", "warning", "required")
DEPRECATED_KEYS = {"annotation_level": {"notice": "notice", "warning": "warning"},
                   "conclusion": {"neutral": "notice", "action_required": "required"}}
# A settings file is a few hundred bytes; the cap keeps a pathological file from tying up a worker.
MAX_FILE_CHARS = 64 * 1024
_MAX_SHOWN = 40  # user-written keys and values are echoed back, trimmed to this many characters


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema shipped in the package: the single declaration of every key.

    Its categories must be the rule catalog's (the catalog is the one source of them): a category file
    added without its settings key would be a switch users could not reach, so that stops the process.
    """
    doc = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    declared = tuple(doc["properties"]["categories"]["properties"])
    if declared != CATEGORIES:
        raise RuntimeError(f"{SCHEMA_PATH.name} declares the categories {declared}, but the rule catalog has "
                           f"{CATEGORIES}; declare each category once in both, in the same order")
    return doc


# ---------- settings


@dataclass(frozen=True)
class RepoSettings:
    """A repository's effective settings, after merging; immutable so a cached copy cannot drift."""

    enabled: bool
    sensitivity: str
    categories: Mapping[str, bool]
    disabled_rules: frozenset[str]
    mode: str
    allow: tuple[str, ...]
    max_notes: int
    backfill_days: int
    looks_fine_threshold: int
    ignore_authors: tuple[str, ...]
    ignore_paths: tuple[str, ...]
    store_text: bool
    language: str

    @property
    def publishes(self) -> bool:
        """Only the notice, warning and required stages speak on GitHub; preview and coaching stay quiet."""
        return self.mode in PUBLISHING_MODES

    @property
    def annotation_level(self) -> str:
        return "warning" if self.mode in ("warning", "required") else "notice"

    @property
    def conclusion(self) -> str:
        return "action_required" if self.mode == "required" else "neutral"

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
            "mode": self.mode,
            "allow": list(self.allow),
            "max_notes": self.max_notes,
            "backfill_days": self.backfill_days,
            "looks_fine_threshold": self.looks_fine_threshold,
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
        from service.settings.parse import check_mapping  # parsing builds on this module

        errors = [e for e in check_mapping(d, "stored settings") if e.kind == "error"]
        if errors:
            raise ValueError("; ".join(str(e) for e in errors))
        return _build(*_merge([("default", _default_document()), ("stored", d)]))


def _build(doc: Mapping[str, Any], sources: Mapping[str, str] | None = None) -> RepoSettings:
    return RepoSettings(
        enabled=doc["enabled"],
        sensitivity=doc["sensitivity"],
        categories=MappingProxyType({name: doc["categories"][name] for name in CATEGORIES}),
        disabled_rules=frozenset(doc["rules"]["disabled"]),
        mode=effective_mode(doc, sources or {}),
        allow=tuple(doc["allow"]),
        max_notes=doc["max_notes"],
        backfill_days=doc["backfill_days"],
        looks_fine_threshold=doc["looks_fine_threshold"],
        ignore_authors=tuple(doc["ignore_authors"]),
        ignore_paths=tuple(doc["ignore_paths"]),
        store_text=doc["store_text"],
        language=doc["language"],
    )


def effective_mode(doc: Mapping[str, Any], sources: Mapping[str, str]) -> str:
    """`mode` when some layer sets it; else what the deprecated keys meant; else `notice`.

    The old pair maps onto the stages: `conclusion: action_required` was the blocking stage
    (`required`), `annotation_level: warning` the louder non-blocking one (`warning`).
    """
    if sources.get("mode", "default") != "default":
        return doc["mode"]
    if doc.get("conclusion") == "action_required":
        return "required"
    if doc.get("annotation_level") == "warning":
        return "warning"
    return doc["mode"]


def _default_document() -> dict[str, Any]:
    """Every key that has a default; the deprecated keys have none, so their absence means "not set"."""
    return {key: json.loads(json.dumps(spec["default"]))
            for key, spec in schema()["properties"].items() if "default" in spec}


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


def _flow(value: Any) -> str:
    """A value as one line of YAML, the way a user would type it in tact.yml."""
    return yaml.safe_dump(value, default_flow_style=True, width=1000).removesuffix("...\n").strip()
