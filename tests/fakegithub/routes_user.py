"""User-side endpoints: the OAuth web flow and what a signed-in user may see (https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-user-access-token-for-a-github-app)."""

from __future__ import annotations

import urllib.parse

from flask import Flask, Response, redirect, request

from tests.fakegithub import limits
from tests.fakegithub.routes_app import installation_json
from tests.fakegithub.server import (
    answer,
    fail,
    hub,
    paged,
    permissions_json,
    pkce_matches,
    repo_json,
    require_token,
    user_json,
)
from tests.fakegithub.state import USER_TOKEN_LIFETIME

REFRESH_LIFETIME = 15811200  # refresh tokens: six months (Docs: refreshing user access tokens)


def _user():
    token = require_token("user")
    if isinstance(token, Response):
        return token
    return hub().state.users[token.login]


def get_user():
    user = _user()
    return user if isinstance(user, Response) else answer(200, user_json(user.login, user.id))


def _visible(user, installation_id: int) -> list:
    """Repositories both the user and the installation reach: the intersection GitHub returns."""
    state = hub().state
    return [r for name, r in state.repos.items()
            if name in user.repos and r.installation_id == installation_id]


def list_user_installations():
    user = _user()
    if isinstance(user, Response):
        return user
    insts = [i for i in hub().state.installations.values() if _visible(user, i.id)]
    return paged([installation_json(i) for i in insts], wrap="installations")


def list_user_installation_repos(installation_id: int):
    user = _user()
    if isinstance(user, Response):
        return user
    repos = _visible(user, installation_id)
    if not repos:
        return fail(limits.not_found())
    return paged([repo_json(r, permissions_json(user.role(r.full_name))) for r in repos], wrap="repositories")


def authorize():
    """GET /login/oauth/authorize: the user 'approves' at once and is sent back with code and state."""
    h = hub()
    args = request.args
    if args.get("client_id") != h.client_id:
        return fail(limits.not_found())
    login = args.get("login") or next(iter(h.state.users), None)
    if login not in h.state.users or not args.get("redirect_uri"):
        return fail(limits.error(400, "The user or redirect_uri is missing."))
    if args.get("code_challenge") and args.get("code_challenge_method", "S256") != "S256":
        return fail(limits.error(400, "code_challenge_method must be S256"))
    code = h.state.issue_code(login, args["redirect_uri"], args.get("code_challenge"))
    query = urllib.parse.urlencode({"code": code, "state": args.get("state", "")})
    return redirect(f"{args['redirect_uri']}?{query}", code=302)


def access_token():
    """POST /login/oauth/access_token: form, JSON or query; errors come back with HTTP 200."""
    params = {**request.args.to_dict(), **request.form.to_dict(), **(request.get_json(silent=True) or {})}
    h = hub()
    if params.get("client_id") != h.client_id or params.get("client_secret") != h.client_secret:
        return _oauth({"error": "incorrect_client_credentials",
                       "error_description": "The client_id and/or client_secret passed are incorrect."})
    if params.get("grant_type") == "refresh_token":
        pair = h.state.refresh_tokens.pop(params.get("refresh_token", ""), None)
        if pair is None:
            return _oauth(_bad_code("bad_refresh_token"))
        h.state.tokens.pop(pair[1], None)  # refresh rotates both tokens: the old access token dies too
        return _oauth(_tokens(pair[0]))
    code = h.state.codes.pop(params.get("code", ""), None)  # codes are single-use
    if code is None or code.expires_at <= h.state.clock.now():
        return _oauth(_bad_code("bad_verification_code"))
    if params.get("redirect_uri") and params["redirect_uri"] != code.redirect_uri:
        return _oauth({"error": "redirect_uri_mismatch",
                       "error_description": "The redirect_uri MUST match the registered callback URL."})
    if code.challenge and not pkce_matches(code.challenge, params.get("code_verifier")):
        return _oauth(_bad_code("bad_verification_code"))
    return _oauth(_tokens(code.login))


def _bad_code(error: str) -> dict:
    return {"error": error, "error_description": "The code passed is incorrect or expired."}


def _tokens(login: str) -> dict:
    state = hub().state
    token = state.issue_user_token(login)
    return {"access_token": token.value, "expires_in": USER_TOKEN_LIFETIME,
            "refresh_token": state.issue_refresh_token(login, token.value),
            "refresh_token_expires_in": REFRESH_LIFETIME,
            "scope": "", "token_type": "bearer"}


def _oauth(body: dict) -> Response:
    if "json" in request.headers.get("Accept", ""):
        return answer(200, body)
    return Response(urllib.parse.urlencode(body), 200, content_type="application/x-www-form-urlencoded")


def register(app: Flask) -> None:
    app.add_url_rule("/user", view_func=get_user)
    app.add_url_rule("/user/installations", view_func=list_user_installations)
    app.add_url_rule("/user/installations/<int:installation_id>/repositories",
                     view_func=list_user_installation_repos)
    app.add_url_rule("/login/oauth/authorize", view_func=authorize)
    app.add_url_rule("/login/oauth/access_token", view_func=access_token, methods=["POST"])
