"""The receiver's group commit: concurrent deliveries share a statement, and each keeps its own answer."""

from __future__ import annotations

import threading
import time

import pytest
from celery import Celery
from sqlalchemy import select
from sqlalchemy.exc import DataError

from service import storage
from service.app import close_app, create_app
from service.config import Config
from service.queue import CeleryQueue, celery_settings
from service.web.recorder import NotRecorded, Recorder
from tests import payloads
from tests.conftest import WEBHOOK_SECRET
from tests.services import queued_tasks

BURST = 24


@pytest.fixture
def make_app(app_config):
    """Apps built with extra config, closed after the test (their recorder and pools)."""
    apps = []

    def make(**extra):
        apps.append(create_app(app_config | extra))
        return apps[-1]

    yield make
    for app in apps:
        close_app(app)


def deliver_at_once(app, bodies_and_guids: list[tuple[dict, str]]) -> list:
    """Post every delivery from a thread of its own, all released together; the answers, in order."""
    answers: list = [None] * len(bodies_and_guids)
    start = threading.Barrier(len(bodies_and_guids))

    def post(n: int, payload: dict, guid: str) -> None:
        client = app.test_client()
        start.wait()
        answers[n] = payloads.deliver(client, payload, WEBHOOK_SECRET, guid=guid)

    threads = [threading.Thread(target=post, args=(n, payload, guid))
               for n, (payload, guid) in enumerate(bodies_and_guids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return answers


def rows(app) -> list[storage.Delivery]:
    with app.extensions["tact.db"].session() as session:
        return list(session.scalars(select(storage.Delivery).order_by(storage.Delivery.id)))


def test_a_burst_of_deliveries_is_stored_in_shared_commits_and_each_is_sent_once(make_app, database_url, redis_url):
    app = make_app(DATABASE_URL=database_url, REDIS_URL=redis_url)
    burst = [(payloads.review_comment(f"Comment {n}."), f"burst-{n}") for n in range(BURST)]
    answers = deliver_at_once(app, burst)

    assert [(a.status_code, a.json["outcome"]) for a in answers] == [(202, "queued")] * BURST
    stored = rows(app)
    assert sorted(row.guid for row in stored) == sorted(guid for _, guid in burst)
    by_guid = {row.guid: row for row in stored}
    for answer, (payload, guid) in zip(answers, burst, strict=True):
        assert answer.json["delivery"] == by_guid[guid].id
        assert by_guid[guid].payload == payload  # each row holds its own body, not a neighbour's
    assert sorted(args[0] for _, args in queued_tasks(redis_url)) == sorted(row.id for row in stored)
    # One statement stamps its rows with one time: fewer times than rows means commits were shared.
    assert len({row.received_at for row in stored}) < BURST


def test_the_same_guid_sent_at_once_is_stored_and_sent_once(make_app, database_url, redis_url):
    """GitHub's redelivery racing the original: one row, one task, every other answer a duplicate of it."""
    app = make_app(DATABASE_URL=database_url, REDIS_URL=redis_url)
    answers = deliver_at_once(app, [(payloads.review_comment("Same."), "same-guid")] * 8)

    outcomes = sorted(a.json["outcome"] for a in answers)
    assert outcomes == ["duplicate"] * 7 + ["queued"]
    [row] = rows(app)
    assert {a.json["delivery"] for a in answers} == {row.id}
    assert queued_tasks(redis_url) == [("tact.process_delivery", [row.id])]


def test_a_burst_against_a_database_that_is_down_answers_503_and_sends_nothing(make_app, redis_url):
    app = make_app(DATABASE_URL="postgresql://postgres@127.0.0.1:1/test", REDIS_URL=redis_url)
    answers = deliver_at_once(app, [(payloads.review_comment("Fine."), f"down-{n}") for n in range(6)])
    assert [a.status_code for a in answers] == [503] * 6
    assert all("redeliver" in a.json["error"] for a in answers)
    assert queued_tasks(redis_url) == []


def _delivery(guid: str) -> storage.NewDelivery:
    return storage.NewDelivery(guid=guid, event="issue_comment", action="created", installation_id=1,
                               repository_id=2, payload_json='{"action": "created"}')


def test_a_statement_the_database_refuses_stores_none_of_its_rows(postgres_url):
    """All or nothing: a GUID longer than the column fails the statement, and its neighbours are not kept."""
    db = storage.Database(postgres_url)
    try:
        with db.autocommit() as conn, pytest.raises(DataError):
            storage.insert_deliveries(conn, [_delivery("fine-1"), _delivery("x" * 65), _delivery("fine-2")])
        with db.session() as session:
            assert storage.stored_guids(session, ["fine-1", "fine-2"]) == set()
    finally:
        db.dispose()


def test_one_delivery_the_database_refuses_does_not_fail_the_others_of_its_batch(postgres_url, redis_url):
    """The recorder retries a refused batch one delivery at a time: only the bad one gets the error."""
    db = storage.Database(postgres_url)
    tasks = celery_queue(redis_url)
    recorder = Recorder(db, tasks, batch_size=64, wait_seconds=30)
    guids = [f"good-{n}" for n in range(7)] + ["x" * 65]
    results: dict[str, object] = {}
    start = threading.Barrier(len(guids))

    def record(guid: str) -> None:
        start.wait()
        try:
            results[guid] = recorder.record(_delivery(guid))
        except DataError as exc:
            results[guid] = exc

    threads = [threading.Thread(target=record, args=(guid,)) for guid in guids]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert isinstance(results.pop("x" * 65), DataError)
        assert sorted(r.outcome for r in results.values()) == ["queued"] * 7
        with db.session() as session:
            assert storage.stored_guids(session, guids) == set(results)
        assert sorted(args[0] for _, args in queued_tasks(redis_url)) == sorted(r.delivery_id for r in results.values())
    finally:
        recorder.close()
        tasks.shutdown()
        db.dispose()


def test_requests_that_wait_too_long_give_up_and_the_lead_passes_on(postgres_url, redis_url):
    """A batch stuck on a locked table: those behind it answer NotRecorded and are not stored, the stuck one is.

    Batches of one, so the later deliveries are still waiting, not in the stuck batch, when their time runs out;
    a delivery recorded afterwards is written at once (the lead was not lost with the requests that gave up).
    """
    db = storage.Database(postgres_url)
    tasks = celery_queue(redis_url)
    recorder = Recorder(db, tasks, batch_size=1, wait_seconds=1.0)
    results: dict[str, object] = {}

    def record(guid: str) -> None:
        try:
            results[guid] = recorder.record(_delivery(guid))
        except NotRecorded as exc:
            results[guid] = exc

    blocker = db.engine.connect()
    try:
        blocker.exec_driver_sql("LOCK TABLE deliveries IN EXCLUSIVE MODE")
        first = threading.Thread(target=record, args=("stuck",))
        first.start()
        time.sleep(0.3)  # "stuck" leads, its INSERT waiting for the lock
        behind = [threading.Thread(target=record, args=(guid,)) for guid in ("behind-1", "behind-2")]
        for thread in behind:
            thread.start()
        for thread in behind:
            thread.join(10)
        assert isinstance(results["behind-1"], NotRecorded) and isinstance(results["behind-2"], NotRecorded)
        blocker.rollback()
        first.join(10)
        assert results["stuck"].outcome == "queued"
        record("later")
        assert results["later"].outcome == "queued"
        with db.session() as session:
            assert storage.stored_guids(session, ["stuck", "behind-1", "behind-2", "later"]) == {"stuck", "later"}
    finally:
        blocker.close()
        recorder.close()
        tasks.shutdown()
        db.dispose()


def celery_queue(redis_url: str) -> CeleryQueue:
    celery = Celery("tact-recorder-test")
    celery.conf.update(celery_settings(Config.from_env({"REDIS_URL": redis_url})))
    return CeleryQueue(celery)
