"""Logging set-up shared by the web and worker processes.

Log lines name deliveries, events and outcomes; they never carry comment bodies, payloads,
tokens or keys (comments can be sensitive, and logs travel further than the database).
"""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


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
