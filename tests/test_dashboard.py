"""The dashboard through HTTP: repository states, trends, switches, and who may change them (GitHub says)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from service import storage
from service.app import close_app, create_app
from service.settings import DEFAULTS, SettingsError
from service.web import figures
from tests.test_auth import gh_app, gh_client, gh_config, sign_in  # noqa: F401  (shared fixtures)

FINDING = {"severity": "medium", "start": 0, "end": 5, "score": 0.9, "message": "m", "suggestion": "s"}


def build_world(fake, db, *, admin: dict[str, bool]) -> dict[str, int]:
    """One installation with two repositories, known to both the fake and storage; `octocat` sees both."""
    inst = fake.state.add_installation("octo-org")
    repos = {name: fake.state.add_repository(f"octo-org/{name}", inst.id) for name in ("app", "docs")}
    fake.state.add_user("octocat", {r.full_name: admin[name] for name, r in repos.items()})
    with db.session() as session:
        storage.upsert_installation(session, inst.id, account_login="octo-org", account_type="Organization")
        for repo in repos.values():
            storage.upsert_repository(session, repo.id, full_name=repo.full_name, installation_id=inst.id)
    return {"installation": inst.id, **{name: r.id for name, r in repos.items()}}


def stored_repo(db, repo_id: int) -> storage.Repository:
    with db.session() as session:
        return storage.repository_by_id(session, repo_id)


def give_file(db, repo_id: int, text: str, **fields) -> None:
    with db.session() as session:
        repo = storage.repository_by_id(session, repo_id)
        repo.settings_sha = "0123abcd"
        repo.settings_files = {"repository": text, "organization": None}
        for key, value in fields.items():
            setattr(repo, key, value)


def cache_answer(db, repositories: dict) -> None:
    """Pretend GitHub gave this answer about the user's repositories (kept with the sign-in, server-side)."""
    with db.session() as session:
        for row in session.scalars(select(storage.SignIn)):
            row.repositories = repositories


def csrf(client) -> str:
    with client.session_transaction() as session:
        return session["csrf"]


def switches(client, **extra) -> dict:
    form = {"csrf_token": csrf(client), "enabled": "on", "sensitivity": "high", "category-blame": "on"}
    return {**form, **extra}


@pytest.fixture
def db(gh_app):
    return gh_app.extensions["tact.db"]


def test_signed_out_visitors_see_the_sign_in_button(gh_client):
    page = gh_client.get("/")
    assert page.status_code == 200 and "Sign in with GitHub" in page.text


def test_the_list_shows_each_repository_state_and_why(gh_client, fake_github, db):
    ids = build_world(fake_github, db, admin={"app": True, "docs": False})
    with db.session() as session:
        storage.save_dashboard_settings(session, ids["app"], {"enabled": True})
    sign_in(gh_client, "octocat")
    page = gh_client.get("/").text
    assert "octo-org/app" in page and "octo-org/docs" in page
    assert "Switched on in this dashboard." in page
    assert "The installation-wide default is off." in page
    assert "Change the installation-wide default" not in page  # not admin on every repository


def test_a_repository_file_shows_as_the_reason_and_the_source(gh_client, fake_github, db):
    ids = build_world(fake_github, db, admin={"app": True, "docs": True})
    give_file(db, ids["app"], "enabled: true\nsensitivity: high\n")
    sign_in(gh_client, "octocat")
    assert ".github/tact.yml turns Tact on." in gh_client.get("/").text
    page = gh_client.get(f"/repos/{ids['app']}").text
    assert "<code>sensitivity</code></th><td>high</td><td>.github/tact.yml</td>" in page
    assert "<code>mode</code></th><td>notice</td><td>Tact&#39;s default</td>" in page
    assert "the file wins" in page


def test_an_admin_switches_a_repository_on(gh_client, fake_github, db):
    ids = build_world(fake_github, db, admin={"app": True, "docs": False})
    sign_in(gh_client, "octocat")
    answer = gh_client.post(f"/repos/{ids['app']}/settings", data=switches(gh_client))
    assert answer.status_code == 302
    saved = stored_repo(db, ids["app"]).dashboard_settings
    assert saved["enabled"] is True and saved["sensitivity"] == "high"
    assert saved["categories"]["blame"] is True and saved["categories"]["sarcasm"] is False
    assert "Switched on in this dashboard." in gh_client.get(answer.location).text


