"""The user side of GitHub: dashboard sign-in (OAuth code exchange) and what the signed-in user can reach."""

from __future__ import annotations

import urllib.parse

from github import Auth, Github

from service.github.client import DEFAULT_API_URL, UserInfo, UserRepository, _github
from service.github.retry import RetryPolicy, call

DEFAULT_WEB_URL = "https://github.com"


# -- the user side: dashboard sign-in (Docs "Generating a user access token for a GitHub App") ------
# The web flow runs on GitHub's web host (GITHUB_URL: github.com, or a GitHub Enterprise Server's own
# address), not on the API host: callers pass Config.github_web_url, which honours GITHUB_URL and is
# derived from GITHUB_API_URL only when it is unset.
def authorize_url(client_id: str, state: str, redirect_uri: str, web_url: str = DEFAULT_WEB_URL) -> str:
    query = urllib.parse.urlencode({"client_id": client_id, "redirect_uri": redirect_uri, "state": state})
    return f"{web_url.rstrip('/')}/login/oauth/authorize?{query}"


def exchange_code(client_id: str, client_secret: str, code: str, web_url: str = DEFAULT_WEB_URL) -> str:
    """The user access token for an OAuth code, from {web_url}/login/oauth/access_token.

    PyGithub builds that address from its base URL's host, so the client here is based on the web
    host. GitHub reports a bad code with HTTP 200 and an `error` field, which PyGithub raises as
    status 200: that is a GitHubError.
    https://docs.github.com/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors"""
    gh = _github(web_url.rstrip("/"), None)
    try:
        app = gh.get_oauth_application(client_id, client_secret)
        # A code is single-use, so a lost answer must not be replayed: idempotent=False.
        return call(lambda: app.get_access_token(code).token, RetryPolicy(), idempotent=False)
    finally:
        gh.close()


def get_user(token: str, api_url: str = DEFAULT_API_URL) -> UserInfo:
    gh = _github(api_url, Auth.Token(token))
    try:
        return call(lambda: _user_info(gh), RetryPolicy())
    finally:
        gh.close()


def _user_info(gh: Github) -> UserInfo:
    user = gh.get_user()
    return UserInfo(user.id, user.login)


def user_repositories(token: str, api_url: str = DEFAULT_API_URL) -> list[UserRepository]:
    """Repositories the user reaches through our installations: what both the user and the app can see."""
    gh = _github(api_url, Auth.Token(token))
    try:
        return call(lambda: list(_user_repositories(gh)), RetryPolicy())
    finally:
        gh.close()


def _user_repositories(gh: Github):
    from github.PaginatedList import PaginatedList
    from github.Repository import Repository

    for installation in gh.get_user().get_installations():
        # PyGithub has no wrapper for this endpoint; Installation.get_repos() needs an installation
        # token and fails with a user token (https://docs.github.com/rest/apps/installations).
        url = f"/user/installations/{installation.id}/repositories"
        repos = PaginatedList(Repository, gh.requester, url, None, list_item="repositories")
        for repo in repos:
            yield UserRepository(repo.id, repo.full_name, installation.id, bool(repo.permissions.admin))
