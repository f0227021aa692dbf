"""The real thing: signed webhook -> gunicorn -> PostgreSQL -> Redis -> Celery worker -> fake GitHub's check run."""

import pytest
import requests

from tests import payloads
from tests.conftest import FAST_GITHUB, WEBHOOK_SECRET, opt_in
from tests.services import celery_worker_process, wait_for, web_server_process


@pytest.fixture
def running_tact(github_world, postgres_url, redis_url, tmp_path):
    env = {"DATABASE_URL": postgres_url, "REDIS_URL": redis_url, "GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET,
           "SECRET_KEY": "e2e-secret-key-0123456789", "GITHUB_APP_ID": str(github_world.app_id),
           "GITHUB_PRIVATE_KEY": github_world.private_key_pem, "GITHUB_API_URL": github_world.url, **FAST_GITHUB}
    with web_server_process(env, tmp_path / "web.log") as url, \
            celery_worker_process(env, tmp_path / "worker.log", concurrency=1):
        yield url


def _post(url, payload, guid=None):
    body, headers = payloads.signed(payload, WEBHOOK_SECRET, guid=guid)
    return requests.post(f"{url}/webhooks/github", data=body, headers=headers, timeout=10)


def test_a_signed_webhook_becomes_a_check_run_annotation(running_tact, github_world):
    opt_in(github_world)
    response = _post(running_tact, payloads.review_comment("Why didn't you just use a dict?", path="lib/x.py",
                                                           line=41))
    assert response.status_code == 202
    run = wait_for(lambda: github_world.check_runs and github_world.check_runs[-1], timeout=60)
    [note] = run.annotations
    assert (note.path, note.start_line) == ("lib/x.py", 41)
    assert "gentler wording" in note.message.lower()


def test_a_redelivery_is_not_processed_twice(running_tact, github_world):
    opt_in(github_world)
    payload = payloads.review_comment("You broke the build again.")
    assert _post(running_tact, payload, guid="same-guid").status_code == 202
    wait_for(lambda: github_world.check_runs, timeout=60)
    assert _post(running_tact, payload, guid="same-guid").status_code == 200
    assert len(github_world.check_runs) == 1


def test_a_github_outage_is_retried_without_duplicate_runs(running_tact, github_world):
    opt_in(github_world)
    github_world.fail_next("POST", r"/check-runs$", status=502, times=6)
    assert _post(running_tact, payloads.review_comment("You broke the build again.")).status_code == 202
    wait_for(lambda: github_world.check_runs, timeout=90)
    assert len(github_world.check_runs) == 1


def test_a_repository_gets_check_runs_only_after_it_opts_in(running_tact, github_world):
    """Installing the app must change nothing until the repository says `enabled: true`."""
    import time

    assert _post(running_tact, payloads.review_comment("You broke the build again.")).status_code == 202
    time.sleep(3)  # give the worker time to (wrongly) publish
    assert github_world.check_runs == []
    opt_in(github_world)
    assert _post(running_tact, payloads.push(files=[".github/tact.yml"])).status_code == 202
    assert _post(running_tact, payloads.review_comment("Did you even run the tests?")).status_code == 202
    run = wait_for(lambda: github_world.check_runs and github_world.check_runs[-1], timeout=60)
    assert len(run.annotations) == 1
