"""Start and stop real processes for tests: a Celery worker, the web server."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis as redis_lib

# The worker must find the project's packages and nothing of the developer's shell.
_KEEP = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in _KEEP}
    env.update(extra)
    return env


@contextmanager
def celery_worker_process(extra_env: dict[str, str], log_path: Path, *, concurrency: int = 1,
                          pool: str = "prefork") -> Iterator[dict[str, str]]:
    env = clean_env(extra_env)
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "worker.celery_app", "worker", "--loglevel", "INFO",
         "--pool", pool, "--concurrency", str(concurrency), "--without-gossip", "--without-mingle",
         "--without-heartbeat", "-n", f"test-{os.getpid()}-{time.monotonic_ns()}@%h"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        _wait_ready(proc, log_path, timeout=90)
        yield env | {"_pid": str(proc.pid)}
    finally:
        stop_process(proc)
        log.close()


def _wait_ready(proc: subprocess.Popen, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"celery worker exited early:\n{log_path.read_text()[-4000:]}")
        if b"ready." in log_path.read_bytes():
            return
        time.sleep(0.2)
    raise RuntimeError(f"celery worker not ready after {timeout}s:\n{log_path.read_text()[-4000:]}")


def stop_process(proc: subprocess.Popen) -> None:
    """SIGTERM the process group we started (gunicorn's and Celery's children too); SIGKILL if it lingers."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.1):
    """Poll until predicate() is truthy; return its value or raise with what was last seen."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {value!r})")


def redis_client(url: str) -> redis_lib.Redis:
    return redis_lib.Redis.from_url(url)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def web_server_process(extra_env: dict[str, str], log_path: Path) -> Iterator[str]:
    """`tact serve` (gunicorn) on a free loopback port; yields its base URL once /healthz answers."""
    import requests

    port = free_port()
    tact = Path(sys.executable).with_name("tact")
    log = log_path.open("wb")
    proc = subprocess.Popen([str(tact), "serve", "--host", "127.0.0.1", "--port", str(port)],
                            env=clean_env(extra_env), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        def healthy():
            if proc.poll() is not None:
                raise RuntimeError(f"tact serve exited early:\n{log_path.read_text()[-4000:]}")
            try:
                return requests.get(f"{url}/healthz", timeout=2).status_code == 200
            except (requests.ConnectionError, requests.Timeout):  # a first answer slower than 2 s on a busy machine
                return False

        wait_for(healthy, timeout=60, interval=0.2)
        yield url
    finally:
        stop_process(proc)
        log.close()


def queued_tasks(redis_url: str) -> list[tuple[str, list]]:
    """(task name, args) of every message waiting in Celery's default queue, read from Redis itself."""
    client = redis_lib.Redis.from_url(redis_url)
    try:
        messages = [json.loads(raw) for raw in client.lrange("celery", 0, -1)]
    finally:
        client.close()
    return [(m["headers"]["task"], json.loads(base64.b64decode(m["body"]))[0]) for m in messages]
