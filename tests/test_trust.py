"""worker.trust: the annotation limit, the cleared count and the `allow:` line, as plain functions."""

from worker import trust


def test_newest_within_keeps_the_newest_annotations_and_every_summary_line():
    items = [("line", 1), ("body", 2), ("line", 3), ("line", 4)]  # oldest first, as storage returns them
    kept, hidden = trust.newest_within(items, 2, on_a_line=lambda item: item[0] == "line")
    assert kept == [("line", 4), ("line", 3), ("body", 2)] and hidden == 1


def test_the_allow_line_is_exact_lower_case_and_without_repeats():
    assert trust.allow_line(["Stupid", None, "stupid", "you broke", 'say "hi"']) == \
        'allow: ["stupid", "you broke", "say \\"hi\\""]'
    assert trust.allow_line([None, ""]) == ""


def test_nothing_to_say_says_nothing():
    assert trust.summary_note(hidden=0, max_notes=20, cleared=0, phrases=[]) == ""


def test_the_bots_own_sentences_about_trust_pass_the_analyzer():
    """Tact's own words must not be what Tact would flag."""
    from service.analysis import engine as analysis

    analysis.load()
    text = trust.summary_note(hidden=3, max_notes=20, cleared=2, phrases=["obviously"])
    for one in (text, trust.summary_note(hidden=1, max_notes=1, cleared=1, phrases=[])):
        for paragraph in one.split("\n\n"):
            assert analysis.analyze(paragraph).findings == (), paragraph
