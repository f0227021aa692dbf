"""The queue: the in-process one lives and dies with its app; a batch sent to Redis is what Celery would send."""

from __future__ import annotations

import base64
import json
import threading
import time

import pytest
import redis as redis_lib
from celery import Celery
from celery.signals import after_task_publish, before_task_publish

from service.app import close_app
from service.config import Config
from service.queue import BrokerUnavailable, CeleryQueue, celery_settings, messages
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


def _celery_queue(redis_url: str) -> CeleryQueue:
    celery = Celery("tact-queue-test")
    celery.conf.update(celery_settings(Config.from_env({"REDIS_URL": redis_url})))
    return CeleryQueue(celery)


# Differ between any two messages: the task's id, kombu's delivery tag, send_task's reply queue.
PER_MESSAGE = {"id", "root_id", "correlation_id", "delivery_tag", "reply_to", "argsrepr"}


def _without_ids(message: dict) -> dict:
    return {key: _without_ids(value) if isinstance(value, dict) else value
            for key, value in message.items() if key not in PER_MESSAGE}


def test_a_batch_is_pushed_as_kombu_pushes_send_task_s_message(redis_url):
    """send_many builds kombu's Redis envelope itself; it must stay what Celery's workers read."""
    queue = _celery_queue(redis_url)
    client = redis_lib.Redis.from_url(redis_url)
    try:
        queue.send("tact.process_delivery", [41])
        queue.send_many("tact.process_delivery", [[42], [43]])
        by_kombu, *ours = [json.loads(raw) for raw in reversed(client.lrange("celery", 0, -1))]
    finally:
        client.close()
        queue.shutdown()
    assert [json.loads(base64.b64decode(m["body"]))[0] for m in (by_kombu, *ours)] == [[41], [42], [43]]
    for message in ours:
        assert _without_ids(message) | {"body": None} == _without_ids(by_kombu) | {"body": None}
        assert message["headers"]["argsrepr"] == repr(json.loads(base64.b64decode(message["body"]))[0])
    assert len({m["properties"]["delivery_tag"] for m in (by_kombu, *ours)}) == 3


@pytest.mark.parametrize("args", [[42], [0], [-7, 2**62], [], ['it\'s "quoted" 100%', 1.5, None, True, "é\u2028"]])
def test_a_templated_message_is_celery_s_own_envelope_byte_for_byte_apart_from_its_ids(args):
    """The template is built by Celery once; what it fills in must be exactly what Celery would write each time."""
    queue = _celery_queue("redis://127.0.0.1:6379/0")  # builds messages only; nothing is sent
    try:
        headers, properties, body = messages.celery_message(queue.celery, "tact.process_delivery", args, "celery")
        by_celery = messages.redis_envelope(headers, properties, body, "celery")
        tag = json.loads(by_celery)["properties"]["delivery_tag"]
        template = messages.MessageTemplate(queue.celery, "tact.process_delivery", "celery")
        assert template.fits(args)
        assert template.render(args, headers["id"], tag) == by_celery
    finally:
        queue.shutdown()


def test_args_the_template_cannot_write_as_celery_does_are_left_to_celery():
    """kombu's serialiser writes dates, UUIDs and decimals its own way; the template only plain JSON values."""
    import datetime
    import decimal
    import enum

    class Kind(enum.IntEnum):
        ONE = 1

    queue = _celery_queue("redis://127.0.0.1:6379/0")
    try:
        template = messages.MessageTemplate(queue.celery, "tact.process_delivery", "celery")
    finally:
        queue.shutdown()
    for args in ([datetime.date(2026, 1, 2)], [decimal.Decimal("1.5")], [Kind.ONE], [[1]], [{"a": 1}], (1,)):
        assert not template.fits(args), args


def test_a_batch_with_args_outside_the_template_is_pushed_as_celery_builds_it(redis_url):
    queue = _celery_queue(redis_url)
    client = redis_lib.Redis.from_url(redis_url)
    try:
        queue.send_many("tact.process_delivery", [[1], [{"when": "2026-01-02"}]])
        plain, other = [json.loads(raw) for raw in reversed(client.lrange("celery", 0, -1))]
    finally:
        client.close()
        queue.shutdown()
    assert json.loads(base64.b64decode(other["body"]))[0] == [{"when": "2026-01-02"}]
    assert _without_ids(other) | {"body": None} == _without_ids(plain) | {"body": None}


def test_ids_are_random_version_4_uuids_as_kombu_writes_them():
    import uuid

    ids = messages.uuid4s(2000)
    assert len(set(ids)) == 2000
    for text in ids:
        value = uuid.UUID(text)
        assert (value.version, value.variant, str(value)) == (4, uuid.RFC_4122, text)
    # Every digit position varies apart from the version digit: no slice of the random bytes is dropped.
    assert all(len({text[i] for text in ids}) > 1 for i in range(36) if text[i] != "-" and i != 14)


def test_a_batch_fires_celery_s_publish_signals_around_the_push(redis_url):
    queue = _celery_queue(redis_url)
    client = redis_lib.Redis.from_url(redis_url)
    seen = []

    def before(sender=None, headers=None, **_kwargs):
        seen.append(("before", headers["id"], client.llen("celery")))

    def after(sender=None, headers=None, **_kwargs):
        seen.append(("after", headers["id"], client.llen("celery")))

    before_task_publish.connect(before, weak=False)
    after_task_publish.connect(after, weak=False)
    try:
        queue.send_many("tact.process_delivery", [[1], [2]])
    finally:
        before_task_publish.disconnect(before)
        after_task_publish.disconnect(after)
        client.close()
        queue.shutdown()
    assert [(kind, queued) for kind, _, queued in seen] == [("before", 0), ("before", 0), ("after", 2), ("after", 2)]
    assert seen[0][1] == seen[2][1] and seen[1][1] == seen[3][1]


def test_a_batch_to_a_broker_that_is_down_fails_within_seconds_as_broker_unavailable():
    queue = _celery_queue("redis://127.0.0.1:1/0")
    started = time.monotonic()
    with pytest.raises(BrokerUnavailable):
        queue.send_many("tact.process_delivery", [[1]])
    assert time.monotonic() - started < 3
    queue.shutdown()
