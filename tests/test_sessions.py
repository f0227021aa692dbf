"""Server-side sign-ins: signing out revokes every copy of the cookie, and the cookie holds no GitHub token."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from flask.json.tag import TaggedJSONSerializer
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select, update

from service import storage
from tests.test_auth import gh_app, gh_client, gh_config, sign_in  # noqa: F401  (shared fixtures)
from tests.test_dashboard import build_world

COOKIE = "session"


def cookie_of(client) -> str:
    return client.get_cookie(COOKIE).value


def decoded(app, cookie: str) -> dict:
    """The cookie as anyone holding it can read it: signed, not encrypted (Flask's own settings)."""
    serializer = URLSafeTimedSerializer(app.secret_key, salt="cookie-session", serializer=TaggedJSONSerializer(),
                                        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1})
    return serializer.loads(cookie)


def user_tokens(fake) -> list[str]:
    return [t.value for t in fake.state.tokens.values() if t.kind == "user"]


def sign_ins(app) -> list[storage.SignIn]:
    with app.extensions["tact.db"].session() as session:
        return list(session.scalars(select(storage.SignIn)))


def copy_cookie(app, cookie: str):
    thief = app.test_client()
    thief.set_cookie(COOKIE, cookie)
    return thief


def sign_out(client):
    with client.session_transaction() as session:
        token = session["csrf"]
    return client.post("/logout", data={"csrf_token": token})


def test_a_cookie_copied_before_sign_out_opens_nothing_afterwards(gh_app, gh_client, fake_github):  # noqa: F811
    db = gh_app.extensions["tact.db"]
    ids = build_world(fake_github, db, admin={"app": True, "docs": False})
    sign_in(gh_client, "octocat")
    copied = cookie_of(gh_client)
    assert copy_cookie(gh_app, copied).get(f"/repos/{ids['app']}").status_code == 200
    assert sign_out(gh_client).status_code == 302
    assert sign_ins(gh_app) == []
    answer = copy_cookie(gh_app, copied).get(f"/repos/{ids['app']}")
    assert answer.status_code == 302 and answer.location.startswith("/login")


def test_the_cookie_carries_no_github_token(gh_app, gh_client, fake_github):  # noqa: F811
    fake_github.state.add_user("octocat")
    sign_in(gh_client, "octocat")
    cookie = cookie_of(gh_client)
    contents = decoded(gh_app, cookie)
    tokens = user_tokens(fake_github)
    assert tokens and contents["user"]["login"] == "octocat"
    assert "token" not in contents
    assert not any(token in json.dumps(contents) or token in cookie for token in tokens)


def test_the_token_is_encrypted_and_the_cookie_key_is_stored_only_hashed(gh_app, gh_client, fake_github):  # noqa: F811
    fake_github.state.add_user("octocat")
    sign_in(gh_client, "octocat")
    [row] = sign_ins(gh_app)
    key = decoded(gh_app, cookie_of(gh_client))["sid"]
    assert row.login == "octocat" and row.id == hashlib.sha256(key.encode()).hexdigest()
    assert not any(token in row.token for token in user_tokens(fake_github))


def test_an_expired_sign_in_is_sent_to_sign_in_again(gh_app, gh_client, fake_github):  # noqa: F811
    db = gh_app.extensions["tact.db"]
    ids = build_world(fake_github, db, admin={"app": True, "docs": False})
    sign_in(gh_client, "octocat")
    with db.session() as session:
        session.execute(update(storage.SignIn).values(expires_at=storage.utcnow() - timedelta(seconds=1)))
    answer = gh_client.get(f"/repos/{ids['app']}")
    assert answer.status_code == 302 and answer.location.startswith("/login")


def test_a_new_secret_key_signs_everybody_out(app_factory, gh_config, fake_github):  # noqa: F811
    """The token is encrypted under SECRET_KEY; an unreadable one means signing in again, not a 500."""
    app = app_factory(gh_config)
    db = app.extensions["tact.db"]
    ids = build_world(fake_github, db, admin={"app": True, "docs": False})
    client = app.test_client()
    sign_in(client, "octocat")
    with db.session() as session:
        session.execute(update(storage.SignIn).values(token="not a ciphertext"))
    answer = client.get(f"/repos/{ids['app']}")
    assert answer.status_code == 302 and answer.location.startswith("/login")
    assert sign_ins(app) == []


def test_signing_in_again_replaces_the_earlier_sign_in_of_that_browser(gh_app, gh_client, fake_github):  # noqa: F811
    fake_github.state.add_user("octocat")
    sign_in(gh_client, "octocat")
    first = cookie_of(gh_client)
    sign_in(gh_client, "octocat")
    assert len(sign_ins(gh_app)) == 1
    assert decoded(gh_app, first)["sid"] != decoded(gh_app, cookie_of(gh_client))["sid"]
