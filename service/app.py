"""The application factory: ``create_app`` builds config, storage, the task queue and the blueprints, nothing else."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from service import logs
from service.config import Config
from service.queue import celery_init_app
from service.storage import Database
from service.web import headers, limits, recorder


def create_app(test_config: Mapping[str, object] | None = None, *, bind_host: str | None = None) -> Flask:
    """Build the app from the environment, or from ``test_config`` (env-style names) in tests.

    With ``test_config`` the real environment is ignored entirely, so a developer's shell
    cannot leak into a test. ``bind_host`` is the address `tact serve` listens on (local mode
    depends on it).
    """
    environ = {k: str(v) for k, v in (test_config or {}).items() if isinstance(v, str | int)}
    config = Config.from_env(environ) if test_config is not None else Config.from_env()
    if bind_host is not None:
        config = config.with_overrides({"bind_host": bind_host})
    config = config.validate()
    logs.configure(config.log_level)

    app = Flask(__name__, instance_relative_config=False, template_folder="web/templates", static_folder="web/static")
    app.config.update(SECRET_KEY=config.secret_key, TACT=config, MAX_CONTENT_LENGTH=config.max_webhook_bytes)
    if test_config is not None:
        app.config.update({k: v for k, v in test_config.items() if k.isupper() and k not in environ})
        app.config["TESTING"] = bool(test_config.get("TESTING", True))
    if config.trusted_proxies:
        # The client's address (rate limits, logs) and scheme come from the proxies we were told to trust.
        n = config.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)
    app.extensions["tact.db"] = Database(config.database_url, config.database_connect_timeout_seconds)
    celery_init_app(app, config)
    recorder.init_app(app)
    _register_blueprints(app)
    headers.init_app(app)
    limits.init_app(app)
    return app


def close_app(app: Flask) -> None:
    """Stop the delivery writer and the in-process task thread, close database connections.

    An app's resources end with it.
    """
    recorder.close(app)
    app.extensions["tact.queue"].shutdown()
    app.extensions["tact.db"].dispose()
    limits.close(app)


def _register_blueprints(app: Flask) -> None:
    from service.web import auth, dashboard, exports, health, overview, registration, trust, tryit, webhooks

    for blueprint in (health.bp, webhooks.bp, auth.bp, dashboard.bp, overview.bp, exports.bp, tryit.bp,
                      registration.bp, trust.bp):
        app.register_blueprint(blueprint)
