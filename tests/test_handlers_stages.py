"""Trust controls end to end: webhook -> Flask -> in-process worker -> fake GitHub's check runs.

Staged rollout (`mode`), allowed phrases and the deliberate marker, notes cleared when a comment is
fixed, and the noise limits (annotation cap, no update when nothing visible changed).
"""

from datetime import datetime

import pytest

from service import storage
from tests import payloads
from tests.conftest import opt_in
from tests.delivery_helpers import deliver_and_wait

HARSH = "You broke the build again."


def _writes(fake) -> list:
    """Requests that would change what GitHub shows: creating or updating a check run."""
    return [r for r in fake.requests if r.method in ("POST", "PATCH") and "/check-runs" in r.path]


def _stored_findings(app) -> list[str]:
    with app.extensions["tact.db"].session() as session:
        return [f.rule for f in session.query(storage.Finding)]


# ---------- staged rollout


def test_preview_analyzes_and_keeps_findings_but_github_hears_nothing(github_app, github_world):
    opt_in(github_world, "enabled: true\nmode: preview\n")
    delivery = deliver_and_wait(github_app, payloads.review_comment(HARSH))
    assert delivery.state == storage.DONE and "mode is preview" in delivery.reason
    assert _stored_findings(github_app) == ["you-broke"]
    assert github_world.check_runs == [] and _writes(github_world) == []


@pytest.mark.parametrize(("mode", "level", "conclusion"), [
    ("notice", "notice", "neutral"), ("warning", "warning", "neutral"),
    ("required", "warning", "action_required")])
def test_each_speaking_stage_sets_its_level_and_conclusion(github_app, github_world, mode, level, conclusion):
    opt_in(github_world, f"enabled: true\nmode: {mode}\n")
    deliver_and_wait(github_app, payloads.review_comment(HARSH))
    [run] = github_world.check_runs
    assert (run.annotations[0].annotation_level, run.conclusion) == (level, conclusion)


def test_enabled_without_a_mode_means_notice(github_app, github_world):
    opt_in(github_world, "enabled: true\n")
    deliver_and_wait(github_app, payloads.review_comment(HARSH))
    [run] = github_world.check_runs
    assert (run.annotations[0].annotation_level, run.conclusion) == ("notice", "neutral")


def test_the_old_keys_still_work_and_the_summary_names_their_replacement(github_app, github_world):
    opt_in(github_world, "enabled: true\nconclusion: action_required\n")
    deliver_and_wait(github_app, payloads.review_comment(HARSH))
    run = github_world.check_runs[-1]
    assert run.conclusion == "action_required"
    assert "`conclusion` is replaced by `mode`" in run.output.summary
    assert "`mode: required`" in run.output.summary


def test_coaching_publishes_no_annotation(github_app, github_world):
    opt_in(github_world, "enabled: true\nmode: coaching\n")
    delivery = deliver_and_wait(github_app, payloads.review_comment(HARSH))
    assert "coaching page" in delivery.reason and github_world.check_runs == []


def test_a_new_head_in_preview_publishes_nothing_either(github_app, github_world):
    opt_in(github_world, "enabled: true\nmode: preview\n")
    deliver_and_wait(github_app, payloads.review_comment(HARSH))
    delivery = deliver_and_wait(github_app, payloads.pull_request("synchronize", head_sha="b" * 40))
    assert "mode is preview" in delivery.reason and github_world.check_runs == []


# ---------- allowed phrases and the deliberate marker


def test_an_allowed_phrase_drops_the_finding_it_covers(github_app, github_world):
    opt_in(github_world, "enabled: true\nallow: [Stupid Simple]\n")
    delivery = deliver_and_wait(github_app, payloads.review_comment("This is a stupid simple fix."))
    assert "nothing to publish" in delivery.reason and github_world.check_runs == []


def test_an_allowed_phrase_leaves_other_findings_alone(github_app, github_world):
    opt_in(github_world, "enabled: true\nallow: [stupid simple]\n")
    deliver_and_wait(github_app, payloads.review_comment("This is a stupid simple fix. You broke it again."))
    assert [a.title for a in github_world.check_runs[-1].annotations] == ["Review tone: 1 phrasing (blame)"]


