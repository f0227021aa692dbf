"""Writes paced per installation across every worker process, and paused when GitHub says slow down.

GitHub's secondary limits (Docs "Rate limits for the REST API", "Best practices for using the REST
API"): make requests serially per installation, leave at least one second between mutating
requests, and about 80 content-creating requests a minute at most. PyGithub's own throttle is per
client object, so each Celery process would keep its own second; this pacer hands out write slots
from one Redis key per installation, so all processes together keep the gap. A secondary limit
pauses the whole installation, not only the request that met it.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Protocol

log = logging.getLogger(__name__)

# KEYS[1]: the installation's next free slot (epoch seconds). Returns the slot this caller got.
_RESERVE = """
local now = tonumber(ARGV[1])
local gap = tonumber(ARGV[2])
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, nxt)
redis.call('SET', KEYS[1], tostring(slot + gap), 'PX', math.ceil((slot + gap - now) * 1000) + 60000)
return tostring(slot)
"""
_PAUSE = """
local until = tonumber(ARGV[1])
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
if until > nxt then
  redis.call('SET', KEYS[1], tostring(until), 'PX', math.ceil((until - tonumber(ARGV[2])) * 1000) + 60000)
end
return 1
"""


class Pacer(Protocol):
    def wait(self, key: str) -> None: ...

    def pause(self, key: str, seconds: float) -> None: ...


class MemoryPacer:
    """Slots within one process: the embedded mode, tests, and the fallback while Redis is down."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def reserve(self, key: str) -> float:
        with self._lock:
            now = time.time()
            slot = max(now, self._next.get(key, 0.0))
            self._next[key] = slot + self.interval
            return slot

    def wait(self, key: str) -> None:
        time.sleep(max(0.0, self.reserve(key) - time.time()))

    def pause(self, key: str, seconds: float) -> None:
        with self._lock:
            self._next[key] = max(self._next.get(key, 0.0), time.time() + seconds)


class RedisPacer:
    """One slot sequence per installation in Redis; while Redis is down, this process paces alone."""

    def __init__(self, redis_client, interval: float, prefix: str = "tact:writes:") -> None:
        self._redis, self.interval, self._prefix = redis_client, interval, prefix
        self._local = MemoryPacer(interval)
        self._reserve = redis_client.register_script(_RESERVE)
        self._pause = redis_client.register_script(_PAUSE)

    def wait(self, key: str) -> None:
        import redis

        try:
            slot = float(self._reserve(keys=[self._prefix + key], args=[repr(time.time()), repr(self.interval)]))
        except redis.RedisError as exc:
            log.warning("write pacing falls back to this process while Redis is unavailable (%s)",
                        type(exc).__name__)
            slot = self._local.reserve(key)
        time.sleep(max(0.0, slot - time.time()))

    def pause(self, key: str, seconds: float) -> None:
        import redis

        self._local.pause(key, seconds)
        try:
            self._pause(keys=[self._prefix + key], args=[repr(time.time() + seconds), repr(time.time())])
        except redis.RedisError:
            pass  # the local pause still holds this process back