def test_a_non_admin_cannot_change_switches_and_nothing_changes(gh_client, fake_github, db):
    ids = build_world(fake_github, db, admin={"app": True, "docs": False})
    sign_in(gh_client, "octocat")
    assert "Only people with admin access" in gh_client.get(f"/repos/{ids['docs']}").text
    answer = gh_client.post(f"/repos/{ids['docs']}/settings", data=switches(gh_client))
    assert answer.status_code == 403 and "Nothing was changed" in answer.text
    assert stored_repo(db, ids["docs"]).dashboard_settings is None


def test_admin_rights_are_asked_of_github_not_taken_from_the_session(gh_client, fake_github, db):
    ids = build_world(fake_github, db, admin={"app": False, "docs": False})
    sign_in(gh_client, "octocat")
    cache_answer(db, {"at": 0, "see": [ids["app"]], "admin": [ids["app"]]})  # stale: refetched
    assert gh_client.post(f"/repos/{ids['app']}/settings", data=switches(gh_client)).status_code == 403
    assert stored_repo(db, ids["app"]).dashboard_settings is None


def test_switches_without_the_form_token_are_refused(gh_client, fake_github, db):
    ids = build_world(fake_github, db, admin={"app": True, "docs": True})
    sign_in(gh_client, "octocat")
    fake_github.forbid("GET", "/user/installations")
    answer = gh_client.post(f"/repos/{ids['app']}/settings", data=switches(gh_client, csrf_token="forged"))
    assert answer.status_code == 400 and "nothing was changed" in answer.text
    assert stored_repo(db, ids["app"]).dashboard_settings is None


def test_switches_are_refused_when_the_repository_has_a_file(gh_client, fake_github, db):
    ids = build_world(fake_github, db, admin={"app": True, "docs": True})
    give_file(db, ids["app"], "enabled: false\n")
    sign_in(gh_client, "octocat")
    answer = gh_client.post(f"/repos/{ids['app']}/settings", data=switches(gh_client))
    assert answer.status_code == 409 and "the file wins" in answer.text
    assert stored_repo(db, ids["app"]).dashboard_settings is None


def test_an_unknown_sensitivity_is_refused(gh_client, fake_github, db):
    ids = build_world(fake_github, db, admin={"app": True, "docs": True})
    sign_in(gh_client, "octocat")
    answer = gh_client.post(f"/repos/{ids['app']}/settings", data=switches(gh_client, sensitivity="max"))
    assert answer.status_code == 400 and "low, medium, high" in answer.text
    assert stored_repo(db, ids["app"]).dashboard_settings is None


def test_a_repository_the_user_cannot_see_is_forbidden(gh_client, fake_github, db):
    build_world(fake_github, db, admin={"app": True, "docs": True})
    hidden = fake_github.state.add_repository("octo-org/secret", next(iter(fake_github.state.installations)))
    sign_in(gh_client, "octocat")
    assert gh_client.get(f"/repos/{hidden.id}").status_code == 403


def test_an_installation_admin_turns_the_default_on(gh_client, fake_github, db):
    ids = build_world(fake_github, db, admin={"app": True, "docs": True})
    sign_in(gh_client, "octocat")
    answer = gh_client.post(f"/installations/{ids['installation']}/default",
                            data={"csrf_token": csrf(gh_client), "default": "on"})
    assert answer.status_code == 302
    page = gh_client.get("/").text
    assert page.count("The installation-wide default is on.") == 2 and page.count(">Active<") == 2


def test_the_installation_default_needs_admin_on_every_repository(gh_client, fake_github, db):
    ids = build_world(fake_github, db, admin={"app": True, "docs": False})
    sign_in(gh_client, "octocat")
    answer = gh_client.post(f"/installations/{ids['installation']}/default",
                            data={"csrf_token": csrf(gh_client), "default": "on"})
    assert answer.status_code == 403
    with db.session() as session:
        installations = storage.installations_by_ids(session, [ids["installation"]])
        assert not installations[ids["installation"]].default_enabled


