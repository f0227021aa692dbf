"""Logging set-up shared by the web and worker processes.

Log lines name deliveries, events and outcomes; they never carry comment bodies, payloads,
tokens or keys (comments can be sensitive, and logs travel further than the database).
"""

from __future__ import annotations

import logging
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _CurrentStderr(logging.StreamHandler):
    """Write to whatever sys.stderr is now, not the one at start-up: the in-process worker thread may
    log after a test runner or a daemonizer has swapped (and closed) the original stream."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure(level: str) -> None:
    root = logging.getLogger()
    if not any(getattr(h, "_tact", False) for h in root.handlers):
        handler = _CurrentStderr()
        handler.setFormatter(logging.Formatter(FORMAT))
        handler._tact = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level.upper())
    # urllib3 logs full URLs with query strings at DEBUG, which may hold OAuth codes.
    logging.getLogger("urllib3").setLevel(max(logging.INFO, root.level))
