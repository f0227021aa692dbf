"""Suggestions rephrase the whole sentence concretely, keep code intact, and always pass the analyzer."""

from __future__ import annotations

import pytest

from service.analysis.catalog import Options
from service.analysis.rephrase import FALLBACK

CASES = [
    ("Why didn't you just use a dict?", "Would it help to use a dict?"),
    ("You broke the build again.", "It looks like this change affects the build; could you take a look?"),
    ("Obviously this is wrong.", "I think this may be wrong."),
    ("You forgot the migration.", "It looks like the migration may still be missing; could you add it?"),
    ("Fix this now.", "Could you fix this?"),
    ("This code is garbage.", "I think this code needs some more work; could we go over it together?"),
    ("What the hell is this loop doing?", "What is this loop doing?"),
    ("THIS IS NOT HOW WE DO IT.", "I think this is not how we do it."),
    # Mockery by letter case keeps the words and loses the voice.
    ("iT wOrKs On My MaChInE, sure.", "It works on my machine, sure."),
    ("No, YOU need to validate the input first.", "No, you need to validate the input first."),
    # A jab around a noun phrase: without the jab, the noun phrase is the concern.
    ("Oh great, another global mutable cache.",
     "I'm a bit worried about this global mutable cache; could we talk it through?"),
    ("Oh look, plaintext passwords in the fixtures.",
     "I'm a bit worried about plaintext passwords in the fixtures; could we talk it through?"),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_known_sentences_get_a_concrete_rephrasing(analysis, text, expected):
    findings = analysis.analyze(text).findings
    assert findings
    assert {f.suggestion for f in findings} == {expected}


# The noun phrase is offered only when it is about the work and survives the cut whole.
NO_CONCERN_TO_NAME = [
    "Ugh, another armchair architect who has never read the code.",  # about a person
    "This pile of crap breaks half the integration tests.",  # "pile of" would lose its object
    "Another masterpiece.",  # nothing left
]


@pytest.mark.parametrize("text", NO_CONCERN_TO_NAME)
def test_no_noun_phrase_concern_where_none_is_left_whole(analysis, text):
    findings = analysis.analyze(text).findings
    assert findings
    for finding in findings:
        assert not finding.suggestion.startswith("I'm a bit worried about")


def test_inline_code_survives_the_rephrasing(analysis):
    (finding,) = analysis.analyze("Why didn't you just use `collections.Counter`?").findings
    assert finding.suggestion == "Would it help to use `collections.Counter`?"


@pytest.mark.parametrize("category", sorted(FALLBACK))
def test_every_fallback_passes_the_analyzer(analysis, category):
    """A fallback is offered when a strategy's output fails re-analysis, so it must itself be clean."""
    assert analysis.analyze(FALLBACK[category], Options(sensitivity="high")).findings == ()


def test_a_rephrasing_that_would_still_be_flagged_is_replaced_by_the_fallback(analysis):
    (finding,) = analysis.analyze(
        "What the hell, you idiot.", Options(disabled_categories=frozenset({"insult"}))
    ).findings
    assert finding.suggestion == FALLBACK["profanity"]


# The harsh lead-in, aside or modifier goes; the technical point stays (issue 3: a concrete rephrasing).
KEEPS_THE_POINT = [
    ("Any beginner knows you need an index here.", "I think we may need an index here."),
    ("Your mess in utils.py needs cleaning up.",
     "I think the code in utils.py needs cleaning up; could we look at it together?"),
    ("Simply use a context manager, it's not rocket science.", "Could you use a context manager?"),
    ("Obviously you need to close the file here.", "I think we may need to close the file here."),
    ("This is obviously a race condition.", "I think this may be a race condition."),
    ("As I already said, the lock is not needed.", "I think the lock is not needed."),
    ("I already told you the test is flaky.", "I think the test may be flaky."),
    ("Just add a null check before the loop.", "Could you add a null check before the loop?"),
    ("You just need to call close() first.", "I think we may need to call close() first."),
    ("You didn't even run the tests.", "Could you run the tests?"),
    ("Please clean up your mess in the parser.", "Could you clean up the code in the parser?"),
    ('This "fix" broke the login page.', "I think this code broke the login page."),
    ("Damn, the migration fails on Postgres.", "The migration fails on Postgres."),
    ("Why the heck is this enforced here?", "Why is this enforced here?"),
    ("This module is a clusterfuck.",
     "I think this module needs some more work; could we go over it together?"),
    ("Come on, this needs a test.", "I think this may need a test."),
    ("I keep telling you the cache is stale.", "I think the cache may be stale."),
    ("You should've known the API was deprecated.", "I think the API was deprecated."),
]


@pytest.mark.parametrize(("text", "expected"), KEEPS_THE_POINT, ids=[c[0] for c in KEEPS_THE_POINT])
def test_suggestion_drops_the_jab_and_keeps_the_technical_point(analysis, text, expected):
    findings = analysis.analyze(text, Options(sensitivity="high")).findings
    assert findings
    assert {f.suggestion for f in findings} == {expected}


def test_every_rule_that_fires_on_a_sentence_gets_the_same_clean_rephrasing(analysis):
    """Each rule used to cut only its own words, so 'Simply ...' survived the rocket-science rule's edit."""
    text = "Simply use a context manager, it's not rocket science."
    findings = analysis.analyze(text).findings
    assert {f.rule for f in findings} == {"not-rocket-science"}
    assert analysis.analyze(findings[0].suggestion, Options(sensitivity="high")).findings == ()
