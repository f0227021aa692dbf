"""Blueprint: GitHub sign-in (web flow), ``login_required``, and "may this user see / administer that?".

Where the user token lives: on the server (``service.web.sessions``: a ``sign_ins`` row, the token
encrypted under a key derived from SECRET_KEY). Flask's session cookie carries the sign-in's random
key, the user's login for display, and the form token. The cookie is signed with SECRET_KEY (so it
cannot be forged or altered), HttpOnly (page scripts cannot read it), SameSite=Lax (other sites'
forms do not carry it) and Secure outside this machine. Signing out deletes the row, so a copy of
the cookie taken earlier opens nothing afterwards. The sign-in lasts as long as the user token
(8 hours); we keep no refresh token.

Local mode: with no OAuth app configured and the server bound to a loopback address, there is no
sign-in at all. One local user, who runs the machine, sees and administers every repository in the
database, and every page carries a banner saying so. Requests must also name a loopback host, so a
web page elsewhere cannot reach this dashboard by pointing its own domain at 127.0.0.1 (DNS rebinding).
On any other bind address without OAuth the dashboard stays closed.

Permissions are always GitHub's answer (``/user/installations/{id}/repositories`` through
``service.github.user_repositories``), cached with the sign-in for a few minutes and recomputed at
each sign-in, as GitHub's docs on user access tokens ask:
https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-user-access-token-for-a-github-app
We never trust ids in URLs or forms.
"""

from __future__ import annotations

import functools
import hmac
import logging
import secrets
import time
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from service import github, storage
from service.config import is_loopback
from service.web import sessions

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)

# GitHub's user access tokens expire after 8 hours (`expires_in` 28800 in the token response).
SESSION_LIFETIME = 8 * 3600
# How long GitHub's answer about a user's repositories is trusted; a removed collaborator keeps
# dashboard access at most this long.
PERMISSIONS_TTL = 5 * 60


@dataclass(frozen=True)
class SignedInUser:
    id: int
    login: str


@bp.record_once
def _harden_cookie(state) -> None:
    """Session cookie flags: it carries the sign-in's key; see the module docstring."""
    app = state.app
    app.session_interface = sessions.CookieSessions()
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    if app.config["TACT"].public_url.startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["current_user"] = current_user
    app.jinja_env.globals["local_mode"] = local_mode


LOCAL_USER = SignedInUser(id=0, login="local")


def local_mode() -> bool:
    """No sign-in: no OAuth app, bound to loopback, and asked for by a loopback name (see the docstring)."""
    if not current_app.config["TACT"].local_mode:
        return False
    return is_loopback(urlsplit(f"//{request.host}").hostname or "")


# ---------- sign-in flow


@bp.get("/login")
def login():
    config = current_app.config["TACT"]
    if local_mode():
        return redirect(_safe_next(request.args.get("next")) or url_for("dashboard.index"))
    if not config.github_client_id:
        return render_template("auth/not_configured.html", bind_host=config.bind_host), 503
    state = secrets.token_urlsafe(32)
    session["oauth_state"] = state
    session["after_login"] = _safe_next(request.args.get("next"))
    url = github.authorize_url(config.github_client_id, state, _callback_url(), config.github_web_url)
    return redirect(url)


@bp.get("/auth/callback")
def callback():
    expected = session.pop("oauth_state", None)
    given = request.args.get("state", "")
    if not expected or not hmac.compare_digest(expected, given):
        # The web flow's step 2: abort when `state` does not match (a forged or replayed callback).
        return _problem("auth/failed.html", 400, reason="state")
    if request.args.get("error") or not request.args.get("code"):
        # GitHub sends `?error=access_denied` when the user chooses not to authorize.
        return _problem("auth/failed.html", 400, reason="denied")
    config = current_app.config["TACT"]
    try:
        token = github.exchange_code(config.github_client_id, config.github_client_secret,
                                     request.args["code"], config.github_web_url)
        user = github.get_user(token, config.github_api_url)
    except github.Unavailable:
        return _problem("auth/failed.html", 503, reason="unavailable")
    except github.GitHubError as exc:  # bad_verification_code and friends come back as errors
        log.info("sign-in refused by GitHub: %s", type(exc).__name__)
        return _problem("auth/failed.html", 400, reason="code")
    after = session.get("after_login") or url_for("dashboard.index")
    # A fresh session at sign-in, so nothing chosen before it (session fixation) survives.
    sessions.end()
    sessions.start(user.id, user.login, token, SESSION_LIFETIME)
    session.update(user={"id": user.id, "login": user.login}, csrf=secrets.token_urlsafe(32))
    log.info("signed in: %s", user.login)
    return redirect(after)


