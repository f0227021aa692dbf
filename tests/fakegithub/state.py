"""What the fake GitHub knows: installations, repositories, files, pull requests, users, tokens, check runs.

Tests build the world through the add_* helpers and read back check runs as GitHub stored them
after every update. The clock is injectable so a test can expire tokens without waiting an hour.
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
import time
from dataclasses import dataclass, field

TOKEN_LIFETIME = 3600  # installation tokens expire one hour after creation (Docs: installation tokens)
USER_TOKEN_LIFETIME = 28800  # user access tokens: expires_in 28800 (Docs: user access tokens)
CODE_LIFETIME = 600  # OAuth codes live ten minutes
DEFAULT_PERMISSIONS = {"checks": "write", "pull_requests": "read", "contents": "read",
                       "issues": "read", "metadata": "read"}
DEFAULT_EVENTS = ("check_run", "check_suite", "issue_comment", "pull_request", "pull_request_review",
                  "pull_request_review_comment", "push")
MANIFEST_CODE_LIFETIME = 3600  # "You must complete all three steps ... within one hour" (Docs: manifest flow)


class Clock:
    """Wall-clock time plus an offset a test may advance."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@dataclass
class Installation:
    id: int
    account: str
    permissions: dict[str, str]
    suspended: bool = False
    events: list[str] = field(default_factory=lambda: list(DEFAULT_EVENTS))


@dataclass
class PullRequest:
    number: int
    head_sha: str
    author: str
    state: str = "open"
    title: str = "A pull request"
    updated_at: float = field(default_factory=time.time)
    review_comments: list[dict] = field(default_factory=list)
    reviews: list[dict] = field(default_factory=list)
    issue_comments: list[dict] = field(default_factory=list)


@dataclass
class Repository:
    id: int
    full_name: str
    installation_id: int
    default_branch: str = "main"
    private: bool = False
    files: dict[tuple[str, str], str] = field(default_factory=dict)  # (ref, path) -> text
    pulls: dict[int, PullRequest] = field(default_factory=dict)

    @property
    def owner(self) -> str:
        return self.full_name.split("/")[0]

    @property
    def name(self) -> str:
        return self.full_name.split("/")[1]


# Repository roles, lowest first (Docs "Repository roles for an organization"); each includes the ones before.
ROLES = ("read", "triage", "write", "maintain", "admin")


@dataclass
class User:
    id: int
    login: str
    repos: dict[str, bool | str]  # full_name -> a role from ROLES; True means admin and False read
    tokens: set[str] = field(default_factory=set)

    def role(self, full_name: str) -> str | None:
        """The user's role on the repository, or None when they are not a collaborator."""
        value = self.repos.get(full_name)
        if isinstance(value, bool):
            return "admin" if value else "read"
        return value


@dataclass
class Token:
    value: str
    kind: str  # "installation" or "user"
    expires_at: float
    installation_id: int | None = None
    permissions: dict[str, str] = field(default_factory=dict)
    repository_ids: frozenset[int] | None = None  # None: every repository of the installation
    login: str | None = None


@dataclass(frozen=True)
class Annotation:
    path: str
    start_line: int
    end_line: int
    annotation_level: str
    message: str
    start_column: int | None = None
    end_column: int | None = None
    title: str | None = None
    raw_details: str | None = None


@dataclass
class Output:
    title: str | None = None
    summary: str | None = None
    text: str | None = None


@dataclass
class CheckRun:
    id: int
    repo: str
    name: str
    head_sha: str
    status: str = "queued"
    conclusion: str | None = None
    external_id: str | None = None
    details_url: str | None = None
    started_at: str | None = None
    completed_at: str | None = None
    output: Output = field(default_factory=Output)
    annotations: list[Annotation] = field(default_factory=list)
    actions: list[dict] = field(default_factory=list)


@dataclass
class HookAttempt:
    """One attempt to deliver a webhook to the app (GitHub's delivery log keeps each)."""

    id: int
    guid: str
    event: str
    payload: dict
    status_code: int  # 0 when no HTTP answer came (refused, timed out)
    status: str  # "OK", or GitHub's description of the failure
    redelivery: bool
    delivered_at: float


@dataclass
class OAuthCode:
    login: str
    redirect_uri: str | None
    expires_at: float
    challenge: str | None = None


