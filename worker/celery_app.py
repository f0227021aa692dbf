"""Worker entry point (`celery -A worker.celery_app worker`): the Flask app's Celery, tasks, and the analyzer.

The analysis pipeline is loaded once in the main worker process before the pool forks, so the
children share its memory and a bad rule file or a missing spaCy pipeline stops the worker
before it takes a message, not at the first comment.
"""

import logging

from celery.signals import worker_init

from service.app import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]

import worker.tasks  # noqa: E402,F401  (registers the tasks on this Celery app)

log = logging.getLogger(__name__)


@worker_init.connect
def _load_analyzer(**_kwargs) -> None:
    from service.analysis import engine

    model = flask_app.config["TACT"].spacy_model
    try:
        engine.load(model)
    except Exception as exc:  # any failure here means the worker cannot do its job at all
        log.critical("cannot load the analyzer (TACT_SPACY_MODEL=%s): %s", model, exc)
        # Celery logs and swallows Exceptions raised by signal handlers; SystemExit stops the worker.
        raise SystemExit(f"tact worker: cannot load the analyzer: {exc}") from exc
