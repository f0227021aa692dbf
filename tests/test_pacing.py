"""Writes paced per installation through real Redis, and the Redis-backed caches surviving a Redis outage."""

import threading
import time

import redis

from service import github
from service.config import Config
from tests.services import free_port


def test_writes_of_one_installation_from_two_clients_are_a_full_interval_apart(redis_url):
    """Two worker processes each had their own second between writes; the turn in Redis is shared."""
    pacers = [github.RedisPacer(redis.Redis.from_url(redis_url), interval=0.3) for _ in range(2)]
    starts: list[float] = []
    ends: list[float] = []

    def write(pacer):
        pacer.wait("inst-1")
        starts.append(time.monotonic())
        time.sleep(0.05)  # the request itself
        ends.append(time.monotonic())
        pacer.done("inst-1")

    threads = [threading.Thread(target=write, args=(p,)) for p in pacers * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    starts.sort()
    ends.sort()
    assert all(later - end >= 0.29 for end, later in zip(ends, starts[1:], strict=False))


def test_a_pause_holds_back_every_writer_of_the_installation(redis_url):
    first, second = (github.RedisPacer(redis.Redis.from_url(redis_url), interval=0.0) for _ in range(2))
    first.pause("inst-2", 0.5)
    started = time.monotonic()
    second.wait("inst-2")
    second.done("inst-2")
    assert time.monotonic() - started >= 0.45


def test_with_redis_down_pacing_and_the_token_cache_carry_on_in_the_process():
    """Redis stopped for 33 s failed 2 of 50 deliveries through the token cache: an outage must cost nothing."""
    dead = redis.Redis(port=free_port(), socket_connect_timeout=0.2, socket_timeout=0.2)
    pacer = github.RedisPacer(dead, interval=0.2)
    pacer.wait("inst-3")
    pacer.done("inst-3")
    started = time.monotonic()
    pacer.wait("inst-3")
    pacer.done("inst-3")
    assert time.monotonic() - started >= 0.15
    cache = github.RedisTokenCache(dead)
    cache.set("key", "value", 60)
    assert cache.get("key") is None


def test_intervals_are_config_fields_read_from_the_environment():
    config = Config.from_env({"TACT_DELIVERY_LEASE_SECONDS": "3", "TACT_PUBLISH_WINDOW_SECONDS": "0.5"})
    assert (config.delivery_lease_seconds, config.publish_window_seconds) == (3.0, 0.5)
    assert Config().github_write_interval_seconds == 1.0
    bad = Config.from_env({"TACT_SWEEP_INTERVAL_SECONDS": "soon", "TACT_GITHUB_WRITE_INTERVAL_SECONDS": "-1"})
    assert len(bad.problems) == 2 and "TACT_SWEEP_INTERVAL_SECONDS" in bad.problems[0]
