"""Run the Flask app under gunicorn from Python, so `tact serve` is the production server too."""

from __future__ import annotations

import functools
import gc
import socket
from collections.abc import Callable

from gunicorn import sock as gunicorn_sock
from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict, load: Callable[[], object]):
        self.options = options
        self._load = load
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        app = self._load()
        if hasattr(app, "extensions") and "tact.queue" in app.extensions:
            from service.app import close_app

            # A gunicorn worker that exits (restart, SIGTERM) stops its in-process task thread first.
            self.cfg.set("worker_exit", lambda _server, _worker: close_app(app))
        # What the app holds lives as long as the worker: leave it out of the garbage collector's full
        # passes, which walked all of it (about 120,000 objects, some 90 ms with every thread stopped).
        gc.freeze()
        return app


# Requests a worker serves at once. A webhook request spends most of its time waiting for its shared
# commit (service/web/recorder.py), not running, so more of them wait together in fewer, larger
# batches: with 12 rather than 8, bench/ingest.py's receiver spent about a fifth less CPU per
# delivery on a 2-core machine, and the bare endpoint served with these settings did not change.
# A keep-alive client's connections stay with the worker that accepted them, and 16 of them were
# often split 10:6 or worse; the threads cover the larger share. storage.POOL_SIZE follows this.
THREADS = 12


def options(*, host: str, port: int, workers: int) -> dict:
    """The one set of gunicorn settings; bench/ingest.py serves its bare baseline with these too.

    gthread keeps a single worker responsive while the in-process task thread works; the app is
    built in each worker (no preload) so that thread starts after the fork. ``THREADS`` says why
    a worker has that many threads.
    """
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": THREADS,
        "timeout": 60,
        "graceful_timeout": 20,
        "accesslog": "-",
        "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(M)sms',
        # Each worker listens on a socket of its own (own_listeners); SO_REUSEPORT lets them share the port.
        "reuse_port": True,
        "post_fork": own_listeners,
    }


def own_listeners(_arbiter, worker) -> None:
    """Give a new worker its own listening socket on the master's address, and retire the shared one.

    With one listening socket shared by every worker, whichever worker wakes first accepts, and a
    keep-alive client's connections stay with the worker that accepted them: 16 connections opened
    together were split 10:6 and once 16:0 between two workers, and the worker holding more was
    bound by its GIL while the other idled. With a socket per worker, all bound with SO_REUSEPORT,
    the kernel spreads new connections over the workers by a hash of each connection's addresses
    (as nginx's ``reuseport`` does). The master's socket would take a share too that no worker
    accepts, so the first worker takes it out of the group (``shutdown`` on a listening socket
    stops it listening; the port stays bound) once its own socket listens: from then on, a
    connection is queued only on a worker's socket. The cost: a worker that exits (a restart, a
    timeout) resets the connections queued on its socket that it had not accepted yet, which a
    shared socket left to its siblings; with Linux 5.14's ``net.ipv4.tcp_migrate_req`` set, the
    kernel hands them to a sibling instead. Unix sockets stay shared.
    """
    own = []
    for shared in worker.sockets:
        if not isinstance(shared, gunicorn_sock.TCPSocket):  # TCP6Socket is one too
            own.append(shared)
            continue
        # gunicorn's own socket class, so it has the shared one's options (TCP_NODELAY above all: without
        # it each answer waited for the client's delayed ACK) and the master's address, its port even
        # when port 0 was asked for.
        own.append(type(shared)(shared.getsockname(), worker.cfg, worker.log))
        try:
            shared.shutdown(socket.SHUT_RDWR)
        except OSError:  # an earlier worker retired it already (ENOTCONN)
            pass
    worker.sockets = own


def _tact_app(host: str):
    from service.app import create_app

    return create_app(bind_host=host)


def run(*, host: str, port: int, workers: int, load: Callable[[], object] | None = None) -> None:
    _Gunicorn(options(host=host, port=port, workers=workers), load or functools.partial(_tact_app, host)).run()
