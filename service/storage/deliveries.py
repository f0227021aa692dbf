"""Delivery rows: recorded before GitHub gets its answer, claimed once, finished with a reason."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from sqlalchemy import (
    Connection,
    Dialect,
    false,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from service.storage.models import (
    DELIVERY_STATES,
    FAILED,
    PROCESSING,
    RECEIVED,
    Delivery,
    utcnow,
)

# Every column the receiver sets per row; attempts starts at 0 and both timestamps are the statement's own.
_INSERTED = ("guid", "event", "action", "installation_id", "repository_id", "payload", "state")


def insert_delivery(conn: Connection, *, guid: str, event: str, action: str | None,
                    installation_id: int | None, repository_id: int | None, payload: dict,
                    state: str = RECEIVED) -> tuple[int, bool]:
    """Insert one delivery; return (id, created). A redelivery keeps its GUID (``insert_deliveries``)."""
    [result] = insert_deliveries(conn, [NewDelivery(guid, event, action, installation_id, repository_id,
                                                    json.dumps(payload), state)])
    return result


@dataclass(frozen=True)
class NewDelivery:
    """The columns the receiver sets; the rest start from their defaults.

    ``payload_json`` is the payload as JSON text, stored as given: the receiver passes the body
    GitHub signed, so the payload is not serialised again for the database to parse once more.
    """

    guid: str
    event: str
    action: str | None
    installation_id: int | None
    repository_id: int | None
    payload_json: str
    state: str = RECEIVED


def insert_deliveries(conn: Connection, rows: Sequence[NewDelivery]) -> list[tuple[int, bool]]:
    """Insert deliveries in one statement; return (id, created) for each, in order.

    ``INSERT ... VALUES (...), (...) ON CONFLICT (guid) DO NOTHING RETURNING id, guid`` needs no
    SELECT first and no SAVEPOINT, and two web workers racing on the same redelivery cannot both
    create it. On an autocommit connection (``Database.autocommit``) the rows are committed
    together when this returns, all or none, in one round trip and one WAL flush; only when some
    GUID was already stored does a second round trip read the existing ids. A GUID twice in
    ``rows`` is created by its first occurrence; the later ones are duplicates of it.
    """
    if not rows:
        return []
    sql, stamp = _insert_statement(conn.dialect, len(rows))
    params = {"now": stamp(utcnow())}
    for n, row in enumerate(rows):
        params.update(zip(_names(n), (row.guid, row.event, row.action, row.installation_id, row.repository_id,
                                      row.payload_json, row.state), strict=True))
    ids = {guid: id_ for id_, guid in _fetch(conn, sql, params)}
    fresh = set(ids)
    if missing := {row.guid for row in rows} - fresh:
        ids |= dict(conn.execute(select(Delivery.guid, Delivery.id).where(Delivery.guid.in_(missing))).all())
    results = []
    for row in rows:
        results.append((ids[row.guid], row.guid in fresh))
        fresh.discard(row.guid)  # a repeat of this GUID later in ``rows`` is a duplicate of this one
    return results


def _fetch(conn: Connection, sql: str, params: dict) -> list[tuple]:
    """Run ``sql`` on the driver's own cursor; errors come out as SQLAlchemy's, as ``exec_driver_sql`` raises them.

    SQLAlchemy's execution context, result object and event dispatch around one statement cost the
    receiver's writer about a sixth of its CPU under load, for a statement it hands to the driver
    as it is anyway. Only where the statement needs nothing of SQLAlchemy: on an autocommit
    connection or inside a transaction it has begun (elsewhere its autobegin is what makes a later
    ``commit()`` commit).
    """
    if not (conn.in_transaction() or conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT"):
        return conn.exec_driver_sql(sql, params).all()
    dialect, driver = conn.dialect, conn.connection.dbapi_connection
    cursor = driver.cursor()
    try:
        cursor.execute(sql, params)
        return cursor.fetchall()
    except dialect.loaded_dbapi.Error as exc:
        lost = dialect.is_disconnect(exc, driver, cursor)
        if lost:
            conn.invalidate(exc)  # as SQLAlchemy does: the pool drops the connection instead of reusing it
        raise DBAPIError.instance(sql, None, exc, dialect.loaded_dbapi.Error, hide_parameters=True,
                                  connection_invalidated=lost, dialect=dialect) from exc
    finally:
        cursor.close()


@lru_cache(maxsize=256)  # per dialect and batch size; batches are at most Config.webhook_batch_size
def _insert_statement(dialect: Dialect, count: int) -> tuple[str, Callable]:
    """The INSERT in the driver's own named placeholders, and how the driver wants a timestamp.

    Handed to the driver as it is (``exec_driver_sql``): SQLAlchemy's compiling, caching and
    per-value processing of a ``text()`` statement with ten parameters a row cost more CPU than
    the driver and the database together. The same text on SQLite (3.35+) and PostgreSQL.

    Named, so the time is one parameter for every row and attempts a literal: seven parameters a
    row, not ten. psycopg parses a statement's placeholders once and keeps the result only for
    statements of at most 50 parameters (``psycopg._queries``); past that it parsed the whole
    INSERT again for every batch, which cost the receiver more than the rest of the statement.
    """
    if dialect.paramstyle in ("pyformat", "format"):
        def mark(name: str) -> str:
            return f"%({name})s"
    else:
        def mark(name: str) -> str:
            return f":{name}"
    rows = ", ".join("(" + ", ".join([*(mark(name) for name in _names(n)), "0", mark("now"), mark("now")]) + ")"
                     for n in range(count))
    sql = f"INSERT INTO deliveries ({', '.join(_INSERTED)}, attempts, received_at, updated_at) VALUES {rows} " \
          "ON CONFLICT (guid) DO NOTHING RETURNING id, guid"
    # PostgreSQL's driver takes datetimes; SQLite stores the text SQLAlchemy's DateTime writes and reads.
    stamp = Delivery.__table__.c.received_at.type.bind_processor(dialect) or (lambda value: value)
    return sql, stamp


@lru_cache(maxsize=256)
def _names(n: int) -> tuple[str, ...]:
    """The parameter names of row ``n`` of a batch: guid0, event0, ..."""
    return tuple(f"{column}{n}" for column in _INSERTED)


def record_delivery(session: Session, *, guid: str, event: str, action: str | None, installation_id: int | None,
                    repository_id: int | None, payload: dict) -> tuple[Delivery, bool]:
    """``insert_delivery`` inside a session's transaction, returning the row (for the CLI and tests)."""
    delivery_id, created = insert_delivery(session.connection(), guid=guid, event=event, action=action,
                                           installation_id=installation_id, repository_id=repository_id,
                                           payload=payload)
    return session.get(Delivery, delivery_id), created


