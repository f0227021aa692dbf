"""Every example sentence in the rule files behaves as its rule says, and every rephrasing is clean."""

from __future__ import annotations

import pytest

from service.analysis.catalog import Options
from service.analysis.engine import validated_rules
from service.analysis.scoring import HOME_SENSITIVITY

RULES = validated_rules()
FLAGS = [pytest.param(r, t, id=f"{r.id}-flag-{i}") for r in RULES for i, t in enumerate(r.flag_examples, 1)]
PASSES = [pytest.param(r, t, id=f"{r.id}-pass-{i}") for r in RULES for i, t in enumerate(r.pass_examples, 1)]


@pytest.mark.parametrize(("rule", "text"), FLAGS)
def test_flag_example_is_found_by_its_rule_at_its_home_sensitivity(analysis, rule, text):
    """A rule's severity names the sensitivity where it shows: high severity shows even at low sensitivity."""
    result = analysis.analyze(text, Options(sensitivity=HOME_SENSITIVITY[rule.severity]))
    assert rule.id in [r for f in result.findings for r in (f.rule, *f.also)]


@pytest.mark.parametrize(("rule", "text"), PASSES)
def test_pass_example_is_not_found_by_its_rule_even_at_high_sensitivity(analysis, rule, text):
    result = analysis.analyze(text, Options(sensitivity="high"))
    assert rule.id not in [f.rule for f in result.findings]


@pytest.mark.parametrize(("rule", "text"), FLAGS)
def test_suggestion_for_flag_example_has_no_finding_at_all(analysis, rule, text):
    result = analysis.analyze(text, Options(sensitivity="high"))
    for finding in result.findings:
        assert analysis.analyze(finding.suggestion, Options(sensitivity="high")).findings == ()


@pytest.mark.parametrize("rule", [pytest.param(r, id=r.id) for r in RULES])
def test_rule_message_passes_the_analyzer(analysis, rule):
    """The bot's own words must not be what it warns about (the bot's messages pass its own analyzer)."""
    assert analysis.analyze(rule.message, Options(sensitivity="high")).findings == ()
