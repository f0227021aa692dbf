"""Bursts, outages and crashes against real processes: nothing lost, nothing doubled, recovered in seconds.

One stack for the module: `tact serve` (gunicorn), a prefork Celery worker (2 processes), beat,
a Redis of our own (port 6400, so it may be stopped and started empty), PostgreSQL behind a TCP
proxy (to refuse or black-hole it), and the shared fake GitHub delivering the webhooks. Intervals
are short (Config fields set below), so each scenario takes seconds. Every scenario records its
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
from datetime import timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from service import storage
from service.storage import Database, migrate
from tests import faults, payloads
from tests.conftest import POSTGRES_URL, WEBHOOK_SECRET
from tests.fakegithub.fixture import shared_fake
from tests.faults import comment_deliveries, figures, make_world, record, send, wait_settled
from tests.services import (
    RedisServer,
    TcpProxy,
    beat_process,
    celery_worker_process,
    wait_for,
    web_server_process,
)

REDIS_PORT = int(os.environ.get("TACT_TEST_FAULT_REDIS_PORT", "6400"))
INTERVALS = {"TACT_DELIVERY_LEASE_SECONDS": "3", "TACT_SWEEP_INTERVAL_SECONDS": "1",
             "TACT_PUBLISH_WINDOW_SECONDS": "0.5", "TACT_GITHUB_WRITE_INTERVAL_SECONDS": "1",
             "TACT_GITHUB_SECONDARY_WAIT_SECONDS": "3", "TACT_RETRY_MAX_BACKOFF_SECONDS": "2",
             "TACT_RECOVER_INTERVAL_SECONDS": "2", "TACT_RECOVER_LOOKBACK_SECONDS": "900"}


class Stack:
    """The running processes, with the handles a scenario needs to break them.

    The worker runs supervised, as a Procfile platform or systemd would run it: when it exits, it
    is started again. That is needed beyond the deliberate kill: Celery's Redis transport can stop
    the worker when Redis goes away (kombu raises "'NoneType' object has no attribute 'hostname'"
    while restoring unacked messages on the lost connection), and a deployment restarts it.
    """

    def __init__(self, tmp, env, redis, proxy, database_url):
        self.tmp, self.env, self.redis, self.proxy, self.database_url = tmp, env, redis, proxy, database_url
        self.worker_stack = ExitStack()
        self.worker: dict | None = None
        self.restarts = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._watchdog = threading.Thread(target=self._supervise, daemon=True, name="worker-supervisor")

    def start_worker(self) -> None:
        self.worker = self.worker_stack.enter_context(
            celery_worker_process(self.env, self.tmp / f"worker-{time.monotonic_ns()}.log", concurrency=2))
        if not self._watchdog.is_alive():
            self._watchdog.start()

    def kill_worker_main(self) -> None:
        os.kill(int(self.worker["_pid"]), signal.SIGKILL)

    def wait_for_new_worker(self, restarts_before: int) -> float:
        wait_for(lambda: self.restarts > restarts_before, timeout=120, interval=0.2)
        return time.monotonic()

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(int(self.worker["_pid"]), signal.SIGKILL)  # no warm shutdown: the data is discarded
            self.worker_stack.close()

    def _supervise(self) -> None:
        while not self._stopping.wait(0.5):
            with self._lock:
                if self._stopping.is_set() or _alive(int(self.worker["_pid"])):
                    continue
                self.worker_stack.close()  # reap it and whatever is left of its process group
                self.worker_stack = ExitStack()
                self.start_worker()
                self.restarts += 1

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
    old_rows = threading.Thread(target=insert_old_rows, args=(direct, old_rows_out), daemon=True)
    old_rows.start()
    redis = RedisServer(REDIS_PORT, tmp).start()
    try:
        for running in _processes(tmp, fake, redis, proxy, database_url):
            running.old_rows, running.old_rows_out = old_rows, old_rows_out
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
    with ExitStack() as processes:
        url = processes.enter_context(web_server_process(env, tmp / "web.log"))
        running = Stack(tmp, env, redis, proxy, database_url)
        running.url = url
        running.start_worker()
        beat = processes.enter_context(beat_process(env, tmp / "beat.log"))
        running.ledger = faults.Ledger(database_url)
        try:
            yield running
        finally:
            running.ledger.dispose()
            running.stop()
            with contextlib.suppress(ProcessLookupError):  # no warm shutdown: the data is discarded
                os.killpg(beat.pid, signal.SIGKILL)


@pytest.fixture
def fake(stack, fake_github):
    """The shared fake, reset for the scenario, delivering to this stack's `tact serve`."""
    fake_github.hook_url = f"{stack.url}/webhooks/github"
    fake_github.hook_secret = WEBHOOK_SECRET
    fake_github.min_write_gap = 1.0  # Docs: at least one second between mutating requests
    return fake_github


