"""Shared fixtures: the app on SQLite or PostgreSQL, a client, the CLI runner, real Redis, a real worker.

The real services live at their standard addresses on every developer and CI machine
(.ci/run starts them when they are down); these fixtures never skip when they are missing,
because a silently skipped storage test is how PostgreSQL-only bugs reach production.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import redis as redis_lib
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from service.app import close_app, create_app
from service.queue import InProcessQueue
from service.storage import migrate
from tests import payloads
from tests.fakegithub.fixture import fake_github  # noqa: F401  (the one shared fake GitHub)
from tests.services import celery_worker_process

# Tests may read the environment (they are not the app): CI can point them elsewhere.
POSTGRES_URL = os.environ.get("TACT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_BASE = os.environ.get("TACT_TEST_REDIS_URL", "redis://127.0.0.1:6379")
WEBHOOK_SECRET = "test-webhook-secret"
# PyGithub's pauses between requests and writes (Config's defaults: 0.25 s and 1 s) only slow tests down.
FAST_GITHUB = {"TACT_GITHUB_SECONDS_BETWEEN_REQUESTS": "0", "TACT_GITHUB_SECONDS_BETWEEN_WRITES": "0"}


# Apps a test built and dropped, closed at the end of the session and kept referenced until the
# interpreter exits, so a connection one of them still holds is not collected while pytest is watching
# (filterwarnings = error turns psycopg's ResourceWarning in a collected connection into a failure).
_DROPPED: list = []


def pytest_sessionfinish(session, exitstatus) -> None:
    """Close the apps a test built and dropped, before pytest closes the streams their task threads log to."""
    for queue in list(InProcessQueue.live):
        _DROPPED.append(queue.app)
        try:
            close_app(queue.app)
        except Exception as error:  # an app a test broke on purpose: its thread is what matters here
            queue.shutdown(timeout=2.0)
            print(f"closing a dropped app: {error!r}")


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[str]:
    """A private schema in database `test`, so parallel runs (and developers) never collide."""
    schema = f"tact_test_{uuid.uuid4().hex[:10]}"
    engine = create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield schema
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def _postgres_url(schema: str) -> str:
    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> Iterator[str]:
    """Each storage test runs on both databases, migrated with the real migrations."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'tact.sqlite3'}"
        migrate.upgrade(url)
        yield url
        return
    schema = request.getfixturevalue("postgres_schema")
    url = _postgres_url(schema)
    migrate.upgrade(url)
    yield url
    migrate.downgrade(url, "base")


@pytest.fixture
def postgres_url(postgres_schema) -> Iterator[str]:
    """PostgreSQL, migrated, emptied again afterwards (for tests that need a multi-process database)."""
    url = _postgres_url(postgres_schema)
    migrate.upgrade(url)
    yield url
    migrate.downgrade(url, "base")


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'tact.sqlite3'}"
    migrate.upgrade(url)
    return url


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database of its own (1-15, picked per test) flushed before and after."""
    number = 1 + uuid.uuid4().int % 15
    url = f"{REDIS_BASE}/{number}"
    client = redis_lib.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
def app_config(sqlite_url) -> dict:
    return {"TESTING": True, "DATABASE_URL": sqlite_url, "SECRET_KEY": "test-secret-key-0123456789",
            "GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET}


@pytest.fixture
def app_factory():
    """create_app for a test, with everything each app holds (connections, threads) released afterwards."""
    made = []

    def make(config):
        made.append(create_app(config))
        return made[-1]

    yield make
    for app in made:
        close_app(app)


@pytest.fixture
def app(app_factory, app_config):
    return app_factory(app_config)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def celery_worker(redis_url, sqlite_url, tmp_path) -> Iterator[dict]:
    """A real `celery worker` subprocess on real Redis; yields the environment it runs with."""
    env = {"REDIS_URL": redis_url, "DATABASE_URL": sqlite_url, "SECRET_KEY": "test-secret-key-0123456789",
           "GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET}
    with celery_worker_process(env, tmp_path / "worker.log") as worker_env:
        yield worker_env


@pytest.fixture
def github_world(fake_github):
    """The fake GitHub holding the installation, repository and pull request the payload builders name."""
    fake_github.state.add_installation(account="octo", id=payloads.INSTALLATION_ID)
    fake_github.state.add_repository(payloads.REPO, payloads.INSTALLATION_ID)
    fake_github.state.add_pull_request(payloads.REPO, 7, payloads.HEAD_SHA)
    return fake_github


def opt_in(fake, text: str = "enabled: true\n", repo: str = payloads.REPO) -> None:
    fake.state.add_file(repo, ".github/tact.yml", text)


@pytest.fixture
def github_app_config(app_config, github_world) -> dict:
    """An app configured as a GitHub App pointed at the fake, tasks in-process."""
    return app_config | {"GITHUB_APP_ID": str(github_world.app_id),
                         "GITHUB_PRIVATE_KEY": github_world.private_key_pem,
                         "GITHUB_API_URL": github_world.url}


@pytest.fixture
def github_app(app_factory, github_app_config):
    return app_factory(github_app_config)
