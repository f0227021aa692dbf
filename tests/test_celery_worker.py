"""A real Celery worker over real Redis runs what the web process sends by name."""

import redis as redis_lib
from celery import Celery

from service import storage
from service.config import Config
from service.queue import CeleryQueue, celery_settings, close_celery, messages
from tests.services import wait_for


def test_a_task_sent_by_name_completes_on_a_real_worker(celery_worker):
    client = Celery("tact-test")
    client.conf.update(celery_settings(Config.from_env({"REDIS_URL": celery_worker["REDIS_URL"]})))
    result = client.send_task("tact.ping", args=["abc"])
    assert result.get(timeout=30) == "pong:abc"

    # The receiver's batches (CeleryQueue.send_many) push their own envelope: the same worker runs them.
    db = storage.Database(celery_worker["DATABASE_URL"])
    try:
        with db.autocommit() as conn:
            ids = [delivery_id for delivery_id, _ in storage.insert_deliveries(conn, [
                storage.NewDelivery(guid=f"batched-{n}", event="ping", action=None, installation_id=None,
                                    repository_id=None, payload_json='{"zen": "Keep it logically awesome."}')
                for n in range(2)])]
        CeleryQueue(client).send_many("tact.process_delivery", [[i] for i in ids])

        def states():
            with db.session() as session:
                return {session.get(storage.Delivery, i).state for i in ids}

        wait_for(lambda: states() == {storage.DONE}, timeout=30)
    finally:
        db.dispose()


def test_a_message_filled_in_from_a_template_is_run_and_acked_by_a_real_worker(celery_worker):
    """send_many writes its messages from a template, not through Celery: a worker must take them as its own.

    Pushed here as send_many pushes them, so the test does not depend on which path send_many takes.
    """
    client = Celery("tact-test")
    client.conf.update(celery_settings(Config.from_env({"REDIS_URL": celery_worker["REDIS_URL"]})))
    db = storage.Database(celery_worker["DATABASE_URL"])
    broker = redis_lib.Redis.from_url(celery_worker["REDIS_URL"])
    try:
        with db.autocommit() as conn:
            ids = [delivery_id for delivery_id, _ in storage.insert_deliveries(conn, [
                storage.NewDelivery(guid=f"templated-{n}", event="ping", action=None, installation_id=None,
                                    repository_id=None, payload_json='{"zen": "Half measures are as bad as nothing."}')
                for n in range(3)])]
        template = messages.MessageTemplate(client, "tact.process_delivery", "celery")
        tags = messages.uuid4s(6)
        broker.lpush("celery", *(template.render([i], tags[2 * n], tags[2 * n + 1]) for n, i in enumerate(ids)))

        def states():
            with db.session() as session:
                return {session.get(storage.Delivery, i).state for i in ids}

        wait_for(lambda: states() == {storage.DONE}, timeout=30)
        # Acked (acks_late: after the task ran), not merely taken: nothing is left for kombu to restore.
        wait_for(lambda: broker.llen("celery") == 0 and broker.hlen("unacked") == 0, timeout=10)
    finally:
        broker.close()
        close_celery(client)
        db.dispose()


def test_the_queue_is_configured_for_at_least_once_delivery():
    settings = celery_settings(Config.from_env({"REDIS_URL": "redis://127.0.0.1:6379/0"}))
    assert settings["task_acks_late"] and settings["task_reject_on_worker_lost"]
    assert settings["worker_prefetch_multiplier"] == 1
    assert settings["accept_content"] == ["json"] and settings["task_serializer"] == "json"
    assert settings["task_time_limit"] > settings["task_soft_time_limit"] > 0


def test_a_worker_that_cannot_load_its_pipeline_stops_at_start(redis_url, sqlite_url, tmp_path):
    """A worker without its spaCy pipeline must not sit on the queue acking nothing useful."""
    import subprocess
    import sys

    from tests.services import clean_env

    env = clean_env({"REDIS_URL": redis_url, "DATABASE_URL": sqlite_url, "TACT_SPACY_MODEL": "no_such_pipeline"})
    proc = subprocess.run([sys.executable, "-m", "celery", "-A", "worker.celery_app", "worker", "--pool", "solo"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "cannot load the analyzer" in proc.stdout + proc.stderr
