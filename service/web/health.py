"""Blueprint GET /healthz: is the database reachable, is the broker reachable (503 when either is not)."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from service.queue import BrokerUnavailable

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz():
    checks = {"database": _database_state(), "broker": _broker_state()}
    healthy = all(state in ("ok", "in-process") for state in checks.values())
    return jsonify(status="ok" if healthy else "unavailable", **checks), 200 if healthy else 503


def _database_state() -> str:
    try:
        current_app.extensions["tact.db"].ping()
    except SQLAlchemyError as exc:
        log.warning("healthz: database unreachable: %s", type(exc).__name__)
        return "unreachable"
    return "ok"


def _broker_state() -> str:
    queue = current_app.extensions["tact.queue"]
    if queue.describe == "in-process":
        return "in-process"
    try:
        queue.ping()
    except BrokerUnavailable as exc:
        log.warning("healthz: broker unreachable: %s", type(exc).__name__)
        return "unreachable"
    return "ok"
