"""Drive a webhook through the in-process pipeline and read back what it stored."""

from __future__ import annotations

from service import storage
from tests import payloads
from tests.conftest import WEBHOOK_SECRET


def deliver_and_wait(app, payload, guid: str | None = None):
    """POST a signed payload, wait for the in-process worker, return the stored delivery."""
    response = payloads.deliver(app.test_client(), payload, WEBHOOK_SECRET, guid=guid)
    assert response.status_code in (200, 202), response.get_data(as_text=True)
    assert app.extensions["tact.queue"].join(timeout=60)
    with app.extensions["tact.db"].session() as session:
        return session.get(storage.Delivery, response.json["delivery"]) if response.json else None
