"""Comments in, the "Review tone" check run out: through Flask, the in-process queue and the fake GitHub."""

from service import storage
from tests import payloads
from tests.conftest import opt_in
from tests.delivery_helpers import deliver_and_wait


def test_a_harsh_review_comment_gets_an_annotation_at_its_line(github_app, github_world):
    opt_in(github_world)
    delivery = deliver_and_wait(github_app, payloads.review_comment("You broke the build again.", line=12))
    assert delivery.state == storage.DONE, delivery.reason
    [run] = github_world.check_runs
    assert run.name == "Review tone" and run.head_sha == payloads.HEAD_SHA
    assert run.conclusion == "neutral"
    [note] = run.annotations
    assert (note.path, note.start_line, note.end_line, note.annotation_level) == ("app.py", 12, 12, "notice")
    assert "gentler wording" in note.message
    assert [a["identifier"] for a in run.actions] == ["looks_fine"]


def test_a_multi_line_comment_spans_its_lines(github_app, github_world):
    opt_in(github_world)
    deliver_and_wait(github_app, payloads.review_comment("Obviously this is wrong.", start_line=8, line=12))
    [note] = github_world.check_runs[-1].annotations
    assert (note.start_line, note.end_line) == (8, 12)


def test_a_repository_that_has_not_opted_in_gets_nothing(github_app, github_world):
    delivery = deliver_and_wait(github_app, payloads.review_comment("You broke the build again."))
    assert delivery.state == storage.SKIPPED and "has not opted in" in delivery.reason
    assert github_world.check_runs == []


def test_opting_in_later_turns_tact_on(github_app, github_world):
    deliver_and_wait(github_app, payloads.review_comment("You broke the build again."))
    opt_in(github_world)
    payloads_push = payloads.push(files=[".github/tact.yml"])
    assert deliver_and_wait(github_app, payloads_push).state == storage.DONE
    deliver_and_wait(github_app, payloads.review_comment("You forgot the migration again."))
    assert len(github_world.check_runs) == 1


def test_a_neutral_comment_publishes_nothing(github_app, github_world):
    opt_in(github_world)
    delivery = deliver_and_wait(github_app, payloads.review_comment("This leaks the file handle."))
    assert delivery.state == storage.DONE and "nothing to publish" in delivery.reason
    assert github_world.check_runs == []


def test_editing_a_comment_into_kind_words_publishes_a_clean_run(github_app, github_world):
    opt_in(github_world)
    deliver_and_wait(github_app, payloads.review_comment("You broke the build again.", comment_id=4242))
    deliver_and_wait(github_app, payloads.review_comment("The build fails after this change; could you look?",
                                                         comment_id=4242, action="edited"))
    latest = github_world.check_runs[-1]
    assert latest.annotations == [] and latest.conclusion == "success"


def test_deleting_a_comment_removes_its_annotation(github_app, github_world):
    opt_in(github_world)
    deliver_and_wait(github_app, payloads.review_comment("You broke the build again.", comment_id=4343))
    deliver_and_wait(github_app, payloads.review_comment("You broke the build again.", comment_id=4343,
                                                         action="deleted"))
    assert github_world.check_runs[-1].annotations == []


def test_review_bodies_and_conversation_comments_are_listed_in_the_summary(github_app, github_world):
    opt_in(github_world)
    deliver_and_wait(github_app, payloads.review("Did you even run the tests?"))
    deliver_and_wait(github_app, payloads.issue_comment("This is pointless, nobody cares."))
    run = github_world.check_runs[-1]
    assert run.annotations == []
    assert "[review]" in run.output.summary and "[conversation comment]" in run.output.summary


def test_an_outdated_comment_goes_to_the_summary(github_app, github_world):
    opt_in(github_world)
    deliver_and_wait(github_app, payloads.review_comment("You broke the build again.", line=None))
    run = github_world.check_runs[-1]
    assert run.annotations == [] and "outdated comment" in run.output.summary


def test_comments_on_plain_issues_are_ignored(github_app, github_world):
    opt_in(github_world)
    delivery = deliver_and_wait(github_app, payloads.issue_comment("You broke it.", on_pull_request=False))
    assert delivery.state == storage.SKIPPED and "not on a pull request" in delivery.reason


def test_bots_are_ignored_by_default(github_app, github_world):
    opt_in(github_world)
    delivery = deliver_and_wait(github_app, payloads.review_comment("You broke the build again.",
                                                                    author="ci-helper[bot]", author_type="Bot"))
    assert delivery.state == storage.SKIPPED


def test_ignored_paths_are_not_analyzed(github_app, github_world):
    opt_in(github_world, "enabled: true\nignore_paths: ['vendor/**']\n")
    delivery = deliver_and_wait(github_app, payloads.review_comment("You broke it again.", path="vendor/lib.py"))
    assert delivery.state == storage.SKIPPED and "ignore_paths" in delivery.reason


def test_comment_text_is_not_stored_unless_allowed(github_app, github_world):
    opt_in(github_world)
    deliver_and_wait(github_app, payloads.review_comment("You broke the build again."))
    with github_app.extensions["tact.db"].session() as session:
        comment = session.query(storage.Comment).one()
        assert comment.body is None and all(f.excerpt is None for f in comment.findings)
    assert github_world.check_runs[-1].annotations[0].raw_details is None


def test_comment_text_is_kept_when_the_repository_allows_it(github_app, github_world):
    opt_in(github_world, "enabled: true\nstore_text: true\n")
    deliver_and_wait(github_app, payloads.review_comment("You broke the build again."))
    assert github_world.check_runs[-1].annotations[0].raw_details == "You broke the build again."


def test_a_warning_level_and_blocking_conclusion_follow_the_settings(github_app, github_world):
    opt_in(github_world, "enabled: true\nannotation_level: warning\nconclusion: action_required\n")
    deliver_and_wait(github_app, payloads.review_comment("You broke the build again."))
    run = github_world.check_runs[-1]
    assert run.conclusion == "action_required" and run.annotations[0].annotation_level == "warning"


def test_an_invalid_settings_file_is_explained_in_the_summary(github_app, github_world):
    opt_in(github_world, "enabled: true\n")
    deliver_and_wait(github_app, payloads.review_comment("You broke the build again."))
    opt_in(github_world, "enabled: true\nsensitivity: extreme\n")
    deliver_and_wait(github_app, payloads.push(files=[".github/tact.yml"]))
    deliver_and_wait(github_app, payloads.review_comment("Did you even read the docs?"))
    summary = github_world.check_runs[-1].output.summary
    assert "sensitivity" in summary and "last valid settings" in summary


def test_without_github_credentials_settings_come_from_the_dashboard_and_nothing_fails(app):
    """No GitHub App (local mode, `tact replay`): no tact.yml can be read, so the repository is off until switched on
    in the dashboard; tests/test_dashboard_preview.py follows it from there to the check-run preview."""
    delivery = deliver_and_wait(app, payloads.review_comment("You broke the build again."))
    assert delivery.state == storage.SKIPPED and "has not opted in" in delivery.reason
