"""Installation events keep the table of installations and repositories current."""

import pytest

from service import storage
from tests import payloads
from tests.delivery_helpers import deliver_and_wait


def _installations(app):
    with app.extensions["tact.db"].session() as session:
        return {i.id: (i.account_login, i.suspended, i.deleted) for i in session.query(storage.Installation)}


def _repositories(app):
    with app.extensions["tact.db"].session() as session:
        return {r.full_name: r.installed for r in session.query(storage.Repository)}


def test_a_new_installation_records_its_repositories(app):
    delivery = deliver_and_wait(app, payloads.installation("created", repositories=["octo/a", "octo/b"]))
    assert delivery.state == storage.DONE
    assert _installations(app) == {payloads.INSTALLATION_ID: ("octo", False, False)}
    assert _repositories(app) == {"octo/a": True, "octo/b": True}


def test_suspend_and_unsuspend_are_remembered(app):
    deliver_and_wait(app, payloads.installation("created"))
    deliver_and_wait(app, payloads.installation("suspend"))
    assert _installations(app)[payloads.INSTALLATION_ID][1] is True
    deliver_and_wait(app, payloads.installation("unsuspend"))
    assert _installations(app)[payloads.INSTALLATION_ID][1] is False


def test_repositories_added_and_removed(app):
    deliver_and_wait(app, payloads.installation("created", repositories=["octo/a"]))
    deliver_and_wait(app, payloads.installation_repositories("added", added=["octo/b"]))
    deliver_and_wait(app, payloads.installation_repositories("removed", removed=["octo/a"]))
    assert _repositories(app) == {"octo/a": False, "octo/b": True}


def test_uninstalling_marks_everything_gone(app):
    deliver_and_wait(app, payloads.installation("created", repositories=["octo/a"]))
    deliver_and_wait(app, payloads.installation("deleted", repositories=["octo/a"]))
    assert _installations(app)[payloads.INSTALLATION_ID][2] is True
    assert _repositories(app) == {"octo/a": False}


def test_a_ping_is_answered_and_recorded(app):
    response = payloads.deliver(app.test_client(), payloads.ping(), "test-webhook-secret")
    assert response.status_code == 200


# --- removal: Tact forgets what it kept (storage.removals) ----------

SECRET_TEXT = "You broke the parser, and this text must not outlive the App."


def _seed(app, full_name: str) -> int:
    """What Tact keeps about an opted-in repository: a PR, a comment with its text, a finding, feedback."""
    repo_id = payloads.repository(full_name)["id"]
    with app.extensions["tact.db"].session() as session:
        repo = storage.repository_by_id(session, repo_id)
        repo.dashboard_settings, repo.settings_files = {"enabled": True}, {"repository": "enabled: true\n"}
        storage.upsert_pull_request(session, repo_id, 7, head_sha=payloads.HEAD_SHA)
        comment = storage.upsert_comment(session, kind="review_comment", github_id=payloads.next_id(),
                                         repository_id=repo_id, pull_number=7, body=SECRET_TEXT)
        storage.replace_findings(session, comment, [{"rule": "you-broke", "category": "blame", "severity": "high",
                                                     "start": 0, "end": 10, "score": 0.9, "message": "m",
                                                     "suggestion": "s", "excerpt": SECRET_TEXT[:10]}])
        session.flush()
        storage.record_looks_fine(session, repo_id, 7, "reviewer")
        storage.create_sign_in(session, f"{repo_id:064d}", user_id=1, login="octocat", token="x",
                               expires_at=storage.utcnow().replace(year=2100))
        storage.cache_sign_in_repositories(session, f"{repo_id:064d}", {"at": 0, "see": [repo_id], "admin": []})
    # A delivery that carried the comment's text in its payload (it fails: no GitHub App here).
    deliver_and_wait(app, payloads.review_comment(SECRET_TEXT, repo=full_name))
    return repo_id


def _kept(app, repo_id: int) -> dict[str, int]:
    with app.extensions["tact.db"].session() as session:
        def count(model, *where) -> int:
            return session.query(model).filter(*where).count()

        return {
            "pull requests": count(storage.PullRequest, storage.PullRequest.repository_id == repo_id),
            "comments": count(storage.Comment, storage.Comment.repository_id == repo_id),
            "findings": count(storage.Finding, storage.Finding.comment_id.in_(
                session.query(storage.Comment.id).filter(storage.Comment.repository_id == repo_id))),
            "feedback": count(storage.Feedback, storage.Feedback.repository_id == repo_id),
            # A removal keeps the delivery rows (each one GitHub sent stays accounted for) but not their payloads.
            "deliveries": sum(1 for d in session.query(storage.Delivery)
                              .filter(storage.Delivery.repository_id == repo_id) if d.payload),
        }


