"""The application factory: ``create_app`` builds config, storage, the task queue and the blueprints, nothing else."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask

from service import logs
from service.config import Config
from service.queue import celery_init_app
from service.storage import Database


def create_app(test_config: Mapping[str, object] | None = None) -> Flask:
    """Build the app from the environment, or from ``test_config`` (env-style names) in tests.

    With ``test_config`` the real environment is ignored entirely, so a developer's shell
    cannot leak into a test.
    """
    environ = {k: str(v) for k, v in (test_config or {}).items() if isinstance(v, str | int)}
    config = (Config.from_env(environ) if test_config is not None else Config.from_env()).validate()
    logs.configure(config.log_level)

    app = Flask(__name__, instance_relative_config=False, template_folder="web/templates", static_folder="web/static")
    app.config.update(SECRET_KEY=config.secret_key, TACT=config, MAX_CONTENT_LENGTH=config.max_webhook_bytes)
    if test_config is not None:
        app.config.update({k: v for k, v in test_config.items() if k.isupper() and k not in environ})
        app.config["TESTING"] = bool(test_config.get("TESTING", True))
    app.extensions["tact.db"] = Database(config.database_url)
    celery_init_app(app, config)
    _register_blueprints(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from service.web import auth, dashboard, health, trust, webhooks

    for blueprint in (health.bp, webhooks.bp, auth.bp, dashboard.bp, trust.bp):
        app.register_blueprint(blueprint)
