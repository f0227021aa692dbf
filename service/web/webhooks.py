"""Blueprint POST /webhooks/github: verify the signature, record the delivery, enqueue it, answer.

Every outcome has a name, a status code and a log line (delivery GUID, event, action, outcome;
never the body, which holds people's comments):

- ``too-large``  413: the body is over ``TACT_MAX_WEBHOOK_BYTES`` (GitHub itself caps payloads at 25 MB).
- ``unsigned``   401: no secret configured, no ``X-Hub-Signature-256``, or a wrong one. Nothing is stored.
- ``malformed``  400: not a JSON object, or no ``X-GitHub-Event`` / ``X-GitHub-Delivery`` header; a
                 body that ends early or breaks its chunked encoding; or a value no database can
                 keep: a number beyond a double's range (``1e400``), a NUL character, a lone UTF-16
                 surrogate, nesting deeper than ``MAX_DEPTH``. GitHub sends none of these, and a
                 400 names the problem on the app's "Recent deliveries" page instead of a 500.
- ``ignored``    204: an event Tact does not handle (GitHub keeps adding events; a 2XX keeps them
                 from showing as failed deliveries on the app's settings page).
- ``pong``       200: a ``ping``, recorded as done (there is nothing to process).
- ``duplicate``  200: a GUID seen before; GitHub's redeliveries keep the GUID, so nothing is sent again.
- ``queued``     202: recorded, committed, then sent as ``tact.process_delivery``. Deliveries that
                 arrive together share one commit and one send (``service.web.recorder``); each
                 is still answered only after its own row is committed.
- ``kept``       202: recorded and committed, but the broker is down; the row stays ``received`` and
                 ``tact.sweep_stuck_deliveries`` sends it later. GitHub does not redeliver by itself,
                 so answering 5XX here would only hide a delivery we already hold.
- ``db-down``    503: the database is unreachable, or the commit took longer than
                 ``TACT_WEBHOOK_WAIT_SECONDS``; GitHub marks the delivery failed and the user can
                 press "Redeliver" once it is back (a row committed late is a duplicate then).

Docs: "Validating webhook deliveries", "Best practices for using webhooks" (answer within 10 s).
"""

from __future__ import annotations

import codecs
import hashlib
import hmac
import json
import logging
import math
import re
from dataclasses import dataclass

from flask import Blueprint, Response, current_app, jsonify, request

from service import storage
from service.web.recorder import DatabaseUnavailable, NotRecorded, Recorded

bp = Blueprint("webhooks", __name__)
log = logging.getLogger(__name__)

# The one list of events the receiver accepts; tests check it against worker.routes and app.yml.
# push: a change to .github/tact.yml on the default branch refreshes the repository's settings.
ACCEPTED_EVENTS = frozenset(
    {
        "ping",
        "installation",
        "installation_repositories",
        "pull_request",
        "pull_request_review",
        "pull_request_review_comment",
        "issue_comment",
        "check_run",
        "check_suite",
        "push",
    }
)
SIGNATURE_HEADER = "X-Hub-Signature-256"
# Matches storage.Delivery.guid; GitHub's GUIDs are 36 characters.
MAX_GUID_LENGTH = 64
# GitHub's GUIDs are UUIDs; anything visible and ASCII is accepted, so tests and tools may name their own.
VISIBLE_ASCII = re.compile(rf"[\x21-\x7e]{{1,{MAX_GUID_LENGTH}}}")
# GitHub's actions are lower-case words ("created", "requested_action"), at most 64 characters like
# storage.Delivery.action; anything else is no action Tact knows, and is neither stored there nor logged.
ACTION_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
# GitHub's payloads nest about ten levels deep; far deeper JSON is someone else's, and past about a
# thousand levels Python's JSON encoder runs out of stack while the row is being written.
MAX_DEPTH = 64
# The JSON escapes that can spell a NUL or a lone surrogate (\u0000, \uD800-\uDFFF, in either case);
# one regex pass (a few microseconds for 10 KB, a tenth of three substring searches).
UNSTORABLE_ESCAPE = re.compile(rb"\\u(?:0000|[dD])")


class Rejected(Exception):
    """A delivery refused before anything is stored; carries the answer to give."""

    def __init__(self, status: int, outcome: str, message: str):
        super().__init__(message)
        self.status, self.outcome, self.message = status, outcome, message


@dataclass(frozen=True)
class Incoming:
    """The few things the receiver reads from a verified delivery."""

    guid: str
    event: str
    action: str | None
    installation_id: int | None
    repository_id: int | None
    payload: dict
    payload_json: str  # as stored: the body itself when it is plain UTF-8


