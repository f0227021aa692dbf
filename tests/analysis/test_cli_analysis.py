"""`tact analyze`, `tact eval` and `tact rules` through click's runner, as a user would call them."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from service.cli.analysis import analyze_command, eval_command, rules_command


@pytest.fixture()
def cli(analysis):
    return CliRunner()


def test_analyze_prints_each_finding_and_one_rewrite_of_the_whole_comment(cli):
    result = cli.invoke(analyze_command, ["Obviously this is wrong. You broke the build again."])
    assert result.exit_code == 0
    assert "0-24 medium obviously" in result.output and "25-51 high you-broke" in result.output
    assert "words: You broke" in result.output
    assert "rewrite of the whole comment:\n  This is wrong. This change broke the build again.\n" in result.output
    assert result.output.count("rewrite of the whole comment") == 1
    assert "\x1b[" not in result.output  # no colors when the output is not a terminal


def test_analyze_names_the_words_when_no_rewrite_keeps_the_point(cli):
    result = cli.invoke(analyze_command, ["Any beginner knows this."])
    assert "words: Any beginner" in result.output
    assert "no rewrite: " in result.output and "I think" not in result.output


def test_analyze_says_so_when_there_is_nothing_to_report(cli):
    assert "No findings." in cli.invoke(analyze_command, ["nit: rename"]).output


def test_analyze_jsonl_writes_one_line_per_input_in_order(cli):
    lines = [{"id": "a", "text": "nit: rename"}, {"id": 7, "text": "Obviously this is wrong."}]
    stdin = "\n".join(json.dumps(x) for x in lines) + "\n"
    result = cli.invoke(analyze_command, ["--jsonl", "-"], input=stdin)
    out = [json.loads(line) for line in result.output.splitlines()]
    assert [o["id"] for o in out] == ["a", 7] and [o["flagged"] for o in out] == [False, True]
    assert out[1]["rewrite"] == "This is wrong." and out[0]["rewrite"] == ""
    assert set(out[1]["findings"][0]) == {
        "rule",
        "category",
        "severity",
        "start",
        "end",
        "text",
        "words",
        "message",
        "suggestion",
    }


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "line 2: not valid JSON"),
        ('["a"]', "line 2: expected a JSON object"),
        ('{"id": 1}', "line 2: 'text' must be a str"),
    ],
)
def test_a_bad_jsonl_line_is_named_and_exits_2_without_a_traceback(cli, line, message):
    result = cli.invoke(analyze_command, ["--jsonl", "-"], input='{"id": 0, "text": "ok"}\n' + line + "\n")
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_analyze_needs_text_or_a_file(cli):
    assert cli.invoke(analyze_command, []).exit_code == 2


def test_eval_reports_overall_and_per_field_figures_and_skips_disputed_rows(cli, tmp_path):
    rows = [
        {"text": "You broke the build again.", "harsh": True, "kind": "blame"},
        {"text": "What is this for?", "harsh": True, "kind": "blame"},
        {"text": "nit: rename", "harsh": False, "kind": "blunt"},
        {"text": "Obviously this is wrong.", "harsh": False, "kind": "blunt", "label_conflict": True},
        {"text": "Obviously this is wrong.", "harsh": False, "kind": "blunt", "in_binary_task": False},
    ]
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = cli.invoke(eval_command, [str(path), "--by", "kind"])
    assert result.exit_code == 0
    overall = result.output.splitlines()[1].split()
    assert overall == ["overall", "3", "2", "1", "1.000", "0.500", "0.667", "0.000"]
    assert "kind=blunt" in result.output and "kind=blame" in result.output
    # "You broke the build again." gets a gated rewrite of its own, not the blame category's general advice.
    assert "rewrites: 1 findings, 1 (100%) come with a gated rewrite of the whole comment, 0 with none" in result.output


def test_eval_suggestions_reports_gated_and_graded_rewrites_per_category(cli, tmp_path):
    rows = [
        {"id": "s1", "text": "Obviously this is wrong.", "category": "presupposed-knowledge", "keep": ["is wrong"],
         "drop": ["obviously"], "acceptable": ["This is wrong."]},
        {"id": "s2", "text": "Any beginner knows this.", "category": "presupposed-knowledge", "keep": [],
         "drop": ["any beginner"], "acceptable": ["Could you say more?"]},
        {"id": "s3", "text": "You broke the build again.", "category": "blame", "keep": ["the build"],
         "drop": ["again"], "acceptable": ["This change broke the build."]},
        {"id": "s4", "text": "Could we add a test?", "category": "blame", "keep": [], "drop": ["x"],
         "acceptable": ["Could we add a test?"]},
    ]
    path = tmp_path / "suggestions.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = cli.invoke(eval_command, [str(path), "--suggestions"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line.split()[1:] for line in result.output.splitlines()[1:4]}
    # rows, flagged, share with a gated rewrite, share with none, share graded (keep/drop), gate faults
    assert lines["overall"] == ["4", "3", "67%", "33%", "33%", "0"]
    assert lines["blame"] == ["2", "1", "100%", "0%", "0%", "0"]  # "again" stays: kept, but not graded
    assert lines["presupposed-knowledge"] == ["2", "2", "50%", "50%", "50%", "0"]
    path.write_text(json.dumps(rows[1]) + "\n", encoding="utf-8")  # a finding with no rewrite at all
    failing = cli.invoke(eval_command, [str(path), "--suggestions", "--check"])
    assert failing.exit_code == 1 and "below the agreed floors: rewritten 0% < 55%" in failing.output


def test_eval_check_fails_below_the_floors(cli, tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps({"text": "What is this for?", "harsh": True}) + "\n", encoding="utf-8")
    result = cli.invoke(eval_command, [str(path), "--check"])
    assert result.exit_code == 1 and "below the agreed floors" in result.output


def test_rules_lists_every_rule_and_markdown_has_an_anchor_per_rule(cli):
    from service.analysis.engine import validated_rules

    listing = cli.invoke(rules_command, []).output
    markdown = cli.invoke(rules_command, ["--markdown"]).output
    for rule in validated_rules():
        assert rule.id in listing and f'<a id="{rule.id}"></a>' in markdown
