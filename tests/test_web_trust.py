"""The rollout page, the backfill button and CLI, "Looks fine" proposals and the private coaching page:
HTTP into Flask, with the worker in-process and GitHub faked, signed in through the fake's OAuth."""

import pytest

from service import storage
from service.app import close_app
from service.cli import main
from tests import payloads
from tests.conftest import opt_in
from tests.delivery_helpers import deliver_and_wait
from tests.services import queued_tasks
from tests.test_auth import sign_in
from tests.test_backfill import _history
from tests.test_dashboard import csrf

PAGE = f"/repos/{payloads.REPO_ID}/trust"


@pytest.fixture
def web_app(app_factory, github_app_config, github_world):
    """One app that receives webhooks, runs the worker in-process and signs people in."""
    return app_factory(github_app_config | {"GITHUB_CLIENT_ID": github_world.client_id,
                                            "GITHUB_CLIENT_SECRET": github_world.client_secret,
                                            "TACT_PUBLIC_URL": "http://localhost"})


@pytest.fixture
def web(web_app):
    return web_app.test_client()


def _people(fake, *, admin: bool = True, reviewer: str = "write") -> None:
    """octocat (admin unless told) and hubot can see the repository, and "reviewer" (who presses "Looks
    fine" in the payloads) has the role given; the fake uses the payloads' repo id."""
    fake.state.repos[payloads.REPO].id = payloads.REPO_ID
    fake.state.add_user("octocat", {payloads.REPO: admin})
    fake.state.add_user("hubot", {payloads.REPO: False})
    fake.state.add_user("reviewer", {payloads.REPO: reviewer})


def _opted_in_with_history(app, fake, text="enabled: true\nmode: preview\n") -> None:
    _history(fake)
    opt_in(fake, text)
    deliver_and_wait(app, payloads.push())
    assert app.extensions["tact.queue"].join(timeout=60)


def test_the_rollout_page_shows_the_stage_the_backfill_and_what_would_have_been_flagged(web_app, web, github_world):
    _people(github_world)
    _opted_in_with_history(web_app, github_world)
    sign_in(web, "octocat")
    page = web.get(PAGE).text
    assert "Preview: Tact analyzes and shows its findings here, and publishes nothing on GitHub." in page
    assert "Reading the last 30 days: <strong>done</strong>." in page and "3 comments read" in page
    assert "<code>you-broke</code>" in page and "<code>did-you-even</code>" in page
    assert "reviewer" not in page  # who wrote what appears only on that person's own page


def test_the_old_keys_show_their_deprecation_note_on_the_rollout_page(web_app, web, github_world):
    _people(github_world)
    opt_in(github_world, "enabled: true\nannotation_level: warning\n")
    deliver_and_wait(web_app, payloads.push())
    sign_in(web, "octocat")
    page = web.get(PAGE).text
    assert "Warning: findings appear as warnings" in page
    assert "`annotation_level` is replaced by `mode`" in page.replace("&#96;", "`")


def test_an_admin_reads_the_history_again_with_the_button(web_app, web, github_world):
    _people(github_world)
    _opted_in_with_history(web_app, github_world)
    sign_in(web, "octocat")
    answer = web.post(f"/repos/{payloads.REPO_ID}/backfill", data={"csrf_token": csrf(web), "days": "3"})
    assert answer.status_code == 302
    assert web_app.extensions["tact.queue"].join(timeout=60)
    with web_app.extensions["tact.db"].session() as session:
        row = storage.backfill_of(session, payloads.REPO_ID)
        assert (row.state, row.days, row.comments_read) == ("done", 3, 1)  # PR 3 is five days old


