"""Only the author's own prose is analyzed, and every span still points into the original Markdown."""

from __future__ import annotations

import pytest

from service.analysis.catalog import Options
from service.analysis.markdown import extract

HARSH = "You broke the build again."


@pytest.mark.parametrize(
    "body",
    [
        f"```python\n# {HARSH}\n```",
        f"```suggestion\n{HARSH}\n```",
        f"> {HARSH}\n\nThat was the old message.",
        f"<!-- {HARSH} -->",
        f"Run `echo '{HARSH}'` to see the old banner.",
        "See https://example.com/you-broke-the-build-again for the history.",
        f"    {HARSH}",
        f"Signed-off-by: {HARSH}",
    ],
    ids=["fence", "suggestion", "quote", "html-comment", "inline-code", "url", "indented-code", "trailer"],
)
def test_text_that_is_not_the_authors_prose_is_not_analyzed(analysis, body):
    assert analysis.analyze(body).findings == ()


def test_masking_keeps_every_offset_of_the_original():
    body = "Use `x.y()` here.\n```\ncode\n```\n> quoted\nSee https://a.b/c now."
    prose = extract(body)
    assert len(prose.masked) == len(body)
    assert [i for i, c in enumerate(body) if c == "\n"] == [
        i for i, c in enumerate(prose.masked) if c == "\n"
    ]
    assert "quoted" not in prose.masked and "https" not in prose.masked


def test_a_finding_after_code_and_quotes_points_at_the_original_sentence(analysis):
    body = "> Obviously fine.\n\n```suggestion\nx = 1\n```\n\nLooks close. Obviously this is wrong."
    (finding,) = analysis.analyze(body).findings
    assert body[finding.start : finding.end] == finding.text == "Obviously this is wrong."


@pytest.mark.parametrize("body", ["wtf is `x2_final_REAL`", "Why the hell is this `x2_final_REAL`\n\nThanks"])
def test_a_sentence_that_ends_in_code_ends_at_its_closing_backtick(analysis, body):
    """The mask is a shorter placeholder padded with blanks; the sentence and its rewrite keep the whole span."""
    result = analysis.analyze(body)
    (finding,) = result.findings
    assert finding.text.endswith("`x2_final_REAL`")
    assert "`x2_final_REAL`" in result.rewrite


def test_an_unclosed_fence_hides_the_rest_of_the_comment(analysis):
    assert analysis.analyze(f"```\n{HARSH}\n{HARSH}").findings == ()


def test_link_text_is_prose_but_its_target_is_not(analysis):
    (finding,) = analysis.analyze("[You broke the build](https://ci.example/you-broke).").findings
    assert finding.rule == "you-broke"


@pytest.mark.parametrize(
    "body",
    [
        "Can we move the macro to platform/wtf/Assertions.h?",
        "We should call it __ffs() then, like Linux.",
        "The dumb_terminal flag is set by the installer.",
        "Rename self.stupid_flag before the release.",
        "See src/crap/parser.py for the old version.",
    ],
    ids=["path", "call", "snake-case", "dotted", "directory"],
)
def test_bare_names_outside_backticks_are_code_too(analysis, body):
    assert analysis.analyze(body, Options(sensitivity="high")).findings == ()


@pytest.mark.parametrize(
    "body", ["This CI/CD change is stupid.", "This read/write lock is stupid.", "It is 3.5 times slower and stupid."]
)
def test_prose_that_looks_like_a_name_is_still_read(analysis, body):
    assert [f.rule for f in analysis.analyze(body, Options(sensitivity="high")).findings] == ["stupid"]


def test_a_quotation_with_its_own_full_stop_stays_one_quoted_sentence(analysis):
    body = 'The UI string "Are you sure? This is dumb." is from the design mock.'
    assert analysis.analyze(body, Options(sensitivity="high")).findings == ()


@pytest.mark.parametrize("body, word", [("This is a f***ing nightmare, 3,000 lines.", "f***ing"),
                                        ("What the f*** is `loop()` doing?", "f***"), ("Total bulls**t.", "bulls**t")])
def test_a_starred_out_swear_is_read_as_the_word_and_shown_as_written(analysis, body, word):
    """The analyzer reads the word the stars stand for, letter for letter, so offsets hold: the note shows what
    the reviewer wrote and the rewrite leaves the word out."""
    result = analysis.analyze(body)
    assert [f.category for f in result.findings] == ["profanity"]
    assert word in result.findings[0].text and word in result.findings[0].words
    assert word not in result.rewrite and "*" not in result.rewrite.replace("`", "")


@pytest.mark.parametrize("body", ["Use **kwargs here, and *args after it.", "Glob with src/**/*.ts instead.",
                                  "a*b is a*(*b) here, so the pointer math holds."])
def test_stars_that_spell_no_swear_are_left_alone(analysis, body):
    assert not analysis.analyze(body).flagged


def test_a_piece_with_no_word_belongs_to_the_sentence_before_it(analysis):
    """An eye-roll after the full stop is the sentence's tone: it is read with the sentence, and the note's span
    ends after it; alone, or in a paragraph of its own, it is still no sentence."""
    from service.analysis.segment import sentences

    body = "The docs site redesign removed search. 🙄"
    assert sentences(body) == [(0, len(body))]
    assert sentences("🙄") == []
    assert sentences("The docs site redesign removed search.\n\n👍") == [(0, 38)]
    found = analysis.analyze(body).findings
    assert [(f.start, f.end, f.words) for f in found] == [(0, len(body), "🙄")]


def test_a_phrase_said_word_by_word_is_one_sentence_but_short_replies_stay_apart():
    """'Read. The. Comments.' is one phrase broken up for emphasis (one of its words cannot stand alone);
    'Done. Thanks. Merging.' is three replies, each read on its own."""
    from service.analysis.segment import sentences

    body = "Stop. Pushing. Into. This. PR. The scope was the null check."
    said = [body[a:b] for a, b in sentences(body)]
    assert said == ["Stop. Pushing. Into. This. PR.", "The scope was the null check."]
    replies = "Done. Thanks. Merging."
    assert [replies[a:b] for a, b in sentences(replies)] == ["Done.", "Thanks.", "Merging."]
    assert len(sentences("Read. The.\n\nComments.")) == 3  # a paragraph break ends the run
