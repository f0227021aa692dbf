"""A database with a past: a million finished deliveries and their comments, and the queries that must not read them.

The sweep, `tact deliveries recover` and `tact deliveries` read the deliveries table; the
dashboard's trends read comments and findings. Each runs here as the
real storage function, inside a transaction that is rolled back, and every statement it sends is
explained first (``EXPLAIN (FORMAT JSON)``, same parameters, same transaction). With the old rows
in place and analyzed, none of them may scan a whole big table. tests/test_faults.py checks that on
the stack's own database; bench/history.py times the same workload against an empty one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import Session

from service import storage
from service.storage import normalize_url

OLD_DELIVERIES = 1_000_000
OLD_COMMENTS = 100_000  # each with one finding, spread over the repositories below
REPOSITORIES = 1_000
INSTALLATIONS = 50
BIG_TABLES = ("deliveries", "comments", "findings")
# The repository whose dashboard is read: it has old comments like the others.
DASHBOARD_REPOSITORY = 5_000 + 7

# One statement per table (INSERT ... SELECT generate_series): a month to a month and a half old,
# almost all done, one in a hundred skipped, one in ten thousand failed.
OLD_ROWS = (
    "INSERT INTO deliveries (guid, event, action, installation_id, repository_id, payload, state, attempts, "
    "reason, received_at, updated_at) "
    "SELECT 'old-' || lpad(n::text, 7, '0'), 'pull_request_review_comment', 'created', "
    f"1000 + n % {INSTALLATIONS}, 5000 + n % {REPOSITORIES}, '{{}}', "
    "CASE WHEN n % 10000 = 0 THEN 'failed' WHEN n % 100 = 0 THEN 'skipped' ELSE 'done' END, 1, "
    "CASE WHEN n % 10000 = 0 THEN 'HTTP 422' END, "
    "now() - interval '30 days' - n * interval '1 second' * 1.3, now() - interval '30 days' "
    f"FROM generate_series(1, {OLD_DELIVERIES}) AS n",
    "INSERT INTO comments (kind, github_id, repository_id, pull_number, author, deleted, created_at, analyzed_at, "
    "ignored, backfilled) "
    f"SELECT 'review_comment', 900000000 + n, 5000 + n % {REPOSITORIES}, 1 + n % 97, 'octocat', false, "
    "now() - interval '30 days' - n * interval '1 second' * 13, now() - interval '30 days', false, false "
    f"FROM generate_series(1, {OLD_COMMENTS}) AS n",
    "INSERT INTO findings (comment_id, rule, category, severity, start, \"end\", score, message, suggestion, "
    "created_at) "
    "SELECT id, 'blame.you-broke', 'blame', 'warning', 0, 10, 0.9, 'Blames the author.', 'Say what broke.', "
    "created_at FROM comments WHERE github_id > 900000000",
)


def insert_old_rows(database_url: str, out: dict) -> None:
    """Every old row in one transaction, then ANALYZE; `out["seconds"]` says how long it took."""
    engine = create_engine(normalize_url(database_url))
    started = time.monotonic()
    try:
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL synchronous_commit = off"))
            for statement in OLD_ROWS:
                conn.execute(text(statement))
        with engine.begin() as conn:
            for table in BIG_TABLES:
                conn.execute(text(f"ANALYZE {table}"))
        out["seconds"] = time.monotonic() - started
    finally:
        engine.dispose()


def workload() -> dict[str, Callable[[Session], object]]:
    """What beat, the CLI and the dashboard ask of a database that has a past, by name."""
    now = storage.utcnow()
    month = now - timedelta(days=28)
    guids = [f"old-{n:07d}" for n in range(1, OLD_DELIVERIES, OLD_DELIVERIES // 500)]
    return {
        "sweep: deliveries to send again": lambda s: storage.reset_stuck_deliveries(s, older_than=timedelta(seconds=3)),
        "sweep: check runs to publish again": lambda s: storage.pending_publishes(s, older_than=timedelta(seconds=3)),
        "recover: which GUIDs are stored": lambda s: storage.stored_guids(s, guids),
        "tact deliveries": lambda s: storage.recent_deliveries(s, limit=20),
        "tact deliveries --state failed": lambda s: storage.recent_deliveries(s, limit=20, state="failed"),
        "tact deliveries --state skipped": lambda s: storage.recent_deliveries(s, limit=20, state="skipped"),
        "dashboard: findings by day": lambda s: storage.finding_counts_by_day(s, DASHBOARD_REPOSITORY, month),
        "dashboard: activity by day": lambda s: storage.activity_by_day(s, DASHBOARD_REPOSITORY, month),
        "dashboard: rules": lambda s: storage.rule_counts(s, DASHBOARD_REPOSITORY, month),
        "dashboard: recent findings": lambda s: storage.recent_findings(s, DASHBOARD_REPOSITORY, month),
    }


@contextmanager
def rolled_back(database_url: str) -> Iterator[tuple[object, Callable[[], Session]]]:
    """(engine, session factory) whose sessions commit into savepoints of one transaction, rolled back at the end.

    The storage functions commit; here their commits release savepoints, so the workload changes nothing.
    """
    engine = create_engine(normalize_url(database_url))
    try:
        with engine.connect() as conn:
            outer = conn.begin()
            try:
                yield conn, lambda: Session(bind=conn, join_transaction_mode="create_savepoint")
            finally:
                outer.rollback()
    finally:
        engine.dispose()


def plans(database_url: str) -> dict[str, list[dict]]:
    """{workload name: the plan of each statement it sent}, each explained just before it ran."""
    found: dict[str, list[dict]] = {}
    current: list[dict] = []

    def explain(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE", "INSERT", "WITH")):
            cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
            current.append({"statement": " ".join(statement.split())[:300], "plan": cursor.fetchone()[0][0]["Plan"]})

    with rolled_back(database_url) as (conn, session):
        event.listen(conn, "before_cursor_execute", explain)
        try:
            for name, run in workload().items():
                current = found.setdefault(name, [])
                with session() as s:
                    run(s)
        finally:
            event.remove(conn, "before_cursor_execute", explain)
    return found


def _nodes(plan: dict) -> Iterator[dict]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def sequential_scans(found: dict[str, list[dict]], tables=BIG_TABLES) -> dict[str, list[str]]:
    """{workload name: the big tables one of its statements reads from end to end}; empty when all use indexes."""
    scans: dict[str, list[str]] = {}
    for name, statements in found.items():
        for step in statements:
            for node in _nodes(step["plan"]):
                if node.get("Node Type") == "Seq Scan" and node.get("Relation Name") in tables:
                    scans.setdefault(name, []).append(node["Relation Name"])
    return scans


def timings(database_url: str, rounds: int = 5) -> dict[str, list[float]]:
    """{workload name: milliseconds of each of `rounds` runs}, each run rolled back."""
    result: dict[str, list[float]] = {}
    with rolled_back(database_url) as (_conn, session):
        for name, run in workload().items():
            for _ in range(rounds):
                with session() as s:
                    started = time.perf_counter()
                    run(s)
                    result.setdefault(name, []).append((time.perf_counter() - started) * 1000)
    return result
