"""The `fake_github` pytest fixture: one live server per test session, a clean world for every test."""

from __future__ import annotations

import atexit

import pytest

from tests.fakegithub.control import FakeGitHub

_shared: FakeGitHub | None = None


def shared_fake() -> FakeGitHub:
    """Start the fake once per process: generating its RSA key and binding a port are the slow parts."""
    global _shared
    if _shared is None:
        _shared = FakeGitHub().start()
        atexit.register(_shared.stop)
    return _shared


@pytest.fixture
def fake_github() -> FakeGitHub:
    """A fake GitHub at `fake_github.url`; fails the test on unimplemented, forbidden or missing calls."""
    fake = shared_fake()
    fake.reset()
    yield fake
    fake.verify()