def test_switching_a_repository_on_in_the_dashboard_reads_its_history(web_app, web, github_world):
    _people(github_world)
    _history(github_world)
    deliver_and_wait(web_app, payloads.push())  # the repository becomes known; no file, not opted in
    sign_in(web, "octocat")
    form = {"csrf_token": csrf(web), "enabled": "on", "sensitivity": "medium"}
    assert web.post(f"/repos/{payloads.REPO_ID}/settings", data=form).status_code == 302
    assert web_app.extensions["tact.queue"].join(timeout=60)
    with web_app.extensions["tact.db"].session() as session:
        row = storage.backfill_of(session, payloads.REPO_ID)
        assert (row.state, row.comments_read) == ("done", 3)


def test_only_an_admin_may_start_a_backfill_or_change_the_stage(web_app, web, github_world):
    _people(github_world, admin=False)
    _opted_in_with_history(web_app, github_world)
    sign_in(web, "octocat")
    assert web.post(f"/repos/{payloads.REPO_ID}/backfill", data={"csrf_token": csrf(web)}).status_code == 403
    assert web.post(f"/repos/{payloads.REPO_ID}/mode", data={"csrf_token": csrf(web),
                                                             "mode": "notice"}).status_code == 403


def test_the_stage_switch_is_a_dashboard_setting_and_the_file_wins(web_app, web, github_world):
    _people(github_world)
    deliver_and_wait(web_app, payloads.push())  # no file yet: the repository becomes known, not opted in
    sign_in(web, "octocat")
    form = {"csrf_token": csrf(web), "mode": "preview"}
    assert web.post(f"/repos/{payloads.REPO_ID}/mode", data=form).status_code == 302
    with web_app.extensions["tact.db"].session() as session:
        assert storage.repository_by_id(session, payloads.REPO_ID).dashboard_settings == {"mode": "preview"}
    opt_in(github_world)
    deliver_and_wait(web_app, payloads.push())
    assert web.post(f"/repos/{payloads.REPO_ID}/mode", data=form).status_code == 409


def _three_marks(app, *senders: str) -> None:
    """Three comments flagged for "stupid", each marked "Looks fine" by the next sender given."""
    deliver_and_wait(app, payloads.push())
    with app.extensions["tact.db"].session() as session:
        storage.save_dashboard_settings(session, payloads.REPO_ID, {"enabled": True})
    for line, sender in zip((1, 2, 3), senders, strict=True):
        deliver_and_wait(app, payloads.review_comment("This is a stupid simple fix.", line=line))
        deliver_and_wait(app, payloads.check_run("requested_action", identifier="looks_fine", sender=sender))


def test_three_looks_fine_marks_propose_allowing_the_phrase_and_one_click_does_it(web_app, web, github_world):
    _people(github_world)
    _three_marks(web_app, "reviewer", "reviewer", "reviewer")
    sign_in(web, "octocat")
    page = web.get(PAGE).text
    assert "Reviewers with write access marked <code>stupid</code> \"Looks fine\" 3 times." in page
    answer = web.post(f"/repos/{payloads.REPO_ID}/proposals",
                      data={"csrf_token": csrf(web), "action": "allow", "value": "stupid"})
    assert answer.status_code == 302
    with web_app.extensions["tact.db"].session() as session:
        assert storage.repository_by_id(session, payloads.REPO_ID).dashboard_settings["allow"] == ["stupid"]
    assert "Allow &ldquo;stupid&rdquo;" not in web.get(PAGE).text
    delivery = deliver_and_wait(web_app, payloads.review_comment("This is a stupid simple fix.", line=9))
    assert "nothing to publish" in delivery.reason


@pytest.mark.parametrize("role", ["read", "triage"])
def test_looks_fine_marks_by_people_without_write_access_propose_nothing(web_app, web, github_world, role):
    """Anyone who can comment could otherwise steer a repository's settings with three clicks."""
    _people(github_world, reviewer=role)
    _three_marks(web_app, "reviewer", "reviewer", "stranger")  # a stranger is no collaborator: GitHub says 404
    sign_in(web, "octocat")
    page = web.get(PAGE).text
    assert "No rule has been marked \"Looks fine\" 3 times here by people with write access." in page
    assert "Allow &ldquo;stupid&rdquo;" not in page
    with web_app.extensions["tact.db"].session() as session:  # the marks still count as feedback
        assert [(f.login, f.writer) for f in session.query(storage.Feedback).order_by(storage.Feedback.id)] == \
            [("reviewer", False), ("reviewer", False), ("stranger", False)]


