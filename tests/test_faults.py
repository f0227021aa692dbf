"""Bursts, outages and crashes against real processes: nothing lost, nothing doubled, recovered in seconds.

One stack for the module: `tact serve` (gunicorn), two prefork Celery workers (2 processes each), beat,
a Redis of our own (port 6400, so it may be stopped and started empty), PostgreSQL behind a TCP
proxy (to refuse or black-hole it), and the shared fake GitHub delivering the webhooks. Intervals
are short (Config fields set below) and a fault ends as soon as it has shown its effect, not after
a fixed sleep, so each scenario takes seconds; the processes start at once and serve every
scenario (one worker is killed on the way). Every scenario records its
figures (tests/faults.py); the last test writes docs/reliability.json, which docs/reliability.md
embeds and tests/test_reliability_doc.py checks.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
import uuid
from contextlib import ExitStack
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from service.storage import migrate
from tests import faults, history, payloads
from tests.conftest import FAST_GITHUB, POSTGRES_URL, WEBHOOK_SECRET
from tests.fakegithub.fixture import shared_fake
from tests.faults import comment_deliveries, figures, make_world, record, send, wait_settled
from tests.services import (
    RedisServer,
    TcpProxy,
    beat_process,
    celery_worker_process,
    enter_together,
    wait_for,
    web_server_process,
)

REDIS_PORT = int(os.environ.get("TACT_TEST_FAULT_REDIS_PORT", "6400"))
INTERVALS = {"TACT_DELIVERY_LEASE_SECONDS": "3", "TACT_SWEEP_INTERVAL_SECONDS": "1",
             "TACT_PUBLISH_WINDOW_SECONDS": "0.5", "TACT_GITHUB_WRITE_INTERVAL_SECONDS": "1",
             "TACT_GITHUB_SECONDARY_WAIT_SECONDS": "1.5", "TACT_RETRY_MAX_BACKOFF_SECONDS": "1",
             "TACT_RECOVER_INTERVAL_SECONDS": "1", "TACT_RECOVER_LOOKBACK_SECONDS": "900",
             "TACT_DATABASE_CONNECT_TIMEOUT_SECONDS": "2", **FAST_GITHUB}
CONNECT_TIMEOUT = float(INTERVALS["TACT_DATABASE_CONNECT_TIMEOUT_SECONDS"])
BROKER_LOST = "Connection to broker lost"  # what Celery's consumer logs when Redis goes away
WORKER_PROCESSES = 2
FAULT_SEEN_WITHIN = 30.0  # seconds a fault may take to show its effect before the scenario fails


class Stack:
    """The running processes, with the handles a scenario needs to break them.

    Two workers start with the stack, as a deployment runs more than one; the kill scenario SIGKILLs
    the main process of the one working on its task, and the other carries on alone for the rest of
    the module. Nothing restarts a worker: a scenario fails at once when a live one exits by itself
    (Celery 5.7.0's did, when Redis went away while it held unacknowledged messages).
    """

    def __init__(self, tmp, env, redis, proxy, database_url):
        self.tmp, self.env, self.redis, self.proxy, self.database_url = tmp, env, redis, proxy, database_url
        self.workers = ExitStack()
        self.live: list[dict] = []  # the workers that should be running, each with its "_pid" and "_log"
        self.groups: list[int] = []  # every worker's process group, the killed one's included

    def start_worker(self) -> dict:
        log = self.tmp / f"worker-{time.monotonic_ns()}.log"
        worker = self.workers.enter_context(
            celery_worker_process(self.env, log, concurrency=WORKER_PROCESSES)) | {"_log": log}
        self.live.append(worker)
        self.groups.append(int(worker["_pid"]))
        return worker

    @property
    def worker(self) -> dict:
        """The worker a scenario breaks (after the kill scenario, the one left)."""
        return self.live[-1]

    def kill_worker_main_running(self, task_id: str) -> None:
        """SIGKILL the main process of the worker that received this task; the others go on."""
        victim = next(w for w in self.live if f"[{task_id}] received" in w["_log"].read_text(errors="replace"))
        os.kill(int(victim["_pid"]), signal.SIGKILL)
        self.live.remove(victim)

    def worker_exited(self) -> str | None:
        """The end of a live worker's log when its main process is gone, else None."""
        for worker in self.live:
            if not _alive(int(worker["_pid"])):
                return f"a Celery worker exited by itself:\n{worker['_log'].read_text()[-3000:]}"
        return None

    def worker_log_count(self, text: str) -> int:
        return self.worker["_log"].read_text(errors="replace").count(text)

    def stop(self) -> None:
        for group in self.groups:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)  # no warm shutdown: the data is discarded
        self.workers.close()

    def pool_children(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", self.worker["_pid"]], capture_output=True, text=True).stdout
        return [int(pid) for pid in out.split()]


def _alive(pid: int) -> bool:
    """Running, and not a zombie waiting to be reaped."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    fake = shared_fake()
    fake.reset()
    schema = f"tact_faults_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    host_port = POSTGRES_URL.rsplit("@", 1)[1].split("/", 1)[0]
    proxy = TcpProxy(int(host_port.split(":")[1]) if ":" in host_port else 5432)
    database_url = (POSTGRES_URL.replace(host_port, f"127.0.0.1:{proxy.port}")
                    + f"?options={quote(f'-csearch_path={schema}')}")
    migrate.upgrade(database_url)
    old_rows_out: dict = {}
    direct = f"{POSTGRES_URL}?options={quote(f'-csearch_path={schema}')}"
    old_rows = threading.Thread(target=history.insert_old_rows, args=(direct, old_rows_out), daemon=True)
    old_rows.start()
    redis = RedisServer(REDIS_PORT, tmp).start()
    try:
        for running in _processes(tmp, fake, redis, proxy, database_url):
            running.old_rows, running.old_rows_out, running.direct_url = old_rows, old_rows_out, direct
            yield running
    finally:
        old_rows.join(timeout=300)
        redis.stop()
        proxy.close()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _processes(tmp, fake, redis, proxy, database_url):
    env = {"REDIS_URL": redis.url, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret-key-0123456789",
           "GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET, "GITHUB_APP_ID": str(fake.app_id),
           "GITHUB_PRIVATE_KEY": fake.private_key_pem, "GITHUB_API_URL": fake.url, **INTERVALS}
    running = Stack(tmp, env, redis, proxy, database_url)
    with ExitStack() as processes:
        # They start at once: each spends seconds importing and loading before it is ready.
        url, beat, *_ = enter_together(processes, [
            web_server_process(env, tmp / "web.log", stop_signal=signal.SIGKILL), beat_process(env, tmp / "beat.log"),
            _worker_of(running), _worker_of(running)])
        running.url = url
        running.ledger = faults.Ledger(database_url)
        try:
            yield running
        finally:
            running.ledger.dispose()
            running.stop()
            with contextlib.suppress(ProcessLookupError):  # no warm shutdown: the data is discarded
                os.killpg(beat.pid, signal.SIGKILL)


@contextlib.contextmanager
def _worker_of(running: Stack):
    """One of the stack's workers, started beside the other processes; `Stack.stop` ends them."""
    yield running.start_worker()


@pytest.fixture
def fake(stack, fake_github):
    """The shared fake, reset for the scenario, delivering to this stack's `tact serve`."""
    fake_github.hook_url = f"{stack.url}/webhooks/github"
    fake_github.hook_secret = WEBHOOK_SECRET
    fake_github.min_write_gap = 1.0  # Docs: at least one second between mutating requests
    return fake_github


def _scenario(stack, fake, name, index, pulls, per_pull, fault, *, expect_runs=True, note=""):
    """Send a third, start the fault, send the rest while it lasts, lift it; return the recorded figures.

    `fault(world)` breaks something and returns None (a one-off: nothing to lift) or `lift()`,
    which waits until the fault has shown its effect, ends it and returns when it ended.
    """
    world = make_world(fake, name, index, pulls)
    batch = comment_deliveries(world, per_pull)
    cut = max(1, len(batch) // 3)
    send(fake, world, batch[:cut])
    lift = fault(world)
    rest = threading.Thread(target=send, args=(fake, world, batch[cut:]), name="send-rest")
    rest.start()  # beside the fault: a webhook held by a black-holed database must not hold up the lift
    ended = lift() if lift else None
    rest.join()
    ended = ended or time.monotonic()
    recovered = wait_settled(fake, stack.ledger, world, ended, expect_runs, gone=stack.worker_exited)
    result = record(name, figures(fake, stack.ledger, world, recovered, expect_runs, note))
    assert result["lost"] == 0 and result["duplicated"] == 0, (result, stack.ledger.reasons(
        [g for g, _, _ in world.sent]))
    assert result["recover_seconds"] < faults.TARGET_SECONDS, result
    return result


def test_a_thirty_comment_review_becomes_one_or_two_paced_writes(stack, fake):
    result = _scenario(stack, fake, "review-burst-30", 1, pulls=1, per_pull=30, fault=_no_fault)
    assert result["check_run_writes"] <= 3, result


def test_a_burst_over_ten_pull_requests_is_paced_per_installation(stack, fake):
    result = _scenario(stack, fake, "burst-10-prs", 2, pulls=10, per_pull=2, fault=_no_fault)
    assert result["check_run_writes"] <= 3 * 10, result
    assert result["closest_writes_seconds"] >= 1.0, result


def _no_fault(world) -> None:
    return None


def _mid_task(fake, world, seconds: float, times: int = 1) -> None:
    """Hold the next GitHub read of a pull request, and return once a task is waiting on it."""
    fake.delay_next("GET", rf"/repos/{world.repo}/pulls/\d+$", seconds=seconds, times=times)
    wait_for(lambda: fake.waiting, timeout=FAULT_SEEN_WITHIN)


def test_the_worker_main_process_killed_mid_task(stack, fake):
    assert len(stack.live) == 2, "the kill scenario needs a second worker to carry on"

    def fault(world):
        _mid_task(fake, world, seconds=2, times=2)
        running = wait_for(lambda: stack.ledger.claimants(world), timeout=FAULT_SEEN_WITHIN)
        stack.kill_worker_main_running(running[0])
        return None  # the other worker is there at once: recovery counts from the kill

    _scenario(stack, fake, "worker-main-killed", 3, pulls=1, per_pull=3, fault=fault)


def test_a_pool_child_killed_mid_task(stack, fake):
    def fault(world):
        _mid_task(fake, world, seconds=2)
        for child in stack.pool_children():
            os.kill(child, signal.SIGKILL)
        return None

    _scenario(stack, fake, "pool-child-killed", 4, pulls=1, per_pull=3, fault=fault)


def test_redis_stopped_during_a_burst_and_started_empty(stack, fake):
    """Stopped while a task holds its message unacknowledged and the consumer waits in BRPOP for the next:
    Celery 5.7.0's worker died of that (kombu's AttributeError on 'hostname'); it must live through it."""
    def fault(world):
        _mid_task(fake, world, seconds=1.5)
        wait_for(lambda: stack.redis.blocked_clients() > 0, timeout=FAULT_SEEN_WITHIN, interval=0.02)
        lost = stack.worker_log_count(BROKER_LOST)
        stack.redis.stop()

        def lift():
            wait_for(lambda: stack.worker_log_count(BROKER_LOST) > lost, timeout=FAULT_SEEN_WITHIN, interval=0.05)
            stack.redis.start()
            return time.monotonic()
        return lift

    _scenario(stack, fake, "redis-restarted-empty", 5, pulls=2, per_pull=2, fault=fault)


@pytest.mark.parametrize("mode", ["refuse", "blackhole"])
def test_the_database_unreachable_during_a_burst(stack, fake, mode):
    def fault(world):
        stack.proxy.set(mode)

        def lift():
            if mode == "refuse":  # until GitHub has recorded a webhook answered 503
                wait_for(lambda: _answered(fake, world, 503), timeout=FAULT_SEEN_WITHIN, interval=0.05)
            else:  # until traffic was held longer than a new connection waits (it timed out)
                wait_for(lambda: stack.proxy.held_for() > CONNECT_TIMEOUT + 0.5, timeout=FAULT_SEEN_WITHIN,
                         interval=0.05)
            stack.proxy.set("pass")
            return time.monotonic()
        return lift

    _scenario(stack, fake, f"database-{'refused' if mode == 'refuse' else 'black-holed'}", 6 + (mode != "refuse"),
              pulls=1, per_pull=3, fault=fault,
              note="webhooks answered 503 meanwhile; beat's recover asked GitHub to redeliver them" if mode == "refuse"
              else "webhooks and tasks waited on the held connections and went on when the traffic passed")


def _answered(fake, world, status: int) -> bool:
    guids = {g for g, _, _ in world.sent}
    return any(a.guid in guids and a.status_code == status for a in list(fake.state.hook_attempts))


@pytest.mark.parametrize("name, status, headers", [
    ("github-502", 502, {}),
    ("github-403-secondary-retry-after", 403, {"retry-after": "1"}),
    ("github-403-secondary-no-retry-after", 403, {}),
    ("github-429", 429, {"retry-after": "1"}),
])
def test_github_failing_for_a_while(stack, fake, name, status, headers):
    index = 10 + ["github-502", "github-403-secondary-retry-after", "github-403-secondary-no-retry-after",
                  "github-429"].index(name)

    def fault(world):
        fake.fail_next("POST", r"/check-runs$", status=status, headers=headers, times=10_000)

        def lift():  # once a write failed, and failed again when Tact tried it again
            failed = lambda: [r for r in fake.requests_to("POST", r"/check-runs$") if r.status == status]  # noqa: E731
            wait_for(lambda: len(failed()) >= 2, timeout=FAULT_SEEN_WITHIN, interval=0.05)
            fake.clear_failures()
            return time.monotonic()
        return lift

    _scenario(stack, fake, name, index, pulls=1, per_pull=3, fault=fault)


def test_an_installation_token_expiring_mid_task(stack, fake):
    def fault(world):
        _mid_task(fake, world, seconds=0.5)
        fake.state.expire_installation_tokens()
        return None

    _scenario(stack, fake, "token-expired-mid-task", 20, pulls=1, per_pull=3, fault=fault)


def test_a_repository_removed_while_its_deliveries_are_queued(stack, fake):
    def fault(world):
        repo = fake.state.repos.pop(world.repo)  # the app no longer sees it: GitHub answers 404
        removed = payloads.installation_repositories("removed", removed=[(world.repo, repo.id)],
                                                     installation_id=world.installation_id)
        fake.deliver("installation_repositories", removed, f"{world.name}-removed")
        return None

    result = _scenario(stack, fake, "repository-removed", 21, pulls=1, per_pull=3, fault=fault, expect_runs=False,
                       note="deliveries end skipped with a reason; no check run, no failure")
    assert result["failed"] == []


def test_a_million_old_deliveries_keep_the_sweep_and_listing_fast(stack, fake):
    stack.old_rows.join(timeout=300)
    assert "seconds" in stack.old_rows_out, "the million rows were not inserted"
    result = _scenario(stack, fake, "one-million-old-deliveries", 22, pulls=1, per_pull=3, fault=_no_fault)
    plans = history.plans(stack.direct_url)
    assert history.sequential_scans(plans) == {}, plans
    result.update(insert_seconds=round(stack.old_rows_out["seconds"], 1), queries_checked=sorted(plans))


def test_zz_the_figures_are_written_for_the_docs(stack):
    """Last in the module: docs/reliability.json holds what this run measured."""
    assert len(faults.RESULTS) == len(faults.SCENARIOS), sorted(faults.RESULTS)
    faults.write_figures({name: faults.RESULTS[name] for name in faults.SCENARIOS})
