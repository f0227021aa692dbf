"""`tact deliveries` and `tact replay`, run through click against real storage, Redis and a live receiver."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from service import storage
from service.app import close_app, create_app
from service.cli import main
from tests import payloads
from tests.conftest import FAST_GITHUB, WEBHOOK_SECRET
from tests.services import queued_tasks

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
# Config keys a developer's shell or .env could set; blank them so only the test's values count.
_BLANK = ("GITHUB_APP_ID", "GITHUB_PRIVATE_KEY", "GITHUB_PRIVATE_KEY_PATH", "GITHUB_CLIENT_ID",
          "GITHUB_CLIENT_SECRET", "GITHUB_API_URL", "TACT_MAX_WEBHOOK_BYTES", "TACT_PUBLIC_URL")


@pytest.fixture
def cli_env(database_url, redis_url) -> dict[str, str]:
    return {name: "" for name in _BLANK} | {
        "DATABASE_URL": database_url, "REDIS_URL": redis_url, "GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET, **FAST_GITHUB,
        "SECRET_KEY": "test-secret-key-0123456789", "TACT_LOG_LEVEL": "WARNING"}


@pytest.fixture
def db(database_url):
    database = storage.Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def receiver(app_config, redis_url):
    """A live HTTP receiver (werkzeug's threaded server) on a free loopback port; yields (url, app)."""
    app = create_app(app_config | {"REDIS_URL": redis_url})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/webhooks/github", app
    server.shutdown()
    server.server_close()
    close_app(app)


def seed(db, event: str, state: str = storage.RECEIVED, reason: str | None = None) -> int:
    with db.session() as session:
        delivery, _ = storage.record_delivery(session, guid=f"guid-{payloads.next_id()}", event=event,
                                              action="created", installation_id=1, repository_id=2,
                                              payload={"action": "created"})
        session.flush()
        if state != storage.RECEIVED:
            storage.finish_delivery(session, delivery, state, reason)
        return delivery.id




def test_deliveries_lists_the_newest_first_with_state_and_reason(runner, cli_env, db):
    first = seed(db, "pull_request")
    failed = seed(db, "pull_request_review_comment", storage.FAILED, "GitHub answered 502 three times")
    result = runner.invoke(main, ["deliveries"], env=cli_env)
    assert result.exit_code == 0, result.output
    header, *lines = result.output.splitlines()
    assert header.split() == ["ID", "GUID", "EVENT", "ACTION", "STATE", "ATTEMPTS", "REASON", "AGE"]
    assert [line.split()[0] for line in lines] == [str(failed), str(first)]
    assert "failed" in lines[0] and "GitHub answered 502 three times" in lines[0]


def test_deliveries_filters_by_state_and_limit(runner, cli_env, db):
    ids = [seed(db, "issue_comment", storage.FAILED, "boom") for _ in range(3)]
    seed(db, "issue_comment", storage.DONE)
    result = runner.invoke(main, ["deliveries", "--state", "failed", "--limit", "2"], env=cli_env)
    assert result.exit_code == 0, result.output
    assert [line.split()[0] for line in result.output.splitlines()[1:]] == [str(ids[2]), str(ids[1])]
    none = runner.invoke(main, ["deliveries", "--state", "skipped"], env=cli_env)
    assert none.exit_code == 0 and none.output.strip() == "no skipped deliveries"


def test_retry_resets_a_failed_delivery_and_sends_it_again(runner, cli_env, db, redis_url):
    delivery_id = seed(db, "pull_request_review", storage.FAILED, "installation token refused")
    result = runner.invoke(main, ["deliveries", "--retry", str(delivery_id)], env=cli_env)
    assert result.exit_code == 0, result.output
    with db.session() as session:
        row = session.get(storage.Delivery, delivery_id)
        assert row.state == storage.RECEIVED and "installation token refused" in row.reason
    assert queued_tasks(redis_url) == [("tact.process_delivery", [delivery_id])]


@pytest.mark.parametrize("state", [storage.DONE, storage.PROCESSING])
def test_retry_refuses_a_delivery_that_has_not_failed(runner, cli_env, db, redis_url, state):
    delivery_id = seed(db, "pull_request", state)
    result = runner.invoke(main, ["deliveries", "--retry", str(delivery_id)], env=cli_env)
    assert result.exit_code != 0 and f"is {state}; only failed deliveries can be retried" in result.output
    assert queued_tasks(redis_url) == []


def test_retry_of_an_unknown_delivery_says_so(runner, cli_env, db):
    result = runner.invoke(main, ["deliveries", "--retry", "999999"], env=cli_env)
    assert result.exit_code != 0 and "no delivery with id 999999" in result.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_replay_signs_and_sends_a_payload_the_receiver_records(runner, cli_env, receiver, tmp_path):
    url, app = receiver
    path = tmp_path / "comment.json"
    path.write_text(json.dumps(payloads.review_comment("Please add a test.", comment_id=424242), indent=1))
    args = ["replay", str(path), "--event", "pull_request_review_comment", "--url", url]
    result = runner.invoke(main, args, env=cli_env)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("202 ACCEPTED") and "queued" in result.output
    with app.extensions["tact.db"].session() as session:
        [row] = session.scalars(select(storage.Delivery)).all()
    assert row.event == "pull_request_review_comment" and row.payload["comment"]["id"] == 424242


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_replay_with_the_wrong_secret_prints_401_and_fails(runner, cli_env, receiver):
    url, _app = receiver
    args = ["replay", str(EXAMPLES / "ping.json"), "--event", "ping", "--url", url, "--secret", "not-it"]
    result = runner.invoke(main, args, env=cli_env)
    assert result.exit_code == 1 and result.output.startswith("401 UNAUTHORIZED")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.json")))
def test_every_example_payload_is_accepted_by_the_receiver(runner, cli_env, receiver, example):
    url, _app = receiver
    result = runner.invoke(main, ["replay", str(EXAMPLES / example), "--event", example.split(".")[0],
                                  "--url", url], env=cli_env)
    assert result.exit_code == 0, result.output
    assert result.output.split()[0] in {"200", "202"}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("content, message", [
    ("{not json", "not valid JSON: Expecting property name enclosed in double quotes (line 1, column 2)"),
    ("[1, 2]", "a webhook payload is a JSON object, not list"),
])
def test_replay_explains_a_file_that_is_not_a_payload(runner, cli_env, tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    result = runner.invoke(main, ["replay", str(path), "--event", "ping"], env=cli_env)
    assert result.exit_code != 0 and message in result.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_replay_explains_a_missing_file(runner, cli_env, tmp_path):
    result = runner.invoke(main, ["replay", str(tmp_path / "nope.json"), "--event", "ping"], env=cli_env)
    assert result.exit_code != 0 and "does not exist" in result.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_replay_explains_a_refused_connection(runner, cli_env):
    with socket.socket() as sock:  # a port that was free a moment ago, so nothing listens on it
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/webhooks/github"
    result = runner.invoke(main, ["replay", str(EXAMPLES / "ping.json"), "--event", "ping", "--url", url],
                           env=cli_env)
    assert result.exit_code != 0 and f"could not connect to {url}" in result.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_replay_without_a_secret_says_how_to_set_one(runner, cli_env):
    args = ["replay", str(EXAMPLES / "ping.json"), "--event", "ping"]
    result = runner.invoke(main, args, env=cli_env | {"GITHUB_WEBHOOK_SECRET": ""})
    assert result.exit_code != 0 and "set GITHUB_WEBHOOK_SECRET" in result.output
