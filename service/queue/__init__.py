"""The task queue: Celery over Redis in production, an in-process runner on the embedded defaults.

The web process sends tasks *by name* (``queue.send("tact.process_delivery", [id])``) and never
imports ``worker``; task names are a stable contract, like URL routes. Without ``REDIS_URL``
the same Celery task objects run in a background thread of the web process, so a single
``tact serve`` does the whole job with no other service running.
"""

from __future__ import annotations

import logging
import os
import queue as stdlib_queue
import threading
import time
import weakref
from datetime import timedelta

import redis
from celery import Celery, Task, signals
from flask import Flask
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from service.config import Config
from service.queue import messages

log = logging.getLogger(__name__)

PURGE_EVERY = timedelta(hours=24)  # forgetting what is past TACT_RETENTION_DAYS need not be punctual
# Each sweep leaves the time it ran here, so `tact doctor` can tell whether beat is running.
SWEEP_MARK = "tact:beat:last-sweep"
# What sending or pinging raises when Redis is down or refuses writes: kombu wraps refused
# connections; send_many talks to Redis itself (RedisError: unreachable, timed out, out of memory).
BrokerUnavailable = (OperationalError, RedisError, OSError)
# Seconds send_many waits to connect to Redis, and for its answer.
PUBLISH_TIMEOUT = 1.0


def celery_init_app(app: Flask, config: Config) -> Celery:
    """Flask's Celery pattern: tasks run inside an app context built from the same config."""

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.name, task_cls=FlaskTask)
    celery.conf.update(celery_settings(config))
    celery.set_default()
    app.extensions["celery"] = celery
    app.extensions["tact.queue"] = CeleryQueue(celery) if config.redis_url else InProcessQueue(celery, app)
    return celery


def celery_settings(config: Config) -> dict:
    """At-least-once delivery: late acks, requeue when a worker dies, one message at a time."""
    broker = config.redis_url or "memory://"
    return {
        "broker_url": broker,
        "result_backend": config.redis_url,
        "task_ignore_result": True,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_time_limit": 300,
        "task_soft_time_limit": 240,
        "broker_connection_retry_on_startup": True,
        # The webhook view sends while GitHub waits (10 s budget): give up on a dead Redis within
        # about a second; the delivery row is already committed and the sweeper sends it later.
        "task_publish_retry_policy": {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.3,
                                      "interval_max": 0.5},
        # A message unacked for an hour (a worker that vanished) is handed to another worker; the
        # delivery's lease and the sweep bring its work back much sooner (docs/reliability.md).
        "broker_transport_options": {"visibility_timeout": 3600},
        # Keep consuming after the broker comes back (Redis restarted empty): reconnect for ever.
        "broker_connection_retry": True,
        "broker_connection_max_retries": None,
        "worker_cancel_long_running_tasks_on_connection_loss": False,
        "worker_hijack_root_logger": False,
        "beat_schedule": beat_schedule(config),
    }


def beat_schedule(config: Config) -> dict:
    """The sweep every few seconds; recovery from GitHub's delivery log when the app has credentials."""
    schedule = {"sweep-stuck-deliveries": {"task": "tact.sweep_stuck_deliveries",
                                           "schedule": timedelta(seconds=config.sweep_interval_seconds)}}
    if config.github_app_configured:
        schedule["recover-deliveries"] = {"task": "tact.recover_deliveries",
                                          "schedule": timedelta(seconds=config.recover_interval_seconds)}
    schedule["purge-expired"] = {"task": "tact.purge_expired", "schedule": PURGE_EVERY}
    return schedule


class CeleryQueue:
    """Send by name through the broker; raise when Redis is down so the caller can say so."""

    def __init__(self, celery: Celery):
        self.celery = celery
        # For send_many; a dead or unreachable Redis fails within about a second, like send_task's
        # retry policy (task_publish_retry_policy), and the caller answers "kept".
        self._redis = redis.Redis.from_url(celery.conf.broker_url, socket_connect_timeout=PUBLISH_TIMEOUT,
                                           socket_timeout=PUBLISH_TIMEOUT)
        self._templates: dict[str, messages.MessageTemplate] = {}  # by task name, for send_many

    def send(self, name: str, args: list, countdown: float = 0.0) -> None:
        # send_task ignores the global task_ignore_result: without this it subscribes to a result
        # channel first, which hangs for ~20 s when Redis is down and piles up subscriptions.
        self.celery.send_task(name, args=args, ignore_result=True, countdown=countdown or None)

    def send_many(self, name: str, batch: list[list]) -> None:
        """Send one task per args list, all in one Redis round trip (the receiver's group commit).

        ``send_task``, and kombu's publishing under it, cost several times the CPU of the webhook
        view around them: routing, a result object, a producer from a pool and a new Redis client
        object for every message. Here each message is Celery's own, put in the envelope kombu's
        Redis transport pushes onto the queue's list (``messages``), and all are pushed by one
        LPUSH: Redis pushes its values in order, as one LPUSH each would, and answers once (a
        pipeline of one LPUSH per message cost the writer a reply to parse per message). When
        that fails it is unknown which were sent: the caller treats all as unsent, and a task sent
        twice is claimed once (``storage.claim_delivery``).

        Messages come from the task name's ``MessageTemplate`` unless someone listens to
        ``before_task_publish`` or ``after_task_publish`` (a listener may change the headers it is
        given): then Celery builds each one and the signals fire around the push as for ``send_task``.
        """
        if not batch:
            return
        queue = self.celery.conf.task_default_queue
        if signals.before_task_publish.receivers or signals.after_task_publish.receivers:
            return self._send_signalled(name, batch, queue)
        template = self._templates.get(name)
        if template is None or template.pid != os.getpid():  # built before a fork: Celery's origin names the pid
            template = self._templates[name] = messages.MessageTemplate(self.celery, name, queue)
        ids = iter(messages.uuid4s(2 * len(batch)))
        self._redis.lpush(queue, *(
            template.render(args, next(ids), next(ids)) if template.fits(args)
            else messages.redis_envelope(*messages.celery_message(self.celery, name, args, queue), queue)
            for args in batch))

    def _send_signalled(self, name: str, batch: list[list], queue: str) -> None:
        sent = []
        for args in batch:
            headers, properties, body = messages.celery_message(self.celery, name, args, queue)
            signals.before_task_publish.send(sender=name, body=body, exchange="", routing_key=queue,
                                             headers=headers, properties=properties, declare=[], retry_policy={})
            sent.append((headers, body, messages.redis_envelope(headers, properties, body, queue)))
        self._redis.lpush(queue, *(envelope for *_, envelope in sent))
        for headers, body, _ in sent:
            signals.after_task_publish.send(sender=name, body=body, headers=headers, exchange="", routing_key=queue)

    def ping(self) -> None:
        with self.celery.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)

    def mark_sweep(self) -> None:
        """Record that a sweep ran (in the result backend's Redis, kept a day)."""
        self.celery.backend.client.set(SWEEP_MARK, str(time.time()), ex=86_400)

    describe = "redis"

    def shutdown(self, timeout: float = 10.0) -> bool:
        """Release the broker connections; nothing runs in this process."""
        self._redis.close()
        close_celery(self.celery)
        return True


