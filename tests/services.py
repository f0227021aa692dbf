"""Start and stop real processes for tests: a Celery worker, the web server."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
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


def stop_process(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """SIGTERM the process group we started (gunicorn's and Celery's children too); SIGKILL if it lingers."""
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
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
def web_server_process(extra_env: dict[str, str], log_path: Path, port: int | None = None,
                       stop_signal: int = signal.SIGTERM) -> Iterator[str]:
    """`tact serve` (gunicorn) on a free loopback port; yields its base URL once /healthz answers.

    `stop_signal=signal.SIGKILL` skips gunicorn's graceful shutdown where nothing it holds matters.
    """
    import requests

    port = port or free_port()
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
            except (requests.ConnectionError, requests.Timeout):  # refused, or accepted while workers boot
                return False

        wait_for(healthy, timeout=60, interval=0.2)
        yield url
    finally:
        stop_process(proc, stop_signal)
        log.close()


def status_of(url: str) -> int | None:
    """The HTTP status of GET url, or None while nothing answers (a server starting or restarting)."""
    import requests

    try:
        return requests.get(url, timeout=5).status_code
    except requests.ConnectionError:
        return None


def queued_tasks(redis_url: str) -> list[tuple[str, list]]:
    """(task name, args) of every message waiting in Celery's default queue, read from Redis itself."""
    client = redis_lib.Redis.from_url(redis_url)
    try:
        messages = [json.loads(raw) for raw in client.lrange("celery", 0, -1)]
    finally:
        client.close()
    return [(m["headers"]["task"], json.loads(base64.b64decode(m["body"]))[0]) for m in messages]


@contextmanager
def beat_process(extra_env: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen]:
    """`celery beat` with its schedule file under the log's folder; yields once it has started."""
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "worker.celery_app", "beat", "--loglevel", "INFO",
         "-s", str(log_path.with_suffix(".schedule"))],
        env=clean_env(extra_env), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: b"beat: Starting" in log_path.read_bytes() or proc.poll() is not None, timeout=60)
        if proc.poll() is not None:
            raise RuntimeError(f"celery beat exited early:\n{log_path.read_text()[-4000:]}")
        yield proc
    finally:
        stop_process(proc)
        log.close()


class RedisServer:
    """A redis-server of the test's own on a given port, which a fault test may stop and start empty."""

    def __init__(self, port: int, folder: Path) -> None:
        self.port, self.folder = port, folder
        self.url = f"redis://127.0.0.1:{port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--save", "", "--appendonly", "no", "--dir", str(self.folder)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_for(lambda: self.proc.poll() is not None or self._answers(), timeout=20, interval=0.05)
        if self.proc.poll() is not None:
            raise RuntimeError(f"redis-server could not start on port {self.port} (is another one there?)")
        return self

    def stop(self) -> None:
        """Gone at once, data and all (SIGKILL, no save): the harshest restart."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def blocked_clients(self) -> int:
        """Clients waiting in a blocking command (a Celery consumer's BRPOP for its next message)."""
        client = redis_lib.Redis(port=self.port, socket_connect_timeout=0.5)
        try:
            return int(client.info("clients")["blocked_clients"])
        finally:
            client.close()

    def _answers(self) -> bool:
        try:
            client = redis_lib.Redis(port=self.port, socket_connect_timeout=0.5)
            try:
                return bool(client.ping())
            finally:
                client.close()
        except redis_lib.RedisError:
            return False


class TcpProxy:
    """A loopback TCP proxy in front of a server, to make it unreachable on demand.

    mode "pass" forwards; "refuse" drops every connection and refuses new ones (a server that is
    down); "blackhole" accepts and then forwards nothing either way (a network that drops packets):
    clients see a hang, bounded only by their own timeouts.
    """

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        import socket
        import threading

        self.target = (target_host, target_port)
        self.mode = "pass"
        self._pairs: list = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._closed = False
        self._held_since: float | None = None  # when bytes were first held back in this black hole
        threading.Thread(target=self._accept, daemon=True, name="tcp-proxy").start()

    def held_for(self) -> float:
        """Seconds since the black hole first held back a client's bytes (0 while nothing was sent)."""
        import time as _time

        return _time.monotonic() - self._held_since if self._held_since is not None else 0.0

    def set(self, mode: str) -> None:
        self.mode = mode
        self._held_since = None
        if mode == "refuse":
            with self._lock:
                pairs, self._pairs = self._pairs, []
            for a, b in pairs:
                _close(a), _close(b)

    def close(self) -> None:
        self._closed = True
        self.set("refuse")
        _close(self._listener)

    def _accept(self) -> None:
        import socket
        import threading

        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.mode == "refuse":
                _close(client)
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
                server.settimeout(None)  # a long statement is silent for a while: never time the pipe out
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._pairs.append((client, server))
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    def _pipe(self, src, dst) -> None:
        import time as _time

        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                while self.mode == "blackhole":  # hold the bytes: nothing crosses until the network is back
                    self._held_since = self._held_since or _time.monotonic()
                    _time.sleep(0.05)
                if self.mode == "refuse":
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            _close(src), _close(dst)


def _close(sock) -> None:
    """shutdown() first: close() alone neither wakes a thread blocked in recv nor sends the FIN."""
    import socket

    for step in (lambda: sock.shutdown(socket.SHUT_RDWR), sock.close):
        try:
            step()
        except OSError:
            pass


def enter_together(stack: ExitStack, managers: list) -> list:
    """Enter context managers at once, each in its own thread (processes that take seconds to be ready).

    Each one entered is left on `stack` to exit, even when another fails; the first failure is raised.
    """
    import threading

    results: list = [None] * len(managers)
    errors: list[BaseException] = []
    lock = threading.Lock()

    def enter(index: int, manager) -> None:
        try:
            value = manager.__enter__()
        except BaseException as exc:  # noqa: BLE001  (re-raised in the caller's thread below)
            errors.append(exc)
            return
        with lock:
            results[index] = value
            stack.push(manager.__exit__)

    threads = [threading.Thread(target=enter, args=(i, m), daemon=True) for i, m in enumerate(managers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


# TCP states as /proc/net/tcp writes them.
LISTEN, ESTABLISHED = "0A", "01"


def socket_owners(port: int, state: str) -> Counter:
    """How many of the TCP sockets on local ``port`` in ``state`` each process holds (from /proc)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
            inodes.add(f"socket:[{fields[9]}]")
    owners: Counter = Counter()
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            links = {os.readlink(fd) for fd in fd_dir.iterdir()}
        except OSError:  # another user's process, or one that ended while we looked
            continue
        if held := len(links & inodes):
            owners[int(fd_dir.parent.name)] = held
    return owners
