"""Per-repository settings: parsing, schema errors with positions, merge order, fallbacks, docs."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from types import MappingProxyType

import pytest

from service.settings import (
    CATEGORIES,
    DEFAULTS,
    ORGANIZATION_FILE,
    REPOSITORY_FILE,
    RepoSettings,
    SettingsError,
    check_mapping,
    parse_file,
    render_errors_markdown,
    resolve,
    schema,
    settings_table_markdown,
)

DOCS = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"

VALID = [
    "",
    "# only a comment\n",
    "~\n",
    "enabled: true\n",
    "enabled: yes\n",  # YAML 1.1, as PyYAML reads it: yes/no/on/off are booleans
    "sensitivity: high\n",
    "categories: {sarcasm: false}\n",
    "categories:\n  blame: false\n  profanity: true\n",
    "rules:\n  disabled: [you-broke, obviously]\n",
    "rules: {}\n",
    "mode: preview\n",
    "mode: required\n",
    "allow: [kill the worker, sanity check]\n",
    "max_notes: 5\n",
    "backfill_days: 90\n",
    "looks_fine_threshold: 1\n",
    "ignore_authors: []\n",
    "ignore_authors: ['*[bot]', renovate]\n",
    "ignore_paths: ['docs/**', '*.lock']\n",
    "store_text: true\n",
    "language: en\n",
    "language: en-GB\n",
]

INVALID = [
    ("sevrity: high\n", "unknown key 'sevrity'; did you mean 'sensitivity'?", 1),
    ("enabled: true\nsensitivity: extreme\n", "`sensitivity` must be one of low, medium, high", 2),
    ("enabled: 'true'\n", "`enabled` must be true or false (it is 'true')", 1),
    ("enabled:\n", "`enabled` must be true or false (it is empty)", 1),
    ("categories:\n  blam: false\n", "unknown key 'blam' in `categories`; did you mean 'blame'?", 2),
    ("categories:\n  blame: 0\n", "`categories.blame` must be true or false", 2),
    ("categories: [blame]\n", "`categories` must be a mapping of keys to values", 1),
    (
        "rules: [you-broke]\n",
        "`rules` must be a mapping of keys to values, for example `{disabled: [you-broke]}`",
        1,
    ),
    ("rules:\n  disabled: you-broke\n", "`rules.disabled` must be a list", 2),
    ("rules:\n  disabled:\n    - ok\n    - You Broke\n", "item 2 of `rules.disabled` is 'You Broke'", 4),
    ("rules:\n  enabled: [x]\n", "unknown key 'enabled' in `rules`", 2),
    ("sensitivity: [high]\n", "`sensitivity` must be text (it is a list)", 1),
    ("annotation_level: failure\n", "`annotation_level` must be one of notice, warning", 1),
    ("conclusion: failure\n", "`conclusion` must be one of neutral, action_required", 1),
    ("mode: loud\n", "`mode` must be one of preview, notice, warning, required, coaching", 1),
    ("allow: sanity check\n", "`allow` must be a list", 1),
    ("allow: ['']\n", "item 1 of `allow` cannot be empty", 1),
    ("max_notes: 0\n", "`max_notes` must be between 1 and 1000 (it is 0)", 1),
    ("max_notes: many\n", "`max_notes` must be a whole number (it is 'many')", 1),
    ("backfill_days: 120\n", "`backfill_days` must be between 1 and 90 (it is 120)", 1),
    ("ignore_authors: renovate\n", "`ignore_authors` must be a list", 1),
    ("ignore_paths:\n  - docs/**\n  - 3\n", "item 2 of `ignore_paths` must be text (it is 3)", 3),
    ("ignore_paths: ['']\n", "item 1 of `ignore_paths` cannot be empty", 1),
    ("store_text: maybe\n", "`store_text` must be true or false (it is 'maybe')", 1),
    ("language: ''\n", "`language` cannot be empty", 1),
    ("language: no\n", "`language` must be text (it is false)", 1),  # YAML 1.1's Norway problem
    ("- enabled\n", "the file must be a mapping of keys to values (it is a list)", 1),
    ("enabled: true\nenabled: false\n", "`enabled` is set twice (first on line 1)", 2),
    ("? [a, b]\n: c\n", "keys must be plain words", 1),
    ("enabled: true\n  sensitivity: high\n", "this is not valid YAML", 2),
    ("enabled: true\n---\nenabled: false\n", "this is not valid YAML", 2),
    ("enabled: !!python/object:os.system x\n", "this is not valid YAML", 1),
]


@pytest.mark.parametrize("doc", VALID)
def test_valid_files_parse_without_errors(doc):
    data, errors = parse_file(doc)
    assert errors == ()
    assert isinstance(data, dict)


@pytest.mark.parametrize(
    ("doc", "fragment", "line"), INVALID, ids=[f"invalid-{i}" for i in range(len(INVALID))]
)
def test_invalid_files_report_the_problem_and_its_line(doc, fragment, line):
    data, errors = parse_file(doc)
    assert data is None
    assert any(fragment in e.message and e.line == line for e in errors), [str(e) for e in errors]
    assert all(e.file == REPOSITORY_FILE and e.kind == "error" for e in errors)


def test_defaults_are_off_medium_every_category_on_and_bots_ignored():
    assert DEFAULTS == RepoSettings(
        enabled=False,
        sensitivity="medium",
        categories=dict.fromkeys(CATEGORIES, True),
        disabled_rules=frozenset(),
        mode="notice",
        allow=(),
        max_notes=20,
        backfill_days=30,
        looks_fine_threshold=3,
        ignore_authors=("*[bot]",),
        ignore_paths=(),
        store_text=False,
        language="en",
    )


def test_every_schema_key_declares_a_type_a_default_and_a_description():
    """Deprecated keys have no default: their absence must mean "not set", so `mode` can take over."""
    for key, spec in schema()["properties"].items():
        for name, sub in [(key, spec), *spec.get("properties", {}).items()]:
            wanted = {"type", "description"} if sub.get("deprecated") else {"type", "default", "description"}
            assert wanted <= sub.keys(), name
    assert set(schema()["properties"]["categories"]["properties"]) == set(CATEGORIES)


def test_every_key_in_a_file_reaches_the_settings():
    text = """
