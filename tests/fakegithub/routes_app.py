"""App-level endpoints, authenticated by the app JWT: the app, its installations, installation tokens."""

from __future__ import annotations

from flask import Flask, request

from tests.fakegithub import limits
from tests.fakegithub.server import answer, base, fail, hub, iso, repo_json, require_jwt, user_json
from tests.fakegithub.state import Installation


def installation_json(inst: Installation) -> dict:
    h = hub()
    return {
        "id": inst.id, "app_id": h.app_id, "app_slug": h.slug, "client_id": h.client_id,
        "account": user_json(inst.account, inst.id), "target_id": inst.id, "target_type": "Organization",
        "repository_selection": "selected", "permissions": inst.permissions, "events": list(inst.events),
        "access_tokens_url": f"{base()}/app/installations/{inst.id}/access_tokens",
        "repositories_url": f"{base()}/installation/repositories",
        "html_url": f"{base()}/organizations/{inst.account}/settings/installations/{inst.id}",
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
        "single_file_name": None, "suspended_by": None, "suspended_at": None,
    }


def get_app():
    refused = require_jwt()
    if refused:
        return refused
    h = hub()
    return answer(200, {"id": h.app_id, "slug": h.slug, "name": h.state.app["name"], "client_id": h.client_id,
                        "owner": user_json("octo-org"), "html_url": f"{base()}/apps/{h.slug}",
                        "permissions": h.state.app["permissions"], "events": h.state.app["events"]})


def list_installations():
    from tests.fakegithub.server import paged

    refused = require_jwt()
    return refused or paged([installation_json(i) for i in hub().state.installations.values()])


def repo_installation(owner: str, repo: str):
    refused = require_jwt()
    if refused:
        return refused
    found = hub().state.repos.get(f"{owner}/{repo}")
    if found is None:
        return fail(limits.not_found())
    return answer(200, installation_json(hub().state.installations[found.installation_id]))


def create_access_token(installation_id: int):
    """POST /app/installations/{id}/access_tokens: 201, narrowed but never widened (https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app)."""
    refused = require_jwt()
    if refused:
        return refused
    state = hub().state
    inst = state.installations.get(installation_id)
    if inst is None:
        return fail(limits.not_found())
    if inst.suspended:
        return fail(limits.error(403, "This installation has been suspended"))
    body = request.get_json(silent=True) or {}
    permissions = body.get("permissions") or dict(inst.permissions)
    if any(limits_level(inst.permissions.get(k)) < limits_level(v) for k, v in permissions.items()):
        return fail(limits.error(422, "The permissions requested are not granted to this installation."))
    repos = _narrowed(state, inst, body)
    if isinstance(repos, tuple):
        return fail(repos)
    token = state.issue_installation_token(inst.id, permissions,
                                           None if repos is None else frozenset(r.id for r in repos))
    payload = {"token": token.value, "expires_at": iso(token.expires_at), "permissions": permissions,
               "repository_selection": "selected" if repos is not None else "all"}
    if repos is not None:
        payload["repositories"] = [repo_json(r) for r in repos]
    return answer(201, payload)


def limits_level(level: str | None) -> int:
    return {"read": 1, "write": 2}.get(level or "", 0)


def _narrowed(state, inst, body):
    names, ids = body.get("repositories"), body.get("repository_ids")
    if not names and not ids:
        return None
    mine = [r for r in state.repos.values() if r.installation_id == inst.id]
    chosen = [r for r in mine if r.name in (names or []) or r.id in (ids or [])]
    if len(chosen) != len(set(names or [])) + len(set(ids or [])):
        return limits.error(422, "There is at least one repository that does not exist or is not accessible"
                                 " to the parent installation.")
    return chosen


def register(app: Flask) -> None:
    app.add_url_rule("/app", view_func=get_app)
    app.add_url_rule("/app/installations", view_func=list_installations)
    app.add_url_rule("/repos/<owner>/<repo>/installation", view_func=repo_installation)
    app.add_url_rule("/app/installations/<int:installation_id>/access_tokens",
                     view_func=create_access_token, methods=["POST"])
