"""The app's webhook: GitHub sending deliveries to Tact, its delivery log, and redelivery on request.

Docs "Automatically redelivering failed deliveries for a GitHub App webhook" and the OpenAPI
operations apps/list-webhook-deliveries and apps/redeliver-webhook-delivery: the log is newest
first, `per_page` at most 100, paginated by an opaque `cursor` in the Link header (no `page`);
`status=success|failure` filters on the status code (200-399 is success); a redelivery is a new
attempt with `redelivery: true` and the same GUID, and the POST answers 202 with an empty object.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import urllib.parse

import requests
from flask import Flask, request

from tests.fakegithub import limits
from tests.fakegithub.server import answer, base, fail, hub, iso, require_jwt
from tests.fakegithub.state import HookAttempt

DELIVERY_TIMEOUT = 10  # Docs "Best practices for using webhooks": answer within 10 seconds


def send_delivery(fake, event: str, payload: dict, guid: str, redelivery: bool = False) -> HookAttempt:
    """POST one signed delivery to the app's webhook URL as GitHub does, and log the attempt."""
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(fake.hook_secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "User-Agent": "GitHub-Hookshot/fake",
               "X-GitHub-Event": event, "X-GitHub-Delivery": guid, "X-Hub-Signature-256": signature,
               "X-GitHub-Hook-ID": "1", "X-GitHub-Hook-Installation-Target-Type": "integration",
               "X-GitHub-Hook-Installation-Target-ID": str(fake.app_id)}
    try:
        response = requests.post(fake.hook_url, data=body, headers=headers, timeout=DELIVERY_TIMEOUT)
        code, status = response.status_code, "OK" if response.ok else f"Invalid HTTP Response: {response.status_code}"
    except requests.Timeout:
        code, status = 0, "timed out"
    except requests.ConnectionError:
        code, status = 0, "failed to connect to host"
    with fake.lock:
        attempt = fake.state.log_hook_attempt(guid, event, payload, code, status, redelivery)
    return attempt


def list_deliveries():
    refused = require_jwt()
    if refused:
        return refused
    try:
        per_page = min(max(int(request.args.get("per_page", 30)), 1), 100)
    except ValueError:
        return fail(limits.error(422, "Validation Failed"))
    wanted = request.args.get("status")
    if wanted not in (None, "success", "failure"):
        return fail(limits.error(422, "Validation Failed"))
    items = sorted(hub().state.hook_attempts, key=lambda a: a.id, reverse=True)  # newest first
    if wanted:
        items = [a for a in items if (200 <= a.status_code < 400) == (wanted == "success")]
    cursor = request.args.get("cursor")
    if cursor:
        items = [a for a in items if a.id < int(cursor)]
    chunk = items[:per_page]
    response = answer(200, [_item(a) for a in chunk])
    if len(items) > per_page:
        query = {k: v for k, v in request.args.items() if k != "cursor"} | {"cursor": str(chunk[-1].id),
                                                                          "per_page": str(per_page)}
        response.headers["Link"] = f'<{base()}{request.path}?{urllib.parse.urlencode(query)}>; rel="next"'
    return response


def redeliver(delivery_id: int):
    refused = require_jwt()
    if refused:
        return refused
    fake = hub()
    attempt = next((a for a in fake.state.hook_attempts if a.id == delivery_id), None)
    if attempt is None:
        return fail(limits.not_found())
    # GitHub accepts at once and delivers in the background.
    threading.Thread(target=send_delivery, args=(fake, attempt.event, attempt.payload, attempt.guid, True),
                     daemon=True).start()
    return answer(202, {})


def _item(a: HookAttempt) -> dict:
    return {"id": a.id, "guid": a.guid, "delivered_at": iso(a.delivered_at), "redelivery": a.redelivery,
            "duration": 0.05, "status": a.status, "status_code": a.status_code, "event": a.event,
            "action": a.payload.get("action"), "installation_id": (a.payload.get("installation") or {}).get("id"),
            "repository_id": (a.payload.get("repository") or {}).get("id"), "throttled_at": None}


def register(app: Flask) -> None:
    app.add_url_rule("/app/hook/deliveries", view_func=list_deliveries)
    app.add_url_rule("/app/hook/deliveries/<int:delivery_id>/attempts", view_func=redeliver, methods=["POST"])
