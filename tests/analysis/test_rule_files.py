"""The rule loader rejects malformed rule files with errors that name the file, the rule and the line."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from service.analysis.catalog import CATEGORIES, RuleError, load_rules, load_signals
from service.analysis.engine import engine, validated_rules
from service.analysis.matchers import compile_rules
from service.analysis.rephrase import STRATEGIES
from service.analysis.scoring import GUARDS

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
GOOD_RULE = """\
    category: blame
    rules:
      - id: you-broke-it
        severity: high
        message: Naming the person as the cause can read as blame.
        match:
          phrases: ["you broke it"]
        rephrase: describe-effect
        examples:
          flag: ["You broke it.", "I think you broke it.", "Well, you broke it."]
          pass: ["It broke.", "The build broke.", "Nothing broke."]
"""


def _load(tmp_path: Path, text: str, name: str = "blame.yml"):
    (tmp_path / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return load_rules(tmp_path, guards=frozenset(GUARDS), strategies=frozenset(STRATEGIES))


def test_a_well_formed_file_loads_into_frozen_rules(tmp_path):
    (rule,) = _load(tmp_path, GOOD_RULE)
    assert (rule.id, rule.category, rule.link) == ("you-broke-it", "blame", "docs/rules.md#you-broke-it")
    with pytest.raises(AttributeError):
        rule.severity = "low"


def test_a_misspelled_key_is_named_with_its_rule_and_line(tmp_path):
    with pytest.raises(RuleError, match=r"blame.yml: rule 'you-broke-it': unknown key 'sevrity' \(line 4\)"):
        _load(tmp_path, GOOD_RULE.replace("severity:", "sevrity:"))


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        ("severity: high", "severity: urgent", r"'urgent' is not one of"),
        ("rephrase: describe-effect", "rephrase: be-nice", r"unknown rephrase strategy 'be-nice' \(line 8\)"),
        (
            "rephrase: describe-effect",
            "unless: [sometimes]\n        rephrase: describe-effect",
            r"unknown guard 'sometimes'",
        ),
        (
            'pass: ["It broke.", "The build broke.", "Nothing broke."]',
            'pass: ["It broke.", "The build broke."]',
            r"rule 'you-broke-it': examples.pass: needs at least 3 examples, has 2 \(line 11\)",
        ),
        (
            'flag: ["You broke it.", "I think you broke it.", "Well, you broke it."]',
            'flag: ["You broke it."]',
            r"rule 'you-broke-it': examples.flag: needs at least 3 examples, has 1 \(line 10\)",
        ),
        (
            'phrases: ["you broke it"]',
            "tokens: [[{LOWER: {IN: [you, on]}}]]",
            r"rule 'you-broke-it': a word in a list reads as true/false; quote it .* \(line 6\)",
        ),
        ("category: blame", "category: insult", r"must match the file name"),
        ('phrases: ["you broke it"]', "tokens: [[{LOWER: you, BOGUS: 1}]]", r"does not compile"),
        ('phrases: ["you broke it"]', "tokens: [[{POS: VERB}]]", r"needs one required LOWER word"),
    ],
)
def test_each_kind_of_mistake_is_reported(tmp_path, analysis, old, new, error):
    """Compile errors surface only when patterns meet the vocabulary, so these also run compile_rules."""
    with pytest.raises(RuleError, match=error):
        rules = _load(tmp_path, GOOD_RULE.replace(old, new))
        compile_rules(rules, engine().nlp, load_signals())


def test_a_rule_id_used_twice_across_files_is_rejected(tmp_path):
    (tmp_path / "blame.yml").write_text(textwrap.dedent(GOOD_RULE), encoding="utf-8")
    with pytest.raises(RuleError, match=r"insult.yml: rule 'you-broke-it': id already used in \S*blame.yml"):
        _load(tmp_path, GOOD_RULE.replace("category: blame", "category: insult"), name="insult.yml")


def test_a_phrase_listed_twice_in_one_rule_is_rejected(tmp_path):
    with pytest.raises(RuleError, match=r"blame.yml: rule 'you-broke-it': phrase 'You  broke it' is listed twice "
                       r"in this rule \(line 6\)"):
        _load(tmp_path, GOOD_RULE.replace('["you broke it"]', '["you broke it", "You  broke it"]'))


def test_a_phrase_listed_in_two_rules_is_rejected_naming_both(tmp_path):
    (tmp_path / "blame.yml").write_text(textwrap.dedent(GOOD_RULE), encoding="utf-8")
    other = GOOD_RULE.replace("category: blame", "category: insult").replace("you-broke-it", "you-did-it")
    with pytest.raises(RuleError, match=r"insult.yml: rule 'you-did-it': phrase 'you broke it' is listed also in "
                       r"\S*blame.yml: rule 'you-broke-it' \(line 6\)"):
        _load(tmp_path, other, name="insult.yml")


@pytest.mark.parametrize(
    ("phrase", "guard", "word"),
    [
        ("you did not break it", "negated", "not"),
        ("you don't test", "negated", "n't"),
        ("i told you", "self-directed", "i"),
    ],
)
def test_a_phrase_its_own_guard_always_suppresses_is_rejected(tmp_path, phrase, guard, word):
    """"negated" sees the phrase's own "not" and "self-directed" its own "I": such a phrase never shows."""
    text = GOOD_RULE.replace('["you broke it"]', f'["{phrase}"]').replace(
        "rephrase: describe-effect", f"unless: [{guard}]\n        rephrase: describe-effect"
    )
    expected = f"rule 'you-broke-it': phrase {phrase!r} contains {word!r}, so its own guard {guard!r} always"
    with pytest.raises(RuleError, match=re.escape(expected) + r" suppresses it \(line 6\)"):
        _load(tmp_path, text)