enabled: true
sensitivity: high
categories: {sarcasm: false, blame: false}
rules: {disabled: [you-broke]}
mode: required
allow: [sanity check]
max_notes: 5
backfill_days: 7
looks_fine_threshold: 2
ignore_authors: [renovate]
ignore_paths: [docs/**]
store_text: true
language: en-US
"""
    result = resolve(repository_text=text)
    assert result.errors == ()
    assert result.settings.to_dict() == {
        "enabled": True,
        "sensitivity": "high",
        "categories": {**dict.fromkeys(CATEGORIES, True), "sarcasm": False, "blame": False},
        "rules": {"disabled": ["you-broke"]},
        "mode": "required",
        "allow": ["sanity check"],
        "max_notes": 5,
        "backfill_days": 7,
        "looks_fine_threshold": 2,
        "ignore_authors": ["renovate"],
        "ignore_paths": ["docs/**"],
        "store_text": True,
        "language": "en-US",
    }
    assert result.settings.disabled_categories() == {"sarcasm", "blame"}


def test_schema_errors_point_at_the_value_and_unknown_keys_at_the_key():
    _, errors = parse_file("enabled: true\ncategories:\n  sarcasm: nope\n  blam: false\n")
    assert [(e.key, e.line, e.column) for e in errors] == [
        ("categories.sarcasm", 3, 12),
        ("categories.blam", 4, 3),
    ]


def test_invalid_yaml_reports_the_parsers_line_and_column():
    _, (error,) = parse_file("enabled: true\nignore_paths: [docs/**\n")
    assert (error.line, error.column, error.key) == (3, 1, None)
    assert error.message.startswith("this is not valid YAML: ")


def test_no_files_at_all_gives_the_defaults_from_the_default_source():
    result = resolve(repository_text=None)
    assert result.settings == DEFAULTS
    assert set(result.sources.values()) == {"default"}
    assert (result.errors, result.used_last_valid) == ((), False)


def test_an_empty_file_is_valid_but_does_not_opt_in_and_silences_the_dashboard():
    result = resolve(repository_text="", dashboard={"enabled": True})
    assert result.errors == ()
    assert result.settings.enabled is False
    assert result.sources["enabled"] == "default"


def test_organization_file_overrides_defaults_and_repository_file_overrides_it():
    org = "enabled: true\nsensitivity: low\ncategories: {sarcasm: false}\nignore_paths: [vendor/]\n"
    repo = "sensitivity: high\ncategories: {blame: false}\nignore_paths: [docs/]\n"
    result = resolve(repository_text=repo, organization_text=org)
    assert (result.settings.enabled, result.settings.sensitivity) == (True, "high")
    assert result.settings.disabled_categories() == {"sarcasm", "blame"}  # mappings merge key by key
    assert result.settings.ignore_paths == ("docs/",)  # lists replace
    assert (
        result.sources.items()
        >= {
            "enabled": "organization",
            "sensitivity": "repository",
            "categories.sarcasm": "organization",
            "categories.blame": "repository",
            "categories.insult": "default",
            "store_text": "default",
        }.items()
    )


def test_dashboard_switches_apply_over_the_organization_only_without_a_repository_file():
    org = "enabled: true\nsensitivity: low\n"
    dashboard = {"sensitivity": "high", "categories": {"sarcasm": False}}
    without_file = resolve(repository_text=None, organization_text=org, dashboard=dashboard)
    with_file = resolve(
        repository_text="annotation_level: warning\n", organization_text=org, dashboard=dashboard
    )
    assert (without_file.settings.sensitivity, without_file.sources["sensitivity"]) == ("high", "dashboard")
    assert without_file.settings.enabled is True
    assert (with_file.settings.sensitivity, with_file.sources["sensitivity"]) == ("low", "organization")
    assert with_file.settings.disabled_categories() == frozenset()


def test_invalid_dashboard_switches_are_left_out_and_reported():
    result = resolve(repository_text=None, dashboard={"enabled": True, "sensitivity": "loud"})
    assert result.settings == DEFAULTS
    assert [(e.file, e.key, e.line) for e in result.errors] == [("dashboard settings", "sensitivity", None)]


def test_invalid_repository_file_falls_back_to_the_last_valid_settings():
    last = resolve(repository_text="enabled: true\nsensitivity: high\n").settings
    result = resolve(repository_text="enabled: true\nsensitivity: loud\n", last_valid=last)
    assert result.settings == last
    assert result.used_last_valid is True
    assert set(result.sources.values()) == {"last valid"}
    assert [(e.key, e.line, e.column) for e in result.errors] == [("sensitivity", 2, 14)]


def test_invalid_repository_file_without_last_valid_settings_uses_the_rest():
    result = resolve(repository_text="sevrity: high\n", organization_text="enabled: true\n")
    assert result.used_last_valid is False
    assert result.settings.enabled is True
    assert result.sources["enabled"] == "organization"
    assert result.errors[0].message == "unknown key 'sevrity'; did you mean 'sensitivity'?"


def test_invalid_organization_file_is_left_out_and_named_in_the_error():
    result = resolve(repository_text="enabled: true\n", organization_text="sensitivity: [high]\n")
    assert (result.settings.enabled, result.settings.sensitivity, result.used_last_valid) == (
        True,
        "medium",
        False,
    )
    assert [(e.file, e.line) for e in result.errors] == [(ORGANIZATION_FILE, 1)]


def test_unsupported_language_is_a_warning_that_turns_analysis_off():
    result = resolve(repository_text="enabled: true\nlanguage: fr\n")
    (warning,) = result.errors
    assert (warning.kind, warning.key, warning.line, warning.column) == ("warning", "language", 2, 11)
    assert "only reads English" in warning.message
    assert result.settings.enabled is False
    assert (result.settings.language, result.used_last_valid) == ("fr", False)


def test_unknown_rule_ids_are_warnings_when_the_rules_are_known():
    _, errors = parse_file("rules: {disabled: [you-brok]}\n", known_rules={"you-broke", "obviously"})
    assert [(e.kind, e.line, e.column) for e in errors] == [("warning", 1, 20)]
    assert errors[0].message.endswith("did you mean 'you-broke'?")


def test_a_file_over_the_size_cap_is_an_error_not_a_parse():
    data, (error,) = parse_file("# " + "x" * 70_000)
    assert data is None and "over 65536 characters" in error.message


def test_nested_aliases_are_not_expanded():
    """A "billion laughs" file must not tie up the worker: nothing below the schema's depth is read."""
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    start = time.perf_counter()
    _, errors = parse_file("\n".join(levels) + "\nignore_paths: *a8\n")
    assert time.perf_counter() - start < 2
    assert any(e.key == "a0" for e in errors)


def test_author_globs_treat_brackets_literally_and_ignore_case():
    """fnmatch would read "*[bot]" as "ends in b, o or t" and ignore "robot" but not "dependabot[bot]"."""
    assert DEFAULTS.ignores_author("dependabot[bot]")
    assert DEFAULTS.ignores_author("Renovate[BOT]")
    assert not DEFAULTS.ignores_author("robot")
    assert resolve(repository_text="ignore_authors: ['ci-?']").settings.ignores_author("CI-1")


@pytest.mark.parametrize(
    ("pattern", "path", "ignored"),
    [
        ("*.md", "README.md", True),
        ("*.md", "docs/guide/intro.md", True),
        ("docs/", "docs/a/b.py", True),
        ("docs/*.py", "docs/a/b.py", False),
        ("src/**/*.py", "src/a.py", True),
        ("src/**/*.py", "src/a/b/c.py", True),
        ("/vendor/**", "vendor/x.js", True),
        ("vendor/**", "lib/vendor/x.js", False),
        ("a[1].txt", "a[1].txt", True),
        ("a[1].txt", "a1.txt", False),
    ],
)
def test_path_globs_follow_gitignore_conventions(pattern, path, ignored):
    settings = resolve(repository_text=f"ignore_paths: ['{pattern}']").settings
    assert settings.ignores_path(path) is ignored


