"""`tact deliveries recover`: GitHub's delivery log, read by cursor, and redelivery of what Tact never stored."""

from __future__ import annotations

import threading
import time

import pytest
from werkzeug.serving import make_server

from service import storage
from service.app import close_app, create_app
from service.cli import main
from tests import payloads
from tests.conftest import WEBHOOK_SECRET
from tests.services import free_port, wait_for
from tests.test_fakegithub import app_jwt, call


def test_the_delivery_log_is_newest_first_and_paginated_by_cursor(fake_github):
    for n in range(130):
        fake_github.state.log_hook_attempt(f"guid-{n}", "ping", {}, 200, "OK", False)
    first = call(fake_github, "GET", "/app/hook/deliveries?per_page=100",
                 headers={"Authorization": f"Bearer {app_jwt(fake_github)}"})
    assert first.status_code == 200 and len(first.json()) == 100
    assert first.json()[0]["guid"] == "guid-129"
    following = first.links["next"]["url"]
    assert "cursor=" in following and "page=" not in following.replace("per_page", "")
    second = call(fake_github, "GET", following.removeprefix(fake_github.url),
                  headers={"Authorization": f"Bearer {app_jwt(fake_github)}"})
    assert [d["guid"] for d in second.json()] == [f"guid-{n}" for n in range(29, -1, -1)]
    assert "next" not in second.links


def test_the_delivery_log_needs_the_app_jwt(fake_github):
    assert call(fake_github, "GET", "/app/hook/deliveries").status_code == 401
    assert call(fake_github, "POST", "/app/hook/deliveries/1/attempts").status_code == 401


@pytest.fixture
def receiver(github_app_config):
    """Tact's receiver on a live port (in-process tasks), and the app behind it."""
    app = create_app(github_app_config)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/webhooks/github", app
    server.shutdown()
    server.server_close()
    close_app(app)


def _guids(app) -> set[str]:
    with app.extensions["tact.db"].session() as session:
        return {d.guid for d in storage.recent_deliveries(session, limit=100)}


def test_recover_asks_again_for_lost_deliveries_only_within_three_days(runner, receiver, github_app_config,
                                                                        fake_github):
    url, app = receiver
    fake_github.hook_secret = WEBHOOK_SECRET
    fake_github.hook_url = f"http://127.0.0.1:{free_port()}/webhooks/github"  # Tact is down
    lost = fake_github.deliver("issue_comment", payloads.issue_comment("Thanks!"), "lost-1")
    assert lost.status_code == 0
    old = fake_github.state.log_hook_attempt("too-old", "ping", {"zen": "x"}, 502, "Invalid HTTP Response: 502",
                                             False, delivered_at=time.time() - 4 * 86400)
    fake_github.hook_url = url  # Tact is back
    assert fake_github.deliver("ping", {"zen": "Keep it logically awesome."}, "fine-1").status == "OK"
    env = {k: v for k, v in github_app_config.items() if k.isupper() and k != "TESTING"}
    result = runner.invoke(main, ["deliveries", "recover", "--since", "5d"], env=env)
    assert result.exit_code == 0, result.output
    assert "redeliver 1" in result.output and "  lost-1" in result.output
    assert f"  {old.guid}" not in result.output and "1 lost deliveries are older" in result.output
    wait_for(lambda: "lost-1" in _guids(app), timeout=20)
    # The receiver commits before it answers, so the row can be there before the fake has logged the answer.
    wait_for(lambda: any(a.redelivery for a in fake_github.state.hook_attempts), timeout=20)
    redelivered = [a for a in fake_github.state.hook_attempts if a.redelivery]
    assert [(a.guid, a.status) for a in redelivered] == [("lost-1", "OK")]
    again = runner.invoke(main, ["deliveries", "recover", "--since", "2h"], env=env)
    assert again.exit_code == 0 and "redeliver 0" in again.output, again.output


def test_recover_refuses_without_app_credentials(runner, sqlite_url):
    result = runner.invoke(main, ["deliveries", "recover"], env={"DATABASE_URL": sqlite_url, "GITHUB_APP_ID": "",
                                                                 "GITHUB_PRIVATE_KEY": ""})
    assert result.exit_code != 0 and "GITHUB_APP_ID" in result.output


def test_recover_rejects_an_age_it_cannot_read(runner, sqlite_url):
    result = runner.invoke(main, ["deliveries", "recover", "--since", "soon"], env={"DATABASE_URL": sqlite_url})
    assert result.exit_code == 2 and "not an age" in result.output