def claim_delivery(session: Session, delivery_id: int, claimant: str | None = None,
                   lease_seconds: float = 600.0) -> Delivery | None:
    """Move a delivery to processing under a lease; None when another live task has it or it is finished.

    A compare-and-set UPDATE, so two tasks sent for the same delivery never both process it. A row
    may be taken over when it is `received`, when its lease ran out (its worker died, or lost the
    database long enough to stop renewing), or when it is this very task's: when a worker process
    dies mid-task, Celery hands the same message (same task id) to another process.
    """
    now = utcnow()
    mine = (Delivery.claimed_by == claimant) if claimant else false()
    takeable = (Delivery.state == RECEIVED) | ((Delivery.state == PROCESSING) & (
        mine | (Delivery.lease_until < now) | (Delivery.lease_until.is_(None) & (Delivery.updated_at < now - timedelta(
            seconds=lease_seconds)))))
    result = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, takeable)
        .values(state=PROCESSING, claimed_by=claimant, attempts=Delivery.attempts + 1, updated_at=now,
                lease_until=now + timedelta(seconds=lease_seconds))
    )
    if result.rowcount != 1:
        session.rollback()
        return None
    session.commit()
    return session.get(Delivery, delivery_id)


def renew_lease(session: Session, delivery_id: int, claimant: str | None, lease_seconds: float) -> bool:
    """The heartbeat: extend our lease; False when the row is no longer ours (taken over or finished)."""
    result = session.execute(
        update(Delivery).where(Delivery.id == delivery_id, Delivery.state == PROCESSING,
                               Delivery.claimed_by == claimant)
        .values(lease_until=utcnow() + timedelta(seconds=lease_seconds)))
    session.commit()
    return result.rowcount == 1


