"""`tact config validate FILE`: compiler-style lines, exit 1 on errors, warnings that do not fail."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from service.cli.config_cmd import config_group


@pytest.fixture
def validate(tmp_path):
    """Write a tact.yml and run the command on it from inside tmp_path, so output paths are short."""

    def run(content: str | bytes, name: str = "tact.yml"):
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return CliRunner().invoke(config_group, ["validate", str(path)]), str(path)

    return run


def test_a_valid_file_prints_valid_and_exits_0(validate):
    result, path = validate("enabled: true\nsensitivity: high\n")
    assert (result.exit_code, result.output) == (0, f"{path}: valid\n")


def test_an_empty_file_is_valid(validate):
    result, path = validate("")
    assert (result.exit_code, result.output) == (0, f"{path}: valid\n")


def test_each_error_is_printed_as_file_line_column_key_message_and_exits_1(validate):
    result, path = validate("enabled: true\nsevrity: high\nsensitivity: extreme\n")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{path}:2:1: sevrity: unknown key 'sevrity'; did you mean 'sensitivity'?",
        f"{path}:3:14: sensitivity: must be one of low, medium, high (it is 'extreme')",
    ]


def test_invalid_yaml_is_reported_with_the_parsers_position(validate):
    result, path = validate("enabled: true\n  sensitivity: high\n")
    assert result.exit_code == 1
    assert result.output.startswith(f"{path}:2:14: this is not valid YAML: ")


def test_warnings_are_printed_but_do_not_fail(validate):
    result, path = validate("enabled: true\nlanguage: fr\n")
    assert result.exit_code == 0
    assert result.output.splitlines()[0].startswith(f"{path}:2:11: warning: language: is 'fr'")
    assert result.output.splitlines()[-1] == f"{path}: valid"


def test_a_file_that_is_not_utf8_is_an_error(validate):
    result, path = validate(b"enabled: true\nlanguage: \xff\n")
    assert (result.exit_code, result.output) == (1, f"{path}: the file is not UTF-8 text (byte 24)\n")


def test_a_missing_file_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(config_group, ["validate", str(tmp_path / "absent.yml")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_an_unknown_rule_id_is_a_warning_with_a_suggestion(validate):
    result, path = validate("rules:\n  disabled: [you-brok]\n")
    assert result.exit_code == 0
    assert "you-brok" in result.output and "not one of Tact's rules" in result.output
    assert "you-broke" in result.output
