"""Tact's errors for GitHub failures and the one policy for waiting on rate limits and retrying outages.

PyGithub's own retry is switched off (we pass retry=None): its GithubRetry retries POST on 5xx,
which can create duplicate check runs, never retries PATCH, treats 429 only partly, and may sleep
for a whole minute inside a worker
(https://github.com/PyGithub/PyGithub/blob/v2.10.0/github/GithubRetry.py). Here short waits
happen in-process and long ones become RateLimited, so the Celery task retries later instead.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import requests
from github import Consts
from github.GithubException import GithubException

T = TypeVar("T")
# Pin the REST version on every request, token minting included: PyGithub sends no
# X-GitHub-Api-Version by default (https://github.com/PyGithub/PyGithub/blob/v2.10.0/github/Requester.py).
API_VERSION = Consts.API_VERSION_2022_11_28


class GitHubError(Exception):
    """GitHub refused or failed a request; `status` is the HTTP status when there was one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class Unavailable(GitHubError):
    """Worth retrying later: 5xx, network errors, or a rate limit longer than we wait in-process."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, status)
        self.retry_after = retry_after


class RateLimited(Unavailable):
    """403 or 429 for a primary or secondary rate limit; `retry_after` is how long GitHub asks us to wait."""


class NotFound(GitHubError):
    """404: the repository, file or pull request is not there, or this token may not see it."""


class BadCredentials(GitHubError):
    """401: the token or JWT was refused (expired, revoked, or signed with the wrong key)."""


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds on waiting: a Celery retry is cheaper than a worker blocked for a minute."""

    attempts: int = 4  # tries in total for 5xx and network errors
    backoff: float = 0.5  # first backoff in seconds, doubled each time, with jitter
    max_backoff: float = 8.0
    rate_limit_budget: float = 10.0  # seconds we are willing to sleep on rate limits per call
    secondary_wait: float = 60.0  # Docs: without retry-after, wait at least a minute

    def backoff_for(self, failures: int) -> float:
        """Exponential backoff with equal jitter, so workers retrying together spread out."""
        ceiling = min(self.max_backoff, self.backoff * 2 ** (failures - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


_RATE_MESSAGES = ("api rate limit exceeded", "you have exceeded a secondary rate limit")
_RATE_ENDINGS = ("please wait a few minutes before you try again.", "please retry your request again later.")


def _is_rate_limit_message(message: str) -> bool:
    """GitHub's rate-limit wording, matched the way PyGithub's Requester.isRateLimitError does."""
    lowered = message.lower()
    return lowered.startswith(_RATE_MESSAGES) or lowered.endswith(_RATE_ENDINGS)


def rate_limit_wait(status: int, headers: dict, message: str, policy: RetryPolicy) -> float | None:
    """Seconds to wait before retrying, per Docs "Rate limits for the REST API", or None if not a limit."""
    if status not in (403, 429):
        return None
    if "retry-after" in headers:
        return float(headers["retry-after"])
    if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
        return max(float(headers["x-ratelimit-reset"]) - time.time(), 0.0) + 1.0  # +1: reset is whole seconds
    if status == 429 or _is_rate_limit_message(message):
        return policy.secondary_wait
    return None  # a plain 403 is a permission problem, not a limit


def translate(exc: GithubException, policy: RetryPolicy) -> GitHubError:
    """Map PyGithub's exception to ours, keeping the status and GitHub's message."""
    data = exc.data if isinstance(exc.data, dict) else {}
    message = str(data.get("message") or exc.data or exc)
    status = exc.status
    wait = rate_limit_wait(status, {k.lower(): v for k, v in (exc.headers or {}).items()}, message, policy)
    if wait is not None:
        return RateLimited(message, status, retry_after=wait)
    if status is not None and status >= 500:
        return Unavailable(message, status)
    kinds = {404: NotFound, 401: BadCredentials}
    return kinds.get(status, GitHubError)(message, status)


def call(fn: Callable[[], T], policy: RetryPolicy, *, idempotent: bool = True,
         refresh: Callable[[], object] | None = None, limited: Callable[[float], None] | None = None) -> T:
    """Run one GitHub request under the policy.

    Rate-limited requests were refused, not performed, so they are repeated whatever the method.
    5xx and network errors are ambiguous (the write may have happened), so they are repeated only
    when `idempotent`; callers of non-idempotent writes get Unavailable and check before retrying.
    `refresh` is called once on a 401, e.g. to mint a new installation token; `limited` hears of
    every rate limit with its wait, so the installation's other writers hold back too.
    """
    waited, failures, refreshed = 0.0, 0, False
    while True:
        try:
            return fn()
        except GithubException as exc:
            error = translate(exc, policy)
            error.__cause__ = exc
        except (requests.ConnectionError, requests.Timeout) as exc:
            error = Unavailable(f"could not reach GitHub: {exc.__class__.__name__}")
            error.__cause__ = exc
        if isinstance(error, RateLimited):
            wait = max(error.retry_after or 0.0, 0.5)  # never spin on "retry-after: 0"
            if limited is not None:
                limited(wait)
            if waited + wait > policy.rate_limit_budget:
                raise error
            time.sleep(wait)
            waited += wait
        elif isinstance(error, BadCredentials) and refresh is not None and not refreshed:
            refresh()
            refreshed = True
        elif isinstance(error, Unavailable) and idempotent and failures + 1 < policy.attempts:
            failures += 1
            time.sleep(policy.backoff_for(failures))
        else:
            raise error
