"""Property tests: a validly signed delivery of any shape gets a 2xx or a 4xx from the receiver, never a 500.

A fuzzer found 1,166 answers of 500 in 12,000 signed requests (infinity, NUL, lone surrogates,
broken chunking). These tests keep that class closed: random JSON, real payloads with one field
replaced by a wrong type or a hostile value, and byte-level mutations of real bodies, all against
PostgreSQL and Redis, where the 500s were. Anything accepted must be stored; anything the worker
then cannot handle must end ``failed`` with a reason, not wait or retry forever.
"""

from __future__ import annotations

import json
import uuid

import pytest
import redis as redis_lib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from service import storage
from service.app import close_app, create_app
from service.storage import migrate
from service.web.webhooks import ACCEPTED_EVENTS
from tests import payloads
from tests.conftest import REDIS_BASE, WEBHOOK_SECRET, opt_in
from tests.conftest import _postgres_url as postgres_url_for

FUZZ = settings(max_examples=70, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
FINAL = {storage.DONE, storage.SKIPPED, storage.FAILED}

# Text as hostile as JSON can carry: anything Unicode has, plus NUL, lone surrogates, odd separators.
odd_text = st.text(st.characters() | st.sampled_from(["\x00", "\ud800", "\udfff", "\u2028", "\ufeff", "\\"]),
                   max_size=40)
scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**80), max_value=2**80)
           | st.floats(allow_nan=True, allow_infinity=True) | odd_text)
# Written out as the bare token 1e400 by encode(): a number JSON allows that parses to infinity.
TOO_BIG = "\x01too-big-number\x01"
keys = st.sampled_from(sorted({path[0] for path in payloads.READ_FIELDS})) | odd_text
json_values = st.recursive(scalars | st.just(TOO_BIG), lambda kids: st.lists(kids, max_size=4)
                           | st.dictionaries(keys, kids, max_size=4), max_leaves=16)
# Deeper than the receiver allows, but shallow enough for this test's own JSON encoder.
nested = st.integers(min_value=1, max_value=500).map(lambda depth: json.loads("[" * depth + "]" * depth))
huge = st.integers(min_value=100_000, max_value=1_100_000).map(lambda size: "x" * size)
hostile = json_values | nested | huge | st.sampled_from([1e308, -0.0, 2**63, 2**64, -1, "", [], {}])


@st.composite
def mutated_payload(draw):
    """A real-shaped delivery with one field, anywhere in it, replaced by a wrong type or a hostile value."""
    payload = draw(st.sampled_from(payloads.BUILDERS))()
    read = payloads.read_paths(payload)
    path = draw(st.sampled_from(read) if read and draw(st.booleans()) else st.sampled_from(payloads.paths(payload)))
    return payloads.replaced(payload, path, draw(hostile))


def encode(value, ascii_only: bool) -> bytes:
    """Serialise as GitHub might (ASCII escapes) or with raw UTF-8, letting surrogates through as bytes."""
    text = json.dumps(value, ensure_ascii=ascii_only, allow_nan=True).replace(json.dumps(TOO_BIG), "1e400")
    return text.encode("utf-8", "surrogatepass")


@pytest.fixture(scope="module")
def fuzz_app(postgres_schema):
    """One app on PostgreSQL and Redis for the module: migrating for each test cost more than fuzzing."""
    url, redis_db = postgres_url_for(postgres_schema), f"{REDIS_BASE}/{1 + uuid.uuid4().int % 15}"
    migrate.upgrade(url)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "REDIS_URL": redis_db,
                      "SECRET_KEY": "test-secret-key-0123456789", "GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET})
    yield app
    close_app(app)
    migrate.downgrade(url, "base")
    client = redis_lib.Redis.from_url(redis_db)
    client.flushdb()
    client.close()


def post(app, body: bytes, event: str):
    response = payloads.deliver(app.test_client(), body, WEBHOOK_SECRET, event=event)
    assert response.status_code < 500, response.data[:300]
    if response.status_code == 202:
        with app.extensions["tact.db"].session() as session:
            assert session.get(storage.Delivery, response.json["delivery"]) is not None
    return response


@FUZZ
@given(value=json_values, event=st.sampled_from(sorted(ACCEPTED_EVENTS) + ["star"]), ascii_only=st.booleans())
def test_random_json_never_gets_a_500(fuzz_app, value, event, ascii_only):
    post(fuzz_app, encode(value, ascii_only), event)


@FUZZ
@given(payload=mutated_payload(), ascii_only=st.booleans())
def test_real_payload_with_a_field_replaced_never_gets_a_500(fuzz_app, payload, ascii_only):
    post(fuzz_app, encode(payload, ascii_only), payload.event)


@FUZZ
@given(data=st.data())
def test_real_payload_with_its_bytes_mutated_never_gets_a_500(fuzz_app, data):
    """Invalid UTF-8, truncation, stray bytes: each signed, so the parser (not the signature) must cope."""
    payload = data.draw(st.sampled_from(payloads.BUILDERS))()
    body = bytearray(json.dumps(payload).encode())
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        at = data.draw(st.integers(min_value=0, max_value=len(body)))
        how = data.draw(st.sampled_from(["insert", "delete", "truncate", "replace"]))
        junk = data.draw(st.binary(min_size=1, max_size=6) | st.sampled_from(
            [b"\xff", b"\xed\xa0\x80", b"\xc0\x80", b"\\u0000", b"\\ud800", b"1e400", b"\x00"]))
        if how == "insert":
            body[at:at] = junk
        elif how == "delete":
            del body[at:at + len(junk)]
        elif how == "truncate":
            del body[at:]
        else:
            body[at:at + len(junk)] = junk
    post(fuzz_app, bytes(body), payload.event)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(payload=mutated_payload())
def test_worker_ends_every_accepted_fuzzed_delivery_in_a_final_state(github_app, github_world, payload):
    """Wrong types reach the handlers; each delivery must end done, skipped or failed (with a reason)."""
    opt_in(github_world)
    response = payloads.deliver(github_app.test_client(), payload, WEBHOOK_SECRET)
    assert response.status_code < 500
    if response.status_code != 202:
        return
    assert github_app.extensions["tact.queue"].join(timeout=60)
    with github_app.extensions["tact.db"].session() as session:
        row = session.scalars(select(storage.Delivery).where(storage.Delivery.id == response.json["delivery"])).one()
        assert row.state in FINAL, (row.state, row.reason)
        assert row.state != storage.FAILED or row.reason
