"""Which errors are outages (retry later) rather than bugs: Redis, the database, the broker, GitHub's 5xx."""

from __future__ import annotations

import redis
from kombu.exceptions import OperationalError as BrokerError
from sqlalchemy import exc as sa

from service import github

TRANSIENT = (
    github.Unavailable,  # 5xx, network errors, rate limits
    redis.ConnectionError, redis.TimeoutError, redis.exceptions.BusyLoadingError,
    sa.OperationalError, sa.InterfaceError, sa.DisconnectionError, sa.TimeoutError,  # unreachable, pool exhausted
    BrokerError, ConnectionError, TimeoutError,
)


def is_transient(exc: BaseException) -> bool:
    """True when waiting and trying again can succeed; follows `raise ... from` (SQLAlchemy wraps drivers)."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, TRANSIENT) or (isinstance(exc, sa.DBAPIError) and exc.connection_invalidated):
            return True
        exc, seen = exc.__cause__, seen + 1
    return False