@bp.post("/webhooks/github")
def receive() -> Response | tuple[Response, int]:
    guid = request.headers.get("X-GitHub-Delivery", "")[:MAX_GUID_LENGTH]
    event = request.headers.get("X-GitHub-Event", "")[:MAX_GUID_LENGTH]
    try:
        body = read_body(current_app.config["TACT"].max_webhook_bytes)
        verify_signature(
            current_app.config["TACT"].github_webhook_secret, body, request.headers.get(SIGNATURE_HEADER)
        )
        incoming = parse_delivery(body, request.headers)
    except Rejected as exc:
        log.warning("delivery %s event=%s: %s (%s)", guid or "-", event or "-", exc.outcome, exc.message)
        return jsonify(error=exc.message), exc.status
    if incoming.event not in ACCEPTED_EVENTS:
        _log(incoming, "ignored")
        return Response(status=204)
    try:
        recorded = _record(incoming)
    except (*DatabaseUnavailable, NotRecorded) as exc:
        log.error("delivery %s event=%s: db-down (%s)", guid, event, type(exc).__name__)
        return jsonify(error="the database is unavailable; redeliver from GitHub once it is back"), 503
    return _answer(incoming, recorded)


def read_body(limit: int) -> bytes:
    """The raw body, refusing more than ``limit`` bytes.

    A declared Content-Length over the limit is refused before reading. A chunked request has
    no Content-Length; servers that end such streams themselves (gunicorn sets
    ``wsgi.input_terminated``) let us read the raw input, and reading stops one byte past the
    limit, which tells "exactly at the limit" from "over it". Werkzeug's own capped stream
    cannot, and silently truncates at the cap (the signature check would then say 401).
    """
    declared = request.content_length
    if declared is not None and declared > limit:
        raise Rejected(413, "too-large", f"body over {limit} bytes")
    terminated = request.environ.get("wsgi.input_terminated")
    try:
        body = _read_at_most(request.environ["wsgi.input"] if terminated else request.stream, limit + 1)
    except OSError as exc:  # gunicorn's InvalidChunkSize, ChunkMissingTerminator, NoMoreData
        raise Rejected(400, "malformed", "the body ended early or its chunked encoding is broken") from exc
    if len(body) > limit:
        raise Rejected(413, "too-large", f"body over {limit} bytes")
    return body


