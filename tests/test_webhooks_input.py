"""Signed deliveries that parse but cannot be stored, and bodies gunicorn cannot read: each is a 400, never a 500.

Found by fuzzing signed requests: ``1e400`` parsed to infinity and PostgreSQL refused the JSON; a
NUL or a lone surrogate in ``action`` failed the insert; a broken chunked body surfaced gunicorn's
own exceptions. The chunked cases need the real server, so they talk to `tact serve` over a socket.
"""

from __future__ import annotations

import json
import socket
import uuid

import pytest
from sqlalchemy import select

from service import storage
from service.app import close_app, create_app
from service.storage import migrate
from tests import payloads
from tests.conftest import WEBHOOK_SECRET
from tests.services import web_server_process


@pytest.fixture
def stored_app(app_config, postgres_url, redis_url):
    """Real Redis and PostgreSQL, where these deliveries answered 500 (SQLite stored some of them)."""
    app = create_app(app_config | {"DATABASE_URL": postgres_url, "REDIS_URL": redis_url})
    yield app
    close_app(app)


def deliver_raw(app, body: bytes, event: str = "pull_request_review_comment"):
    return payloads.deliver(app.test_client(), body, WEBHOOK_SECRET, event=event)


def stored(app) -> list[storage.Delivery]:
    with app.extensions["tact.db"].session() as session:
        return list(session.scalars(select(storage.Delivery)))


def comment_with(**fields) -> bytes:
    """A real review-comment delivery with some fields replaced, serialised as GitHub would (ASCII escapes)."""
    payload = payloads.review_comment("Could we rename this?")
    payload.update(fields)
    return json.dumps(payload).encode()


def assert_refused(stored_app, body: bytes, reason: str) -> None:
    """A 400 whose message names the reason, and nothing stored."""
    response = deliver_raw(stored_app, body)
    assert response.status_code == 400 and reason in response.json["error"]
    assert stored(stored_app) == []


@pytest.mark.parametrize(
    "body",
    [
        comment_with(action="created").replace(b'"line": 12', b'"line": 1e400'),
        comment_with(action="created").replace(b'"line": 12', b'"line": -1e400'),
    ],
    ids=["1e400", "-1e400"],
)
def test_number_beyond_a_double_is_refused_with_400(stored_app, body):
    assert_refused(stored_app, body, "infinity")


@pytest.mark.parametrize(
    "body",
    [
        comment_with(action="crea\u0000ted"),
        comment_with(action="created").replace(b"Could we", b"Could\\u0000we"),
    ],
    ids=["in-action", "in-comment-body"],
)
def test_nul_character_is_refused_with_400(stored_app, body):
    assert_refused(stored_app, body, "NUL")


@pytest.mark.parametrize(
    "body",
    [
        comment_with(action="created\ud800"),
        comment_with(action="created").replace(b"Could we", b"Could \\udfff we"),
        comment_with(action="created").replace(b"Could we", "Could \ud800 we".encode("utf-8", "surrogatepass")),
        comment_with(**{"\udc80": 1}),
    ],
    ids=["escaped-in-action", "escaped-in-body", "raw-bytes-in-body", "in-a-key"],
)
def test_lone_surrogate_is_refused_with_400(stored_app, body):
    assert_refused(stored_app, body, "surrogate")


def test_paired_surrogates_are_an_ordinary_emoji_and_stored(stored_app):
    body = comment_with(action="created").replace(b"Could we", b"Could \\ud83d\\ude00 we")
    assert deliver_raw(stored_app, body).status_code == 202
    [row] = stored(stored_app)
    assert "\U0001f600" in row.payload["comment"]["body"]


@pytest.mark.parametrize("depth", [65, 900])
def test_nesting_deeper_than_githubs_is_refused_with_400(stored_app, depth):
    """900 levels parse, but writing the row ran out of stack inside the JSON encoder (a 500)."""
    body = comment_with(extra=None).replace(b'"extra": null', b'"extra": ' + b"[" * depth + b"]" * depth)
    assert_refused(stored_app, body, "nests deeper")


@pytest.mark.parametrize("guid", ["gu\u00efd-1", "guid with spaces"])
def test_guid_that_is_not_printable_ascii_is_refused_with_400(client, guid):
    body, headers = payloads.signed(payloads.review_comment("Fine."), WEBHOOK_SECRET)
    headers["X-GitHub-Delivery"] = guid
    response = client.post("/webhooks/github", data=body, headers=headers)
    assert response.status_code == 400 and "X-GitHub-Delivery" in response.json["error"]


# --- the real server: chunked bodies ----------


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`tact serve` (gunicorn, in-process tasks) on SQLite, shared by the socket tests of this module."""
    tmp = tmp_path_factory.mktemp("served")
    url = f"sqlite:///{tmp / 'tact.sqlite3'}"
    migrate.upgrade(url)
    env = {"DATABASE_URL": url, "GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET, "SECRET_KEY": "test-secret-key-0123456789"}
    with web_server_process(env, tmp / "serve.log") as base:
        yield int(base.rsplit(":", 1)[1])


def post_chunked(port: int, chunks: bytes, *, close_early: bool = False) -> int:
    """POST a hand-framed chunked body over a raw socket; return the status code gunicorn answered."""
    body = json.dumps(payloads.ping()).encode()
    head = (f"POST /webhooks/github HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
            f"Content-Type: application/json\r\nX-GitHub-Event: ping\r\nX-GitHub-Delivery: {uuid.uuid4()}\r\n"
            f"X-Hub-Signature-256: {payloads.signature(body, WEBHOOK_SECRET)}\r\nConnection: close\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.encode() + chunks)
        if close_early:
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        while b"\r\n" not in answer:
            data = sock.recv(4096)
            if not data:
                break
            answer += data
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0


def test_well_framed_chunked_body_is_accepted_by_the_real_server(served):
    body = json.dumps(payloads.ping()).encode()
    framed = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    assert post_chunked(served, framed) == 200


@pytest.mark.parametrize(
    ("chunks", "close_early"),
    [
        (b"zz\r\n{}\r\n0\r\n\r\n", False),
        (b"-5\r\n{}\r\n0\r\n\r\n", False),
        (b"2\r\n{}XX0\r\n\r\n", False),
        (b"400\r\n{\"zen\": \"short\"", True),
        (b"4\r\n{\"ze", True),
    ],
    ids=["bad-size", "negative-size", "missing-terminator", "ends-inside-a-chunk", "ends-between-chunks"],
)
def test_broken_chunked_body_is_refused_with_400(served, chunks, close_early):
    assert post_chunked(served, chunks, close_early=close_early) == 400
