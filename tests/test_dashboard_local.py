"""Local mode through HTTP: no OAuth app and a loopback address give one local user and a banner; nothing else does."""

from __future__ import annotations

import pytest

from service import storage
from service.config import Config

BANNER = 'id="local-mode-banner"'


@pytest.fixture
def local_client(app):
    """`app_config` names no OAuth app and binds nowhere but loopback: local mode."""
    return app.test_client()


def add_repository(app, name: str = "octo/demo", repo_id: int = 4200001, installation_id: int = 77001) -> int:
    with app.extensions["tact.db"].session() as session:
        storage.upsert_installation(session, installation_id, account_login=name.split("/")[0],
                                    account_type="Organization")
        storage.upsert_repository(session, repo_id, full_name=name, installation_id=installation_id)
    return repo_id


def test_local_mode_shows_the_banner_and_no_sign_in_button(local_client):
    page = local_client.get("/")
    assert page.status_code == 200 and BANNER in page.text
    assert "Sign in with GitHub" not in page.text


def test_the_local_user_administers_every_installed_repository(app, local_client):
    repo_id = add_repository(app)
    assert "octo/demo" in local_client.get("/").text
    form = {"csrf_token": _csrf(local_client, f"/repos/{repo_id}"), "enabled": "on", "sensitivity": "high"}
    assert local_client.post(f"/repos/{repo_id}/settings", data=form).status_code == 302
    with app.extensions["tact.db"].session() as session:
        assert storage.repository_by_id(session, repo_id).dashboard_settings["enabled"] is True


def test_login_in_local_mode_goes_straight_back_to_the_page(local_client):
    assert local_client.get("/login?next=/try").location == "/try"


def test_local_mode_is_refused_on_an_address_others_can_reach(app_factory, app_config):
    client = app_factory({**app_config, "TACT_BIND_HOST": "0.0.0.0"}).test_client()
    page = client.get("/")
    assert BANNER not in page.text and "Sign in with GitHub" in page.text
    login = client.get("/login")
    assert login.status_code == 503 and "0.0.0.0" in login.text
    assert client.get("/try").status_code == 302  # to sign in, which is not set up


def test_a_foreign_host_name_gets_no_local_user(local_client):
    """A page elsewhere that points its own domain at 127.0.0.1 (DNS rebinding) must not act as the local user."""
    page = local_client.get("/", headers={"Host": "evil.example:8000"})
    assert BANNER not in page.text and "Sign in with GitHub" in page.text


def test_an_oauth_app_turns_local_mode_off():
    assert Config(github_client_id="id", github_client_secret="s").local_mode is False
    assert Config(bind_host="::1").local_mode is True and Config(bind_host="192.168.1.4").local_mode is False


def _csrf(client, page: str) -> str:
    client.get(page)
    with client.session_transaction() as session:
        return session["csrf"]
