"""`tact serve`'s gunicorn: each worker accepts on a listening socket of its own, so connections spread over them."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from service.storage import migrate
from tests.conftest import WEBHOOK_SECRET
from tests.services import ESTABLISHED, LISTEN, socket_owners, wait_for, web_server_process

pytestmark = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads sockets from Linux's /proc")


def test_each_worker_accepts_on_its_own_socket_and_new_connections_reach_every_worker(redis_url, tmp_path):
    """With one shared socket, 16 keep-alive connections opened together were split 10:6, once 16:0.

    By hash a connection lands on either worker with even odds, so 40 connections all on one
    worker would happen once in about 5 * 10**11 runs.
    """
    url = f"sqlite:///{tmp_path / 'tact.sqlite3'}"
    migrate.upgrade(url)
    env = {"DATABASE_URL": url, "REDIS_URL": redis_url, "GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET,
           "SECRET_KEY": "test-secret-key-0123456789"}
    with web_server_process(env, tmp_path / "serve.log") as base:
        port = int(base.rsplit(":", 1)[1])
        # Ready means one worker answered; the other may still be booting (on a loaded machine, seconds later).
        wait_for(lambda: len(socket_owners(port, LISTEN)) >= 2, timeout=30)
        listeners = socket_owners(port, LISTEN)
        assert sorted(listeners.values()) == [1, 1], f"one listening socket per worker: {listeners}"
        clients = []
        try:
            for _ in range(40):
                client = socket.create_connection(("127.0.0.1", port), timeout=10)
                client.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                assert client.recv(65536).startswith(b"HTTP/1.1 200")  # accepted and answered, kept alive
                clients.append(client)
            served = socket_owners(port, ESTABLISHED)
        finally:
            for client in clients:
                client.close()
    assert set(served) == set(listeners), f"connections per process: {served}, listeners: {listeners}"
    assert sum(served.values()) == 40