def test_settings_round_trip_through_json():
    settings = resolve(
        repository_text="enabled: true\nrules: {disabled: [you-broke, obviously]}\ncategories: {insult: false}\n"
    ).settings
    stored = json.loads(json.dumps(settings.to_dict()))
    assert RepoSettings.from_dict(stored) == settings
    assert check_mapping(stored, "stored") == ()


def test_dashboard_switches_may_arrive_as_read_only_mappings_and_tuples():
    switches = MappingProxyType(
        {"enabled": True, "ignore_paths": ("docs/",), "categories": MappingProxyType({})}
    )
    result = resolve(repository_text=None, dashboard=switches)
    assert (result.errors, result.settings.enabled, result.settings.ignore_paths) == ((), True, ("docs/",))


def test_stored_settings_missing_a_newer_key_take_its_default():
    assert RepoSettings.from_dict({"enabled": True}) == RepoSettings.from_dict(
        {**DEFAULTS.to_dict(), "enabled": True}
    )


def test_corrupt_stored_settings_raise():
    with pytest.raises(ValueError, match="sensitivity"):
        RepoSettings.from_dict({"sensitivity": "loud"})


def test_error_string_names_file_line_and_column():
    error = SettingsError(
        REPOSITORY_FILE, "sensitivity", 3, 5, "`sensitivity` must be one of low, medium, high"
    )
    assert str(error) == ".github/tact.yml line 3, column 5: `sensitivity` must be one of low, medium, high"


