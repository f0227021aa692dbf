"""Tact's one door to GitHub: app and user authentication, reads, check runs; returns our own dataclasses.

Only this module and its private helpers (github_tokens, github_retry, github_checks) import PyGithub.
Callers get frozen dataclasses and our errors: Unavailable (retry later, e.g. Celery autoretry_for),
RateLimited (retry after `retry_after`), NotFound, and GitHubError for everything else.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from github import Auth, Consts, Github

from service.github_checks import CheckRunOutput, CheckRunRef, clip, publish_check_run
from service.github_retry import (
    BadCredentials,
    GitHubError,
    NotFound,
    RateLimited,
    RetryPolicy,
    Unavailable,
    call,
)
from service.github_tokens import (
    InstallationAuth,
    InstallationTokens,
    MemoryTokenCache,
    RedisTokenCache,
    TokenCache,
)

__all__ = [
    "AppCredentials", "BadCredentials", "CheckRunOutput", "CheckRunRef", "Client", "FileBlob", "GitHubError",
    "MemoryTokenCache", "NotFound", "PullComment", "PullRequestInfo", "RateLimited", "RedisTokenCache",
    "RepositoryInfo", "RetryPolicy", "TokenCache", "Unavailable", "UserInfo", "UserRepository",
    "authorize_url", "clip", "exchange_code", "for_installation", "get_pull_request", "get_repository", "get_user",
    "list_pull_request_comments", "publish_check_run", "read_file", "user_repositories", "web_url",
]

# Pin the REST version: PyGithub sends no X-GitHub-Api-Version by default (https://github.com/PyGithub/PyGithub/blob/v2.10.0/github/Requester.py).
API_VERSION = Consts.API_VERSION_2022_11_28
DEFAULT_API_URL = "https://api.github.com"


@dataclass(frozen=True)
class AppCredentials:
    """The app's identity. The two intervals are PyGithub's throttle: the Docs ask for serial requests
    and at least one second between writes ("Best practices for using the REST API"); tests set 0."""

    app_id: int
    private_key: str
    api_url: str = DEFAULT_API_URL
    seconds_between_requests: float = 0.25
    seconds_between_writes: float = 1.0


@dataclass(frozen=True)
class FileBlob:
    path: str
    sha: str
    text: str


@dataclass(frozen=True)
class PullRequestInfo:
    number: int
    head_sha: str
    state: str
    html_url: str
    author: str
    base_default_branch: str


@dataclass(frozen=True)
class RepositoryInfo:
    id: int
    full_name: str
    default_branch: str
    owner: str


@dataclass(frozen=True)
class PullComment:
    """A comment on a pull request, whichever of GitHub's three kinds it is."""

    kind: str  # "review_comment" (on the diff), "review" (a review body) or "issue_comment" (conversation)
    id: int
    body: str
    author: str | None
    author_is_bot: bool
    url: str
    path: str | None = None
    line: int | None = None  # None for an outdated review comment
    start_line: int | None = None


@dataclass(frozen=True)
class UserInfo:
    id: int
    login: str


@dataclass(frozen=True)
class UserRepository:
    id: int
    full_name: str
    installation_id: int
    admin: bool


class Client:
    """One installation's connection: a lazy PyGithub client, its token source and the retry policy."""

    def __init__(self, gh: Github, tokens: InstallationTokens, policy: RetryPolicy) -> None:
        self._gh, self.tokens, self.policy = gh, tokens, policy

    def call(self, fn, *, idempotent: bool = True):
        return call(fn, self.policy, idempotent=idempotent, refresh=self.tokens.refresh)

    def repo(self, full_name: str):
        return self._gh.get_repo(full_name)  # lazy: no request until an attribute is needed

    def close(self) -> None:
        self._gh.close()


def _github(api_url: str, auth: Auth.Auth | None, creds: AppCredentials | None = None) -> Github:
    # retry=None: PyGithub must not retry on its own (see github_retry); lazy=True saves a GET per object.
    return Github(auth=auth, base_url=api_url, retry=None, lazy=True, per_page=100, api_version=API_VERSION,
                  seconds_between_requests=creds.seconds_between_requests if creds else None,
                  seconds_between_writes=creds.seconds_between_writes if creds else None)


