"""The manifest, the receiver and the router cannot drift apart."""

from pathlib import Path

import yaml

from service.web.webhooks import ACCEPTED_EVENTS
from worker.routes import EVENTS, ROUTES

# GitHub delivers these without a subscription (installation* events cannot be listed in
# a subscription and ping comes on set-up: https://docs.github.com/webhooks/webhook-events-and-payloads).
IMPLICIT_EVENTS = {"installation", "installation_repositories", "ping"}


def _manifest() -> dict:
    return yaml.safe_load((Path(__file__).parents[1] / "app.yml").read_text())


def test_the_router_handles_exactly_the_manifest_events():
    assert EVENTS == set(_manifest()["default_events"]) | IMPLICIT_EVENTS


def test_the_receiver_accepts_exactly_the_routed_events():
    assert ACCEPTED_EVENTS == EVENTS


def test_the_manifest_asks_for_least_privilege():
    assert _manifest()["default_permissions"] == {"checks": "write", "pull_requests": "read", "metadata": "read",
                                                  "contents": "read", "issues": "read"}
    assert _manifest()["public"] is False


def test_every_route_names_a_handler_function():
    assert all(callable(handler) for handler in ROUTES.values())
