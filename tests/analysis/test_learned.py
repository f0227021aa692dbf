"""The tone model: trained on what the Makefile names, deterministic, and shown like a rule."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from service.analysis import learned
from service.analysis.catalog import Options
from service.cli.analysis import train_command

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
ROWS = [str(CORPUS / name) for name in (CORPUS / "model-rows.txt").read_text().split()]


def test_the_stored_model_was_trained_on_the_rows_the_makefile_names():
    """Edit a training row without `make model` and this fails: the model must match its data."""
    result = CliRunner().invoke(train_command, [*ROWS, "--check"])
    assert result.exit_code == 0, result.output


def test_no_test_half_is_training_data():
    assert not [r for r in ROWS if "test" in Path(r).name]


def test_training_is_deterministic_and_learns_a_family():
    harsh = ["did you even try", "you never test anything", "did you even look", "you never read the docs"]
    civil = ["could you add a test", "the test covers this", "you could add a docstring", "looks good to me"]
    examples = [learned.Example(((*t.split(),),), "blame") for t in harsh]
    examples += [learned.Example(((*t.split(),),), learned.NONE) for t in civil]
    first = learned.train(examples, {}, "digest", log=lambda _: None)
    again = learned.train(examples, {}, "digest", log=lambda _: None)
    assert first.to_json() == again.to_json()
    unseen_harsh = learned.features("did you even run it".split(), {})
    unseen_civil = learned.features("could you add a comment".split(), {})
    assert first.predict(unseen_harsh)[0] > first.predict(unseen_civil)[0]
    assert first.predict(unseen_harsh)[1] == "blame"


def test_model_findings_obey_disabled_rules_categories_and_allowed_phrases(analysis):
    from service.analysis.engine import validated_rules

    text = next(r for r in validated_rules() if r.id == "learned-insult").flag_examples[0]
    found = analysis.analyze(text)
    assert [f.rule for f in found.findings] == ["learned-insult"]
    assert found.findings[0].words  # the note names the words the model leaned on
    assert not analysis.analyze(text, Options(disabled_rules=frozenset({"learned-insult"}))).flagged
    assert not analysis.analyze(text, Options(disabled_categories=frozenset({"insult"}))).flagged
    assert not analysis.analyze(text, Options(allowed=(found.findings[0].matched,))).flagged


def test_a_rule_finding_is_not_doubled_by_the_model(analysis):
    found = analysis.analyze("Did you even test this?")
    assert "learned-condescension" not in [f.rule for f in found.findings]
    assert found.findings
