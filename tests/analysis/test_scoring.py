"""Softeners lower a finding's score, sensitivity decides what shows, and blunt technical comments pass."""

from __future__ import annotations

import pytest

from service.analysis.catalog import Options

BLUNT = [
    "This leaks the file handle.",
    "nit: rename",
    "-1, needs tests",
    "This is wrong: the loop skips the last element.",
    "Please remove the debug print.",
    "This will deadlock if two workers take the locks in a different order.",
    "Not needed; the caller already validates the input.",
    "Rename this to `retry_count`.",
    "Kill the process group, not just the parent.",
    "The garbage collector frees this; no manual release is needed.",
    "Revert the lockfile change.",
    "This breaks the public API, so it needs a major version bump.",
    "Why is the timeout 30 seconds here?",
    "Dead code: nothing calls this since the refactor.",
    "You can drop the else after the return.",
]


@pytest.mark.parametrize("text", BLUNT)
def test_plain_technical_bluntness_passes_even_at_high_sensitivity(analysis, text):
    assert analysis.analyze(text, Options(sensitivity="high")).findings == ()


def test_softeners_lower_the_score_of_the_same_words(analysis):
    plain = analysis.analyze("This is really ugly.")
    softened = analysis.analyze("This is really ugly, but thanks for the quick turnaround :)")
    assert softened.score < plain.score


def test_a_softened_medium_finding_shows_only_at_high_sensitivity(analysis):
    text = "You do realize we run this on every request :)"
    assert analysis.analyze(text, Options(sensitivity="medium")).findings == ()
    assert [f.rule for f in analysis.analyze(text, Options(sensitivity="high")).findings] == [
        "you-do-realize"
    ]


@pytest.mark.parametrize(("sensitivity", "shown"), [("low", []), ("medium", []), ("high", ["just-do-it"])])
def test_a_low_severity_rule_shows_only_at_high_sensitivity(analysis, sensitivity, shown):
    result = analysis.analyze("Just use a dict.", Options(sensitivity=sensitivity))
    assert [f.rule for f in result.findings] == shown


def test_a_disabled_rule_or_category_is_never_reported(analysis):
    """Nor brought back by the tone model, which reads the same words: the repository accepts them."""
    text = "You broke the build again."
    assert analysis.analyze(text, Options(disabled_rules=frozenset({"you-broke"}))).findings == ()
    assert analysis.analyze(text, Options(disabled_categories=frozenset({"blame"}))).findings == ()


def test_an_unknown_sensitivity_or_category_is_refused():
    with pytest.raises(ValueError, match="must be one of low, medium, high"):
        Options(sensitivity="extreme")
    with pytest.raises(ValueError, match="unknown categories: rudeness"):
        Options(disabled_categories=frozenset({"rudeness"}))


def test_a_comment_without_findings_has_a_zero_score_and_a_sentiment(analysis):
    result = analysis.analyze("Thanks, this is a great improvement!")
    assert (result.flagged, result.score, result.findings) == (False, 0.0, ())
    assert result.sentiment > 0.5


def test_analyze_many_keeps_order_and_matches_analyze(analysis):
    texts = ["nit: rename", "You broke the build again.", "", "Obviously this is wrong."]
    assert analysis.analyze_many(texts) == [analysis.analyze(t) for t in texts]
