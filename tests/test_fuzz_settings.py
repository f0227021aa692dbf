"""Hostile `.github/tact.yml` files: unsafe tags, alias bombs and huge files are refused with a message, never run."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.settings.parse import MAX_VALUES, parse_file


@pytest.mark.parametrize(
    "text",
    [
        "enabled: !!python/object/apply:os.system ['echo hi']\n",
        "enabled: !!python/object:os.system x\n",
        "enabled: !!python/name:os.system\n",
        "rules: !!python/object/new:dict {}\n",
        "enabled: !custom true\n",
        "sensitivity: !!binary aGlnaA==\n",
    ],
    ids=["apply", "object", "name", "new", "local-tag", "binary"],
)
def test_a_tag_beyond_plain_yaml_is_refused_and_named(text):
    """An !!python/object tag on a list was read as the list; refuse it and say which tag."""
    data, errors = parse_file(text)
    assert data is None
    [error] = errors
    assert "is not allowed" in error.message and error.line == 1


def test_plain_tags_are_still_read():
    data, errors = parse_file("enabled: !!bool true\nsensitivity: !!str high\n")
    assert (data, errors) == ({"enabled": True, "sensitivity": "high"}, ())


def test_an_alias_bomb_is_refused_before_it_expands():
    """15 KB of aliases (3,000 copies of a 3,000-item list) took a minute to read; this smaller one is the shape."""
    text = "a: &a [" + ",".join(["1"] * 200) + "]\nb: [" + ",".join(["*a"] * 200) + "]\n"
    data, errors = parse_file(text)
    assert data is None and f"more than {MAX_VALUES} values" in errors[0].message


def test_a_megabyte_file_is_refused_with_its_size():
    data, errors = parse_file("# " + "x" * (1024 * 1024) + "\nenabled: true\n")
    assert data is None and "over 65536 characters" in errors[0].message


YAMLISH = st.lists(st.sampled_from(["enabled", ": ", "true", "\n", "  ", "- ", "&a ", "*a", "!!python/object ",
                                    "{", "}", "[", "]", ",", "sensitivity", "high", "rules", "disabled",
                                    "'", '"', "\t", "\x00", "\ud800", "#", "? ", "<<: *a", "%YAML 1.1\n",
                                    "---\n", "...\n", "!", "|", ">"]), max_size=60).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300) | YAMLISH)
def test_any_text_gives_data_or_errors_never_an_exception(text):
    data, errors = parse_file(text)
    assert (data is None) == any(e.kind == "error" for e in errors)
    assert all(e.message for e in errors)
