"""Suggestions rephrase the whole sentence concretely, keep code intact, and always pass the analyzer."""

from __future__ import annotations

import pytest

from worker.analysis import Options
from worker.analysis.rephrase import FALLBACK

CASES = [
    ("Why didn't you just use a dict?", "Would it help to use a dict?"),
    ("You broke the build again.", "It looks like this change affects the build; could you take a look?"),
    ("Obviously this is wrong.", "I think this may be wrong."),
    ("You forgot the migration.", "It looks like the migration may still be missing; could you add it?"),
    ("Fix this now.", "Could you fix this?"),
    ("This code is garbage.", "I think this code needs some more work; could we go over it together?"),
    ("What the hell is this loop doing?", "What is this loop doing?"),
    ("THIS IS NOT HOW WE DO IT.", "I think this is not how we do it."),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_known_sentences_get_a_concrete_rephrasing(analysis, text, expected):
    (finding,) = analysis.analyze(text).findings
    assert finding.suggestion == expected


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
