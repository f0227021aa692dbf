"""A real Celery worker over real Redis runs what the web process sends by name."""

from celery import Celery

from service.config import Config
from service.queue import celery_settings


def test_a_task_sent_by_name_completes_on_a_real_worker(celery_worker):
    client = Celery("tact-test")
    client.conf.update(celery_settings(Config.from_env({"REDIS_URL": celery_worker["REDIS_URL"]})))
    result = client.send_task("tact.ping", args=["abc"])
    assert result.get(timeout=30) == "pong:abc"


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
