"""Retention: beat's daily purge of what is older than TACT_RETENTION_DAYS, and `tact purge --installation ID`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from service import storage
from service.cli import main
from service.config import Config
from service.queue import celery_settings

YEAR_AGO = storage.utcnow() - timedelta(days=400)
_BLANK = ("GITHUB_APP_ID", "GITHUB_PRIVATE_KEY", "GITHUB_PRIVATE_KEY_PATH", "GITHUB_CLIENT_ID", "REDIS_URL",
          "GITHUB_CLIENT_SECRET", "GITHUB_API_URL", "TACT_RETENTION_DAYS", "TACT_ENV_FILE")


@pytest.fixture
def db(database_url):
    database = storage.Database(database_url)
    yield database
    database.dispose()


def seed(db, installation_id: int, repo_id: int, *, when=None, github_id: int = 1) -> None:
    """One installation's trail: repository, pull request, a comment with a finding and feedback, a delivery."""
    with db.session() as session:
        storage.upsert_installation(session, installation_id, account_login=f"acct{installation_id}",
                                    account_type="Organization")
        storage.upsert_repository(session, repo_id, full_name=f"acct{installation_id}/r",
                                  installation_id=installation_id)
        storage.upsert_pull_request(session, repo_id, 7, head_sha="a" * 40)
        comment = storage.upsert_comment(session, kind="review_comment", github_id=repo_id * 100 + github_id,
                                         repository_id=repo_id, pull_number=7, author="octocat")
        session.flush()
        storage.replace_findings(session, comment, [dict(rule="you-broke", category="blame", severity="high",
                                                         start=0, end=9, score=0.9, message="m", suggestion="s")])
        session.flush()
        session.add(storage.Feedback(repository_id=repo_id, comment_id=comment.id, rule="you-broke", category="blame"))
        delivery, _ = storage.record_delivery(session, guid=f"g-{repo_id}-{github_id}", event="ping", action=None,
                                              installation_id=installation_id, repository_id=repo_id, payload={})
        session.flush()
        if when is not None:
            comment.created_at = comment.analyzed_at = delivery.received_at = when
            for finding in comment.findings:
                finding.created_at = when
            session.flush()
            for feedback in session.scalars(select(storage.Feedback).where(storage.Feedback.comment_id == comment.id)):
                feedback.created_at = when


def counts(db) -> dict[str, int]:
    models = {"installations": storage.Installation, "repositories": storage.Repository,
              "pull_requests": storage.PullRequest, "comments": storage.Comment, "findings": storage.Finding,
              "feedback": storage.Feedback, "deliveries": storage.Delivery}
    with db.session() as session:
        return {name: session.scalar(select(func.count()).select_from(m)) for name, m in models.items()}


def test_what_is_older_than_the_retention_period_is_purged_and_the_rest_kept(db):
    seed(db, 1, 10, when=YEAR_AGO, github_id=1)
    seed(db, 1, 10, github_id=2)
    with db.session() as session:
        busy = session.scalar(select(storage.Delivery).where(storage.Delivery.guid == "g-10-1"))
        busy.state = storage.PROCESSING  # a worker has it: never pulled from under it
    with db.session() as session:
        purged = storage.purge_expired(session, older_than=timedelta(days=365))
    assert (purged.findings, purged.feedback, purged.comments, purged.deliveries) == (1, 1, 1, 0)
    left = counts(db)
    assert (left["comments"], left["findings"], left["feedback"], left["deliveries"]) == (1, 1, 1, 2)
    assert left["repositories"] == 1  # the repository and its settings stay while it is installed


def test_purging_an_installation_leaves_no_row_of_it_and_touches_no_other(db, runner):
    seed(db, 1, 10)
    seed(db, 2, 20)
    result = runner.invoke(main, ["purge", "--installation", "1", "--yes"],
                           env=dict.fromkeys(_BLANK) | {"DATABASE_URL": db.url})
    assert result.exit_code == 0, result.output
    assert "1 findings, 1 feedback, 1 comments, 1 deliveries, 1 pull requests, 1 repositories" in result.output
    assert counts(db) == {"installations": 1, "repositories": 1, "pull_requests": 1, "comments": 1, "findings": 1,
                          "feedback": 1, "deliveries": 1}


def test_purge_expired_follows_tact_retention_days(db, runner):
    seed(db, 1, 10, when=storage.utcnow() - timedelta(days=40))
    env = dict.fromkeys(_BLANK) | {"DATABASE_URL": db.url}
    kept = runner.invoke(main, ["purge", "--expired"], env=env)
    assert "deleted nothing older than 365 days" in kept.output
    gone = runner.invoke(main, ["purge", "--expired"], env=env | {"TACT_RETENTION_DAYS": "30"})
    assert gone.exit_code == 0 and counts(db)["findings"] == 0


def test_purge_asks_before_deleting_an_installation_and_needs_one_target(db, runner):
    seed(db, 1, 10)
    env = dict.fromkeys(_BLANK) | {"DATABASE_URL": db.url}
    assert runner.invoke(main, ["purge", "--installation", "1"], env=env, input="n\n").exit_code == 1
    assert counts(db)["installations"] == 1
    assert runner.invoke(main, ["purge"], env=env).exit_code == 2


def test_beat_runs_the_purge_daily_as_a_task(app_factory, app_config, sqlite_url):
    schedule = celery_settings(Config(redis_url="redis://127.0.0.1:6398"))["beat_schedule"]
    assert any(entry["task"] == "tact.purge_expired" for entry in schedule.values())
    app = app_factory(app_config | {"TACT_RETENTION_DAYS": "30"})
    db = app.extensions["tact.db"]
    seed(db, 1, 10, when=storage.utcnow() - timedelta(days=31))
    queue = app.extensions["tact.queue"]  # in-process: the same task object a worker runs
    queue.send("tact.purge_expired", [])
    assert queue.join(30)
    assert counts(db)["findings"] == 0 and counts(db)["installations"] == 1
