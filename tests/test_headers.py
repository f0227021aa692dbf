"""Every kind of answer carries the security headers: webhooks, pages, errors and static files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import render_template_string

from service.config import Config, ConfigError
from tests import payloads
from tests.conftest import WEBHOOK_SECRET
from tests.test_auth import gh_app, gh_client, gh_config, sign_in  # noqa: F401  (shared fixtures)
from tests.test_dashboard import build_world, seed_comment

TEMPLATES = Path(__file__).resolve().parent.parent / "service" / "web" / "templates"
CSP_DIRECTIVES = {"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "base-uri 'none'",
                  "form-action 'self'"}


def assert_hardened(response) -> None:
    csp = {part.strip() for part in response.headers["Content-Security-Policy"].split(";")}
    assert CSP_DIRECTIVES <= csp, csp
    assert not any("unsafe-inline" in part or "unsafe-eval" in part for part in csp)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def answers(client) -> dict[str, object]:
    return {
        "webhook": payloads.deliver(client, payloads.ping(), WEBHOOK_SECRET),
        "unsigned webhook": client.post("/webhooks/github", data=b"{}", headers=payloads.webhook_headers("ping")),
        "landing page": client.get("/"),
        "login": client.get("/login"),
        "health": client.get("/healthz"),
        "not found": client.get("/no/such/page"),
        "wrong method": client.delete("/"),
        "static file": client.get("/static/tact.css"),
    }


def test_every_kind_of_answer_carries_the_security_headers(client):
    for name, response in answers(client).items():
        try:
            assert_hardened(response)
        except (AssertionError, KeyError) as exc:
            raise AssertionError(f"{name} ({response.status_code}): {exc!r}") from exc
        finally:
            response.close()  # a static file is a stream that must be closed


def test_an_unexpected_error_page_carries_them_too(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/test-only/boom")
    def boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/test-only/boom")
    assert response.status_code == 500
    assert_hardened(response)


def test_on_this_machine_there_is_no_hsts_and_the_cookie_may_travel_over_http(client):
    response = client.get("/")
    assert "Strict-Transport-Security" not in response.headers
    assert client.application.config.get("SESSION_COOKIE_SECURE") in (None, False)


def test_a_public_https_address_gets_hsts_and_secure_cookies(app_factory, app_config):
    app = app_factory(app_config | {"TACT_PUBLIC_URL": "https://tact.example.org"})
    client = app.test_client()
    response = client.get("/")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    with client.session_transaction() as session:
        session["csrf"] = "x"  # any session write makes Flask send the cookie
    cookie = client.get("/").headers.get("Set-Cookie") or ""
    assert cookie == "" or "Secure" in cookie
    assert_hardened(payloads.deliver(client, payloads.ping(), WEBHOOK_SECRET))


def test_a_public_address_over_plain_http_is_refused_at_start_up():
    with pytest.raises(ConfigError, match="TACT_PUBLIC_URL must be an https URL"):
        Config.from_env({"TACT_PUBLIC_URL": "http://tact.example.org"}).validate()
    for local in ("http://127.0.0.1:8000", "http://localhost:5000", "http://[::1]:8000"):
        Config.from_env({"TACT_PUBLIC_URL": local}).validate()


@pytest.mark.parametrize("template", sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html")))
def test_no_template_has_inline_script_or_style(template):
    """The CSP forbids inline code; a template that had some would silently lose it in the browser."""
    text = (TEMPLATES / template).read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)", text), "inline <script>: move it to static/"
    assert not re.search(r"\sstyle\s*=", text), "style attribute: use a class in static/tact.css"
    assert not re.search(r"\son[a-z]+\s*=", text), "inline event handler: use a script file"
    assert not re.search(r"<style(?![^>]*nonce=)", text), "<style> without the csp_nonce(): use tact.css"
    assert "javascript:" not in text


def test_signed_in_pages_carry_them_and_render_no_inline_style(gh_app, gh_client, fake_github):  # noqa: F811
    db = gh_app.extensions["tact.db"]
    ids = build_world(fake_github, db, admin={"app": True, "docs": False})
    with db.session() as session:  # findings, so the repository page draws its trend bars
        seed_comment(session, ids["app"], 1, 7, 0, [("you-broke", "blame"), ("just-do", "condescension")])
    sign_in(gh_client, "octocat")
    assert "<svg" in gh_client.get(f"/repos/{ids['app']}").text  # the trend chart is drawn
    for path in ("/", f"/repos/{ids['app']}", f"/repos/{ids['docs']}"):
        page = gh_client.get(path)
        assert page.status_code == 200, path
        assert_hardened(page)
        assert not re.search(r"\sstyle\s*=|<script", page.text), path


def test_an_inline_style_element_is_allowed_only_with_this_answers_nonce(app):
    @app.get("/test-only/nonce")
    def styled():
        return render_template_string('<style nonce="{{ csp_nonce() }}">p{}</style>')

    first, second = (app.test_client().get("/test-only/nonce") for _ in range(2))
    nonce = re.search(r'nonce="([^"]+)"', first.text)[1]
    assert f"style-src 'self' 'nonce-{nonce}'" in first.headers["Content-Security-Policy"]
    assert nonce not in second.headers["Content-Security-Policy"]  # a fresh one for every answer
    assert "nonce-" not in app.test_client().get("/").headers["Content-Security-Policy"]
