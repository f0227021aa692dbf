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
    assert {f.rule for f in found.findings} == {"learned-insult"}  # "genuinely bad at this." is one too
    assert found.findings[0].words  # the note names the words the model leaned on
    assert not analysis.analyze(text, Options(disabled_rules=frozenset({"learned-insult"}))).flagged
    assert not analysis.analyze(text, Options(disabled_categories=frozenset({"insult"}))).flagged
    assert not analysis.analyze(text, Options(allowed=(found.findings[0].matched,))).flagged


def test_a_rule_finding_is_not_doubled_by_the_model(analysis):
    found = analysis.analyze("Did you even test this?")
    assert "learned-condescension" not in [f.rule for f in found.findings]
    assert found.findings


def test_a_long_comment_asks_more_of_each_sentence():
    """A comment is flagged when any sentence clears the bar, so a long one has more chances: the bar rises
    with the length beyond the training comments' mean, never falls, and stays below 1."""
    model = learned.load("tone")
    assert model.sentence_quantiles and model.sentences_per_comment > 1
    bars = [model.threshold_for(n) for n in (1, 2, 3, 5, 9, 20, 60)]
    assert bars[0] == model.threshold <= bars[1] < bars[2]
    assert all(a <= b for a, b in zip(bars, bars[1:], strict=False)) and bars[-1] > bars[2] > model.threshold
    assert bars[-1] < 1.0


def test_the_quantile_table_reads_both_ways():
    table = ((0.001, 0.99), (0.01, 0.9), (0.1, 0.5))
    assert learned._interpolate(table, 0.01) == 0.9
    assert 0.9 < learned._interpolate(table, 0.005) < 0.99
    assert abs(learned._interpolate(table, 0.9, by_score=True) - 0.01) < 1e-9
    assert 0.01 < learned._interpolate(table, 0.7, by_score=True) < 0.1


def test_the_model_does_not_read_words_in_double_quotes(nlp_pipeline):
    """Quoted words are someone else's: a rule's message quoting what it flags, a bot's text in a report."""
    from service.analysis.engine import _model_words

    words = _model_words(nlp_pipeline.make_doc('The bot posts "Deploy failed, you broke it" on every run.'))[1]
    assert "broke" not in words and "bot" in words and "run" in words
    assert "unclosed" in _model_words(nlp_pipeline.make_doc('An "unclosed quote here.'))[1]
