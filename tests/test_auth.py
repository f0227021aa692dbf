"""Signing in through the fake GitHub over HTTP: the web flow, its refusals, sign-out and expired tokens."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from service.app import close_app, create_app


@pytest.fixture
def gh_config(app_config, fake_github):
    """The app pointed at the fake GitHub, as it would be at GitHub Enterprise Server."""
    return {**app_config, "GITHUB_API_URL": fake_github.url, "GITHUB_CLIENT_ID": fake_github.client_id,
            "GITHUB_CLIENT_SECRET": fake_github.client_secret, "TACT_PUBLIC_URL": "http://localhost"}


@pytest.fixture
def gh_app(app_factory, gh_config):
    return app_factory(gh_config)


@pytest.fixture
def gh_client(gh_app):
    return gh_app.test_client()


def start_sign_in(client, login: str, next_page: str | None = None) -> str:
    """Follow /login to the fake's authorize page as `login`; return the callback path GitHub sends back."""
    start = client.get("/login", query_string={"next": next_page} if next_page else None)
    assert start.status_code == 302
    back = requests.get(start.location, params={"login": login}, allow_redirects=False, timeout=5)
    assert back.status_code == 302, back.text
    parts = urlsplit(back.headers["Location"])
    assert parts.path == "/auth/callback"
    return f"{parts.path}?{parts.query}"


def sign_in(client, login: str):
    return client.get(start_sign_in(client, login))


def signed_in_as(client) -> str | None:
    with client.session_transaction() as session:
        return (session.get("user") or {}).get("login")


def test_sign_in_through_github_keeps_the_user_in_the_session(gh_client, fake_github):  # noqa: F811
    fake_github.state.add_user("octocat")
    answer = sign_in(gh_client, "octocat")
    assert answer.status_code == 302 and answer.location == "/"
    assert signed_in_as(gh_client) == "octocat"
    assert "Signed in as <strong>octocat</strong>" in gh_client.get("/").text


def test_the_authorize_redirect_carries_client_id_state_and_our_callback(gh_client, fake_github):  # noqa: F811
    location = gh_client.get("/login").location
    assert location.startswith(f"{fake_github.url}/login/oauth/authorize?")
    query = parse_qs(urlsplit(location).query)
    assert query["client_id"] == [fake_github.client_id]
    assert query["redirect_uri"] == ["http://localhost/auth/callback"]
    with gh_client.session_transaction() as session:
        assert query["state"] == [session["oauth_state"]] and len(session["oauth_state"]) >= 32


def test_sign_in_uses_github_url_for_the_web_flow_when_it_differs_from_the_api_host(app_factory, gh_config,
                                                                                   fake_github):
    """GitHub Enterprise Server (or GHE.com, api.SUBDOMAIN.ghe.com beside SUBDOMAIN.ghe.com): the browser
    goes to GITHUB_URL and the code is exchanged there, while API calls stay on GITHUB_API_URL."""
    web = fake_github.url.replace("127.0.0.1", "localhost")  # the same fake under a second host name
    client = app_factory({**gh_config, "GITHUB_URL": web}).test_client()
    fake_github.state.add_user("octocat")
    assert client.get("/login").location.startswith(f"{web}/login/oauth/authorize?")
    assert sign_in(client, "octocat").status_code == 302 and signed_in_as(client) == "octocat"
    hosts = {r.path: {v for k, v in r.headers.items() if k.lower() == "host"} for r in fake_github.requests}
    assert hosts["/login/oauth/access_token"] == {web.split("//")[1]}
    assert hosts["/user"] == {fake_github.url.split("//")[1]}


def test_a_callback_with_another_state_is_refused_before_any_code_exchange(gh_client, fake_github):  # noqa: F811
    fake_github.state.add_user("octocat")
    fake_github.forbid("POST", "/login/oauth/access_token")
    callback = start_sign_in(gh_client, "octocat").replace("state=", "state=forged")
    answer = gh_client.get(callback)
    assert answer.status_code == 400
    assert "does not belong to your browser session" in answer.text
    assert signed_in_as(gh_client) is None


def test_a_callback_without_a_started_sign_in_is_refused(gh_client, fake_github):  # noqa: F811
    fake_github.forbid("POST", "/login/oauth/access_token")
    assert gh_client.get("/auth/callback?code=abc&state=").status_code == 400


def test_a_declined_authorization_signs_nobody_in(gh_client, fake_github):  # noqa: F811
    fake_github.forbid("POST", "/login/oauth/access_token")
    gh_client.get("/login")
    with gh_client.session_transaction() as session:
        state = session["oauth_state"]
    answer = gh_client.get("/auth/callback", query_string={"error": "access_denied", "state": state})
    assert answer.status_code == 400 and "nothing was changed" in answer.text
    assert signed_in_as(gh_client) is None


def test_a_code_github_rejects_signs_nobody_in(gh_client, fake_github):  # noqa: F811
    fake_github.state.add_user("octocat")
    callback = start_sign_in(gh_client, "octocat")
    used = urlsplit(callback).query
    fake_github.state.codes.clear()  # the code expired, or was used already
    answer = gh_client.get(f"/auth/callback?{used}")
    assert answer.status_code == 400 and "did not accept the sign-in code" in answer.text
    assert signed_in_as(gh_client) is None


def test_sign_in_returns_to_a_local_page_but_never_to_another_site(gh_client, fake_github):  # noqa: F811
    fake_github.state.add_user("octocat")
    assert gh_client.get(start_sign_in(gh_client, "octocat", "/repos/7")).location == "/repos/7"
    for elsewhere in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        assert gh_client.get(start_sign_in(gh_client, "octocat", elsewhere)).location == "/"


def test_login_without_a_client_id_explains_what_is_missing(app_config):
    app = create_app({**app_config, "TACT_BIND_HOST": "0.0.0.0"})  # on loopback it would be local mode
    answer = app.test_client().get("/login")
    close_app(app)
    assert answer.status_code == 503 and "GITHUB_CLIENT_ID" in answer.text


def test_sign_out_needs_the_session_form_token(gh_client, fake_github):  # noqa: F811
    fake_github.state.add_user("octocat")
    sign_in(gh_client, "octocat")
    assert gh_client.post("/logout", data={"csrf_token": "guessed"}).status_code == 400
    assert signed_in_as(gh_client) == "octocat"
    with gh_client.session_transaction() as session:
        token = session["csrf"]
    assert gh_client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert signed_in_as(gh_client) is None


def test_an_expired_user_token_sends_the_user_to_sign_in_again(gh_client, fake_github):  # noqa: F811
    fake_github.state.add_user("octocat")
    sign_in(gh_client, "octocat")
    fake_github.state.clock.advance(9 * 3600)  # user tokens last 8 hours
    answer = gh_client.get("/")
    assert answer.status_code == 302 and answer.location.startswith("/login")
    assert signed_in_as(gh_client) is None


def test_the_session_cookie_is_http_only_and_same_site(gh_client, fake_github):  # noqa: F811
    fake_github.state.add_user("octocat")
    answer = sign_in(gh_client, "octocat")
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