def _text_anywhere(app) -> list[str]:
    """Every stored delivery payload, comment body, finding excerpt and cached answer that holds the text."""
    with app.extensions["tact.db"].session() as session:
        found = [f"delivery {d.guid}" for d in session.query(storage.Delivery) if SECRET_TEXT in str(d.payload)]
        found += [f"comment {c.id}" for c in session.query(storage.Comment) if c.body == SECRET_TEXT]
        found += [f"finding {f.id}" for f in session.query(storage.Finding) if f.excerpt]
        return found


def _cached_answers(app) -> list:
    with app.extensions["tact.db"].session() as session:
        return [s.repositories for s in session.query(storage.SignIn)]


@pytest.fixture
def both_databases_app(app_factory, app_config, database_url):
    return app_factory(app_config | {"DATABASE_URL": database_url})


def test_removing_a_repository_forgets_everything_kept_about_it_and_nothing_else(both_databases_app):
    app = both_databases_app
    deliver_and_wait(app, payloads.installation("created", repositories=["octo/a", "octo/b"]))
    gone, stays = _seed(app, "octo/a"), _seed(app, "octo/b")
    before = _kept(app, stays)
    assert all(before.values()) and _kept(app, gone) == before

    delivery = deliver_and_wait(app, payloads.installation_repositories("removed", removed=["octo/a"]))
    assert delivery.state == storage.DONE, delivery.reason
    assert _kept(app, gone) == dict.fromkeys(before, 0)
    assert _kept(app, stays) == before
    assert _cached_answers(app) == [None, None]  # every browser asks GitHub again
    with app.extensions["tact.db"].session() as session:
        repo = storage.repository_by_id(session, gone)
        assert not repo.installed and repo.dashboard_settings is None and repo.settings_files is None


def test_uninstalling_forgets_every_repository_and_delivery_of_the_installation(both_databases_app):
    app = both_databases_app
    deliver_and_wait(app, payloads.installation("created", repositories=["octo/a", "octo/b"]))
    ids = [_seed(app, "octo/a"), _seed(app, "octo/b")]
    assert _text_anywhere(app)

    delivery = deliver_and_wait(app, payloads.installation("deleted", repositories=["octo/a", "octo/b"]))
    assert delivery.state == storage.DONE, delivery.reason
    assert all(_kept(app, i) == dict.fromkeys(_kept(app, i), 0) for i in ids)
    assert _text_anywhere(app) == []
    assert _cached_answers(app) == [None, None]
    with app.extensions["tact.db"].session() as session:
        kept = [d.guid for d in session.query(storage.Delivery) if d.payload]
    assert kept == [delivery.guid]  # every delivery is still listed, but only the removal's own keeps its payload


def test_a_delivery_left_in_the_queue_after_the_removal_is_skipped(app):
    deliver_and_wait(app, payloads.installation("created", repositories=["octo/a"]))
    deliver_and_wait(app, payloads.installation_repositories("removed", removed=["octo/a"]))
    late = deliver_and_wait(app, payloads.review_comment(SECRET_TEXT, repo="octo/a"))
    assert late.state == storage.SKIPPED and "removed from repository" in late.reason
    assert _kept(app, payloads.repository("octo/a")["id"])["comments"] == 0


def test_after_an_uninstall_deliveries_are_skipped_until_tact_is_installed_again(app):
    deliver_and_wait(app, payloads.installation("created", repositories=["octo/a"]))
    deliver_and_wait(app, payloads.installation("deleted", repositories=["octo/a"]))
    late = deliver_and_wait(app, payloads.review_comment("Thanks!", repo="octo/a"))
    assert late.state == storage.SKIPPED and "uninstalled" in late.reason
    deliver_and_wait(app, payloads.installation("created", repositories=["octo/a"]))
    again = deliver_and_wait(app, payloads.review_comment("Thanks!", repo="octo/a"))
    assert "uninstalled" not in (again.reason or "") and "removed" not in (again.reason or "")