def test_one_error_renders_as_one_sentence_naming_the_fallback():
    result = resolve(repository_text="enabled: true\n\nsensitivity: loud\n", last_valid=DEFAULTS)
    assert render_errors_markdown(result.errors, used_last_valid=result.used_last_valid) == (
        "`.github/tact.yml` line 3: `sensitivity` must be one of low, medium, high (it is 'loud'); "
        "Tact is using your last valid settings."
    )


def test_several_errors_render_as_a_list():
    result = resolve(repository_text="sevrity: high\nstore_text: 1\n", organization_text="x: 1\n")
    text = render_errors_markdown(result.errors)
    assert text.count("\n- ") == 3
    assert text.endswith("Tact is leaving those sources out until they are fixed.")
    assert render_errors_markdown(()) == ""


def test_warnings_render_without_a_fallback():
    result = resolve(repository_text="language: de\n")
    assert render_errors_markdown(result.errors).startswith("`.github/tact.yml` line 1: `language` is 'de'")
    assert "leaving" not in render_errors_markdown(result.errors)


def test_docs_table_is_generated_from_the_schema():
    match = re.search(
        r"<!-- settings-table:start -->\n(.*?)<!-- settings-table:end -->", DOCS.read_text(), re.S
    )
    assert match is not None
    assert match.group(1) == settings_table_markdown()


