"""Run the Flask app under gunicorn from Python, so `tact serve` is the production server too."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict, host: str):
        self.options, self.host = options, host
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from service.app import close_app, create_app

        app = create_app(bind_host=self.host)
        # A gunicorn worker that exits (restart, SIGTERM) stops its in-process task thread first.
        self.cfg.set("worker_exit", lambda _server, _worker: close_app(app))
        return app


def run(*, host: str, port: int, workers: int) -> None:
    # gthread keeps a single worker responsive while the in-process task thread works;
    # the app is built in each worker (no preload) so that thread starts after the fork.
    _Gunicorn({
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": 4,
        "timeout": 60,
        "graceful_timeout": 20,
        "accesslog": "-",
        "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(M)sms',
    }, host).run()