def test_marks_by_maintainers_and_admins_count_and_github_is_asked_once_per_person(web_app, web, github_world):
    _people(github_world, reviewer="maintain")
    _three_marks(web_app, "reviewer", "reviewer", "octocat")
    asked = github_world.requests_to("GET", r"/collaborators/[^/]+/permission$")
    assert sorted(r.path.split("/")[-2] for r in asked) == ["octocat", "reviewer"]  # the second press: cached
    sign_in(web, "octocat")
    assert "marked <code>stupid</code> \"Looks fine\" 3 times." in web.get(PAGE).text


# ---------- private coaching


def _two_writers(app, fake) -> None:
    opt_in(fake, "enabled: true\nmode: coaching\n")
    deliver_and_wait(app, payloads.review_comment("You broke the build again.", author="octocat"))
    deliver_and_wait(app, payloads.review_comment("Did you even run the tests?", author="hubot"))


def test_a_person_sees_their_own_flagged_comments_and_nobody_elses(web_app, web, github_world):
    _people(github_world)
    _two_writers(web_app, github_world)
    assert github_world.check_runs == []  # coaching: nothing on the pull request
    sign_in(web, "octocat")
    page = web.get("/me/coaching").text
    assert "<code>you-broke</code>" in page and "did-you-even" not in page


def test_changing_the_url_never_shows_someone_elses_notes(web_app, web, github_world):
    _people(github_world)
    _two_writers(web_app, github_world)
    sign_in(web, "octocat")
    for tampered in ("/me/coaching?login=hubot", "/me/coaching?author=hubot", "/me/coaching/hubot",
                     "/users/hubot/coaching", "/me/coaching?user=hubot&repo=4200001"):
        answer = web.get(tampered)
        assert answer.status_code in (200, 404), tampered
        assert "did-you-even" not in answer.text, tampered
    assert "you-broke" in web.get("/me/coaching?login=hubot").text  # still the signed-in person's own


def test_signed_out_visitors_are_sent_to_sign_in(web):
    answer = web.get("/me/coaching")
    assert answer.status_code == 302 and "/login" in answer.location


def test_notes_from_a_repository_the_person_can_no_longer_see_are_not_shown(web_app, web, github_world):
    _people(github_world)
    _two_writers(web_app, github_world)
    github_world.state.users["octocat"].repos.clear()
    sign_in(web, "octocat")
    assert "you-broke" not in web.get("/me/coaching").text


# ---------- the command


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_tact_backfill_queues_the_repository_with_its_days(runner, database_url, redis_url):
    from service.app import create_app

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "test-secret-key-0123456789"})
    with app.extensions["tact.db"].session() as session:
        storage.upsert_repository(session, payloads.REPO_ID, full_name=payloads.REPO, installation_id=None)
    close_app(app)
    env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "SECRET_KEY": "test-secret-key-0123456789",
           "TACT_LOG_LEVEL": "WARNING", "GITHUB_APP_ID": "", "GITHUB_PRIVATE_KEY": ""}
    result = runner.invoke(main, ["backfill", payloads.REPO, "--days", "7"], env=env)
    assert result.exit_code == 0, result.output
    assert "reading the last 7 days" in result.output
    assert queued_tasks(redis_url) == [("tact.backfill_repository", [payloads.REPO_ID])]
    unknown = runner.invoke(main, ["backfill", "octo/nowhere"], env=env)
    assert unknown.exit_code != 0 and "Tact has not seen octo/nowhere" in unknown.output
