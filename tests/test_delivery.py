"""process_delivery and the sweep as plain functions: claimed once, retryable failures handed back, bugs recorded."""

from datetime import timedelta

import pytest

from service import github, storage
from tests import payloads
from tests.conftest import opt_in
from worker import delivery as deliveries


def _stored(app, payload, guid="guid-1"):
    with app.extensions["tact.db"].session() as session:
        delivery, _ = storage.record_delivery(session, guid=guid, event=payload.event, action=payload.get("action"),
                                              installation_id=payloads.INSTALLATION_ID,
                                              repository_id=payloads.REPO_ID, payload=dict(payload))
        return delivery.id


def _process(app, delivery_id):
    with app.extensions["tact.db"].session() as session:
        return deliveries.process_delivery(session, delivery_id, app.config["TACT"])


def _state(app, delivery_id):
    with app.extensions["tact.db"].session() as session:
        row = session.get(storage.Delivery, delivery_id)
        return row.state, row.reason


def test_a_delivery_is_processed_once(github_app, github_world):
    opt_in(github_world)
    delivery_id = _stored(github_app, payloads.review_comment("You broke the build again."))
    assert _process(github_app, delivery_id).state == storage.DONE
    assert _process(github_app, delivery_id) is None
    assert len(github_world.check_runs) == 1


def test_a_rate_limit_hands_the_delivery_back_for_a_later_retry(github_app, github_world):
    opt_in(github_world)
    github_world.fail_next("GET", r"/contents/", status=429, headers={"retry-after": "120"}, times=1)
    delivery_id = _stored(github_app, payloads.review_comment("You broke the build again."))
    with pytest.raises(deliveries.RetryLater) as caught:
        _process(github_app, delivery_id)
    assert caught.value.countdown == pytest.approx(120, abs=2)
    assert isinstance(caught.value.__cause__, github.RateLimited)
    state, reason = _state(github_app, delivery_id)
    assert state == storage.RECEIVED and "will retry" in reason
    assert _process(github_app, delivery_id).state == storage.DONE


def test_an_unexpected_error_is_recorded_as_failed_and_surfaces(github_app, github_world):
    opt_in(github_world)
    bad = payloads.review_comment("You broke the build again.")
    bad["comment"] = "not an object"  # a shape GitHub never sends: our code must not hide the crash
    delivery_id = _stored(github_app, bad)
    with pytest.raises(AttributeError):
        _process(github_app, delivery_id)
    state, reason = _state(github_app, delivery_id)
    assert (state, reason) == (storage.FAILED, "internal error: AttributeError")  # the type only, never a message


def test_giving_up_marks_the_delivery_failed(app):
    delivery_id = _stored(app, payloads.review_comment("x"))
    with app.extensions["tact.db"].session() as session:
        deliveries.give_up(session, delivery_id, "GitHub still unavailable after 8 retries")
    assert _state(app, delivery_id) == (storage.FAILED, "GitHub still unavailable after 8 retries")


def test_the_sweep_resends_deliveries_a_crash_left_behind(app):
    stuck = _stored(app, payloads.review_comment("x"), guid="stuck")
    waiting = _stored(app, payloads.review_comment("y"), guid="waiting")
    with app.extensions["tact.db"].session() as session:
        storage.claim_delivery(session, stuck)
        for row in session.query(storage.Delivery):
            row.updated_at = storage.utcnow() - timedelta(hours=1)
            row.lease_until = row.lease_until and storage.utcnow() - timedelta(seconds=1)
    sent = []
    with app.extensions["tact.db"].session() as session:
        deliveries.sweep(session, lambda name, args: sent.append((name, args)))
    assert sorted(sent) == [("tact.process_delivery", [stuck]), ("tact.process_delivery", [waiting])]


def test_an_unreachable_database_is_a_retry_not_a_failure(github_app, github_world):
    """Outages are retries: an OperationalError hands the delivery back; nothing ends `failed`."""
    opt_in(github_world)
    delivery_id = _stored(github_app, payloads.review_comment("You broke the build again."))
    from tests.services import free_port

    refused = storage.Database(f"postgresql://postgres@127.0.0.1:{free_port()}/test")
    with pytest.raises(Exception) as caught, refused.session() as session:
        deliveries.process_delivery(session, delivery_id, github_app.config["TACT"])
    refused.dispose()
    assert deliveries.is_transient(caught.value)  # the task retries it with backoff
    assert _state(github_app, delivery_id)[0] == storage.RECEIVED
    assert _process(github_app, delivery_id).state == storage.DONE