@bp.post("/logout")
def logout():
    check_csrf()
    sessions.end()  # server-side: every copy of this cookie is signed out too
    return redirect(url_for("dashboard.index"))


def _callback_url() -> str:
    # Must match the App's registered callback URL exactly (the web flow's step 1).
    return current_app.config["TACT"].public_url.rstrip("/") + url_for("auth.callback")


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: an absolute URL here would make /login an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    return target


def _problem(template: str, status: int, **context):
    return render_template(template, **context), status


# ---------- who is signed in


def current_user() -> SignedInUser | None:
    """The user of this request's live server-side sign-in (or the local user); the cookie alone proves nothing."""
    if local_mode():
        return LOCAL_USER
    signed_in = sessions.current()
    return SignedInUser(signed_in.user_id, signed_in.login) if signed_in else None


def login_required(view):
    """Send signed-out visitors to sign in, then back to the page they asked for."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if current_user() is None:
            sessions.end()
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


# ---------- CSRF


def csrf_token() -> str:
    """The per-session token every form carries; made at sign-in, or on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def check_csrf() -> None:
    """Refuse a POST whose form token is not this session's (another site submitting our forms)."""
    expected = session.get("csrf")
    given = request.form.get("csrf_token", "")
    if not expected or not hmac.compare_digest(expected, given):
        abort(make_response(render_template("auth/csrf.html"), 400))


# ---------- permissions


def visible_repositories(*, fresh: bool = False) -> dict[int, bool]:
    """Repositories with Tact installed that the signed-in user can reach: {repository id: is admin}.

    Pages may use the answer cached for a few minutes; a change (``fresh=True``) asks GitHub again,
    so someone whose admin rights were just removed cannot use the cached answer to change settings.
    """
    if local_mode():
        db = current_app.extensions["tact.db"]
        with db.session() as db_session:
            return dict.fromkeys(storage.installed_repository_ids(db_session), True)
    signed_in = sessions.current()
    cached = signed_in.repositories if signed_in else None
    if cached and not fresh and time.time() - cached["at"] < PERMISSIONS_TTL:
        return {int(i): i in cached["admin"] for i in cached["see"]}
    config = current_app.config["TACT"]
    try:
        repos = github.user_repositories(_user_token(), config.github_api_url)
    except github.Unavailable:
        abort(make_response(render_template("auth/unavailable.html"), 503))
    except github.BadCredentials:
        # The token expired (8 h) or the user revoked the App's authorization: sign in again.
        log.info("user token refused by GitHub; asking %s to sign in again", signed_in.login if signed_in else "-")
        sessions.end()
        abort(redirect(url_for("auth.login", next=request.full_path.rstrip("?"))))
    found = {r.id: r.admin for r in repos}
    sessions.cache_repositories({"at": time.time(), "see": sorted(found),
                                 "admin": sorted(i for i, admin in found.items() if admin)})
    return found


def _user_token() -> str:
    """The sign-in's GitHub token; one that cannot be read (SECRET_KEY changed) counts as refused."""
    token = sessions.user_token()
    if token is None:
        raise github.BadCredentials("no readable user token for this sign-in")
    return token


def require_repo_access(repo_id: int) -> bool:
    """403 unless GitHub says the signed-in user can see this repository through our App; return is-admin."""
    repos = visible_repositories()
    if repo_id not in repos:
        _forbid("repository", admin=False)
    return repos[repo_id]


def require_repo_admin(repo_id: int) -> None:
    """403 unless the user has admin on the repository (our policy for changing its settings)."""
    if not visible_repositories(fresh=True).get(repo_id, False):
        _forbid("repository", admin=True)


def is_installation_admin(repository_ids: Collection[int]) -> bool:
    """Whether the user administers an installation, given the ids of every repository it covers.

    GitHub has no "installation admin" a user token can ask about: org ownership needs the App's
    organization members permission, which Tact does not request. The documented signal we have is
    `permissions.admin` on each repository in `/user/installations/{id}/repositories`
    (https://docs.github.com/rest/apps/installations).
    The installation-wide default changes every one of its repositories, so we require admin on
    every one: an organization owner, or the owner of a personal account, has exactly that.
    """
    repos = visible_repositories()
    return bool(repository_ids) and all(repos.get(i, False) for i in repository_ids)


def require_installation_admin(repository_ids: Collection[int]) -> None:
    visible_repositories(fresh=True)  # refresh the cached answer before a change
    if not is_installation_admin(repository_ids):
        _forbid("installation", admin=True)


def _forbid(what: str, *, admin: bool) -> None:
    abort(make_response(render_template("auth/forbidden.html", what=what, admin=admin), 403))
