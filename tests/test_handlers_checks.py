"""Check-run buttons and pull-request lifecycle: Looks fine, Re-run, new head commits, closing."""

from service import storage
from tests import payloads
from tests.conftest import opt_in
from tests.delivery_helpers import deliver_and_wait

NEW_HEAD = "b" * 40


def _flag(app, fake, body="You broke the build again.", **kw):
    opt_in(fake)
    deliver_and_wait(app, payloads.review_comment(body, **kw))
    return fake.check_runs[-1]


def test_looks_fine_records_feedback_and_republishes_without_the_finding(github_app, github_world):
    run = _flag(github_app, github_world)
    delivery = deliver_and_wait(github_app, payloads.check_run("requested_action", identifier="looks_fine",
                                                               check_run_id=run.id))
    assert delivery.state == storage.DONE, delivery.reason
    assert github_world.check_runs[-1].annotations == []
    with github_app.extensions["tact.db"].session() as session:
        [feedback] = session.query(storage.Feedback).all()
        assert feedback.rule == "you-broke" and feedback.verdict == "looks_fine"


def test_an_unknown_action_is_skipped(github_app, github_world):
    run = _flag(github_app, github_world)
    delivery = deliver_and_wait(github_app, payloads.check_run("requested_action", identifier="other",
                                                               check_run_id=run.id))
    assert delivery.state == storage.SKIPPED


def test_rerun_reads_every_comment_afresh(github_app, github_world):
    opt_in(github_world)
    state = github_world.state
    state.add_comment(payloads.REPO, 7, "review_comment", "Did you even test this?", path="app.py", line=30)
    state.add_comment(payloads.REPO, 7, "issue_comment", "Thanks, this reads well.")
    state.add_comment(payloads.REPO, 7, "review_comment", "You broke it.", author="ci[bot]", bot=True,
                      path="app.py", line=31)
    delivery = deliver_and_wait(github_app, payloads.check_run("rerequested"))
    assert delivery.state == storage.DONE, delivery.reason
    [note] = github_world.check_runs[-1].annotations
    assert note.start_line == 30


def test_rerun_on_an_unchanged_pull_request_still_makes_a_new_run(github_app, github_world):
    """Pressing Re-run and seeing nothing happen reads as a broken app."""
    _flag(github_app, github_world)
    github_world.state.add_comment(payloads.REPO, 7, "review_comment", "You broke the build again.",
                                   path="app.py", line=12)
    before = len(github_world.check_runs)
    deliver_and_wait(github_app, payloads.check_run("rerequested"))
    assert len(github_world.check_runs) == before + 1


def test_rerun_drops_comments_deleted_while_tact_was_not_listening(github_app, github_world):
    _flag(github_app, github_world)
    deliver_and_wait(github_app, payloads.check_run("rerequested"))
    assert github_world.check_runs[-1].annotations == []


def test_a_new_head_commit_gets_the_current_run(github_app, github_world):
    _flag(github_app, github_world)
    github_world.state.repos[payloads.REPO].pulls[7].head_sha = NEW_HEAD
    delivery = deliver_and_wait(github_app, payloads.pull_request("synchronize", head_sha=NEW_HEAD))
    assert delivery.state == storage.DONE, delivery.reason
    latest = github_world.check_runs[-1]
    assert latest.head_sha == NEW_HEAD and len(latest.annotations) == 1


def test_a_new_pull_request_without_comments_publishes_nothing(github_app, github_world):
    opt_in(github_world)
    delivery = deliver_and_wait(github_app, payloads.pull_request("opened"))
    assert delivery.state == storage.DONE and github_world.check_runs == []


def test_a_closed_pull_request_gets_no_new_runs(github_app, github_world):
    _flag(github_app, github_world)
    deliver_and_wait(github_app, payloads.pull_request("closed"))
    github_world.state.repos[payloads.REPO].pulls[7].state = "closed"
    before = len(github_world.check_runs)
    delivery = deliver_and_wait(github_app, payloads.review_comment("Obviously wrong.", comment_id=999))
    assert "closed" in delivery.reason and len(github_world.check_runs) == before


def test_a_check_suite_request_defers_to_synchronize(github_app, github_world):
    delivery = deliver_and_wait(github_app, payloads.check_suite("requested"))
    assert delivery.state == storage.DONE and github_world.check_runs == []
