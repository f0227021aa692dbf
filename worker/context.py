"""What a handler receives: a session, the config, a lazily built GitHub client, and a way to send tasks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from sqlalchemy.orm import Session

from service import github
from service.config import Config

# send(task name, args, countdown seconds); None runs follow-up work inline (plain-function tests).
Send = Callable[[str, list, float], None]


class GitHubNotConfigured(Exception):
    """The delivery needs GitHub but GITHUB_APP_ID / GITHUB_PRIVATE_KEY are not set."""


@dataclass
class Context:
    session: Session
    config: Config
    installation_id: int | None
    delivery_guid: str = ""
    send: Send | None = None
    # Tasks to send once this unit of work is committed (Celery's "Database transactions" rule).
    after_commit: list[tuple[str, list]] = field(default_factory=list)
    _client: object | None = field(default=None, repr=False)

    @property
    def offline(self) -> bool:
        """No GitHub App configured (local mode, `tact replay`): check runs are kept as previews instead."""
        return not self.config.github_app_configured

    def github(self):
        """Build the installation client on first use: bookkeeping handlers never need one."""
        if self._client is None:
            if not self.config.github_app_configured:
                raise GitHubNotConfigured("GitHub App credentials are not configured (GITHUB_APP_ID and "
                                          "GITHUB_PRIVATE_KEY); Tact cannot read settings or publish")
            if self.installation_id is None:
                raise GitHubNotConfigured("this delivery names no installation, so Tact has no token for it")
            config = self.config
            self._client = github.for_installation(credentials(config), self.installation_id,
                                                   token_cache(config.redis_url), retry_policy(config),
                                                   pacer(config.redis_url, config.github_write_interval_seconds))
        return self._client


def credentials(config: Config) -> github.AppCredentials:
    return github.AppCredentials(app_id=config.github_app_id, private_key=config.github_private_key,
                                 api_url=config.github_api_url,
                                 seconds_between_requests=config.github_seconds_between_requests,
                                 seconds_between_writes=config.github_seconds_between_writes)


def retry_policy(config: Config) -> github.RetryPolicy:
    return github.RetryPolicy(attempts=config.github_retry_attempts, backoff=config.github_retry_backoff,
                              max_backoff=config.github_retry_max_backoff,
                              rate_limit_budget=config.github_rate_limit_budget,
                              secondary_wait=config.github_secondary_wait_seconds)


@cache
def token_cache(redis_url: str | None):
    """Installation tokens are shared between worker processes through Redis when there is one."""
    if redis_url:
        return github.RedisTokenCache(_redis(redis_url))
    return github.MemoryTokenCache()


@cache
def pacer(redis_url: str | None, interval: float):
    """One pacing of writes per installation for all worker processes (through Redis when there is one)."""
    if redis_url:
        return github.RedisPacer(_redis(redis_url), interval)
    return github.MemoryPacer(interval)


def _redis(url: str):
    import redis

    # Short timeouts: a Redis outage must cost a delivery a second, not a hung worker.
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
