"""Merge the sources of a repository's settings, and document them from the schema."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from service.settings.model import (
    DASHBOARD,
    ORGANIZATION_FILE,
    REPOSITORY_FILE,
    RepoSettings,
    SettingsError,
    SettingsResult,
    Source,
    _build,
    _default_document,
    _flow,
    _merge,
    schema,
)
from service.settings.parse import (
    check_mapping,
    language_supported,
    parse_file,
)

# ---------- merging


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
    settings = _build(doc, sources)
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
        kind = {"boolean": "true / false", "string": "text", "object": "mapping",
                "integer": "whole number"}[spec["type"]]
    if spec["type"] == "object":
        default = "see below"
    else:
        default = f"`{_flow(spec['default'])}`" if "default" in spec else "not set"
    description = spec["description"].replace("|", "\\|")
    return f"| `{key}` | {kind} | {default} | {description} |"

