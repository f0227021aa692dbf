"""No comment text, secret, key or token in any log line or stored reason, through faults and fuzzed input.

The incident: database errors copied SQLAlchemy's bound parameters into `deliveries.reason` and
the worker log (30 reasons, 30 lines held a comment body), and the web log's PostgreSQL CONTEXT
lines quoted payload text. Here PostgreSQL itself is made to refuse rows (a trigger that quotes
the refused text in its message, DETAIL and HINT, as PostgreSQL's own errors do), hostile
deliveries are sent beside them, and then every captured log record and every stored reason is
searched for what was sent.
"""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import create_engine, select, text

from service import logs, storage
from tests import payloads
from tests.conftest import WEBHOOK_SECRET, opt_in

BODY_WORDS = "PRIVATE-REVIEW-WORDS-5150"
PATH_WORDS = "PRIVATE-PATH-WORDS-5151"
PAYLOAD_WORDS = "PRIVATE-PAYLOAD-WORDS-5152"
FAULTS = """
CREATE FUNCTION tact_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE quoted text;
BEGIN
  SELECT payload::text INTO quoted FROM deliveries WHERE payload::text LIKE '%REFUSE-THIS%' LIMIT 1;
  IF TG_TABLE_NAME = 'deliveries' THEN quoted := NEW.payload::text; END IF;
  IF quoted LIKE '%REFUSE-THIS%' THEN
    RAISE EXCEPTION 'refused %', left(quoted, 400) USING DETAIL = quoted, HINT = left(quoted, 200);
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER tact_test_refuse_delivery BEFORE INSERT ON deliveries
  FOR EACH ROW WHEN (NEW.event = 'issue_comment') EXECUTE FUNCTION tact_test_refuse();
CREATE TRIGGER tact_test_refuse_comment BEFORE INSERT OR UPDATE ON comments
  FOR EACH ROW EXECUTE FUNCTION tact_test_refuse();
"""


@pytest.fixture
def faulty_postgres(postgres_url):
    """The migrated schema with triggers that refuse marked rows, dropped again before the schema is emptied."""
    engine = create_engine(storage.normalize_url(postgres_url))
    with engine.begin() as conn:
        conn.execute(text(FAULTS))
    yield postgres_url
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER tact_test_refuse_delivery ON deliveries; "
                          "DROP TRIGGER tact_test_refuse_comment ON comments; DROP FUNCTION tact_test_refuse()"))
    engine.dispose()


@pytest.fixture
def faulty_app(app_factory, github_app_config, faulty_postgres):
    app = app_factory(github_app_config | {"DATABASE_URL": faulty_postgres})
    # As in production: the test client then answers 500 and Flask logs the error instead of raising it.
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def hostile_bodies() -> list[tuple[bytes, str]]:
    """The fuzzer's classes (infinity, NUL, surrogates, nesting, invalid UTF-8), each carrying the payload words."""
    base = json.dumps(payloads.review_comment(PAYLOAD_WORDS)).encode()
    return [(base.replace(b'"line": 12', b'"line": 1e400'), "pull_request_review_comment"),
            (base.replace(PAYLOAD_WORDS.encode(), PAYLOAD_WORDS.encode() + b"\\u0000"), "pull_request_review_comment"),
            (base.replace(PAYLOAD_WORDS.encode(), PAYLOAD_WORDS.encode() + b"\\ud800"), "pull_request_review_comment"),
            (base.replace(PAYLOAD_WORDS.encode(), PAYLOAD_WORDS.encode() + b"\xff"), "pull_request_review_comment"),
            (base[:-1] + b', "x": ' + b"[" * 100 + b"]" * 100 + b"}", "pull_request_review_comment"),
            (base[: len(base) // 2], "pull_request_review_comment")]


def test_faults_and_fuzzed_input_leave_no_text_secret_or_token_in_logs_or_reasons(faulty_app, github_world, caplog):
    caplog.set_level(logging.DEBUG)
    opt_in(github_world, "enabled: true\nstore_text: true\n")
    client = faulty_app.test_client()
    # 1. the web process: PostgreSQL refuses the delivery row and quotes it back.
    refused = payloads.issue_comment(f"REFUSE-THIS {BODY_WORDS}")
    assert payloads.deliver(client, refused, WEBHOOK_SECRET).status_code == 500
    # 2. the worker: the delivery is stored, then PostgreSQL refuses the comment row and quotes the payload.
    stored = payloads.review_comment(f"REFUSE-THIS You broke the build again. {BODY_WORDS}", path=PATH_WORDS)
    assert payloads.deliver(client, stored, WEBHOOK_SECRET).status_code == 202
    # 3. the fuzzer's classes of hostile input, each signed.
    for body, event in hostile_bodies():
        assert payloads.deliver(client, body, WEBHOOK_SECRET, event=event).status_code == 400
    odd = {"action": PAYLOAD_WORDS, "installation": PAYLOAD_WORDS, "check_run": [PAYLOAD_WORDS]}
    assert payloads.deliver(client, odd, WEBHOOK_SECRET, event="check_run").status_code == 202
    assert faulty_app.extensions["tact.queue"].join(timeout=60)

    with faulty_app.extensions["tact.db"].session() as session:
        rows = list(session.scalars(select(storage.Delivery)))
    secrets = [BODY_WORDS, PATH_WORDS, PAYLOAD_WORDS, WEBHOOK_SECRET, github_app_config_secret(faulty_app),
               *pem_lines(github_world.private_key_pem), *github_world.state.tokens]
    haystacks = {"log": caplog.text, **{f"reason of delivery {row.id}": row.reason or "" for row in rows}}
    leaks = [(where, secret) for where, hay in haystacks.items() for secret in secrets if secret in hay]
    assert leaks == []
    # The scrubbed records and reasons still say what happened, and where.
    [failed] = [row for row in rows if row.state == storage.FAILED]
    assert failed.reason.startswith("internal error:") and "SQLSTATE P0001" in failed.reason
    assert "Traceback" in caplog.text
    assert "from the database (RaiseException, SQLSTATE P0001" in caplog.text
    assert "Exception on /webhooks/github [POST]" in caplog.text


def github_app_config_secret(app) -> str:
    return app.config["SECRET_KEY"]


def pem_lines(pem: str) -> list[str]:
    """The key's base64 lines: any one of them in a log would be a leak."""
    return [line for line in pem.splitlines() if line and not line.startswith("-----")]


def test_describe_keeps_type_and_sqlstate_of_a_database_error_and_nothing_it_quoted(postgres_url):
    engine = create_engine(storage.normalize_url(postgres_url), hide_parameters=True)
    with pytest.raises(Exception) as caught, engine.connect() as conn:
        conn.execute(text("SELECT CAST(:value AS json)"), {"value": f'{{"body": "{BODY_WORDS}" oops'})
    engine.dispose()
    assert BODY_WORDS in str(caught.value)  # what PostgreSQL and psycopg put in the error text
    described = logs.describe(caught.value)
    assert described.startswith("DataError from the database (InvalidTextRepresentation, SQLSTATE 22P02")
    assert BODY_WORDS not in described


def test_errors_that_are_not_from_the_database_are_described_in_full():
    assert logs.describe(ValueError("page size must be positive")) == "ValueError: page size must be positive"
