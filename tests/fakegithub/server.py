"""The fake GitHub's HTTP endpoints: the subset of REST and OAuth that Tact calls, as GitHub answers them.

Every absolute URL in an answer is built from the fake's own address, because PyGithub refuses to
follow a URL on another host or port (Requester.__assertUrlAllowed; PyGithub#1078).
"""

from __future__ import annotations

import base64
import hashlib
import time
import urllib.parse

from flask import Flask, Response, g, jsonify, request

from tests.fakegithub import limits
from tests.fakegithub.control import RecordedRequest
from tests.fakegithub.state import ROLES, Annotation, CheckRun, Output, Repository, Token, blob_sha

LEVELS = {"read": 1, "write": 2}


def iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def create_app(hub) -> Flask:
    """The Flask app; `hub` is the FakeGitHub handle holding state, failures and the request log."""
    app = Flask("fakegithub")
    app.config["hub"] = hub
    app.before_request(_before)
    app.after_request(_after)
    app.register_error_handler(404, _unimplemented)
    app.register_error_handler(405, _unimplemented)
    from tests.fakegithub import (  # noqa: F401 (they register)
        checks_page,
        routes_app,
        routes_history,
        routes_hooks,
        routes_manifest,
        routes_repo,
        routes_user,
        web,
    )

    for module in (routes_app, routes_repo, routes_user, routes_manifest, web, routes_history, routes_hooks,
                   checks_page):
        module.register(app)
    return app


def hub():
    from flask import current_app

    return current_app.config["hub"]


def answer(status: int, body) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response


def fail(pair: tuple[int, dict]) -> Response:
    return answer(*pair)


# -- request plumbing ----------
def _body():
    if request.is_json:
        return request.get_json(silent=True)
    return request.form.to_dict() or None


def _before():
    h = hub()
    entry = RecordedRequest(request.method, request.path, request.args.to_dict(),
                            dict(request.headers), _body())
    h.requests.append(entry)
    g.entry = entry
    version = request.headers.get("X-GitHub-Api-Version")
    if version is not None and version not in limits.API_VERSIONS:
        return fail(limits.unsupported_version(version))
    g.rule = h.take_failure(request.method, request.path)
    if g.rule is not None and not g.rule.applied:
        return _injected(g.rule)
    return None


def _injected(rule) -> Response:
    response = fail(limits.failure_body(rule.status, rule.message))
    response.headers.update(rule.headers)
    return response


def _after(response: Response) -> Response:
    rule = getattr(g, "rule", None)
    if rule is not None and rule.applied:
        response = _injected(rule)
    credential = getattr(g, "credential", None)
    if credential and "x-ratelimit-limit" not in response.headers:
        response.headers.update(limits.rate_limit_headers(hub().state.rate_limit, *g.budget))
    if getattr(g, "entry", None) is not None:
        g.entry.status = response.status_code
    return response


def _unimplemented(_exc):
    if getattr(g, "entry", None) is not None:
        g.entry.unimplemented = True
    return fail(limits.not_found())


# -- authentication ----------
def _presented() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    # PyGithub sends "token ghs_…" for installation tokens and "Bearer" for JWTs: accept both schemes.
    return value.strip() if scheme.lower() in ("token", "bearer") and value.strip() else None


def _spend(credential: str, installation_id=None) -> Response | None:
    g.credential = credential
    g.budget = hub().state.spend(credential)
    if g.budget[0] < 0:
        return fail(limits.primary_limit(installation_id))
    return None


def require_jwt() -> Response | None:
    """Refuse anything but a valid app JWT (Docs: Generating a JWT for a GitHub App)."""
    h = hub()
    value = _presented()
    if value is None or value.count(".") != 2:
        return fail(limits.error(401, "A JSON web token could not be decoded"))
    problem = limits.jwt_problem(value, h.public_key, {str(h.app_id), h.client_id}, h.state.clock.now())
    if problem:
        return fail(limits.error(401, problem))
    return _spend(f"app:{h.app_id}")


def require_token(kind: str) -> Token | Response:
    """The live installation or user token presented, or GitHub's refusal."""
    h = hub()
    value = _presented()
    if value is not None and value.count(".") == 2:
        return fail(limits.error(403, limits.NOT_ACCESSIBLE))  # a JWT cannot act on repositories
    token = h.state.live_token(value) if value else None
    if token is None:
        return fail(limits.bad_credentials())
    if token.kind != kind:
        return fail(limits.error(403, limits.NOT_ACCESSIBLE))
    g.entry.installation_id = token.installation_id if token.kind == "installation" else None
    refused = _spend(token.value, token.installation_id)
    if refused is None and g.entry.is_write and token.kind == "installation":
        refused = _content_limit(token.installation_id)
    return refused or token


def _content_limit(installation_id: int) -> Response | None:
    """Secondary limit: about 80 content-creating requests a minute (Docs "Rate limits for the REST API")."""
    now = g.entry.at
    recent = [r for r in hub().requests if r.is_write and r.installation_id == installation_id
              and now - 60 < r.at <= now and r.status != 403]
    if len(recent) > limits.CONTENT_PER_MINUTE:
        response = fail(limits.error(403, limits.SECONDARY_MESSAGE))
        response.headers["retry-after"] = "60"
        return response
    return None