def _read_at_most(stream, size: int) -> bytes:
    """Read until end of input or ``size`` bytes; WSGI streams may return fewer bytes than asked."""
    chunks, total = [], 0
    while total < size:
        chunk = stream.read(min(size - total, 64 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def signature_for(secret: str, body: bytes) -> str:
    """GitHub's ``X-Hub-Signature-256`` value: ``sha256=`` + HMAC-SHA256(secret, raw body) in hex."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str | None, body: bytes, header: str | None) -> None:
    """Raise ``Rejected(401)`` unless ``header`` signs ``body`` with ``secret``.

    Without a secret nothing can be verified, and an unverified delivery could be anyone's,
    so the receiver refuses everything rather than accept unsigned deliveries.
    """
    if not secret:
        raise Rejected(
            401,
            "unsigned",
            "GITHUB_WEBHOOK_SECRET is not configured on this server, so no delivery can be verified",
        )
    if not header:
        raise Rejected(401, "unsigned", f"missing {SIGNATURE_HEADER} header")
    # compare_digest takes the same time wherever the strings differ (no timing oracle).
    if not hmac.compare_digest(
        signature_for(secret, body).encode(), header.strip().encode("utf-8", "replace")
    ):
        raise Rejected(401, "unsigned", f"{SIGNATURE_HEADER} does not match the body")


def parse_delivery(body: bytes, headers) -> Incoming:
    """Read the headers and the handful of payload fields the receiver needs, tolerating the rest.

    Real payloads drift from GitHub's schemas (integer timestamps, missing keys), so nothing
    else is validated here: the worker reads what its handler needs.
    """
    guid = headers.get("X-GitHub-Delivery", "").strip()
    event = headers.get("X-GitHub-Event", "").strip()
    if not VISIBLE_ASCII.fullmatch(guid):
        raise Rejected(400, "malformed", "X-GitHub-Delivery must be 1 to 64 visible ASCII characters")
    if not event:
        raise Rejected(400, "malformed", "missing X-GitHub-Event header")
    try:
        # NaN, Infinity and numbers beyond a double (1e400) are not storable JSON: PostgreSQL refuses them.
        payload = json.loads(body, parse_constant=_reject_constant, parse_float=_finite_float)
    except Unstorable as exc:
        raise Rejected(400, "malformed", str(exc)) from exc
    except (ValueError, RecursionError) as exc:
        raise Rejected(400, "malformed", "body is not valid UTF-8 JSON") from exc
    if not isinstance(payload, dict):
        raise Rejected(400, "malformed", "body is not a JSON object")
    text = utf8_text(body)
    if text is None or not plainly_storable(body):
        check_storable(payload)
    action = payload.get("action")
    return Incoming(
        guid=guid,
        event=event,
        action=action if isinstance(action, str) and ACTION_NAME.fullmatch(action) else None,
        installation_id=_id_of(payload.get("installation")),
        repository_id=_id_of(payload.get("repository")),
        payload=payload,
        payload_json=text if text is not None else json.dumps(payload),
    )


class Unstorable(ValueError):
    """A value that parses but that no database column can keep; its message is the answer."""


def _reject_constant(name: str):
    raise Unstorable(f"body holds {name}, which is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (math.inf, -math.inf):
        raise Unstorable("body holds a number beyond the range of a double (it parses to infinity)")
    return value


def utf8_text(body: bytes) -> str | None:
    """The body as the JSON text json.loads read, when it is plain UTF-8: stored as GitHub sent it.

    Not for a body with a byte-order mark or a NUL byte (json.loads also reads UTF-16 and UTF-32,
    which have NUL bytes), nor for bytes that are not strict UTF-8: those are stored re-serialised.
    """
    if b"\x00" in body or body.startswith(codecs.BOM_UTF8):
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def plainly_storable(body: bytes) -> bool:
    """Whether a UTF-8 body is storable at sight, sparing ``check_storable``'s walk over every string.

    In UTF-8 JSON a NUL character or a lone surrogate can only be spelled as an escape
    (``\\u0000``, ``\\uD800``; raw control characters are invalid JSON, and strict UTF-8 refuses
    surrogate bytes), and nesting cannot go deeper than the number of opening brackets. GitHub's
    payloads escape neither and nest about ten deep in a few dozen brackets, so this is
    the common case; a body it cannot vouch for gets the full check.
    """
    return UNSTORABLE_ESCAPE.search(body) is None and body.count(b"{") + body.count(b"[") <= MAX_DEPTH


def check_storable(payload: dict) -> None:
    """Refuse what parses but cannot be stored: NUL characters, lone surrogates, runaway nesting.

    PostgreSQL text cannot hold NUL, and a lone surrogate (``"\\ud800"``, or raw surrogate bytes,
    which Python's JSON decoder lets through) cannot be encoded as UTF-8 for the driver. One
    iterative pass over keys and values, so deep nesting cannot exhaust the stack here.
    """
    pending: list[tuple[object, int]] = [(payload, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise Rejected(400, "malformed", f"body nests deeper than {MAX_DEPTH} levels")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str):
                    _check_text(key)
                pending.append((item, depth + 1))


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise Rejected(400, "malformed", "body holds a NUL character (\\u0000), which cannot be stored")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise Rejected(400, "malformed", "body holds a lone UTF-16 surrogate, which is not text") from exc


def _id_of(obj: object) -> int | None:
    value = obj.get("id") if isinstance(obj, dict) else None
    # bool is an int in Python; a 64-bit column cannot hold more than 2**63 - 1.
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63:
        return value
    return None


def _record(incoming: Incoming) -> Recorded:
    """Insert the delivery, committed before anything is sent (Celery's "Database transactions" rule).

    The recorder of this process (``service.web.recorder``) commits it with the deliveries of
    concurrent requests and sends their tasks together. A ping has nothing to process, so it is
    stored ``done`` at once; left ``received``, the sweeper would send it to a worker.
    """
    return current_app.extensions["tact.recorder"].record(storage.NewDelivery(
        guid=incoming.guid,
        event=incoming.event,
        action=incoming.action,
        installation_id=incoming.installation_id,
        repository_id=incoming.repository_id,
        payload_json=incoming.payload_json,
        state=storage.DONE if incoming.event == "ping" else storage.RECEIVED,
    ))


def _answer(incoming: Incoming, recorded: Recorded) -> tuple[Response, int]:
    outcome, delivery_id = recorded.outcome, recorded.delivery_id
    if outcome == "kept":
        log.warning(
            "delivery %s event=%s action=%s id=%s: kept, broker unavailable (%s); the sweeper will send it",
            incoming.guid,
            incoming.event,
            incoming.action or "-",
            delivery_id,
            recorded.broker_error,
        )
    else:
        _log(incoming, outcome, delivery_id)
    # What jsonify writes (sorted keys, compact), without its encoder and provider: an int and one of our words.
    body = f'{{"delivery":{int(delivery_id)},"outcome":"{outcome}"}}\n'
    return Response(body, mimetype="application/json"), 202 if outcome in ("queued", "kept") else 200


def _log(incoming: Incoming, outcome: str, delivery_id: int | None = None) -> None:
    log.info(
        "delivery %s event=%s action=%s id=%s: %s",
        incoming.guid,
        incoming.event,
        incoming.action or "-",
        delivery_id if delivery_id is not None else "-",
        outcome,
    )
