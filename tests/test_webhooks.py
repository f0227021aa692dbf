"""POST /webhooks/github: every outcome of the receiver, over HTTP into Flask, with real storage and Redis."""

from __future__ import annotations

import io
import json
import logging
import time

import pytest
from celery.signals import before_task_publish
from sqlalchemy import create_engine, func, select

from service import storage
from service.app import close_app, create_app
from service.web.webhooks import ACCEPTED_EVENTS
from tests import payloads
from tests.conftest import WEBHOOK_SECRET
from tests.services import queued_tasks

URL = "/webhooks/github"
# GitHub's own example in "Validating webhook deliveries" (docs.github.com).
DOCS_SECRET = "It's a Secret to Everybody"
DOCS_BODY = b"Hello, World!"
DOCS_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


@pytest.fixture
def make_app(app_config):
    """Apps built with extra config; their connection pools are closed after the test."""
    apps = []

    def make(**extra):
        app = create_app(app_config | extra)
        apps.append(app)
        return app

    yield make
    for app in apps:
        close_app(app)


@pytest.fixture
def queued_app(make_app, database_url, redis_url):
    """The production shape: real Redis as broker, SQLite or PostgreSQL as storage."""
    return make_app(DATABASE_URL=database_url, REDIS_URL=redis_url)


@pytest.fixture
def redis_app(make_app, redis_url):
    """Real Redis, SQLite only: for outcomes that do not depend on the database engine."""
    return make_app(REDIS_URL=redis_url)


def deliveries(app) -> list[storage.Delivery]:
    with app.extensions["tact.db"].session() as session:
        return list(session.scalars(select(storage.Delivery).order_by(storage.Delivery.id)))




def test_review_comment_is_recorded_then_sent_to_the_worker_by_name(queued_app, redis_url):
    payload = payloads.review_comment(
        "Why would anyone write it like this?", installation_id=31, repo_id=4242
    )
    response = payloads.deliver(queued_app.test_client(), payload, WEBHOOK_SECRET)

    assert response.status_code == 202 and response.json["outcome"] == "queued"
    [row] = deliveries(queued_app)
    assert response.json["delivery"] == row.id
    assert (row.event, row.action, row.installation_id, row.repository_id, row.state) == (
        "pull_request_review_comment",
        "created",
        31,
        4242,
        storage.RECEIVED,
    )
    assert row.payload["comment"]["body"] == "Why would anyone write it like this?"
    assert queued_tasks(redis_url) == [("tact.process_delivery", [row.id])]


def test_delivery_is_committed_before_the_task_is_sent(queued_app, database_url):
    """A worker that picks the message up at once must find the row (Celery: "Database transactions")."""
    outside = create_engine(storage.normalize_url(database_url))
    seen = []

    def look(sender=None, body=None, **_kwargs):
        with outside.connect() as conn:
            seen.append(conn.scalar(select(func.count()).select_from(storage.Delivery.__table__)))

    before_task_publish.connect(look, weak=False)
    try:
        response = payloads.deliver(queued_app.test_client(), payloads.pull_request("opened"), WEBHOOK_SECRET)
    finally:
        before_task_publish.disconnect(look)
        outside.dispose()
    assert response.status_code == 202 and seen == [1]


def test_unsigned_delivery_is_rejected_and_not_stored(client, app):
    body = json.dumps(payloads.review_comment("Fine.")).encode()
    response = client.post(URL, data=body, headers=payloads.webhook_headers("pull_request_review_comment"))
    assert response.status_code == 401 and "X-Hub-Signature-256" in response.json["error"]
    assert deliveries(app) == []


@pytest.mark.parametrize("how", ["other-secret", "other-body", "no-prefix", "garbage"])
def test_wrongly_signed_delivery_is_rejected_and_not_stored(client, app, how):
    body = json.dumps(payloads.review_comment("Fine.")).encode()
    signature = {
        "other-secret": payloads.signature(body, "not-the-secret"),
        "other-body": payloads.signature(body + b" ", WEBHOOK_SECRET),
        "no-prefix": payloads.signature(body, WEBHOOK_SECRET).removeprefix("sha256="),
        "garbage": "sha256=é✓",
    }[how]
    headers = payloads.webhook_headers("pull_request_review_comment", signature=signature)
    response = client.post(URL, data=body, headers=headers)
    assert response.status_code == 401
    assert deliveries(app) == []


def test_without_a_configured_secret_every_delivery_is_rejected(make_app):
    app = make_app(GITHUB_WEBHOOK_SECRET="")
    response = payloads.deliver(app.test_client(), payloads.ping(), "")
    assert response.status_code == 401 and "GITHUB_WEBHOOK_SECRET is not configured" in response.json["error"]
    assert deliveries(app) == []


