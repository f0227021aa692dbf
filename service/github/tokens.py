"""Installation tokens: minted with the app JWT, cached until five minutes before expiry, shared via Redis.

A token lasts one hour (Docs: "Authenticating as a GitHub App installation"). Every Celery process
minting its own would spend requests and quota, so the token is kept in a cache all workers share;
it is dropped five minutes early so a long backfill never sends one that expires mid-request.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Protocol

from github import Auth, GithubIntegration

from service.github.retry import API_VERSION, RetryPolicy, call

log = logging.getLogger(__name__)
REFRESH_MARGIN = 300  # seconds before expires_at at which a token counts as stale


class TokenCache(Protocol):
    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str, ttl_seconds: int) -> None: ...


class MemoryTokenCache:
    """A per-process cache, for tests and single-process deployments without Redis."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            value, deadline = self._items.get(key, (None, 0.0))
            return value if time.monotonic() < deadline else None

    def set(self, key: str, value: str, ttl_seconds: int) -> None:
        with self._lock:
            self._items[key] = (value, time.monotonic() + ttl_seconds)


class RedisTokenCache:
    """Tokens shared by every worker process; Redis expires the key when the token goes stale."""

    def __init__(self, redis_client, prefix: str = "tact:token:") -> None:
        self._redis = redis_client
        self._prefix = prefix

    def get(self, key: str) -> str | None:
        """None when Redis is down: the caller mints a token, so an outage of the cache fails no delivery."""
        import redis

        try:
            value = self._redis.get(self._prefix + key)
        except redis.RedisError as exc:
            log.warning("token cache unavailable (%s); minting a token instead", type(exc).__name__)
            return None
        return value.decode() if isinstance(value, bytes) else value

    def set(self, key: str, value: str, ttl_seconds: int) -> None:
        import redis

        try:
            self._redis.set(self._prefix + key, value, ex=ttl_seconds)
        except redis.RedisError as exc:  # this process still keeps the token it just minted
            log.warning("token cache unavailable (%s); token kept in this process only", type(exc).__name__)


class InstallationTokens:
    """The current token of one installation: from this process, else the shared cache, else minted."""

    def __init__(self, creds, installation_id: int, cache: TokenCache, policy: RetryPolicy) -> None:
        self._creds, self._installation_id = creds, installation_id
        self._cache, self._policy = cache, policy
        self.key = f"{creds.api_url}|{creds.app_id}|{installation_id}"
        self._local: tuple[str, float] | None = None

    def current(self) -> str:
        for entry in (self._local, self._from_cache()):
            if entry is not None and entry[1] - time.time() > REFRESH_MARGIN:
                self._local = entry
                return entry[0]
        return self.refresh()

    def refresh(self) -> str:
        """Mint a new token (also after a 401: the cached one may have been revoked)."""
        minted = call(self._mint, self._policy)
        token, expires_at = minted.token, minted.expires_at.timestamp()
        ttl = int(expires_at - time.time() - REFRESH_MARGIN)
        if ttl > 0:
            self._cache.set(self.key, json.dumps({"token": token, "expires_at": expires_at}), ttl)
        self._local = (token, expires_at)
        return token

    def _from_cache(self) -> tuple[str, float] | None:
        raw = self._cache.get(self.key)
        if not raw:
            return None
        entry = json.loads(raw)
        return entry["token"], float(entry["expires_at"])

    def _mint(self):
        # retry=None: minting is wrapped in our own policy (service.github.retry), like every other call.
        integration = GithubIntegration(auth=Auth.AppAuth(self._creds.app_id, self._creds.private_key),
                                        base_url=self._creds.api_url, retry=None, api_version=API_VERSION,
                                        seconds_between_requests=None, seconds_between_writes=None)
        try:
            return integration.get_access_token(self._installation_id)
        finally:
            integration.close()


class InstallationAuth(Auth.Auth):
    """PyGithub auth that asks for the current token on every request, so expiry is handled in one place."""

    def __init__(self, tokens: InstallationTokens) -> None:
        self._tokens = tokens

    @property
    def token_type(self) -> str:
        return "token"  # the scheme PyGithub's AppInstallationAuth sends (https://github.com/PyGithub/PyGithub/blob/v2.10.0/github/Auth.py)

    @property
    def token(self) -> str:
        return self._tokens.current()

    @property
    def _masked_token(self) -> str:
        return "token (installation token removed)"