def test_settings_errors_read_as_in_the_check_run_summary(gh_client, fake_github, db):
    ids = build_world(fake_github, db, admin={"app": True, "docs": True})
    error = SettingsError(".github/tact.yml", "sensitivity", 2, 14,
                          "`sensitivity` must be one of low, medium, high (it is 'extreme')")
    last_valid = {**DEFAULTS.to_dict(), "enabled": True}
    give_file(db, ids["app"], "enabled: true\nsensitivity: extreme\n",
              settings_errors=[asdict(error)], last_valid_settings=last_valid)
    sign_in(gh_client, "octocat")
    page = gh_client.get(f"/repos/{ids['app']}").text
    assert ("<code>.github/tact.yml</code> line 2: <code>sensitivity</code> must be one of low, medium, high "
            "(it is 'extreme'); Tact is using your last valid settings.") in page
    assert "The last valid .github/tact.yml turns Tact on" in page


def test_the_default_range_is_twelve_whole_weeks_up_to_today():
    span = figures.date_range({}, date(2025, 3, 13))  # a Thursday
    assert len(span.mondays) == 12 and span.mondays[0] == date(2024, 12, 23) and span.mondays[-1] == date(2025, 3, 10)
    rows = figures.weeks(span, [], [(date(2025, 3, 10), "blame", 2), (date(2025, 3, 13), "blame", 1),
                                    (date(2024, 12, 15), "insult", 5)])
    assert rows[-1].by_category["blame"] == 3 and all(w.findings == 0 for w in rows[:-1])


@pytest.mark.parametrize(("args", "message"), [
    ({"from": "2025-03-10", "to": "2025-03-01"}, "after its end"),
    ({"from": "yesterday"}, "YYYY-MM-DD"),
    ({"from": "2020-01-01", "to": "2025-01-01"}, "at most 104 weeks"),
])
def test_a_range_that_cannot_be_used_says_why(args, message):
    with pytest.raises(figures.BadRange, match=message):
        figures.date_range(args, date(2025, 3, 13))


@pytest.fixture
def both_db_client(gh_config, database_url):
    app = create_app({**gh_config, "DATABASE_URL": database_url})
    yield app.test_client(), app.extensions["tact.db"]
    close_app(app)


def seed_comment(session, repo_id: int, github_id: int, pull: int, weeks_ago: int, found: list[tuple]):
    written = storage.utcnow() - timedelta(weeks=weeks_ago)
    comment = storage.upsert_comment(session, kind="review_comment", github_id=github_id,
                                     repository_id=repo_id, pull_number=pull, created_at=written)
    storage.replace_findings(session, comment, [dict(FINDING, rule=r, category=c) for r, c in found])


def test_trends_count_findings_per_week_rule_and_looks_fine(both_db_client, fake_github):
    client, db = both_db_client
    ids = build_world(fake_github, db, admin={"app": True, "docs": True})
    with db.session() as session:
        seed_comment(session, ids["app"], 1, 1, 0, [("you-broke", "blame"), ("obviously", "condescension")])
        seed_comment(session, ids["app"], 2, 1, 1, [("you-broke", "blame")])
        seed_comment(session, ids["app"], 3, 2, 3, [("great-another", "sarcasm")])
        seed_comment(session, ids["app"], 4, 1, 13, [("stupid", "insult")])  # older than 12 weeks
        seed_comment(session, ids["docs"], 5, 1, 0, [("you-broke", "blame")])  # another repository
    with db.session() as session:
        storage.record_looks_fine(session, ids["app"], 2, "reviewer")
    sign_in(client, "octocat")
    page = client.get(f"/repos/{ids['app']}").text
    this_week = (storage.utcnow().date() - timedelta(days=storage.utcnow().weekday())).strftime("%d %b %Y")
    row = page[page.index(f">{this_week}</time>"):]
    assert row.startswith(f'>{this_week}</time></th>\n        <td class="number">1</td><td class="number">1</td>')
    assert "stupid" not in page  # older than the twelve weeks shown
    assert '<code>you-broke</code></th><td>blame</td><td class="number">2</td>' in page
    assert "<strong>4</strong> findings" in page and "<strong>75%</strong> measured precision" in page
    assert page.count("<svg") >= 3  # the charts, drawn on the server


def test_a_change_asks_github_even_when_a_fresh_cached_answer_says_admin(gh_client, fake_github, db):
    """Admin rights removed on GitHub a minute ago must not still allow a change."""
    import time

    ids = build_world(fake_github, db, admin={"app": False, "docs": False})
    sign_in(gh_client, "octocat")
    cache_answer(db, {"at": time.time(), "see": [ids["app"]], "admin": [ids["app"]]})
    assert gh_client.post(f"/repos/{ids['app']}/settings", data=switches(gh_client)).status_code == 403
    assert stored_repo(db, ids["app"]).dashboard_settings is None