class State:
    """The fake's whole world; replaced by a fresh one for each test."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self.installations: dict[int, Installation] = {}
        self.repos: dict[str, Repository] = {}
        self.users: dict[str, User] = {}
        self.tokens: dict[str, Token] = {}
        self.codes: dict[str, OAuthCode] = {}
        self.refresh_tokens: dict[str, tuple[str, str]] = {}  # refresh token -> (login, access token)
        self.check_runs: list[CheckRun] = []
        # The app registration GET /app describes; a manifest conversion replaces it.
        self.app: dict = {"name": "Tact", "permissions": dict(DEFAULT_PERMISSIONS), "events": list(DEFAULT_EVENTS)}
        self.manifest_codes: dict[str, tuple[dict, str, float]] = {}  # code -> (manifest, owner, expires_at)
        self.deliveries: list[tuple[str, int | None]] = []  # webhooks the web pages sent: (event, Tact's status)
        self.rate_limit = 5000  # per credential per hour (Docs: 5,000 per installation)
        self.token_lifetime = TOKEN_LIFETIME
        self.usage: dict[str, tuple[int, int]] = {}  # credential -> (window start, used)
        self.hook_attempts: list[HookAttempt] = []
        self._ids = itertools.count(1001)

    # -- building the world ----------
    def add_installation(self, account: str = "octo-org", permissions: dict | None = None,
                         id: int | None = None) -> Installation:
        inst = Installation(id or next(self._ids), account, dict(permissions or DEFAULT_PERMISSIONS))
        self.installations[inst.id] = inst
        return inst

    def add_repository(self, full_name: str, installation_id: int, default_branch: str = "main",
                       private: bool = False) -> Repository:
        repo = Repository(next(self._ids), full_name, installation_id, default_branch, private)
        self.repos[full_name] = repo
        return repo

    def add_file(self, full_name: str, path: str, text: str, ref: str | None = None) -> None:
        repo = self.repos[full_name]
        repo.files[(ref or repo.default_branch, path)] = text

    def add_pull_request(self, full_name: str, number: int, head_sha: str, author: str = "octocat",
                         state: str = "open", updated_at: float | None = None) -> PullRequest:
        pull = PullRequest(number, head_sha, author, state, updated_at=updated_at or self.clock.now())
        self.repos[full_name].pulls[number] = pull
        return pull

    def add_user(self, login: str, repos: dict[str, bool | str] | None = None, token: str | None = None) -> User:
        """A GitHub user; repos maps each repository they can see to their role there (True: admin, False: read)."""
        unknown = [r for r in (repos or {}).values() if not isinstance(r, bool) and r not in ROLES]
        if unknown:
            raise ValueError(f"unknown repository role(s) {unknown}; GitHub's are {ROLES}")
        user = User(next(self._ids), login, dict(repos or {}))
        self.users[login] = user
        if token:
            self.issue_user_token(login, token)
        return user

    def add_comment(self, full_name: str, number: int, kind: str, body: str | None, author: str = "octocat",
                    bot: bool = False, path: str | None = None, line: int | None = None,
                    start_line: int | None = None, created_at: float | None = None) -> dict:
        """A comment on a PR; kind is "review_comment" (needs path), "review" or "issue_comment"."""
        item = {"id": self.new_id(), "body": body, "author": author, "bot": bot, "path": path, "line": line,
                "start_line": start_line, "created_at": created_at or self.clock.now()}
        pull = self.repos[full_name].pulls[number]
        {"review_comment": pull.review_comments, "review": pull.reviews,
         "issue_comment": pull.issue_comments}[kind].append(item)
        return item

    # -- tokens ----------
    def issue_installation_token(self, installation_id: int, permissions: dict[str, str],
                                 repository_ids: frozenset[int] | None) -> Token:
        value = "ghs_" + secrets.token_hex(18)
        token = Token(value, "installation", self.clock.now() + self.token_lifetime, installation_id,
                      permissions, repository_ids)
        self.tokens[value] = token
        return token

    def issue_user_token(self, login: str, value: str | None = None) -> Token:
        value = value or "ghu_" + secrets.token_hex(18)
        token = Token(value, "user", self.clock.now() + USER_TOKEN_LIFETIME, login=login)
        self.tokens[value] = token
        self.users[login].tokens.add(value)
        return token

    def expire_installation_tokens(self) -> None:
        """Make every installation token issued so far expire now, as an hour passing would."""
        for token in self.tokens.values():
            if token.kind == "installation":
                token.expires_at = self.clock.now() - 1

    def live_token(self, value: str) -> Token | None:
        token = self.tokens.get(value)
        if token is None or token.expires_at <= self.clock.now():
            return None
        return token

    def issue_code(self, login: str, redirect_uri: str | None, challenge: str | None) -> str:
        code = secrets.token_hex(10)
        self.codes[code] = OAuthCode(login, redirect_uri, self.clock.now() + CODE_LIFETIME, challenge)
        return code

    def issue_refresh_token(self, login: str, access_token: str) -> str:
        value = "ghr_" + secrets.token_hex(30)
        self.refresh_tokens[value] = (login, access_token)
        return value

    def log_hook_attempt(self, guid: str, event: str, payload: dict, status_code: int, status: str,
                         redelivery: bool, delivered_at: float | None = None) -> HookAttempt:
        attempt = HookAttempt(self.new_id(), guid, event, payload, status_code, status, redelivery,
                              self.clock.now() if delivered_at is None else delivered_at)
        self.hook_attempts.append(attempt)
        return attempt

    # -- reading ----------
    def repo_by_id(self, repo_id: int) -> Repository | None:
        return next((r for r in self.repos.values() if r.id == repo_id), None)

    def runs_for(self, full_name: str, head_sha: str) -> list[CheckRun]:
        return [r for r in self.check_runs if r.repo == full_name and r.head_sha == head_sha]

    def run(self, run_id: int) -> CheckRun | None:
        return next((r for r in self.check_runs if r.id == run_id), None)

    def new_id(self) -> int:
        return next(self._ids)

    def spend(self, credential: str) -> tuple[int, int]:
        """Count one request against a credential's hourly budget; returns (remaining, reset)."""
        now = int(self.clock.now())
        start, used = self.usage.get(credential, (now, 0))
        if now >= start + 3600:
            start, used = now, 0
        used += 1
        self.usage[credential] = (start, used)
        return self.rate_limit - used, start + 3600


def blob_sha(text: str) -> str:
    """Git's blob id, so a file's sha changes exactly when its content does."""
    data = text.encode()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
