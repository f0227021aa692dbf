"""`tact doctor` against a healthy deployment and against one broken setup per check, each of which it must name."""

from __future__ import annotations

import gc
import json
import threading
import warnings

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from service.cli import main
from service.config import Config
from service.queue import SWEEP_MARK, celery_settings
from tests import payloads
from tests.conftest import WEBHOOK_SECRET
from tests.services import free_port, redis_client, wait_for

VARIABLES = ("GITHUB_APP_ID", "GITHUB_PRIVATE_KEY", "GITHUB_PRIVATE_KEY_PATH", "GITHUB_WEBHOOK_SECRET",
             "GITHUB_API_URL", "GITHUB_URL", "GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET", "DATABASE_URL",
             "REDIS_URL", "SECRET_KEY", "TACT_SPACY_MODEL", "TACT_LOG_LEVEL", "TACT_PUBLIC_URL", "TACT_ENV_FILE",
             "TACT_MAX_WEBHOOK_BYTES", "TACT_RETENTION_DAYS")


def doctor(runner, tmp_path, env: dict, *checks: str, timeout: str = "1") -> tuple[int, dict]:
    """Run `tact doctor --json` with exactly `env` (nothing from the developer's shell or a .env)."""
    args = ["doctor", "--json", "--worker-timeout", timeout, *[a for c in checks for a in ("--check", c)]]
    result = runner.invoke(main, args, env=dict.fromkeys(VARIABLES) | env)
    _collect_celery_leftovers()
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, {r["check"]: r for r in json.loads(result.stdout)}


