"""One engine and session factory per process, for SQLite (embedded default) or PostgreSQL."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import (
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

# Seconds a pooled PostgreSQL connection may sit unused before it is tested again (see _ping_when_idle).
IDLE_PING_AFTER = 10.0
# Connections kept open per process: at least gunicorn's threads per worker, so none is opened per request.
POOL_SIZE = 12
DEFAULT_CONNECT_TIMEOUT = 5.0  # seconds; Config.database_connect_timeout_seconds sets it for the app


class Database:
    """An engine and its session factory; one per process, created by ``create_app``."""

    def __init__(self, url: str, connect_timeout: float = DEFAULT_CONNECT_TIMEOUT):
        self.url = normalize_url(url)
        self.engine = make_engine(self.url, connect_timeout)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # The same pool; each checkout runs with autocommit on and is reset on return.
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Commit on success, roll back on any error, always close."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def autocommit(self) -> Iterator[Connection]:
        """A connection on which each statement commits by itself: one round trip per write.

        For the receiver's single INSERT, a BEGIN and a COMMIT would triple the round trips.
        """
        with self._autocommit.connect() as conn:
            yield conn

    def autocommit_connection(self) -> Connection:
        """The same, kept by the caller until it closes it: no checkout and reset per statement.

        For the receiver's recorder, which holds one while deliveries keep coming; checking
        out, switching to autocommit and back and resetting on return cost more CPU than its INSERT.
        """
        return self._autocommit.connect()

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


def normalize_url(url: str) -> str:
    """Send plain postgresql:// URLs to psycopg 3, the driver we ship (SQLAlchemy defaults to psycopg2)."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def make_engine(url: str, connect_timeout: float = DEFAULT_CONNECT_TIMEOUT) -> Engine:
    """``hide_parameters``: a database error's text must never carry the bound values (comment bodies)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # pool_size covers tact serve's threads per worker (service/cli/server.py): with fewer, each
        # request beyond the pool opened and closed a connection of its own (a backend fork each).
        # libpq takes whole seconds and treats anything under 2 as 2.
        timeout = max(2, math.ceil(connect_timeout))
        engine = create_engine(url, hide_parameters=True, pool_size=POOL_SIZE,
                               connect_args={"connect_timeout": timeout})
        _ping_when_idle(engine)
        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, hide_parameters=True, connect_args={"timeout": 15})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Test a pooled connection before use only when it sat idle for ``IDLE_PING_AFTER`` seconds.

    ``pool_pre_ping`` pings on every checkout: one more round trip per delivery, which under load
    cost the receiver as much as its INSERT. Connections go stale while idle (a database restart
    overnight, a firewall dropping quiet sockets); a busy pool's were used a moment ago, and when
    one breaks mid-use SQLAlchemy discards the whole pool anyway. Raising ``DisconnectionError``
    on checkout makes the pool replace the connection and try again (SQLAlchemy's "Disconnect
    Handling - Pessimistic", custom form).
    """

    @event.listens_for(engine, "checkin")
    def _stamp(_dbapi_conn, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_conn, record, _proxy) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < IDLE_PING_AFTER:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError("stale pooled connection") from exc


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # WAL lets the web process insert deliveries while the in-process worker reads;
    # foreign keys are off by default in SQLite.
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
