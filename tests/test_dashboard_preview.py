"""Check-run previews: without a GitHub App the worker keeps what it would publish, and the repository page shows it."""

from __future__ import annotations

from service import storage
from tests import payloads
from tests.delivery_helpers import deliver_and_wait


def opt_in_locally(app) -> None:
    """What the local user does on the dashboard: the installation arrives, then a switch turns Tact on."""
    assert deliver_and_wait(app, payloads.installation()).state == storage.DONE
    with app.extensions["tact.db"].session() as session:
        storage.save_dashboard_settings(session, payloads.REPO_ID, {"enabled": True})


def test_a_harsh_comment_without_github_becomes_a_preview_on_the_repository_page(app):
    opt_in_locally(app)
    delivery = deliver_and_wait(app, payloads.review_comment("You broke the build again.", path="app.py", line=12))
    assert delivery.state == storage.DONE and "preview" in delivery.reason
    page = app.test_client().get(f"/repos/{payloads.REPO_ID}").text
    assert "Check runs Tact would publish" in page
    assert "1 phrasing that may land harder than intended" in page
    assert "<code>app.py</code> 12" in page and "A gentler wording of the whole comment:" in page


def test_the_preview_follows_the_comment_when_it_is_edited_kindly(app):
    opt_in_locally(app)
    comment = payloads.review_comment("You broke the build again.")
    deliver_and_wait(app, comment)
    comment["action"], comment["comment"]["body"] = "edited", "This change seems to break the build."
    deliver_and_wait(app, comment)
    with app.extensions["tact.db"].session() as session:
        [preview] = storage.previews(session, payloads.REPO_ID)
        assert preview.title == "No wording to revisit" and preview.annotations == []


def test_without_an_opt_in_nothing_is_previewed(app):
    assert deliver_and_wait(app, payloads.installation()).state == storage.DONE
    delivery = deliver_and_wait(app, payloads.review_comment("You broke the build again."))
    assert delivery.state == storage.SKIPPED
    with app.extensions["tact.db"].session() as session:
        assert storage.previews(session, payloads.REPO_ID) == []
