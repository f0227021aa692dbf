"""Sign-in and Try it are rate-limited per client address, in memory or shared through Redis."""

from __future__ import annotations

import time

import pytest
import redis as redis_lib

from service.web import limits
from tests import payloads
from tests.conftest import WEBHOOK_SECRET


def from_address(client, path: str, address: str = "203.0.113.7", method: str = "get"):
    return getattr(client, method)(path, environ_base={"REMOTE_ADDR": address})


@pytest.fixture(autouse=True)
def whole_window():
    """Counts restart each minute; start a test at least two seconds before the next restart."""
    left = limits.WINDOW_SECONDS - time.time() % limits.WINDOW_SECONDS
    if left < 2:
        time.sleep(left + 0.05)


@pytest.fixture
def limited(app_factory, app_config):
    return app_factory(app_config | {"TACT_LOGIN_PER_MINUTE": "2", "TACT_TRY_PAGE_PER_MINUTE": "3"})


def test_too_many_sign_in_attempts_get_429_with_retry_after(limited):
    client = limited.test_client()
    assert [from_address(client, "/login").status_code for _ in range(2)] == [302, 302]  # local mode: to the dashboard
    refused = from_address(client, "/auth/callback")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= limits.WINDOW_SECONDS
    assert "Please wait a moment" in refused.text
    assert from_address(client, "/login", "198.51.100.9").status_code == 302  # another address has its own count


def test_the_try_page_and_everything_under_it_is_limited_by_path(limited):
    client = limited.test_client()
    for path, method in (("/try", "get"), ("/try", "post"), ("/try/anything", "get")):
        assert from_address(client, path, method=method).status_code != 429
    assert from_address(client, "/try").status_code == 429


def test_other_pages_and_the_webhook_are_never_limited(limited):
    client = limited.test_client()
    for _ in range(5):
        assert from_address(client, "/").status_code == 200
        assert payloads.deliver(client, payloads.ping(), WEBHOOK_SECRET).status_code == 200
        assert from_address(client, "/trying").status_code == 404  # not under /try


def test_zero_turns_a_limit_off(app_factory, app_config):
    client = app_factory(app_config | {"TACT_LOGIN_PER_MINUTE": "0"}).test_client()
    assert {from_address(client, "/login").status_code for _ in range(30)} == {302}


def test_with_redis_every_web_process_shares_one_count(app_factory, app_config, redis_url):
    """Two gunicorn workers (two apps) on one Redis: the allowance is per address, not per process."""
    config = app_config | {"TACT_LOGIN_PER_MINUTE": "3", "REDIS_URL": redis_url}
    first, second = app_factory(config), app_factory(config)
    try:
        answers = [from_address(app.test_client(), "/login").status_code for app in (first, second, first, second)]
        assert answers == [302, 302, 302, 429]
        assert redis_lib.Redis.from_url(redis_url).keys("tact:limit:*")
    finally:
        limits.close(first)
        limits.close(second)


def test_a_redis_outage_lets_requests_through(app_factory, app_config):
    app = app_factory(app_config | {"TACT_LOGIN_PER_MINUTE": "1", "REDIS_URL": "redis://127.0.0.1:1/0"})
    client = app.test_client()
    try:
        assert [from_address(client, "/login").status_code for _ in range(3)] == [302, 302, 302]
    finally:
        limits.close(app)


def test_trusted_proxies_decide_which_address_is_counted(app_factory, app_config):
    app = app_factory(app_config | {"TACT_LOGIN_PER_MINUTE": "1", "TACT_TRUSTED_PROXIES": "1"})
    client = app.test_client()

    def via_proxy(visitor: str) -> int:
        return client.get("/login", headers={"X-Forwarded-For": visitor},
                          environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code

    assert [via_proxy("203.0.113.1"), via_proxy("203.0.113.2"), via_proxy("203.0.113.1")] == [302, 302, 429]