def test_a_strategy_that_is_another_name_for_one_is_rejected(tmp_path):
    (tmp_path / "blame.yml").write_text(textwrap.dedent(GOOD_RULE), encoding="utf-8")
    strategies = dict(STRATEGIES, **{"say-what-changed": STRATEGIES["describe-effect"]})
    load_rules(tmp_path, guards=frozenset(GUARDS), strategies=strategies)  # the first name is fine
    text = GOOD_RULE.replace("rephrase: describe-effect", "rephrase: say-what-changed")
    (tmp_path / "blame.yml").write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(RuleError, match=r"blame.yml: rule 'you-broke-it': rephrase strategy 'say-what-changed' is "
                       r"another name for 'describe-effect'; one strategy, one name \(line 8\)"):
        load_rules(tmp_path, guards=frozenset(GUARDS), strategies=strategies)


def test_the_shipped_strategies_have_no_aliases():
    functions = [getattr(f, "__wrapped__", f) for f in STRATEGIES.values()]
    assert len(set(map(id, functions))) == len(functions)


def test_a_rule_may_name_where_its_wording_comes_from(tmp_path):
    text = GOOD_RULE.replace("rephrase: describe-effect", "source: a style guide\n        rephrase: describe-effect")
    (rule,) = _load(tmp_path, text)
    assert rule.source == "a style guide"


def test_every_category_has_a_file_and_every_rule_three_examples_of_each_kind():
    rules = validated_rules()
    assert {r.category for r in rules} == set(CATEGORIES)
    assert all(len(r.flag_examples) >= 3 and len(r.pass_examples) >= 3 for r in rules)


def test_committed_rules_doc_matches_the_generated_one():
    """Regenerate with `tact rules --markdown > docs/rules.md` after editing a rule file."""
    from service.cli.analysis import rules_command

    generated = CliRunner().invoke(rules_command, ["--markdown"]).output
    assert DOCS.read_text(encoding="utf-8") == generated


def test_a_sentence_is_parsed_only_when_it_has_every_word_some_pattern_requires(analysis):
    """ "Had you checked" needs both "had" and "you": a sentence with only "had" skips the parse."""
    e = engine()
    assert e.matchers.needs_parse(e.nlp.make_doc("Had you checked the logs, this would be clear."))
    assert not e.matchers.needs_parse(e.nlp.make_doc("The job had three retries and then stopped."))


def test_a_parsed_sentence_runs_only_the_rules_whose_words_it_has_and_loses_no_match(analysis):
    """Each rule's parsed patterns run only where prefilter found the words they need: on every rule's own
    examples and the corpus's dev half, that finds exactly the matches of running every rule's matcher."""
    import json

    from service.analysis.matchers import Prefiltered

    e = engine()
    corpus = Path(__file__).parents[1] / "corpus" / "dev.jsonl"
    texts = [json.loads(line)["text"] for line in corpus.read_text(encoding="utf-8").splitlines()]
    texts += [x for r in e.rules.values() for x in (*r.flag_examples, *r.pass_examples)]
    skipped = 0
    for doc in e.nlp.pipe(texts):
        needs, pre = e.matchers.prefilter(doc)
        everything = Prefiltered(pre.before, frozenset(e.matchers.deep_rules))
        assert sorted(e.matchers.hits(doc, pre)) == sorted(e.matchers.hits(doc, everything)), doc.text
        assert needs or not e.matchers.hits(doc, everything), doc.text
        skipped += len(e.matchers.deep_rules) - len(pre.deep)
    assert skipped > len(texts) * len(e.matchers.deep_rules) * 0.9  # most rules skip most sentences
    assert e.matchers.prefilter(e.nlp.make_doc("Had you checked the logs, this would be clear."))[1].deep
