"""Dashboard sessions kept on the server: the cookie holds a random key, the database holds the rest.

Why not the cookie alone: Flask's cookie is signed, not encrypted, and it cannot be revoked. A copy
taken before sign-out kept opening repository pages until the user token expired, and whoever held
it could read the GitHub user token. Now the cookie carries only ``sid``, a random 256-bit key; the
``sign_ins`` row is found by the key's SHA-256 (a copy of the table opens nothing), and sign-out
deletes it, so every copy of the cookie stops working at once.

The user token is encrypted at rest (Fernet: AES-128-CBC with an HMAC) under a key derived from
SECRET_KEY, so a database backup alone does not hold usable GitHub tokens. Rotating SECRET_KEY
signs everybody out, as it already did for the cookie signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app, g, session
from flask.sessions import SecureCookieSessionInterface

from service import storage

# Flask's `session` is the signed cookie; the key under which it carries the sign-in's random key.
COOKIE_KEY = "sid"
_MISSING = object()


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without the signature work for a request that has no cookie.

    Webhooks and first visits carry none.

    Flask builds a signing serializer for every request before it looks for the cookie; on the
    webhook receiver that was about a tenth of its time in Flask, for a session nobody reads.
    """

    def open_session(self, app, request):
        # The raw header first: parsing an absent one into a cookie dict cost a webhook more than the rest.
        if "HTTP_COOKIE" not in request.environ or not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


@dataclass(frozen=True)
class SignedIn:
    """The live sign-in behind this request's cookie."""

    key_hash: str
    user_id: int
    login: str
    repositories: dict | None


def start(user_id: int, login: str, token: str, lifetime_seconds: int) -> None:
    """Record a new sign-in and put its key, and nothing else about it, in the cookie."""
    key = secrets.token_urlsafe(32)
    expires = storage.utcnow() + timedelta(seconds=lifetime_seconds)
    with _db().session() as db_session:
        storage.create_sign_in(db_session, _hash(key), user_id=user_id, login=login,
                               token=_cipher().encrypt(token.encode()).decode(), expires_at=expires)
    session[COOKIE_KEY] = key
    g.tact_sign_in = _MISSING


def current() -> SignedIn | None:
    """This request's sign-in, looked up once per request; None once it was ended or has expired."""
    cached = g.get("tact_sign_in", _MISSING)
    if cached is not _MISSING:
        return cached
    key = session.get(COOKIE_KEY)
    found = None
    if isinstance(key, str) and key:
        with _db().session() as db_session:
            row = storage.find_sign_in(db_session, _hash(key))
            if row is not None:
                found = SignedIn(row.id, row.user_id, row.login, row.repositories)
    g.tact_sign_in = found
    return found


def user_token() -> str | None:
    """The GitHub user token of this sign-in, decrypted; None if there is none or SECRET_KEY changed."""
    signed_in = current()
    if signed_in is None:
        return None
    with _db().session() as db_session:
        row = storage.find_sign_in(db_session, signed_in.key_hash)
        ciphertext = row.token if row is not None else None
    try:
        return _cipher().decrypt(ciphertext.encode()).decode() if ciphertext else None
    except InvalidToken:
        return None


def cache_repositories(value: dict | None) -> None:
    signed_in = current()
    if signed_in is None:
        return
    with _db().session() as db_session:
        storage.cache_sign_in_repositories(db_session, signed_in.key_hash, value)
    g.tact_sign_in = SignedIn(signed_in.key_hash, signed_in.user_id, signed_in.login, value)


def end() -> None:
    """Delete the sign-in (every copy of the cookie stops working) and empty this cookie."""
    key = session.get(COOKIE_KEY)
    if isinstance(key, str) and key:
        with _db().session() as db_session:
            storage.end_sign_in(db_session, _hash(key))
    session.clear()
    g.tact_sign_in = None


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _cipher() -> Fernet:
    """Fernet under a key derived from SECRET_KEY for this one purpose (not SECRET_KEY itself)."""
    secret = current_app.config["TACT"].secret_key.encode()
    derived = hmac.new(secret, b"tact sign-in token encryption v1", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(derived))


def _db():
    return current_app.extensions["tact.db"]