def _scenario(stack, fake, name, index, pulls, per_pull, fault, *, expect_runs=True, note=""):
    """Send a third, start the fault, send the rest, lift it; return the recorded figures."""
    world = make_world(fake, name, index, pulls)
    batch = comment_deliveries(world, per_pull)
    cut = max(1, len(batch) // 3)
    send(fake, world, batch[:cut])
    lift = fault(world)
    send(fake, world, batch[cut:])
    ended = lift() if lift else time.monotonic()
    recovered = wait_settled(fake, stack.ledger, world, ended, expect_runs)
    result = record(name, figures(fake, stack.ledger, world, recovered, expect_runs, note))
    assert result["lost"] == 0 and result["duplicated"] == 0, (result, stack.ledger.reasons(
        [g for g, _, _ in world.sent]))
    assert result["recover_seconds"] < faults.TARGET_SECONDS, result
    return result


def test_a_thirty_comment_review_becomes_one_or_two_paced_writes(stack, fake):
    result = _scenario(stack, fake, "review-burst-30", 1, pulls=1, per_pull=30, fault=lambda w: None)
    assert result["check_run_writes"] <= 3, result


def test_a_burst_over_ten_pull_requests_is_paced_per_installation(stack, fake):
    result = _scenario(stack, fake, "burst-10-prs", 2, pulls=10, per_pull=3, fault=lambda w: None)
    assert result["check_run_writes"] <= 3 * 10, result
    assert result["closest_writes_seconds"] >= 1.0, result


def test_the_worker_main_process_killed_mid_task(stack, fake):
    def fault(world):
        fake.delay_next("GET", rf"/repos/{world.repo}/pulls/\d+$", seconds=4, times=2)
        wait_for(lambda: fake.waiting, timeout=20)
        before = stack.restarts
        stack.kill_worker_main()
        return lambda: stack.wait_for_new_worker(before)  # the outage ends when the new worker is ready

    _scenario(stack, fake, "worker-main-killed", 3, pulls=2, per_pull=2, fault=fault)


def test_a_pool_child_killed_mid_task(stack, fake):
    def fault(world):
        fake.delay_next("GET", rf"/repos/{world.repo}/pulls/\d+$", seconds=4, times=1)
        wait_for(lambda: fake.waiting, timeout=20)
        for child in stack.pool_children():
            os.kill(child, signal.SIGKILL)
        return None

    _scenario(stack, fake, "pool-child-killed", 4, pulls=2, per_pull=2, fault=fault)


def test_redis_stopped_during_a_burst_and_started_empty(stack, fake):
    def fault(world):
        stack.redis.stop()

        def lift():
            time.sleep(3)
            stack.redis.start()
            return time.monotonic()
        return lift

    _scenario(stack, fake, "redis-restarted-empty", 5, pulls=3, per_pull=2, fault=fault)


@pytest.mark.parametrize("mode", ["refuse", "blackhole"])
def test_the_database_unreachable_during_a_burst(stack, fake, mode):
    def fault(world):
        stack.proxy.set(mode)

        def lift():
            time.sleep(3)
            stack.proxy.set("pass")
            return time.monotonic()
        return lift

    _scenario(stack, fake, f"database-{'refused' if mode == 'refuse' else 'black-holed'}", 6 + (mode != "refuse"),
              pulls=2, per_pull=2, fault=fault,
              note="webhooks answered 503 meanwhile; beat's recover asked GitHub to redeliver them")


@pytest.mark.parametrize("name, status, headers, message", [
    ("github-502", 502, {}, None),
    ("github-403-secondary-retry-after", 403, {"retry-after": "2"}, None),
    ("github-403-secondary-no-retry-after", 403, {}, None),
    ("github-429", 429, {"retry-after": "1"}, None),
])
def test_github_failing_for_a_while(stack, fake, name, status, headers, message):
    index = 10 + ["github-502", "github-403-secondary-retry-after", "github-403-secondary-no-retry-after",
                  "github-429"].index(name)

    def fault(world):
        fake.fail_next("POST", r"/check-runs$", status=status, headers=headers, times=10_000, message=message)

        def lift():
            time.sleep(3)
            fake.clear_failures()
            return time.monotonic()
        return lift

    _scenario(stack, fake, name, index, pulls=2, per_pull=2, fault=fault)


def test_an_installation_token_expiring_mid_task(stack, fake):
    def fault(world):
        fake.delay_next("GET", rf"/repos/{world.repo}/pulls/\d+$", seconds=1.5, times=1)
        wait_for(lambda: fake.waiting, timeout=20)
        fake.state.expire_installation_tokens()
        return None

    _scenario(stack, fake, "token-expired-mid-task", 20, pulls=2, per_pull=2, fault=fault)


def test_a_repository_removed_while_its_deliveries_are_queued(stack, fake):
    def fault(world):
        repo = fake.state.repos.pop(world.repo)  # the app no longer sees it: GitHub answers 404
        removed = payloads.installation_repositories("removed", removed=[(world.repo, repo.id)],
                                                     installation_id=world.installation_id)
        fake.deliver("installation_repositories", removed, f"{world.name}-removed")
        return None

    result = _scenario(stack, fake, "repository-removed", 21, pulls=2, per_pull=2, fault=fault, expect_runs=False,
                       note="deliveries end skipped with a reason; no check run, no failure")
    assert result["failed"] == []


OLD_ROWS = ("INSERT INTO deliveries (guid, event, action, payload, state, attempts, received_at, updated_at) "
            "SELECT 'old-' || lpad(n::text, 7, '0'), 'pull_request_review_comment', 'created', '{}', 'done', 1, "
            "now() - interval '30 days', now() - interval '30 days' FROM generate_series(1, 1000000) AS n")


def insert_old_rows(database_url: str, out: dict) -> None:
    """One statement: a million finished deliveries, a month old. Run in the background from the start
    (straight to PostgreSQL, not through the proxy), so its half-minute overlaps the other scenarios."""
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    started = time.monotonic()
    try:
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL synchronous_commit = off"))
            conn.execute(text(OLD_ROWS))
            conn.execute(text("ANALYZE deliveries"))
        out["seconds"] = time.monotonic() - started
    finally:
        engine.dispose()


def test_a_million_old_deliveries_keep_the_sweep_and_listing_fast(stack, fake):
    stack.old_rows.join(timeout=300)
    assert "seconds" in stack.old_rows_out, "the million rows were not inserted"
    result = _scenario(stack, fake, "one-million-old-deliveries", 22, pulls=2, per_pull=2, fault=lambda w: None)
    db = Database(stack.database_url)
    with db.session() as session:
        started = time.monotonic()
        storage.reset_stuck_deliveries(session, older_than=timedelta(seconds=3))
        sweep = time.monotonic() - started
        started = time.monotonic()
        storage.recent_deliveries(session, limit=20, state="failed")
        listing = time.monotonic() - started
    db.dispose()
    result.update(insert_seconds=round(stack.old_rows_out["seconds"], 1), sweep_ms=round(sweep * 1000, 1),
                  failed_listing_ms=round(listing * 1000, 1))


def test_zz_the_figures_are_written_for_the_docs(stack):
    """Last in the module: docs/reliability.json holds what this run measured."""
    assert len(faults.RESULTS) == len(faults.SCENARIOS), sorted(faults.RESULTS)
    faults.write_figures({name: faults.RESULTS[name] for name in faults.SCENARIOS})