def finish_delivery(session: Session, delivery: Delivery, state: str, reason: str | None = None) -> None:
    if state not in DELIVERY_STATES:
        raise ValueError(f"unknown delivery state {state!r}")
    delivery.state = state
    delivery.reason = reason[:2000] if reason else None
    delivery.updated_at = utcnow()
    session.commit()


def release_delivery(session: Session, delivery_id: int, reason: str, not_before: float = 0.0) -> None:
    """Hand a delivery back to the queue (a retryable failure): processing -> received.

    `not_before` seconds: the task's own retry comes then, so the sweeper leaves the row alone until
    a little after it (a Redis restarted empty loses that retry; the sweep then sends it).
    """
    now = utcnow()
    session.execute(update(Delivery).where(Delivery.id == delivery_id, Delivery.state == PROCESSING)
                    .values(state=RECEIVED, reason=reason[:2000], updated_at=now,
                            lease_until=now + timedelta(seconds=not_before)))
    session.commit()


def retry_failed_delivery(session: Session, delivery_id: int) -> bool:
    """failed -> received by hand, keeping the old reason; a compare-and-set, so it never races a worker."""
    delivery = session.get(Delivery, delivery_id)
    reason = f"retried by hand; before: {delivery.reason or 'no reason recorded'}"[:2000] if delivery else ""
    result = session.execute(update(Delivery).where(Delivery.id == delivery_id, Delivery.state == FAILED)
                             .values(state=RECEIVED, reason=reason, updated_at=utcnow()))
    session.commit()
    return result.rowcount == 1


def reset_stuck_deliveries(session: Session, *, older_than: timedelta, limit: int = 500) -> list[int]:
    """Deliveries to send to a worker again; those whose worker died go back to received first.

    Due are: `processing` rows whose lease ran out, and `received` rows nobody has taken for
    `older_than` (their message was lost with Redis, or never sent) or whose retry time has passed.
    Celery's own redelivery does not cover every crash, so the database is the source of truth.
    Only unfinished rows are read, through the state index, so a million old deliveries cost nothing.
    """
    now = utcnow()
    cutoff = now - older_than
    lapsed = (Delivery.lease_until < now) | (Delivery.lease_until.is_(None) & (Delivery.updated_at < cutoff))
    query = (select(Delivery.id, Delivery.state)
             .where(Delivery.state.in_((RECEIVED, PROCESSING)), lapsed)
             .order_by(Delivery.id).limit(limit))
    rows = session.execute(query).all()
    stuck = [i for i, state in rows if state == PROCESSING]
    if stuck:
        session.execute(update(Delivery).where(Delivery.id.in_(stuck), Delivery.state == PROCESSING, lapsed)
                        .values(state=RECEIVED))
    # Sent now: leave them for another `older_than` before sending again.
    ids = [i for i, _ in rows]
    if ids:
        session.execute(update(Delivery).where(Delivery.id.in_(ids), Delivery.state == RECEIVED)
                        .values(updated_at=now, lease_until=None))
    session.commit()
    return ids


def stored_guids(session: Session, guids: list[str]) -> set[str]:
    """Which of these delivery GUIDs Tact has a row for (in chunks, so the IN list stays short)."""
    found: set[str] = set()
    for start in range(0, len(guids), 500):
        found |= set(session.scalars(select(Delivery.guid).where(Delivery.guid.in_(guids[start: start + 500]))))
    return found


def recent_deliveries(session: Session, *, limit: int = 20, state: str | None = None) -> list[Delivery]:
    query = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if state:
        query = query.where(Delivery.state == state)
    return list(session.scalars(query))
