"""Rate limits on the pages that cost us or GitHub something per request: sign-in and Try it.

Counted per client address in fixed one-minute windows (Flask-Limiter's default strategy): in Redis
when REDIS_URL is set, so every gunicorn worker and every web machine shares one count, and in this
process otherwise (the embedded mode has one process). A refused request gets 429 with Retry-After,
the seconds left in the window (RFC 6585 section 4, RFC 9110 section 10.2.3).

Routes are matched by path, not by view, so a page added later under a limited path (``/try/…``)
is covered the day it is written. If Redis stops answering, requests are let through and a warning
is logged: a broken counter must not lock everybody out of the dashboard, and the webhook
receiver is never limited here.

The address is ``request.remote_addr``. Behind a reverse proxy that is the proxy's address, so every
visitor shares one count, unless TACT_TRUSTED_PROXIES says how many proxies to believe about it.
"""

from __future__ import annotations

import logging
import math
import threading
import time

import redis
from flask import Flask, current_app, render_template, request

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60
# (path, Config field with the allowed requests per address per minute; 0 means no limit).
LIMITED_PATHS = (
    ("/login", "login_per_minute"),
    ("/auth/callback", "login_per_minute"),
    ("/try", "try_page_per_minute"),
)


class MemoryCounter:
    """Counts in this process; old windows are dropped as new ones start, so memory stays bounded."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._window = -1
        self._counts: dict[str, int] = {}

    def hit(self, key: str, window: int) -> int:
        with self._lock:
            if window != self._window:
                self._window, self._counts = window, {}
            self._counts[key] = self._counts.get(key, 0) + 1
            return self._counts[key]


class RedisCounter:
    """INCR on a key named for the window, which expires with it: one round trip, atomic across processes."""

    def __init__(self, url: str) -> None:
        self._client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)

    def hit(self, key: str, window: int) -> int:
        name = f"tact:limit:{key}:{window}"
        with self._client.pipeline() as pipe:
            count, _ = pipe.incr(name).expire(name, WINDOW_SECONDS + 5).execute()
        return int(count)

    def close(self) -> None:
        self._client.close()


def close(app: Flask) -> None:
    counter = app.extensions.get("tact.limits")
    if isinstance(counter, RedisCounter):
        counter.close()


def init_app(app: Flask) -> None:
    redis_url = app.config["TACT"].redis_url
    app.extensions["tact.limits"] = RedisCounter(redis_url) if redis_url else MemoryCounter()
    app.before_request(enforce)


def enforce():
    """Before any view: answer 429 when this address used up the minute's allowance for this path."""
    rule = _rule_for(request.path)
    if rule is None:
        return None
    _, field = rule  # the allowance is counted per field, so /login and its callback share one
    allowed = getattr(current_app.config["TACT"], field)
    if not allowed:
        return None
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    try:
        count = current_app.extensions["tact.limits"].hit(f"{field}:{request.remote_addr or '-'}", window)
    except redis.RedisError as exc:
        log.warning("rate limit not counted (Redis: %s); letting the request through", type(exc).__name__)
        return None
    if count <= allowed:
        return None
    retry_after = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
    return render_template("auth/too_many.html", retry_after=retry_after), 429, {"Retry-After": str(retry_after)}


def _rule_for(path: str) -> tuple[str, str] | None:
    for prefix, field in LIMITED_PATHS:
        if path == prefix or path.startswith(prefix + "/"):
            return prefix, field
    return None
