"""The installation client and the reads the worker makes (files, pull requests, comments, repositories)."""

from __future__ import annotations

from dataclasses import dataclass

from github import Auth, Github

from service.github.pacing import MemoryPacer, Pacer
from service.github.retry import (
    API_VERSION,
    NotFound,
    RetryPolicy,
    call,
)
from service.github.tokens import (
    InstallationAuth,
    InstallationTokens,
    TokenCache,
)

DEFAULT_API_URL = "https://api.github.com"


@dataclass(frozen=True)
class AppCredentials:
    """The app's identity. `seconds_between_requests` is PyGithub's throttle for this client: the Docs
    ask for serial requests ("Best practices for using the REST API"). The second between writes is
    kept across processes by the installation's Pacer (service.github.pacing), not by PyGithub."""

    app_id: int
    private_key: str
    api_url: str = DEFAULT_API_URL
    seconds_between_requests: float = 0.25
    seconds_between_writes: float | None = None


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

    def __init__(self, gh: Github, tokens: InstallationTokens, policy: RetryPolicy,
                 pacer: Pacer | None = None, pace_key: str = "") -> None:
        self._gh, self.tokens, self.policy = gh, tokens, policy
        self.pacer, self.pace_key = pacer or MemoryPacer(0.0), pace_key

    def call(self, fn, *, idempotent: bool = True):
        """One request under the retry policy; a write (not idempotent) first waits for its pacing slot."""
        def paced():
            self.pacer.wait(self.pace_key)
            try:
                return fn()
            finally:
                self.pacer.done(self.pace_key)

        # A limit met by a write holds back the installation's other writers too.
        pause = None if idempotent else (lambda seconds: self.pacer.pause(self.pace_key, seconds))
        return call(fn if idempotent else paced, self.policy, idempotent=idempotent, refresh=self.tokens.refresh,
                    limited=pause)

    def repo(self, full_name: str):
        return self._gh.get_repo(full_name)  # lazy: no request until an attribute is needed

    @property
    def requester(self):
        """PyGithub's raw requester, for the endpoints it has no wrapper for (same auth and throttle)."""
        return self._gh.requester

    def close(self) -> None:
        self._gh.close()


def _github(api_url: str, auth: Auth.Auth | None, creds: AppCredentials | None = None) -> Github:
    # retry=None: PyGithub must not retry on its own (see service.github.retry); lazy=True saves a GET per object.
    return Github(auth=auth, base_url=api_url, retry=None, lazy=True, per_page=100, api_version=API_VERSION,
                  seconds_between_requests=creds.seconds_between_requests if creds else None,
                  seconds_between_writes=creds.seconds_between_writes if creds else None)


def for_installation(creds: AppCredentials, installation_id: int, cache: TokenCache,
                     policy: RetryPolicy | None = None, pacer: Pacer | None = None) -> Client:
    """A client acting as the installation; create it after the Celery fork (it pools connections)."""
    policy = policy or RetryPolicy()
    tokens = InstallationTokens(creds, installation_id, cache, policy)
    return Client(_github(creds.api_url, InstallationAuth(tokens), creds), tokens, policy, pacer,
                  f"{creds.api_url}|{installation_id}")


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
