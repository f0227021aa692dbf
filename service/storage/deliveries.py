"""Delivery rows: recorded before GitHub gets its answer, claimed once, finished with a reason."""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from sqlalchemy import (
    Connection,
    bindparam,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from service.storage.models import (
    DELIVERY_STATES,
    FAILED,
    PROCESSING,
    RECEIVED,
    Delivery,
    utcnow,
)

# Every column the receiver sets, named so the statement below is built from one list.
_INSERTED = ("guid", "event", "action", "installation_id", "repository_id", "payload", "state", "attempts",
             "received_at", "updated_at")


def insert_delivery(conn: Connection, *, guid: str, event: str, action: str | None,
                    installation_id: int | None, repository_id: int | None, payload: dict,
                    state: str = RECEIVED) -> tuple[int, bool]:
    """Insert a delivery in one statement; return (id, created). A redelivery keeps its GUID.

    ``INSERT ... ON CONFLICT (guid) DO NOTHING RETURNING id`` needs no SELECT first and no
    SAVEPOINT, and two web workers racing on the same redelivery cannot both create it. On an
    autocommit connection (``Database.autocommit``) the row is committed when this returns, in
    one round trip; the duplicate path costs a second one to read the existing id.
    """
    now = utcnow()
    params = {"guid": guid, "event": event, "action": action, "installation_id": installation_id,
              "repository_id": repository_id, "payload": payload, "state": state, "attempts": 0,
              "received_at": now, "updated_at": now}
    new_id = conn.execute(_insert_statement(), params).scalar()
    if new_id is not None:
        return new_id, True
    return conn.execute(select(Delivery.id).where(Delivery.guid == guid)).scalar_one(), False


@cache
def _insert_statement():
    """The same text on SQLite (3.35+) and PostgreSQL, built once.

    Text, not ``postgresql.insert(...).on_conflict_do_nothing()``: SQLAlchemy does not cache the
    compiled form of the dialects' INSERT constructs (``inherit_cache = False``), and compiling
    it on every delivery cost more CPU than the rest of the request.
    """
    columns = Delivery.__table__.c
    names = ", ".join(_INSERTED)
    values = ", ".join(f":{name}" for name in _INSERTED)
    return text(f"INSERT INTO deliveries ({names}) VALUES ({values}) ON CONFLICT (guid) DO NOTHING RETURNING id") \
        .bindparams(*(bindparam(name, type_=columns[name].type) for name in _INSERTED)) \
        .columns(id=columns.id.type)


def record_delivery(session: Session, *, guid: str, event: str, action: str | None, installation_id: int | None,
                    repository_id: int | None, payload: dict) -> tuple[Delivery, bool]:
    """``insert_delivery`` inside a session's transaction, returning the row (for the CLI and tests)."""
    delivery_id, created = insert_delivery(session.connection(), guid=guid, event=event, action=action,
                                           installation_id=installation_id, repository_id=repository_id,
                                           payload=payload)
    return session.get(Delivery, delivery_id), created


def claim_delivery(session: Session, delivery_id: int, claimant: str | None = None) -> Delivery | None:
    """Move a delivery from received to processing; None when another task has it or it is finished.

    A compare-and-set UPDATE, so two tasks sent for the same delivery never both process it. The
    same task may claim its row again: when a worker process dies mid-task, Celery hands the very
    same message (same task id) to another process, and the row it left `processing` is its own.
    """
    mine = (Delivery.state == PROCESSING) & (Delivery.claimed_by == claimant) if claimant else False
    result = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, (Delivery.state == RECEIVED) | mine)
        .values(state=PROCESSING, claimed_by=claimant, attempts=Delivery.attempts + 1, updated_at=utcnow())
    )
    if result.rowcount != 1:
        return None
    session.commit()
    return session.get(Delivery, delivery_id)


def finish_delivery(session: Session, delivery: Delivery, state: str, reason: str | None = None) -> None:
    if state not in DELIVERY_STATES:
        raise ValueError(f"unknown delivery state {state!r}")
    delivery.state = state
    delivery.reason = reason[:2000] if reason else None
    delivery.updated_at = utcnow()
    session.commit()


def release_delivery(session: Session, delivery_id: int, reason: str) -> None:
    """Hand a delivery back to the queue (a retryable failure): processing -> received."""
    session.execute(update(Delivery).where(Delivery.id == delivery_id, Delivery.state == PROCESSING)
                    .values(state=RECEIVED, reason=reason[:2000], updated_at=utcnow()))
    session.commit()


def retry_failed_delivery(session: Session, delivery_id: int) -> bool:
    """failed -> received by hand, keeping the old reason; a compare-and-set, so it never races a worker."""
    delivery = session.get(Delivery, delivery_id)
    reason = f"retried by hand; before: {delivery.reason or 'no reason recorded'}"[:2000] if delivery else ""
    result = session.execute(update(Delivery).where(Delivery.id == delivery_id, Delivery.state == FAILED)
                             .values(state=RECEIVED, reason=reason, updated_at=utcnow()))
    session.commit()
    return result.rowcount == 1


def reset_stuck_deliveries(session: Session, *, older_than: timedelta) -> list[int]:
    """Deliveries left in processing by a killed worker go back to received; return the ids to enqueue.

    Celery's own redelivery does not cover every crash (measured: a solo worker's unacked message
    was not run again within 45 s of a restart), so the database is the source of truth.
    """
    cutoff = utcnow() - older_than
    stuck = session.scalars(select(Delivery.id).where(Delivery.state == PROCESSING, Delivery.updated_at < cutoff))
    ids = list(stuck)
    if ids:
        session.execute(update(Delivery).where(Delivery.id.in_(ids)).values(state=RECEIVED, updated_at=utcnow()))
    waiting = session.scalars(select(Delivery.id).where(Delivery.state == RECEIVED, Delivery.updated_at < cutoff))
    ids = sorted(set(ids) | set(waiting))
    session.commit()
    return ids


def recent_deliveries(session: Session, *, limit: int = 20, state: str | None = None) -> list[Delivery]:
    query = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if state:
        query = query.where(Delivery.state == state)
    return list(session.scalars(query))