def repo_access(full_name: str, permission: str | None, level: str = "read") -> Repository | Response:
    """The repository if the presented token may use it with this permission (https://docs.github.com/rest/authentication/permissions-required-for-github-apps)."""
    token = require_token("installation")
    if isinstance(token, Response):
        return token
    repo = hub().state.repos.get(full_name)
    if repo is None or repo.installation_id != token.installation_id:
        return fail(limits.not_found())
    if token.repository_ids is not None and repo.id not in token.repository_ids:
        return fail(limits.not_found())
    if permission and not _granted(token.permissions, permission, level):
        return fail(limits.error(403, limits.NOT_ACCESSIBLE))
    return repo


def _granted(permissions: dict, permission: str, level: str) -> bool:
    names = permission.split("|")  # "issues|pull_requests": either one will do
    return any(LEVELS.get(permissions.get(n, ""), 0) >= LEVELS[level] for n in names)


# -- JSON shapes ----------
def base() -> str:
    return hub().url


def user_json(login: str, user_id: int = 1) -> dict:
    return {"login": login, "id": user_id, "node_id": f"U_{user_id}", "type": "User", "site_admin": False,
            "url": f"{base()}/users/{login}", "html_url": f"{base()}/{login}"}


def repo_json(repo: Repository, permissions: dict | None = None) -> dict:
    body = {"id": repo.id, "node_id": f"R_{repo.id}", "name": repo.name, "full_name": repo.full_name,
            "private": repo.private, "owner": user_json(repo.owner, repo.installation_id),
            "default_branch": repo.default_branch, "url": f"{base()}/repos/{repo.full_name}",
            "html_url": f"{base()}/{repo.full_name}"}
    if permissions is not None:
        body["permissions"] = permissions
    return body


def permissions_json(role: str) -> dict:
    """The `permissions` hash on a repository or collaborator: each base role includes those below it."""
    rank = ROLES.index(role)
    return {"admin": rank >= ROLES.index("admin"), "maintain": rank >= ROLES.index("maintain"),
            "push": rank >= ROLES.index("write"), "triage": rank >= ROLES.index("triage"), "pull": True}


def check_run_json(run: CheckRun) -> dict:
    url = f"{base()}/repos/{run.repo}/check-runs/{run.id}"
    return {
        "id": run.id, "node_id": f"CR_{run.id}", "name": run.name, "head_sha": run.head_sha,
        "external_id": run.external_id, "url": url, "html_url": f"{base()}/{run.repo}/runs/{run.id}",
        "details_url": run.details_url, "status": run.status, "conclusion": run.conclusion,
        "started_at": run.started_at, "completed_at": run.completed_at,
        "output": {"title": run.output.title, "summary": run.output.summary, "text": run.output.text,
                   "annotations_count": len(run.annotations), "annotations_url": f"{url}/annotations"},
        "check_suite": {"id": run.id}, "app": {"id": hub().app_id, "slug": hub().slug},
        "pull_requests": [], "actions": run.actions,
    }


def annotation_json(run: CheckRun, note: Annotation) -> dict:
    body = {k: getattr(note, k) for k in Annotation.__dataclass_fields__}
    body["blob_href"] = f"{base()}/{run.repo}/blob/{run.head_sha}/{note.path}"
    return body


def content_json(repo: Repository, path: str, text: str) -> dict:
    data = text.encode()
    url = f"{base()}/repos/{repo.full_name}/contents/{path}"
    return {"type": "file", "encoding": "base64", "size": len(data), "name": path.rsplit("/", 1)[-1],
            "path": path, "content": base64.encodebytes(data).decode(), "sha": blob_sha(text),
            "url": url, "git_url": None, "html_url": None, "download_url": None, "_links": {"self": url}}


def page(items: list) -> tuple[list, dict]:
    """One page of `items` and its Link header, with per_page capped at 100 as on GitHub."""
    per_page = min(max(int(request.args.get("per_page", 30)), 1), 100)
    number = max(int(request.args.get("page", 1)), 1)
    last = max((len(items) + per_page - 1) // per_page, 1)
    links = []
    for rel, target in (("next", number + 1), ("last", last)):
        if number < last:
            query = {**request.args.to_dict(), "page": str(target), "per_page": str(per_page)}
            links.append(f'<{base()}{request.path}?{urllib.parse.urlencode(query)}>; rel="{rel}"')
    headers = {"Link": ", ".join(links)} if links else {}
    return items[(number - 1) * per_page: number * per_page], headers


def paged(items: list, wrap: str | None = None) -> Response:
    chunk, headers = page(items)
    body = {"total_count": len(items), wrap: chunk} if wrap else chunk
    response = answer(200, body)
    response.headers.update(headers)
    return response


def pkce_matches(challenge: str, verifier: str | None) -> bool:
    if verifier is None:
        return False
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == challenge


def new_run(repo: Repository, body: dict) -> CheckRun:
    return CheckRun(hub().state.new_id(), repo.full_name, body["name"], body["head_sha"])


def apply_run_update(run: CheckRun, body: dict) -> None:
    """Apply a create/update body: annotations append, the rest is replaced (https://docs.github.com/rest/checks/runs)."""
    for key in ("name", "external_id", "details_url", "started_at", "completed_at"):
        if key in body:
            setattr(run, key, body[key])
    if body.get("conclusion"):
        run.conclusion, run.status = body["conclusion"], "completed"
        run.completed_at = run.completed_at or iso(hub().state.clock.now())
    elif "status" in body:
        run.status = body["status"]
    if "actions" in body:
        run.actions = list(body["actions"])
    output = body.get("output")
    if output is not None:
        run.output = Output(output.get("title", run.output.title), output.get("summary"), output.get("text"))
        fields = Annotation.__dataclass_fields__
        for note in output.get("annotations") or []:
            run.annotations.append(Annotation(**{k: v for k, v in note.items() if k in fields}))