def close_celery(celery: Celery) -> None:
    """Close a Celery app with its result subscription and result-backend pool: Celery.close() leaves both
    open, and their Redis sockets would outlive the app (``mark_sweep`` writes through that pool)."""
    backend = celery.backend
    consumer = getattr(backend, "result_consumer", None)
    if consumer is not None and hasattr(consumer, "stop"):
        consumer.stop()
        # stop() closes the subscription but keeps it: an AsyncResult collected later unsubscribes through it
        # (AsyncResult.__del__ -> cancel_for), which opened a new Redis connection that nothing closed.
        if hasattr(consumer, "_pubsub"):
            consumer._pubsub = None
    if hasattr(backend, "client"):
        backend.client.connection_pool.disconnect()
    celery.close()


class InProcessQueue:
    """Run tasks in one daemon thread of this process, in order, with a periodic sweep.

    Deliveries are already committed before they are sent, so a restart loses nothing: the
    sweep re-sends those left ``received``.
    """

    describe = "in-process"
    # Every queue not yet collected, so a host that builds apps and drops them without close_app (a
    # test session) can stop their threads before it closes the streams they log to.
    live: weakref.WeakSet[InProcessQueue] = weakref.WeakSet()

    def __init__(self, celery: Celery, app: Flask):
        self.celery = celery
        self.app = app
        self._jobs: stdlib_queue.Queue = stdlib_queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._sent = 0
        self._sweep_every = app.config["TACT"].sweep_interval_seconds
        InProcessQueue.live.add(self)

    def send(self, name: str, args: list, countdown: float = 0.0) -> None:
        """In order, at once: one thread runs everything, so a burst coalesces without waiting."""
        self._ensure_thread()
        self._sent += 1
        self._jobs.put((name, args))

    def send_many(self, name: str, batch: list[list]) -> None:
        for args in batch:
            self.send(name, args)

    def ping(self) -> None:
        return None

    def shutdown(self, timeout: float = 10.0) -> bool:
        """Stop the worker thread after the job it is running; True once it has ended.

        Jobs still queued are not lost: their deliveries are committed rows, and the next process's
        first sweep re-sends them. Without this the daemon thread outlived its app and wrote to
        streams pytest had already closed ("I/O operation on closed file").
        """
        with self._lock:
            thread, self._thread = self._thread, None
            self._closed = True
        if thread is None or not thread.is_alive():
            return True
        self._jobs.put(("__stop__", None))
        thread.join(timeout)
        return not thread.is_alive()

    def mark_sweep(self) -> None:
        return None  # the sweep runs in this process's own thread; there is no beat to watch

    def join(self, timeout: float = 30.0) -> bool:
        """Wait until every job sent so far, and every job those sent, has run (tests and demos)."""
        import time

        deadline = time.monotonic() + timeout
        while True:
            sent = self._sent
            done = threading.Event()
            self._jobs.put(("__barrier__", done))
            self._ensure_thread()
            if not done.wait(max(0.0, deadline - time.monotonic())):
                return False
            if self._sent == sent:
                return True

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the in-process queue was shut down with its app")
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="tact-in-process-worker", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        self._import_tasks()
        self._jobs.put(("tact.sweep_stuck_deliveries", []))
        while True:
            try:
                name, args = self._jobs.get(timeout=self._sweep_every)
            except stdlib_queue.Empty:
                name, args = "tact.sweep_stuck_deliveries", []
            if name == "__stop__" or self._closed:  # shut down: what is still queued waits for the next sweep
                return
            if name == "__barrier__":
                args.set()
                continue
            self._run_one(name, args)

    def _run_one(self, name: str, args: list) -> None:
        task = self.celery.tasks.get(name)
        if task is None:
            log.error("in-process queue: no task named %s", name)
            return
        result = task.apply(args=args)
        if result.failed():
            log.warning("in-process task %s%s failed: %r", name, tuple(args), result.result)

    def _import_tasks(self) -> None:
        # Only the single-process mode imports the worker into the web process, on purpose.
        import worker.tasks  # noqa: F401