def _collect_celery_leftovers() -> None:
    """`tact doctor` is a short-lived command; Celery's client side can leave a Redis socket to the garbage
    collector even after Celery.close() (seen once in a full run, never alone). Collect it here, where it
    belongs, rather than let it fail whichever test happens to run when the collector does."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


@pytest.fixture(autouse=True)
def in_empty_folder(tmp_path, monkeypatch):
    """Run from a folder with no .env, so a developer's own file cannot make a test pass."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def app_env(sqlite_url, github_world) -> dict:
    return {"DATABASE_URL": sqlite_url, "GITHUB_APP_ID": str(github_world.app_id),
            "GITHUB_PRIVATE_KEY": github_world.private_key_pem, "GITHUB_API_URL": github_world.url,
            "GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET}


def test_a_healthy_deployment_passes_every_check(runner, tmp_path, app_env, redis_url, celery_worker):
    celery = Config(redis_url=redis_url)
    from celery import Celery

    client = Celery("test", set_as_current=False)
    client.conf.update(celery_settings(celery))
    client.send_task("tact.sweep_stuck_deliveries", ignore_result=True)  # what beat sends every minute
    redis = redis_client(redis_url)
    try:
        wait_for(lambda: redis.get(SWEEP_MARK), timeout=30)
    finally:
        redis.close()
        client.close()
    code, results = doctor(runner, tmp_path, app_env | {"REDIS_URL": redis_url}, timeout="10")
    assert {name: r["status"] for name, r in results.items()} == {
        "config": "ok", "github-app": "ok", "webhook-secret": "ok", "installations": "ok", "database": "ok",
        "redis": "ok", "worker": "ok", "analyzer": "ok", "beat": "ok", "public-url": "skipped"}
    assert code == 0


def test_an_invalid_configuration_is_named_and_the_rest_is_skipped(runner, tmp_path, app_env):
    code, results = doctor(runner, tmp_path, app_env | {"TACT_RETENTION_DAYS": "forever"})
    assert code == 1 and "TACT_RETENTION_DAYS must be a positive whole number" in results["config"]["detail"]
    assert results["database"]["status"] == "skipped"


def test_no_app_points_to_the_setup_page_and_a_missing_secret_is_named(runner, tmp_path, sqlite_url):
    code, results = doctor(runner, tmp_path, {"DATABASE_URL": sqlite_url, "TACT_PUBLIC_URL": "https://t.example"},
                           "github-app", "webhook-secret")
    assert code == 1
    assert "https://t.example/setup" in results["github-app"]["fix"]
    assert results["webhook-secret"]["status"] == "problem"


def test_a_key_of_another_app_is_caught_by_github(runner, tmp_path, app_env):
    code, results = doctor(runner, tmp_path, app_env | {"GITHUB_APP_ID": "999"}, "github-app")
    assert code == 1 and "GitHub refused" in results["github-app"]["detail"]
    assert "App ID" in results["github-app"]["fix"]


def test_a_key_that_does_not_parse_is_caught_before_any_request(runner, tmp_path, app_env, fake_github):
    fake_github.forbid("GET", r"^/app$")
    broken = "-----BEGIN RSA PRIVATE KEY-----\nbm90IGEga2V5\n-----END RSA PRIVATE KEY-----\n"
    code, results = doctor(runner, tmp_path, app_env | {"GITHUB_PRIVATE_KEY": broken}, "github-app")
    assert code == 1 and "does not parse" in results["github-app"]["detail"]


def test_an_app_installed_nowhere_links_to_its_install_page(runner, tmp_path, app_env, fake_github):
    fake_github.state.installations.clear()
    code, results = doctor(runner, tmp_path, app_env, "installations")
    assert code == 1 and results["installations"]["fix"].endswith("/apps/tact/installations/new")


def test_permissions_an_installation_has_not_accepted_yet_are_named(runner, tmp_path, app_env, fake_github):
    inst = fake_github.state.installations[payloads.INSTALLATION_ID]
    del inst.permissions["issues"]
    inst.events.remove("issue_comment")
    code, results = doctor(runner, tmp_path, app_env, "installations")
    assert code == 1
    assert "octo has not accepted yet: issues: read, issue_comment" in results["installations"]["detail"]


def test_an_app_registered_with_fewer_permissions_than_app_yml_is_named(runner, tmp_path, app_env, fake_github):
    fake_github.state.app["permissions"]["checks"] = "read"
    code, results = doctor(runner, tmp_path, app_env, "installations")
    assert code == 1 and "lacks what app.yml asks for: checks: write" in results["installations"]["detail"]


def test_an_unmigrated_or_unreachable_database_is_caught(runner, tmp_path, postgres_schema):
    code, results = doctor(runner, tmp_path, {"DATABASE_URL": f"sqlite:///{tmp_path / 'none.sqlite3'}"}, "database")
    assert code == 1 and results["database"]["fix"] == "run `tact db upgrade`"
    assert not (tmp_path / "none.sqlite3").exists()
    old = f"postgresql://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{postgres_schema}"
    code, results = doctor(runner, tmp_path, {"DATABASE_URL": old}, "database")
    assert code == 1 and "schema at revision none" in results["database"]["detail"]
    code, results = doctor(runner, tmp_path, {"DATABASE_URL": f"postgresql://postgres@127.0.0.1:{free_port()}/x"},
                           "database")
    assert code == 1 and "cannot reach" in results["database"]["detail"]


def test_an_unreachable_redis_is_caught(runner, tmp_path, sqlite_url):
    code, results = doctor(runner, tmp_path, {"DATABASE_URL": sqlite_url,
                                              "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}, "redis")
    assert code == 1 and results["redis"]["status"] == "problem"


def test_no_worker_and_no_beat_are_caught(runner, tmp_path, sqlite_url, redis_url):
    code, results = doctor(runner, tmp_path, {"DATABASE_URL": sqlite_url, "REDIS_URL": redis_url}, "worker", "beat",
                           timeout="0.2")  # nobody will answer: waiting longer proves nothing more
    assert code == 1
    assert "no worker answered a ping within 0.2 s" in results["worker"]["detail"]
    assert "`tact beat`" in results["beat"]["fix"]
    redis = redis_client(redis_url)
    redis.set(SWEEP_MARK, "1000")  # a sweep long ago: beat has stopped
    redis.close()
    _, results = doctor(runner, tmp_path, {"DATABASE_URL": sqlite_url, "REDIS_URL": redis_url}, "beat")
    assert "minutes ago" in results["beat"]["detail"]


def test_a_missing_spacy_pipeline_is_caught(runner, tmp_path, sqlite_url):
    code, results = doctor(runner, tmp_path, {"DATABASE_URL": sqlite_url, "TACT_SPACY_MODEL": "no_such_pipeline"},
                           "analyzer")
    assert code == 1 and "cannot load 'no_such_pipeline'" in results["analyzer"]["detail"]


def _healthz_server(status: int):
    server = make_server("127.0.0.1", 0, lambda env, start: Response("{}", status)(env, start))
    # A short poll interval: shutdown() waits for the next poll (half a second by default).
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


def test_a_public_url_that_does_not_answer_healthz_is_caught(runner, tmp_path, sqlite_url):
    """0.0.0.0 is not a loopback address, yet connecting to it reaches this machine: no traffic leaves it."""
    env = {"DATABASE_URL": sqlite_url}
    code, results = doctor(runner, tmp_path, env | {"TACT_PUBLIC_URL": f"http://0.0.0.0:{free_port()}"}, "public-url")
    assert code == 1 and "did not answer" in results["public-url"]["detail"]
    for status, expected in ((503, "problem"), (200, "ok")):
        server = _healthz_server(status)
        try:
            _, results = doctor(runner, tmp_path, env | {"TACT_PUBLIC_URL": f"http://0.0.0.0:{server.server_port}"},
                                "public-url")
        finally:
            server.shutdown()
        assert results["public-url"]["status"] == expected


def test_the_text_output_has_one_line_per_check_with_its_fix(runner, tmp_path, sqlite_url):
    result = runner.invoke(main, ["doctor", "--check", "webhook-secret"],
                           env=dict.fromkeys(VARIABLES) | {"DATABASE_URL": sqlite_url})
    lines = result.stdout.splitlines()
    assert result.exit_code == 1 and len(lines) == 2
    assert lines[1].startswith("problem  webhook-secret") and "-> set it to the webhook secret" in lines[1]
