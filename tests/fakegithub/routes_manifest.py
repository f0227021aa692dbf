"""The GitHub App manifest flow: the "new app" pages a manifest is posted to, and the code conversion.

Docs "Registering a GitHub App from a manifest": (1) a form POSTs `manifest` (JSON) to
/settings/apps/new?state=... or /organizations/ORG/settings/apps/new?state=...; (2) GitHub sends the
person back to the manifest's redirect_url with ?code=...&state=...; (3) the app exchanges the code at
POST /app-manifests/{code}/conversions (no authentication, 201) within one hour. On GitHub the person
names the app on a page in between; the fake confirms at once, as its OAuth authorize page does.
"""

from __future__ import annotations

import json
import secrets
import urllib.parse

from flask import Flask, redirect, request

from tests.fakegithub import limits
from tests.fakegithub.server import answer, base, fail, hub, iso, user_json
from tests.fakegithub.state import MANIFEST_CODE_LIFETIME

DOCS = "https://docs.github.com/apps/sharing-github-apps/registering-a-github-app-from-a-manifest"


def _manifest_problem(raw: str | None) -> tuple[dict | None, str | None]:
    try:
        manifest = json.loads(raw or "")
    except json.JSONDecodeError:
        return None, "The manifest is not valid JSON."
    if not isinstance(manifest, dict):
        return None, "The manifest must be a JSON object."
    if not manifest.get("url"):
        return None, "url is required (the homepage of your GitHub App)."
    hook = manifest.get("hook_attributes")
    if hook is not None and not (isinstance(hook, dict) and hook.get("url")):
        return None, "hook_attributes.url is required."
    if not manifest.get("redirect_url"):
        return None, "redirect_url is required to finish the manifest flow."
    bad = [k for k, v in (manifest.get("default_permissions") or {}).items() if v not in ("read", "write")]
    if bad:
        return None, f"default_permissions must be read or write: {', '.join(bad)}."
    return manifest, None


def _new_app(owner: str):
    if request.method != "POST" or "manifest" not in request.form:
        return fail(limits.error(400, "Post a form field named manifest to this page.", DOCS))
    manifest, problem = _manifest_problem(request.form.get("manifest"))
    if problem:
        return fail(limits.error(422, problem, DOCS))
    code = secrets.token_hex(10)
    state = hub().state
    state.manifest_codes[code] = (manifest, owner, state.clock.now() + MANIFEST_CODE_LIFETIME)
    query = urllib.parse.urlencode({"code": code, "state": request.args.get("state", "")})
    return redirect(f"{manifest['redirect_url']}?{query}", code=302)


def new_personal_app():
    users = hub().state.users
    return _new_app(request.args.get("login") or next(iter(users), "octocat"))


def new_organization_app(org: str):
    return _new_app(org)


def convert(code: str):
    """POST /app-manifests/{code}/conversions: single-use; an unknown, used or stale code is 404."""
    h = hub()
    entry = h.state.manifest_codes.pop(code, None)
    if entry is None or entry[2] <= h.state.clock.now():
        return fail(limits.not_found())
    manifest, owner, _expires = entry
    # The fake has one app identity (its id, key and slug "tact"); the manifest sets what it asks for.
    secret = secrets.token_hex(20)
    h.state.app = {"name": manifest.get("name") or h.slug,
                   "permissions": dict(manifest.get("default_permissions") or {}),
                   "events": list(manifest.get("default_events") or []),
                   # Where the fake's web pages (tests/fakegithub/web.py) deliver webhooks, as GitHub would.
                   "hook_url": (manifest.get("hook_attributes") or {}).get("url"), "webhook_secret": secret,
                   "setup_url": manifest.get("setup_url")}
    now = iso(h.state.clock.now())
    return answer(201, {
        "id": h.app_id, "slug": h.slug, "node_id": f"A_{h.app_id}", "owner": user_json(owner),
        "name": h.state.app["name"], "description": manifest.get("description", ""),
        "external_url": manifest["url"], "html_url": f"{base()}/apps/{h.slug}", "created_at": now, "updated_at": now,
        "permissions": h.state.app["permissions"], "events": h.state.app["events"],
        "client_id": h.client_id, "client_secret": h.client_secret,
        "webhook_secret": secret, "pem": h.private_key_pem,
    })


def register(app: Flask) -> None:
    app.add_url_rule("/settings/apps/new", view_func=new_personal_app, methods=["GET", "POST"])
    app.add_url_rule("/organizations/<org>/settings/apps/new", view_func=new_organization_app,
                     methods=["GET", "POST"])
    app.add_url_rule("/app-manifests/<code>/conversions", view_func=convert, methods=["POST"])