def test_docs_full_example_is_valid_and_sets_every_key():
    match = re.search(r"<!-- full-example -->\n```yaml\n(.*?)```", DOCS.read_text(), re.S)
    assert match is not None
    data, errors = parse_file(match.group(1))
    assert errors == ()
    current = {key for key, spec in schema()["properties"].items() if not spec.get("deprecated")}
    assert set(data) == current
    assert set(data["categories"]) == set(CATEGORIES)


def test_the_readme_settings_table_is_generated_from_the_schema():
    """A key added to the schema must reach the user's README, not only docs/configuration.md."""
    import re
    from pathlib import Path

    from service.settings import settings_table_markdown

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    table = re.search(r"<!-- settings-table:start -->\n(.*?)\n<!-- settings-table:end -->", readme, re.S).group(1)
    assert table.strip() == settings_table_markdown().strip()


# ---------- staged rollout: mode, and the keys it replaces

DEPRECATED = [
    ("enabled: true\n", "notice"),
    ("enabled: true\nannotation_level: warning\n", "warning"),
    ("enabled: true\nconclusion: action_required\n", "required"),
    ("enabled: true\nannotation_level: warning\nconclusion: neutral\n", "warning"),
    ("enabled: true\nmode: preview\nconclusion: action_required\n", "preview"),
]


@pytest.mark.parametrize(("doc", "mode"), DEPRECATED, ids=[f"mode-{i}" for i in range(len(DEPRECATED))])
def test_the_old_keys_still_choose_the_stage_when_mode_is_not_set(doc, mode):
    assert resolve(repository_text=doc).settings.mode == mode


def test_the_old_keys_bring_a_deprecation_note_that_names_the_replacement():
    result = resolve(repository_text="enabled: true\nconclusion: action_required\n")
    [note] = result.errors
    assert (note.kind, note.key, note.line) == ("warning", "conclusion", 2)
    assert "`mode: required` says the same thing" in note.message
    assert "`mode: required`" in render_errors_markdown(result.errors)


def test_each_stage_maps_to_a_level_a_conclusion_and_whether_github_hears_of_it():
    stages = {m: resolve(repository_text=f"enabled: true\nmode: {m}\n").settings for m in
              ("preview", "notice", "warning", "required", "coaching")}
    assert {m: (s.publishes, s.annotation_level, s.conclusion) for m, s in stages.items()} == {
        "preview": (False, "notice", "neutral"), "notice": (True, "notice", "neutral"),
        "warning": (True, "warning", "neutral"), "required": (True, "warning", "action_required"),
        "coaching": (False, "notice", "neutral")}


def test_an_organization_mode_is_kept_over_a_repository_that_sets_only_old_keys():
    result = resolve(repository_text="conclusion: action_required\n", organization_text="mode: preview\n")
    assert result.settings.mode == "preview"


def test_stored_settings_from_before_mode_keep_their_stage():
    old = {**DEFAULTS.to_dict(), "annotation_level": "warning"}
    del old["mode"]
    assert RepoSettings.from_dict(old).mode == "warning"
    assert RepoSettings.from_dict(DEFAULTS.to_dict()) == DEFAULTS
