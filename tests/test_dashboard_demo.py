"""`tact demo`: a sample history in the local database, analyzed by the real analyzer, that the dashboard shows."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from service import storage
from service.cli import main
from service.cli.demo import INSTALLATION_ID


@pytest.fixture
def demo_env(sqlite_url) -> dict[str, str]:
    return {"DATABASE_URL": sqlite_url, "SECRET_KEY": "test-secret-key-0123456789"}


def test_the_demo_fills_an_installation_with_analyzed_history_once(runner, demo_env, sqlite_url):
    answer = runner.invoke(main, ["demo", "--weeks", "3"], env=demo_env)
    assert answer.exit_code == 0, answer.output
    db = storage.Database(sqlite_url)
    with db.session() as session:
        repos = storage.repositories_by_ids(session, storage.installation_repository_ids(session, INSTALLATION_ID))
        assert len(repos) == 5
        assert session.scalar(select(func.count(storage.Finding.id))) > 0  # the real analyzer flagged some
        assert session.scalar(select(func.count(storage.Feedback.id))) > 0
        docs = next(r for r in repos if r.full_name == "acme/docs")
        assert "must be one of low, medium, high" in docs.settings_errors[0]["message"]
        api = next(r for r in repos if r.full_name == "acme/api")
        [preview] = storage.previews(session, api.id)  # the new pull request, through the real pipeline
        assert preview.pull_number == 901 and "phrasing" in preview.title
    db.dispose()
    again = runner.invoke(main, ["demo", "--weeks", "1"], env=demo_env)
    assert again.exit_code == 1 and "already in this database" in again.output
