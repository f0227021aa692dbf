"""Logging set-up shared by the web and worker processes, and the one way to describe an error safely.

Log lines name deliveries, events and outcomes; they never carry comment bodies, payloads,
tokens or keys (comments can be sensitive, and logs travel further than the database).
Database errors are the trap: PostgreSQL's DETAIL and CONTEXT lines quote the rejected value
(`CONTEXT: JSON data, line 1: {"comment": {"body": "...`), psycopg adds the bound parameters,
and SQLAlchemy would list them all unless its engines hide them (``hide_parameters=True`` in
storage). So every log record is scrubbed where it is made: a database error, whether logged
with its traceback, passed as an argument or stored as a delivery's reason, is reduced to its
type and SQLSTATE by ``describe``.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Exceptions raised by these packages may quote stored values in their text.
_DATABASE_PACKAGES = ("sqlalchemy", "psycopg", "sqlite3", "_sqlite3")
_WITHHELD = "message withheld: database errors can quote the stored text"


def configure(level: str) -> None:
    root = logging.getLogger()
    if not any(getattr(h, "_tact", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(FORMAT))
        handler._tact = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level.upper())
    # urllib3 logs full URLs with query strings at DEBUG, which may hold OAuth codes.
    logging.getLogger("urllib3").setLevel(max(logging.INFO, root.level))
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "_tact", False):
        logging.setLogRecordFactory(_scrubbing(factory))


def describe(exc: BaseException) -> str:
    """One line about ``exc`` for a log or a delivery's reason; a database error keeps only its type and SQLSTATE."""
    db = database_error(exc)
    if db is None:
        return f"{type(exc).__name__}: {exc}"
    state = getattr(db, "sqlstate", None) or getattr(db, "sqlite_errorname", None)
    return f"{type(exc).__name__} from the database ({type(db).__name__}{f', SQLSTATE {state}' if state else ''}; " \
           f"{_WITHHELD})"


def database_error(exc: BaseException) -> BaseException | None:
    """The driver's (or SQLAlchemy's) exception in ``exc``'s chain, if any: the one whose text may quote data."""
    found = None
    for link in _chain(exc):
        if type(link).__module__.split(".")[0] in _DATABASE_PACKAGES:
            found = getattr(link, "orig", None) or link
            if type(found).__module__.split(".")[0] != "sqlalchemy":
                return found
    return found


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    pending = [exc]
    while pending:
        link = pending.pop()
        if link is None or id(link) in seen:
            continue
        seen.add(id(link))
        yield link
        pending += [link.__cause__, link.__context__, getattr(link, "orig", None)]


def _scrubbing(factory):
    def make_record(*args, **kwargs) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        try:
            _scrub(record)
        except Exception:  # noqa: BLE001 - logging must never fail because of the scrubber
            record.msg, record.args, record.exc_info = "log record withheld (it could not be scrubbed)", (), None
        return record

    make_record._tact = True  # type: ignore[attr-defined]
    return make_record


def _scrub(record: logging.LogRecord) -> None:
    errors = [e for e in _record_exceptions(record) if database_error(e) is not None]
    if not errors:
        return
    tainted = {line.strip() for e in errors for link in _chain(e) for line in str(link).splitlines()}
    tainted = {t for t in tainted if len(t) >= 8}
    if isinstance(record.args, dict):
        record.args = {k: _clean(v, tainted) for k, v in record.args.items()}
    elif isinstance(record.args, tuple):
        record.args = tuple(_clean(v, tainted) for v in record.args)
    record.msg = _clean(record.msg, tainted)
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = _safe_traceback(record.exc_info[1], tainted)
        record.exc_info = None
    if hasattr(record, "data"):  # Celery's extra={"data": context} repeats the arguments
        record.data = None


def _record_exceptions(record: logging.LogRecord) -> list[BaseException]:
    found = [record.exc_info[1]] if record.exc_info and record.exc_info[1] is not None else []
    args = record.args.values() if isinstance(record.args, dict) else record.args or ()
    return found + [a for a in args if isinstance(a, BaseException)]


def _clean(value, tainted: set[str]):
    if isinstance(value, BaseException) and database_error(value) is not None:
        return describe(value)
    if isinstance(value, str):
        cut = min((value.find(t) for t in tainted if t in value), default=-1)
        return value if cut < 0 else value[:cut] + f"[{_WITHHELD}]"
    return value


def _safe_traceback(exc: BaseException, tainted: set[str]) -> str:
    """The frames of every exception in the chain (they show our code, not data), database messages withheld."""
    parts = []
    for link in reversed(list(_chain(exc))):
        frames = "".join(traceback.format_tb(link.__traceback__)) if link.__traceback__ else ""
        database = type(link).__module__.split(".")[0] in _DATABASE_PACKAGES
        text = _WITHHELD if database else _clean(str(link), tainted)
        parts.append(f"Traceback (most recent call last):\n{frames}{type(link).__module__}.{type(link).__qualname__}: "
                     f"{text}")
    return "\n\nDuring handling, another exception occurred:\n\n".join(parts)
