"""check_run_output stays inside GitHub's limits and shows the PR's whole current state."""

import pytest

from worker.check_run import (
    CHECK_NAME,
    MESSAGE_LIMIT,
    NO_REWRITE,
    REWRITE_HEAD,
    SUMMARY_LIMIT,
    TITLE_LIMIT,
    Item,
    check_run_output,
)


def item(**overrides) -> Item:
    fields = dict(kind="review_comment", url="https://github.com/o/r/pull/1#discussion_r1", author="ana",
                  path="app.py", line=12, start_line=None, rule="you-broke", category="blame", severity="high",
                  message="Naming \u201cyou\u201d as the cause can read as blame.",
                  suggestion="The build fails after this change; could you take a look?", excerpt=None)
    fields.update(overrides)
    return Item(**fields)


def test_no_findings_is_a_success_without_actions():
    output = check_run_output([], comments_read=3)
    assert output.name == CHECK_NAME and output.conclusion == "success" and output.actions == ()
    assert "3 review comments" in output.summary


def test_findings_are_neutral_by_default_and_offer_looks_fine():
    output = check_run_output([item()])
    assert output.conclusion == "neutral"
    assert output.actions[0]["identifier"] == "looks_fine"
    action = output.actions[0]
    assert len(action["label"]) <= 20 and len(action["description"]) <= 40 and len(action["identifier"]) <= 20


def test_line_comments_become_annotations_and_the_rest_go_to_the_summary():
    output = check_run_output([item(), item(kind="review", path=None, line=None, url="https://x/review"),
                               item(line=None, url="https://x/outdated")])
    assert len(output.annotations) == 1
    assert "[review](https://x/review)" in output.summary and "[outdated comment](https://x/outdated)" in output.summary


def test_a_reversed_range_falls_back_to_the_single_line():
    [note] = check_run_output([item(start_line=20, line=12)]).annotations
    assert (note["start_line"], note["end_line"]) == (12, 12)


@pytest.mark.parametrize("field, limit", [("message", MESSAGE_LIMIT), ("suggestion", MESSAGE_LIMIT)])
def test_long_messages_are_shortened_to_github_limits(field, limit):
    [note] = check_run_output([item(**{field: "word " * 40_000})]).annotations
    assert len(note["message"]) <= limit and note["message"].endswith("(shortened to fit GitHub's limit)")


def test_a_huge_summary_is_shortened():
    many = [item(kind="issue_comment", path=None, line=None, message="m" * 2000) for _ in range(100)]
    output = check_run_output(many)
    assert len(output.summary) <= SUMMARY_LIMIT and len(output.title) <= TITLE_LIMIT


def test_the_same_state_has_the_same_external_id_and_a_new_state_another():
    first = check_run_output([item()], head_sha="a" * 40)
    assert first.external_id == check_run_output([item()], head_sha="a" * 40).external_id
    assert first.external_id != check_run_output([], head_sha="a" * 40).external_id
    assert first.external_id != check_run_output([item()], head_sha="b" * 40).external_id


def test_the_bots_own_sentences_pass_the_analyzer():
    """Tact's own words must not be what Tact would flag."""
    from service.analysis import engine as analysis

    analysis.load()
    output = check_run_output([item(kind="review", path=None, line=None)], comments_read=1)
    texts = [output.title, output.summary, check_run_output([], comments_read=2).summary,
             check_run_output([], comments_read=2).title, *[a["description"] for a in output.actions],
             REWRITE_HEAD, NO_REWRITE, check_run_output([item(suggestion="")]).annotations[0]["message"]]
    for text in texts:
        assert analysis.analyze(text).findings == (), text


def test_a_comment_gets_one_note_listing_each_phrase_and_the_whole_rewrite():
    rewrite = "This is wrong. This change broke the build."
    findings = [item(comment_id=7, rule="obviously", category="condescension", message="Obviously may talk down.",
                     excerpt="Obviously this is wrong.", suggestion=rewrite),
                item(comment_id=7, excerpt="You broke the build.", suggestion=rewrite),
                item(comment_id=8, line=30, suggestion="Another comment's rewrite.")]
    first, second = check_run_output(findings).annotations
    assert first["title"] == "Review tone: 2 phrasings (condescension, blame)"
    phrase = "\u201cObviously this is wrong.\u201d, condescension (`obviously`): Obviously may talk down."
    assert phrase in first["message"]
    assert "\u201cYou broke the build.\u201d, blame (`you-broke`)" in first["message"]
    assert first["message"].endswith(f"{REWRITE_HEAD}\n\n> {rewrite}")
    assert first["message"].count(REWRITE_HEAD) == 1
    assert second["end_line"] == 30 and "Another comment's rewrite." in second["message"]


def test_without_a_rewrite_the_note_says_so_instead_of_offering_boilerplate():
    [note] = check_run_output([item(suggestion="", excerpt="Any beginner knows this.")]).annotations
    assert note["message"].endswith(NO_REWRITE) and REWRITE_HEAD not in note["message"]
    assert "\u201cAny beginner knows this.\u201d" in note["message"]


def test_comments_outside_the_diff_get_the_same_note_in_the_summary():
    rewrite = "Line one.\n\nLine two with `code`."
    output = check_run_output([item(kind="review", path=None, line=None, url="https://x/review", comment_id=1,
                                    suggestion=rewrite)])
    assert output.annotations == ()
    assert "[review](https://x/review)" in output.summary
    assert f"{REWRITE_HEAD}\n\n> Line one.\n>\n> Line two with `code`." in output.summary
