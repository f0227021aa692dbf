"""Storage runs the same on SQLite and PostgreSQL; deliveries are claimed once and never lost."""

from datetime import timedelta

from sqlalchemy import inspect

from service import storage
from service.storage import Database, migrate


def _record(session, guid="guid-1", **overrides):
    fields = dict(guid=guid, event="pull_request_review_comment", action="created", installation_id=11,
                  repository_id=22, payload={"action": "created"})
    fields.update(overrides)
    return storage.record_delivery(session, **fields)


def test_migrations_create_every_table(database_url):
    db = Database(database_url)
    tables = set(inspect(db.engine).get_table_names())
    assert {"installations", "repositories", "deliveries", "pull_requests", "comments", "findings",
            "feedback", "alembic_version"} <= tables
    assert migrate.current(database_url) is not None
    db.dispose()


def test_migrations_match_the_models(database_url):
    """A model changed without a migration would break production upgrades."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    db = Database(database_url)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), storage.Base.metadata)
    db.dispose()
    assert diff == []


def test_a_delivery_is_recorded_once(database_url):
    db = Database(database_url)
    with db.session() as session:
        first, created = _record(session)
        assert created
    with db.session() as session:
        again, created_again = _record(session)
        assert not created_again and again.id == first.id
        assert again.state == storage.RECEIVED and again.payload == {"action": "created"}
    db.dispose()


def test_a_delivery_is_claimed_by_one_worker_only(database_url):
    db = Database(database_url)
    with db.session() as session:
        delivery, _ = _record(session)
    with db.session() as session:
        claimed = storage.claim_delivery(session, delivery.id)
        assert claimed is not None and claimed.state == storage.PROCESSING and claimed.attempts == 1
    with db.session() as session:
        assert storage.claim_delivery(session, delivery.id) is None
    db.dispose()


def test_a_finished_delivery_keeps_its_state_and_reason(database_url):
    db = Database(database_url)
    with db.session() as session:
        delivery, _ = _record(session)
        claimed = storage.claim_delivery(session, delivery.id)
        storage.finish_delivery(session, claimed, storage.FAILED, "GitHub answered 502 five times")
    with db.session() as session:
        [row] = storage.recent_deliveries(session, state=storage.FAILED)
        assert row.reason == "GitHub answered 502 five times"
        assert storage.claim_delivery(session, delivery.id) is None
    db.dispose()


def test_stuck_deliveries_are_handed_back(database_url):
    db = Database(database_url)
    with db.session() as session:
        stuck, _ = _record(session, guid="stuck")
        storage.claim_delivery(session, stuck.id)
        fresh, _ = _record(session, guid="fresh")
        storage.claim_delivery(session, fresh.id)
        stuck.lease_until = storage.utcnow() - timedelta(seconds=1)  # its worker stopped renewing
    with db.session() as session:
        ids = storage.reset_stuck_deliveries(session, older_than=timedelta(minutes=10))
    assert ids == [stuck.id]
    with db.session() as session:
        assert session.get(storage.Delivery, stuck.id).state == storage.RECEIVED
        assert session.get(storage.Delivery, fresh.id).state == storage.PROCESSING
    db.dispose()


def test_plain_postgresql_urls_use_the_shipped_driver():
    assert storage.normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert storage.normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert storage.normalize_url("sqlite:///x.db") == "sqlite:///x.db"


def test_two_sessions_seeing_a_new_repository_at_once_both_succeed(database_url):
    """Two workers handling the first comments of a new installation raced on its primary key."""
    db = Database(database_url)
    with db.session() as first, db.session() as second:
        storage.upsert_repository(first, 7, full_name="octo/new", installation_id=99)
        first.flush()
        storage.upsert_comment(first, kind="review_comment", github_id=5, repository_id=7, pull_number=1)
        first.commit()
        storage.upsert_repository(second, 7, full_name="octo/new", installation_id=99)
        storage.upsert_comment(second, kind="review_comment", github_id=5, repository_id=7, pull_number=1,
                               author="ana")
        storage.upsert_pull_request(second, 7, 1, head_sha="a" * 40)
    with db.session() as session:
        assert storage.find_comment(session, kind="review_comment", github_id=5).author == "ana"
        assert storage.installation_of(session, session.get(storage.Repository, 7)).account_login == "octo"
    db.dispose()


def test_the_same_task_may_reclaim_its_delivery_after_its_worker_died(database_url):
    """Celery re-sends the same message (same task id) when a pool process dies mid-task."""
    db = Database(database_url)
    with db.session() as session:
        delivery, _ = _record(session)
        assert storage.claim_delivery(session, delivery.id, "task-1") is not None
    with db.session() as session:
        assert storage.claim_delivery(session, delivery.id, "task-2") is None
        again = storage.claim_delivery(session, delivery.id, "task-1")
        assert again is not None and again.attempts == 2
    db.dispose()
