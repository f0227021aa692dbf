"""Group commit: the deliveries of concurrent requests stored in one transaction, their tasks sent in one go.

Each web process has one writer thread. A request hands it a verified delivery and waits; the
writer takes every delivery waiting at that moment (at most ``TACT_WEBHOOK_BATCH_SIZE``), inserts
them with one ``INSERT ... ON CONFLICT (guid) DO NOTHING RETURNING`` that commits them together,
sends the new ones' tasks in one Redis round trip, and only then wakes their requests. So each
delivery is still stored and committed before its 202, deduplicated by its GUID, and sent after
its commit; a crash between commit and send leaves rows ``received``, which the sweeper sends.

Why: a commit waits for its WAL flush and every statement or message is a round trip, so one
request at a time spent most of its time waiting and its CPU on per-statement overhead. A batch
never waits for company: a request arriving alone is written at once, as a batch of one, and the
busier the receiver the larger the batches (PostgreSQL's "group commit", done by the client).

Failures keep the receiver's answers: the database unreachable fails the whole batch (one
statement: nothing of it stored) and each request answers 503; the database refusing the
statement for some other reason (a value it cannot keep) has each delivery tried alone, so one
bad delivery cannot fail the others; the broker down makes the batch ``kept``.
"""

from __future__ import annotations

import logging
import queue as stdlib_queue
import threading
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
# A writer with nothing to do this long ends its thread; the next delivery starts another. Apps that are
# built and dropped (tests, CLI commands) then leave no thread behind.
IDLE_SECONDS = 5.0


class NotRecorded(Exception):
    """The writer did not answer within ``TACT_WEBHOOK_WAIT_SECONDS``; the delivery may be stored later."""


@dataclass(frozen=True)
class Recorded:
    """What became of one delivery: its row id and its outcome (queued, kept, duplicate or pong)."""

    delivery_id: int
    outcome: str
    broker_error: str | None = None


class _Waiting:
    """One delivery handed to the writer, and the lock its request waits on until the writer is done with it.

    A bare lock, the least a hand-over between threads needs (a ``concurrent.futures.Future`` adds a
    condition variable, state and callbacks to every delivery).
    """

    __slots__ = ("delivery", "_done", "_result", "_error")

    def __init__(self, delivery: storage.NewDelivery):
        self.delivery = delivery
        self._result: Recorded | None = None
        self._error: BaseException | None = None
        self._done = threading.Lock()
        self._done.acquire()

    def finish(self, result: Recorded | None = None, error: BaseException | None = None) -> None:
        self._result, self._error = result, error
        self._done.release()

    def wait(self, timeout: float) -> Recorded:
        if not self._done.acquire(timeout=timeout):
            raise NotRecorded(f"no answer from the writer within {timeout:g} s")
        if self._error is not None:
            raise self._error
        return self._result


class Recorder:
    """One writer thread per process, started on first use, batching what concurrent requests hand it."""

    def __init__(self, db: storage.Database, tasks, *, batch_size: int, wait_seconds: float):
        self._db, self._tasks = db, tasks
        self._batch_size, self._wait_seconds = max(1, batch_size), wait_seconds
        self._pending: stdlib_queue.SimpleQueue = stdlib_queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._conn = None  # the writer's connection, kept while it is busy (used by its thread only)

    def record(self, delivery: storage.NewDelivery) -> Recorded:
        """Store ``delivery`` (committed) and send its task; raise what the database raised.

        A request that waited longer than ``wait_seconds`` gets ``NotRecorded`` (answered 503, so
        GitHub lets the user redeliver); its delivery may still be committed afterwards, and then
        the sweeper sends it and the redelivery is a duplicate.
        """
        waiting = _Waiting(delivery)
        self._pending.put(waiting)  # before the thread check: see _loop's exit
        self._ensure_thread()
        return waiting.wait(self._wait_seconds)

    def close(self, timeout: float = 10.0) -> None:
        """Write what is waiting, then end the thread (a gunicorn worker exiting)."""
        with self._lock:
            self._closed, thread = True, self._thread
        if thread is not None:
            self._pending.put(None)
            thread.join(timeout)

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the delivery writer was closed with its app")
            # Not alive: it ended on an error it did not expect; its batch answers 503 when its wait runs out.
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="tact-delivery-writer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        try:
            self._loop()
        finally:
            self._disconnect()

    def _loop(self) -> None:
        while True:
            try:
                first = self._pending.get(timeout=IDLE_SECONDS)
            except stdlib_queue.Empty:
                with self._lock:  # record() puts before it checks the thread, so nothing is stranded
                    if self._pending.empty():
                        self._thread = None
                        return
                continue
            if first is None:
                return
            batch = [first]
            while len(batch) < self._batch_size:
                try:
                    item = self._pending.get_nowait()
                except stdlib_queue.Empty:
                    break
                if item is None:
                    self._pending.put(None)  # stop after this batch
                    break
                batch.append(item)
            self._write(batch)

    def _write(self, batch: list[_Waiting]) -> None:
        try:
            results = self._insert([waiting.delivery for waiting in batch])
        except DatabaseUnavailable as exc:
            for waiting in batch:
                waiting.finish(error=exc)
            return
        except Exception as exc:  # noqa: BLE001 - handed to the requests, which raise it (a 500)
            if len(batch) == 1:
                batch[0].finish(error=exc)
                return
            for item in batch:  # nothing of the batch was stored: find the delivery the database refuses
                self._write([item])
            return
        self._send_and_answer(batch, results)

    def _insert(self, deliveries: list[storage.NewDelivery]) -> list[tuple[int, bool]]:
        """One statement on the writer's connection, kept only while more deliveries are waiting.

        Handed back to the pool before the requests are answered when none is waiting: an app
        disposed right after its last answer (tests, a worker exiting) then has it in its pool.
        """
        if self._conn is None:
            self._conn = self._db.autocommit_connection()
        try:
            return storage.insert_deliveries(self._conn, deliveries)
        except BaseException:
            self._disconnect()  # the next batch starts on a fresh connection
            raise
        finally:
            if self._pending.empty():
                self._disconnect()

    def _disconnect(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - a broken connection may fail to close; it is dropped either way
                log.debug("closing the writer's connection failed", exc_info=True)

    def _send_and_answer(self, batch: list[_Waiting], results: list[tuple[int, bool]]) -> None:
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
        for waiting, (delivery_id, created) in zip(batch, results, strict=True):
            if not created:
                waiting.finish(Recorded(delivery_id, "duplicate"))
            elif waiting.delivery.event == "ping":
                waiting.finish(Recorded(delivery_id, "pong"))
            else:
                waiting.finish(Recorded(delivery_id, "kept" if broker_error else "queued", broker_error))


def init_app(app: Flask) -> None:
    config = app.config["TACT"]
    app.extensions["tact.recorder"] = Recorder(app.extensions["tact.db"], app.extensions["tact.queue"],
                                               batch_size=config.webhook_batch_size,
                                               wait_seconds=config.webhook_wait_seconds)


def close(app: Flask) -> None:
    recorder = app.extensions.get("tact.recorder")
    if recorder is not None:
        recorder.close()
