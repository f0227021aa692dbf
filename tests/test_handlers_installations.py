"""Installation events keep the table of installations and repositories current."""

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