def test_signature_matches_githubs_documented_example(make_app):
    """GitHub's test vector is accepted (then refused as not JSON), and one changed digit is not."""
    client = make_app(GITHUB_WEBHOOK_SECRET=DOCS_SECRET).test_client()
    good = client.post(
        URL, data=DOCS_BODY, headers=payloads.webhook_headers("ping", signature=DOCS_SIGNATURE)
    )
    bad = client.post(
        URL, data=DOCS_BODY, headers=payloads.webhook_headers("ping", signature=DOCS_SIGNATURE[:-1] + "f")
    )
    assert (good.status_code, bad.status_code) == (400, 401)


def test_body_over_the_size_cap_is_rejected_with_413_and_not_stored(make_app):
    app = make_app(TACT_MAX_WEBHOOK_BYTES="2048")
    small = payloads.deliver(app.test_client(), payloads.ping(), WEBHOOK_SECRET)
    big = payloads.deliver(
        app.test_client(), payloads.ping() | {"zen": "x" * 2048}, WEBHOOK_SECRET, event="ping"
    )
    assert big.status_code == 413
    assert small.status_code == 200 and len(deliveries(app)) == 1


def test_body_over_the_cap_is_rejected_when_content_length_does_not_say_so(make_app):
    """A chunked request has no Content-Length; gunicorn marks such input as terminated and lets us count."""
    app = make_app(TACT_MAX_WEBHOOK_BYTES="2048")
    body, headers = payloads.signed(payloads.ping() | {"zen": "x" * 2048}, WEBHOOK_SECRET, event="ping")
    headers["Transfer-Encoding"] = "chunked"
    response = app.test_client().post(
        URL, input_stream=io.BytesIO(body), headers=headers, environ_overrides={"wsgi.input_terminated": True}
    )
    assert response.status_code == 413
    assert deliveries(app) == []


def test_chunked_body_exactly_at_the_cap_is_accepted(make_app):
    app = make_app(TACT_MAX_WEBHOOK_BYTES="2048")
    payload = payloads.ping()
    payload["zen"] += " " * (2048 - len(json.dumps(payload).encode()))
    body, headers = payloads.signed(payload, WEBHOOK_SECRET, event="ping")
    assert len(body) == 2048
    headers["Transfer-Encoding"] = "chunked"
    response = app.test_client().post(
        URL, input_stream=io.BytesIO(body), headers=headers, environ_overrides={"wsgi.input_terminated": True}
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'"text"', b'{"action": NaN}', b'{"a": "\xff"}'],
    ids=["syntax", "array", "string", "nan", "bad-utf8"],
)
def test_body_that_is_not_a_json_object_is_rejected_with_400_and_not_stored(client, app, body):
    response = payloads.deliver(client, body, WEBHOOK_SECRET, event="pull_request_review_comment")
    assert response.status_code == 400
    assert deliveries(app) == []


@pytest.mark.parametrize("header", ["X-GitHub-Event", "X-GitHub-Delivery"])
def test_delivery_without_event_or_guid_header_is_rejected_with_400(client, app, header):
    body, headers = payloads.signed(payloads.review_comment("Fine."), WEBHOOK_SECRET)
    del headers[header]
    assert client.post(URL, data=body, headers=headers).status_code == 400
    assert deliveries(app) == []


@pytest.mark.parametrize("event", ["star", "workflow_run", "github_app_authorization"])
def test_event_tact_does_not_handle_is_acknowledged_with_204_and_not_stored(client, app, event):
    response = payloads.deliver(client, {"action": "created"}, WEBHOOK_SECRET, event=event)
    assert response.status_code == 204 and response.data == b""
    assert deliveries(app) == []


def test_ping_is_recorded_as_done_and_answered_200_without_a_task(queued_app, redis_url):
    response = payloads.deliver(queued_app.test_client(), payloads.ping(), WEBHOOK_SECRET)
    assert response.status_code == 200 and response.json["outcome"] == "pong"
    [row] = deliveries(queued_app)
    assert (row.event, row.action, row.state) == ("ping", None, storage.DONE)
    assert queued_tasks(redis_url) == []


def test_redelivery_with_the_same_guid_is_answered_200_and_not_sent_again(queued_app, redis_url):
    """GitHub's "Redeliver" keeps the X-GitHub-Delivery GUID; the first copy is already being handled."""
    client = queued_app.test_client()
    payload = payloads.issue_comment("Please rename this.")
    first = payloads.deliver(client, payload, WEBHOOK_SECRET, guid="a1b2c3d4-0000-4000-8000-000000000001")
    again = payloads.deliver(client, payload, WEBHOOK_SECRET, guid="a1b2c3d4-0000-4000-8000-000000000001")
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json == {"delivery": first.json["delivery"], "outcome": "duplicate"}
    assert len(deliveries(queued_app)) == 1
    assert queued_tasks(redis_url) == [("tact.process_delivery", [first.json["delivery"]])]


