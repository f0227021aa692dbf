"""Group commit: the deliveries of concurrent requests stored in one transaction, their tasks sent in one go.

A request hands its verified delivery to the process's recorder and waits. One request at a time
leads: it takes every delivery waiting at that moment (at most ``TACT_WEBHOOK_BATCH_SIZE``),
inserts them with one ``INSERT ... ON CONFLICT (guid) DO NOTHING RETURNING`` that commits them
together, sends the new ones' tasks in one Redis round trip, and only then wakes their requests.
So each delivery is still stored and committed before its 202, deduplicated by its GUID, and
sent after its commit; a crash between commit and send leaves rows ``received``, which the
sweeper sends.

Why: a commit waits for its WAL flush and every statement or message is a round trip, so one
request at a time spent most of its time waiting and its CPU on per-statement overhead. A batch
never waits for company: a request arriving alone is written at once, as a batch of one, and the
busier the receiver the larger the batches (PostgreSQL's "group commit", done by the client).

Why a leading request rather than a writer thread of its own: on a busy small machine each
hand-over between threads is a wake-up and a fight for the GIL, and a writer thread cost two more
of them per batch (waking it, and its own request waking again) than the webhook view around it
spent on its work. The leader writes in its own thread; when its own delivery is done it hands
the lead to the first request still waiting, which was going to be woken anyway.

Failures keep the receiver's answers: the database unreachable fails the whole batch (one
statement: nothing of it stored) and each request answers 503; the database refusing the
statement for some other reason (a value it cannot keep) has each delivery tried alone, so one
bad delivery cannot fail the others; the broker down makes the batch ``kept``.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from flask import Flask
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from service import storage
from service.queue import BrokerUnavailable

log = logging.getLogger(__name__)

PROCESS_TASK = "tact.process_delivery"
# What a database that is down or overloaded raises; other database errors are bugs and surface as 500.
DatabaseUnavailable = (OperationalError, InterfaceError, PoolTimeout)


class NotRecorded(Exception):
    """No answer within ``TACT_WEBHOOK_WAIT_SECONDS``; the delivery may be stored later."""


@dataclass(frozen=True)
class Recorded:
    """What became of one delivery: its row id and its outcome (queued, kept, duplicate or pong)."""

    delivery_id: int
    outcome: str
    broker_error: str | None = None


# A waiting delivery's state, changed only under the recorder's lock.
_WAITING, _LEAD, _DONE, _GAVE_UP = "waiting", "lead", "done", "gave up"


class _Waiting:
    """One delivery handed to the recorder, and the lock its request sleeps on until it is done or leads.

    A bare lock, the least a hand-over between threads needs (a ``concurrent.futures.Future`` adds a
    condition variable, state and callbacks to every delivery).
    """

    __slots__ = ("delivery", "state", "_wake", "result", "error")

    def __init__(self, delivery: storage.NewDelivery):
        self.delivery = delivery
        self.state = _WAITING
        self.result: Recorded | None = None
        self.error: BaseException | None = None
        self._wake = threading.Lock()
        self._wake.acquire()


class Recorder:
    """Batches what concurrent requests hand it; the request that finds no batch being written writes one."""

    def __init__(self, db: storage.Database, tasks, *, batch_size: int, wait_seconds: float):
        self._db, self._tasks = db, tasks
        self._batch_size, self._wait_seconds = max(1, batch_size), wait_seconds
        self._lock = threading.Lock()
        self._pending: list[_Waiting] = []  # in arrival order; under _lock
        self._leading = False  # some request is writing; under _lock
        self._closed = False
        self._conn = None  # kept while deliveries keep coming; used by the leading request only

    def record(self, delivery: storage.NewDelivery) -> Recorded:
        """Store ``delivery`` (committed) and send its task; raise what the database raised.

        A request that waited longer than ``wait_seconds`` gets ``NotRecorded`` (answered 503, so
        GitHub lets the user redeliver); its delivery is dropped when no batch has taken it yet,
        and otherwise may be committed afterwards: then the sweeper sends it and the redelivery is
        a duplicate.
        """
        waiting = _Waiting(delivery)
        with self._lock:
            if self._closed:
                raise RuntimeError("the delivery recorder was closed with its app")
            self._pending.append(waiting)
            if not self._leading:
                self._leading, waiting.state = True, _LEAD
        if waiting.state != _LEAD:
            self._sleep(waiting)
        if waiting.state == _LEAD:
            self._lead(waiting)
        if waiting.error is not None:
            raise waiting.error
        return waiting.result

    def close(self, timeout: float = 10.0) -> None:
        """Refuse new deliveries; give the batch being written ``timeout`` seconds, then let go of the connection."""
        with self._lock:
            self._closed = True
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not self._leading:
                    self._disconnect()
                    return
            time.sleep(0.01)

    def _sleep(self, waiting: _Waiting) -> None:
        if waiting._wake.acquire(timeout=self._wait_seconds):
            return
        with self._lock:
            if waiting.state == _WAITING:
                waiting.state = _GAVE_UP
                if waiting in self._pending:  # no batch has taken it: it will never be stored
                    self._pending.remove(waiting)
                raise NotRecorded(f"no answer within {self._wait_seconds:g} s")
        waiting._wake.acquire()  # done or handed the lead just now: the release is on its way

    def _lead(self, own: _Waiting) -> None:
        """Write batches until our own delivery is done, then hand the lead on (or drop it when none waits)."""
        try:
            while own.state == _LEAD:
                with self._lock:
                    batch = self._pending[: self._batch_size]
                    del self._pending[: self._batch_size]
                self._write(batch)
        finally:
            with self._lock:
                if own.state == _LEAD:  # _write raised: nothing will answer it otherwise
                    own.state, own.error = _DONE, RuntimeError("the delivery recorder failed")
                following = self._pending[0] if self._pending else None
                if following is None:
                    self._leading = False
                    self._disconnect()  # an app disposed after its last answer finds it in its pool
                else:
                    following.state = _LEAD
            if following is not None:
                following._wake.release()

    def _write(self, batch: list[_Waiting]) -> None:
        try:
            results = self._insert([waiting.delivery for waiting in batch])
        except DatabaseUnavailable as exc:
            self._finish(batch, [(None, exc)] * len(batch))
            return
        except Exception as exc:  # noqa: BLE001 - handed to the requests, which raise it (a 500)
            if len(batch) == 1:
                self._finish(batch, [(None, exc)])
                return
            for item in batch:  # nothing of the batch was stored: find the delivery the database refuses
                self._write([item])
            return
        self._finish(batch, [(result, None) for result in self._send(batch, results)])

    def _insert(self, deliveries: list[storage.NewDelivery]) -> list[tuple[int, bool]]:
        """One statement on the recorder's connection, which is kept until no delivery is waiting."""
        if self._conn is None:
            self._conn = self._db.autocommit_connection()
        try:
            return storage.insert_deliveries(self._conn, deliveries)
        except BaseException:
            self._disconnect()  # the next batch starts on a fresh connection
            raise

    def _disconnect(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - a broken connection may fail to close; it is dropped either way
                log.debug("closing the recorder's connection failed", exc_info=True)

    def _send(self, batch: list[_Waiting], results: list[tuple[int, bool]]) -> list[Recorded]:
        to_send = [[delivery_id] for waiting, (delivery_id, created) in zip(batch, results, strict=True)
                   if created and waiting.delivery.event != "ping"]
        broker_error = None
        try:
            self._tasks.send_many(PROCESS_TASK, to_send)
        except BrokerUnavailable as exc:
            broker_error = type(exc).__name__
        except Exception as exc:  # noqa: BLE001 - the rows are committed; the sweeper sends them
            log.exception("sending %d tasks failed; the sweeper will send them", len(to_send))
            broker_error = type(exc).__name__
        outcomes = []
        for waiting, (delivery_id, created) in zip(batch, results, strict=True):
            if not created:
                outcomes.append(Recorded(delivery_id, "duplicate"))
            elif waiting.delivery.event == "ping":
                outcomes.append(Recorded(delivery_id, "pong"))
            else:
                outcomes.append(Recorded(delivery_id, "kept" if broker_error else "queued", broker_error))
        return outcomes

    def _finish(self, batch: list[_Waiting], answers: list[tuple[Recorded | None, BaseException | None]]) -> None:
        """Answer each delivery of the batch and wake its request; a request that gave up is not woken."""
        woken = []
        with self._lock:
            for waiting, (result, error) in zip(batch, answers, strict=True):
                if waiting.state == _GAVE_UP:
                    continue
                sleeping = waiting.state == _WAITING
                waiting.state, waiting.result, waiting.error = _DONE, result, error
                if sleeping:
                    woken.append(waiting)
        for waiting in woken:
            waiting._wake.release()


def init_app(app: Flask) -> None:
    config = app.config["TACT"]
    app.extensions["tact.recorder"] = Recorder(app.extensions["tact.db"], app.extensions["tact.queue"],
                                               batch_size=config.webhook_batch_size,
                                               wait_seconds=config.webhook_wait_seconds)


def close(app: Flask) -> None:
    recorder = app.extensions.get("tact.recorder")
    if recorder is not None:
        recorder.close()
