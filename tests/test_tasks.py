"""The tasks on a real worker over real Redis: a pool process killed mid-task loses nothing."""

import os
import signal
import subprocess

from service import storage
from service.app import close_app, create_app
from tests import payloads
from tests.conftest import WEBHOOK_SECRET, opt_in
from tests.services import celery_worker_process, wait_for


def _pool_children(main_pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(main_pid)], capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


def _delivery(app, delivery_id):
    with app.extensions["tact.db"].session() as session:
        return session.get(storage.Delivery, delivery_id)


def test_a_worker_process_killed_mid_task_is_replaced_and_the_delivery_completes(
        github_app_config, github_world, redis_url, tmp_path):
    """Measured: prefork + acks_late + reject_on_worker_lost re-runs the task; the row must let it."""
    opt_in(github_world)
    config = github_app_config | {"REDIS_URL": redis_url, "TACT_DELIVERY_LEASE_SECONDS": "3",
                                  "TACT_PUBLISH_WINDOW_SECONDS": "0.2"}
    app = create_app(config)
    env = {k: v for k, v in config.items() if k.isupper() and k != "TESTING"}
    # The first publish hangs inside its GitHub call (below PyGithub's 15 s timeout, so no client retry).
    github_world.delay_next("GET", r"/pulls/7$", seconds=10)
    with celery_worker_process(env, tmp_path / "worker.log", concurrency=1) as worker:
        response = payloads.deliver(app.test_client(), payloads.review_comment("You broke the build again."),
                                    WEBHOOK_SECRET)
        delivery_id = response.json["delivery"]
        wait_for(lambda: github_world.waiting, timeout=60)  # the publisher is inside its GitHub call now
        assert _delivery(app, delivery_id).state == storage.DONE  # findings stored; the check run is pending
        [child] = _pool_children(int(worker["_pid"]))
        os.kill(child, signal.SIGKILL)
        wait_for(lambda: [r for r in github_world.check_runs if r.status == "completed"], timeout=90)
    assert len(github_world.check_runs) == 1 and github_world.check_runs[0].annotations
    close_app(app)