def for_installation(creds: AppCredentials, installation_id: int, cache: TokenCache,
                     policy: RetryPolicy | None = None) -> Client:
    """A client acting as the installation; create it after the Celery fork (it pools connections)."""
    policy = policy or RetryPolicy()
    tokens = InstallationTokens(creds, installation_id, cache, policy)
    return Client(_github(creds.api_url, InstallationAuth(tokens), creds), tokens, policy)


def read_file(client: Client, repo_full_name: str, path: str, ref: str | None = None) -> FileBlob | None:
    """The file's text at `ref` (default branch when None), or None when there is no such file."""

    def fetch():
        repo = client.repo(repo_full_name)
        found = repo.get_contents(path, ref=ref) if ref else repo.get_contents(path)
        if isinstance(found, list):  # a directory: no file by that name
            return None
        return FileBlob(found.path, found.sha, found.decoded_content.decode("utf-8"))

    try:
        return client.call(fetch)
    except NotFound:
        return None


def get_pull_request(client: Client, repo_full_name: str, number: int) -> PullRequestInfo:
    def fetch():
        pull = client.repo(repo_full_name).get_pull(number)
        return PullRequestInfo(pull.number, pull.head.sha, pull.state, pull.html_url, pull.user.login,
                               pull.base.repo.default_branch)

    return client.call(fetch)


def list_pull_request_comments(client: Client, repo_full_name: str, number: int) -> list[PullComment]:
    """Every comment on the PR now: diff comments, non-empty review bodies, conversation comments."""

    def fetch():
        repo = client.repo(repo_full_name)
        pull = repo.get_pull(number)
        found = [PullComment("review_comment", c.id, c.body, *_author(c.user), c.html_url, c.path, c.line,
                             c.start_line) for c in pull.get_review_comments()]
        # A review submitted without text has body "" or null: there is nothing to read.
        found += [PullComment("review", r.id, r.body, *_author(r.user), r.html_url)
                  for r in pull.get_reviews() if r.body]
        found += [PullComment("issue_comment", c.id, c.body, *_author(c.user), c.html_url)
                  for c in repo.get_issue(number).get_comments()]  # lazy issue: no GET for pull.issue_url
        return found

    return client.call(fetch)


def _author(user) -> tuple[str | None, bool]:
    if user is None:  # a deleted account ("ghost") can come back as null
        return None, False
    return user.login, user.type == "Bot"


def get_repository(client: Client, repo_full_name: str) -> RepositoryInfo:
    def fetch():
        repo = client.repo(repo_full_name)
        return RepositoryInfo(repo.id, repo.full_name, repo.default_branch, repo.owner.login)

    return client.call(fetch)


# -- the user side: dashboard sign-in (Docs "Generating a user access token for a GitHub App") ------
def web_url(api_url: str) -> str:
    """github.com for api.github.com, https://host for GHES's https://host/api/v3, else the same origin."""
    parts = urllib.parse.urlsplit(api_url.rstrip("/"))
    if parts.netloc == "api.github.com":
        return "https://github.com"
    return f"{parts.scheme}://{parts.netloc}"


def authorize_url(client_id: str, state: str, redirect_uri: str, api_url: str = DEFAULT_API_URL) -> str:
    query = urllib.parse.urlencode({"client_id": client_id, "redirect_uri": redirect_uri, "state": state})
    return f"{web_url(api_url)}/login/oauth/authorize?{query}"


def exchange_code(client_id: str, client_secret: str, code: str, api_url: str = DEFAULT_API_URL) -> str:
    """The user access token for an OAuth code. GitHub reports a bad code with HTTP 200 and an
    `error` field, which PyGithub raises as status 200: that is a GitHubError.
    https://docs.github.com/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors"""
    gh = _github(api_url, None)
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
