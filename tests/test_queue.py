"""The in-process queue lives and dies with its app: no worker thread outlives ``close_app``."""

from __future__ import annotations

import threading

import pytest

from service.app import close_app
from tests import payloads
from tests.conftest import WEBHOOK_SECRET


def _queue_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "tact-in-process-worker" and t.is_alive()]


def test_closing_the_app_stops_its_in_process_worker_thread(app_factory, app_config):
    """The thread used to run on after the app, writing to streams pytest had closed."""
    before = set(_queue_threads())
    app = app_factory(app_config)
    payloads.deliver(app.test_client(), payloads.ping(), WEBHOOK_SECRET)
    assert app.extensions["tact.queue"].join(timeout=30)
    assert set(_queue_threads()) - before, "the delivery should have started the worker thread"
    close_app(app)
    assert set(_queue_threads()) == before


def test_a_closed_queue_refuses_new_work_rather_than_starting_a_thread(app_factory, app_config):
    app = app_factory(app_config)
    close_app(app)
    with pytest.raises(RuntimeError, match="shut down"):
        app.extensions["tact.queue"].send("tact.sweep_stuck_deliveries", [])
    assert app.extensions["tact.queue"].shutdown() is True