def test_the_summary_gives_the_exact_allow_line(github_app, github_world):
    opt_in(github_world)
    deliver_and_wait(github_app, payloads.review_comment("This is a stupid simple fix."))
    summary = github_world.check_runs[-1].output.summary
    assert 'add this line to `.github/tact.yml` and Tact lets it through: `allow: ["stupid"]`' in summary


def test_a_comment_marked_deliberate_is_kept_and_counted_but_not_flagged(github_app, github_world):
    opt_in(github_world)
    body = "You broke the build again. <!-- tact: ignore -->"
    delivery = deliver_and_wait(github_app, payloads.review_comment(body))
    assert "nothing to publish" in delivery.reason and github_world.check_runs == []
    with github_app.extensions["tact.db"].session() as session:
        [comment] = session.query(storage.Comment).all()
        assert comment.ignored and comment.findings == []
        assert storage.deliberate_comments(session, comment.repository_id, datetime(2000, 1, 1)) == 1


# ---------- clear when fixed


def test_an_edit_that_clears_the_note_says_so_in_the_summary(github_app, github_world):
    opt_in(github_world)
    deliver_and_wait(github_app, payloads.review_comment(HARSH, comment_id=5151, line=3))
    deliver_and_wait(github_app, payloads.review_comment("Did you even run the tests?", line=9))
    deliver_and_wait(github_app, payloads.review_comment("The build fails after this change; could you look?",
                                                         comment_id=5151, line=3, action="edited"))
    run = github_world.check_runs[-1]
    assert [a.end_line for a in run.annotations] == [9]
    assert "Cleared: 1 earlier note went away because the comment was edited or deleted." in run.output.summary


def test_a_deleted_comment_leaves_the_run_and_the_summary_says_so(github_app, github_world):
    opt_in(github_world)
    deliver_and_wait(github_app, payloads.issue_comment("This is pointless, nobody cares.", comment_id=6161))
    deliver_and_wait(github_app, payloads.issue_comment("This is pointless, nobody cares.", comment_id=6161,
                                                        action="deleted"))
    run = github_world.check_runs[-1]
    assert run.conclusion == "success" and "[conversation comment]" not in run.output.summary
    assert "Cleared: 1 earlier note" in run.output.summary


def test_a_cleared_comment_that_flags_again_is_no_longer_counted_as_cleared(github_app, github_world):
    opt_in(github_world)
    deliver_and_wait(github_app, payloads.review_comment(HARSH, comment_id=7171))
    deliver_and_wait(github_app, payloads.review_comment("Could you look at the build?", comment_id=7171,
                                                         action="edited"))
    deliver_and_wait(github_app, payloads.review_comment(HARSH, comment_id=7171, action="edited"))
    assert "Cleared" not in github_world.check_runs[-1].output.summary


# ---------- noise limits


def test_at_most_max_notes_annotations_newest_first_and_the_rest_counted(github_app, github_world):
    opt_in(github_world, "enabled: true\nmax_notes: 2\n")
    for line in (1, 2, 3):
        deliver_and_wait(github_app, payloads.review_comment(HARSH, line=line))
    run = github_world.check_runs[-1]
    assert [a.end_line for a in run.annotations] == [3, 2]
    assert "1 more annotation is not shown: this run shows the newest 2" in run.output.summary


def test_an_edit_that_changes_nothing_visible_publishes_nothing(github_app, github_world):
    """The note shows the whole comment rewritten, so any change of wording is visible; an edit event whose
    text is the same (a title or label change, a re-sent event) is not."""
    opt_in(github_world)
    deliver_and_wait(github_app, payloads.review_comment("Thanks for the patch. " + HARSH, comment_id=8181))
    writes = len(_writes(github_world))
    typo_fixed = payloads.review_comment("Thanks for the patch. " + HARSH, comment_id=8181, action="edited")
    delivery = deliver_and_wait(github_app, typo_fixed)
    assert delivery.reason == "nothing visible changed; nothing to publish"
    assert len(_writes(github_world)) == writes and len(github_world.check_runs) == 1


def test_republishing_the_same_state_sends_no_update(github_app, github_world):
    """A re-delivered event re-runs the publisher: the run already shows this state, so GitHub hears nothing."""
    opt_in(github_world)
    deliver_and_wait(github_app, payloads.review_comment(HARSH))
    writes = len(_writes(github_world))
    deliver_and_wait(github_app, payloads.pull_request("synchronize"))
    assert len(_writes(github_world)) == writes and len(github_world.check_runs) == 1