@pytest.mark.parametrize(
    "payload",
    [
        {"action": "created"},
        {"action": ["odd"], "installation": {"id": "12"}, "repository": [], "extra": {"nested": [1, None]}},
        {"action": "created", "installation": {"id": True}, "repository": {"id": 2**70}},
    ],
    ids=["bare", "odd-types", "out-of-range-ids"],
)
def test_payload_with_missing_or_odd_fields_is_still_recorded(redis_app, payload):
    """Real payloads drift from GitHub's schemas; the receiver reads only what it needs."""
    response = payloads.deliver(redis_app.test_client(), payload, WEBHOOK_SECRET, event="pull_request_review")
    assert response.status_code == 202
    [row] = deliveries(redis_app)
    assert (row.installation_id, row.repository_id) == (None, None)
    assert row.action == (payload["action"] if isinstance(payload["action"], str) else None)


def test_installation_event_records_its_installation_and_no_repository(queued_app):
    payload = payloads.installation("created", installation_id=5150, repositories=["octo/a", "octo/b"])
    response = payloads.deliver(queued_app.test_client(), payload, WEBHOOK_SECRET)
    assert response.status_code == 202
    [row] = deliveries(queued_app)
    assert (row.event, row.action, row.installation_id, row.repository_id) == (
        "installation",
        "created",
        5150,
        None,
    )


def test_broker_down_keeps_the_delivery_received_and_still_answers_202(make_app, caplog):
    """Redis is down: the row is the source of truth and the sweeper sends it later; GitHub gets its 2XX."""
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    started = time.monotonic()
    response = payloads.deliver(app.test_client(), payloads.review_comment("Fine."), WEBHOOK_SECRET)
    elapsed = time.monotonic() - started
    assert response.status_code == 202 and response.json["outcome"] == "kept"
    assert elapsed < 3, f"GitHub waits 10 s at most; took {elapsed:.1f}s"
    [row] = deliveries(app)
    assert row.state == storage.RECEIVED
    assert any(
        r.levelno == logging.WARNING and "broker unavailable" in r.getMessage() for r in caplog.records
    )


def test_database_down_answers_503_and_sends_nothing(make_app, redis_url):
    app = make_app(DATABASE_URL="postgresql://postgres@127.0.0.1:1/test", REDIS_URL=redis_url)
    response = payloads.deliver(app.test_client(), payloads.review_comment("Fine."), WEBHOOK_SECRET)
    assert response.status_code == 503 and "redeliver" in response.json["error"]
    assert queued_tasks(redis_url) == []


def test_comment_text_never_appears_in_logs(redis_app, caplog):
    """Comments can be sensitive, and logs travel further than the database."""
    caplog.set_level(logging.DEBUG)
    client = redis_app.test_client()
    secret_words = "PRIVATE-WORDS-4711"
    payload = payloads.review_comment(f"You clearly did not test {secret_words}.")
    guid = "b0b0b0b0-0000-4000-8000-000000000002"
    payloads.deliver(client, payload, WEBHOOK_SECRET, guid=guid)  # queued
    payloads.deliver(client, payload, WEBHOOK_SECRET, guid=guid)  # duplicate
    payloads.deliver(client, payload, "wrong-secret")  # unsigned
    payloads.deliver(client, f"{{{secret_words}".encode(), WEBHOOK_SECRET, event="issue_comment")  # malformed
    assert guid in caplog.text and "queued" in caplog.text and "duplicate" in caplog.text
    assert "unsigned" in caplog.text and "malformed" in caplog.text
    assert secret_words not in caplog.text


@pytest.mark.parametrize(
    "build",
    [
        payloads.review_comment,
        payloads.review,
        payloads.issue_comment,
        payloads.pull_request,
        payloads.check_run,
        payloads.check_suite,
        payloads.installation,
        payloads.installation_repositories,
        payloads.push,
    ],
    ids=lambda build: build.__name__,
)
def test_every_event_tact_handles_is_queued(redis_app, redis_url, build):
    payload = build()
    assert payload.event in ACCEPTED_EVENTS
    response = payloads.deliver(redis_app.test_client(), payload, WEBHOOK_SECRET)
    assert response.status_code == 202
    assert queued_tasks(redis_url) == [("tact.process_delivery", [response.json["delivery"]])]
