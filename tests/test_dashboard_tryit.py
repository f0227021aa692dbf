"""Try it through HTTP: the worker's analyzer on pasted text, marked spans, switches, a rate limit, nothing stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from service import storage
from tests.test_limits import whole_window  # noqa: F401  (a fixture)

HARSH = "You broke the build again."


@pytest.fixture
def local(app):
    return app.test_client()


def csrf(client) -> str:
    client.get("/try")
    with client.session_transaction() as session:
        return session["csrf"]


def tried(client, text: str, **form):
    fields = {"csrf_token": csrf(client), "text": text, "sensitivity": "medium",
              **{f"category-{c}": "on" for c in ("condescension", "blame", "insult", "profanity", "sarcasm",
                                                   "impatience", "dismissive")}}
    return client.post("/try", data={**fields, **form})


def test_a_harsh_comment_shows_its_span_reason_and_suggestion(local):
    page = tried(local, HARSH)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert '<mark id="span-1"' in page.text and "You broke the build again.<sup>1</sup></mark>" in page.text
    assert 'class="reason"' in page.text and 'class="rewrite"' in page.text


def test_switching_a_category_off_hides_its_findings(local):
    page = tried(local, HARSH, **{"category-blame": ""})
    assert "<mark" not in page.text and "No wording to revisit" in page.text


def test_markup_in_the_comment_is_shown_as_text(local):
    page = tried(local, "<script>alert(1)</script> You broke the build again.")
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;" in page.text


def test_the_text_is_never_stored(app, local):
    tried(local, HARSH)
    with app.extensions["tact.db"].session() as session:
        assert session.scalar(select(func.count(storage.Comment.id))) == 0
        assert session.scalar(select(func.count(storage.Finding.id))) == 0


def test_too_many_tries_in_a_minute_are_refused(whole_window, app_factory, app_config):
    """The Try it page shares the sign-in limiter (service.web.limits): a few requests a minute per address."""
    client = app_factory({**app_config, "TACT_TRY_PAGE_PER_MINUTE": "4"}).test_client()
    answers = [tried(client, "Thanks, looks good.").status_code for _ in range(4)]
    assert answers[0] == 200 and answers[-1] == 429


def test_a_text_longer_than_a_github_comment_is_refused(local):
    assert tried(local, "a" * 65_537).status_code == 413


def test_the_form_needs_the_session_token(local):
    assert local.post("/try", data={"text": HARSH, "csrf_token": "guessed"}).status_code == 400
