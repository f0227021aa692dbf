"""Writes paced per installation across every worker process, and paused when GitHub says slow down.

GitHub's secondary limits (Docs "Rate limits for the REST API", "Best practices for using the REST
API"): make requests serially per installation, leave at least one second between mutating
requests, and about 80 content-creating requests a minute at most. PyGithub's own throttle is per
client object, so each Celery process would keep its own second. Here one Redis key per
installation is the turn to write: a writer takes it, makes its request, and keeps it for the
interval after the answer, so the next write of that installation, from any process, starts at
least that long after the previous one ended. A secondary limit pauses the whole installation.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Protocol

log = logging.getLogger(__name__)
TURN_TIMEOUT_MS = 30_000  # a writer that died holding the turn gives it up after this long


class Pacer(Protocol):
    def wait(self, key: str) -> None: ...

    def done(self, key: str) -> None: ...

    def pause(self, key: str, seconds: float) -> None: ...


class MemoryPacer:
    """Turns within one process: the embedded mode, tests, and the fallback while Redis is down."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._next: dict[str, float] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def wait(self, key: str) -> None:
        self._lock(key).acquire()
        time.sleep(max(0.0, self._next.get(key, 0.0) - time.time()))

    def done(self, key: str) -> None:
        self._next[key] = max(self._next.get(key, 0.0), time.time() + self.interval)
        lock = self._lock(key)
        if lock.locked():
            lock.release()

    def pause(self, key: str, seconds: float) -> None:
        self._next[key] = max(self._next.get(key, 0.0), time.time() + seconds)


class RedisPacer:
    """The installation's turn to write lives in Redis; while Redis is down, this process paces alone."""

    def __init__(self, redis_client, interval: float, prefix: str = "tact:writes:") -> None:
        self._redis, self.interval, self._prefix = redis_client, interval, prefix
        self._local = MemoryPacer(interval)
        self._mine: dict[str, str] = {}
        self._fallback: set[str] = set()

    def wait(self, key: str) -> None:
        import redis

        token = uuid.uuid4().hex
        try:
            while True:
                pause = self._redis.pttl(self._prefix + key + ":pause")
                if pause > 0:
                    time.sleep(pause / 1000)
                    continue
                if self._redis.set(self._prefix + key, token, nx=True, px=TURN_TIMEOUT_MS):
                    self._mine[key] = token
                    return
                held = self._redis.pttl(self._prefix + key)
                time.sleep(min(max(held, 10), 200) / 1000)  # until the turn is free, checking every 0.2 s
        except redis.RedisError as exc:
            log.warning("write pacing falls back to this process while Redis is unavailable (%s)",
                        type(exc).__name__)
            self._fallback.add(key)
            self._local.wait(key)

    def done(self, key: str) -> None:
        """Keep the turn for the interval after the answer, then it lapses by itself."""
        import redis

        self._local.done(key)
        if key in self._fallback:
            self._fallback.discard(key)
            return
        token = self._mine.pop(key, None)
        try:
            if token and self._redis.get(self._prefix + key) in (token, token.encode()):
                self._redis.set(self._prefix + key, token, px=max(1, int(self.interval * 1000)), xx=True)
        except redis.RedisError:
            pass  # the key lapses on its own

    def pause(self, key: str, seconds: float) -> None:
        import redis

        self._local.pause(key, seconds)
        try:
            self._redis.set(self._prefix + key + ":pause", "1", px=max(1, int(seconds * 1000)))
        except redis.RedisError:
            pass  # the local pause still holds this process back
