"""Security headers on every response: what a browser may run, frame, sniff, send on and remember.

One ``after_request`` hook, so webhook answers, dashboard pages, error pages and static files all
carry the same policy; a view cannot forget it.

- Content-Security-Policy: scripts and styles only from our own static files. No page runs inline
  script. A template that needs an inline ``<style>`` element (an inlined SVG chart) marks it with
  ``nonce="{{ csp_nonce() }}"``: the nonce is made per response, and only when a template asks.
  ``frame-ancestors 'none'`` (and X-Frame-Options for older browsers) stops another site from
  framing the settings forms to trick a click (clickjacking).
- X-Content-Type-Options: nosniff, so a JSON answer or an uploaded text is never run as a script.
- Referrer-Policy: same-origin; repository pages have ids in their paths, which other sites need not see.
- Strict-Transport-Security only when TACT_PUBLIC_URL is https: browsers ignore it over http, and
  sending it from a laptop's http://127.0.0.1 would be meaningless.
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, current_app, g

from service.config import is_local_url

HSTS = "max-age=31536000; includeSubDomains"
FIXED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    public_url = app.config["TACT"].public_url
    app.config["TACT_HSTS"] = public_url.startswith("https://")
    if not is_local_url(public_url):
        # Outside a developer's own machine, the session cookie never travels over plain http.
        app.config["SESSION_COOKIE_SECURE"] = True


def csp_nonce() -> str:
    """A fresh nonce for this response's inline ``<style>`` elements, made the first time a template asks."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy(nonce: str | None) -> str:
    style = "'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    return "; ".join([
        "default-src 'none'",
        "script-src 'self'",
        f"style-src {style}",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ])


def add_security_headers(response: Response) -> Response:
    """One ``extend`` rather than a ``setdefault`` per header: this runs on every webhook (~30 us, not ~90)."""
    nonce = g.get("csp_nonce")
    present = {name.lower() for name, _ in response.headers}
    added = [(name, value) for name, value in FIXED.items() if name.lower() not in present]
    added.append(("Content-Security-Policy", content_security_policy(nonce) if nonce else _POLICY))
    if current_app.config.get("TACT_HSTS"):
        added.append(("Strict-Transport-Security", HSTS))
    response.headers.extend(added)
    return response


_POLICY = content_security_policy(None)  # most answers (webhooks, static files) have no nonce
