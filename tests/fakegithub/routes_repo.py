"""Repository endpoints, authenticated by an installation token: repository, pulls, contents, check runs,
a collaborator's permission."""

from __future__ import annotations

import re

from flask import Flask, Response, request

from tests.fakegithub import limits
from tests.fakegithub.server import (
    annotation_json,
    answer,
    apply_run_update,
    base,
    check_run_json,
    content_json,
    fail,
    hub,
    iso,
    new_run,
    paged,
    permissions_json,
    repo_access,
    repo_json,
    user_json,
)

SHA = re.compile(r"^[0-9a-f]{40}$")


def get_repo(owner: str, repo: str):
    found = repo_access(f"{owner}/{repo}", None)  # metadata: read is always granted
    return found if isinstance(found, Response) else answer(200, repo_json(found))


def _pull(owner: str, repo: str, number: int, permission: str = "pull_requests"):
    found = repo_access(f"{owner}/{repo}", permission)
    if isinstance(found, Response):
        return found, None
    pull = found.pulls.get(number)
    return found, pull


def get_pull(owner: str, repo: str, number: int):
    found, pull = _pull(owner, repo, number)
    if isinstance(found, Response):
        return found
    if pull is None:
        return answer(*limits.not_found())
    url = f"{base()}/repos/{found.full_name}/pulls/{number}"
    return answer(200, {
        "id": found.id * 1000 + number, "number": number, "state": pull.state, "title": pull.title,
        "url": url, "html_url": f"{base()}/{found.full_name}/pull/{number}", "user": user_json(pull.author),
        "head": {"sha": pull.head_sha, "ref": f"pr-{number}", "repo": repo_json(found)},
        "base": {"sha": "0" * 40, "ref": found.default_branch, "repo": repo_json(found)},
        "merged": False, "draft": False, "issue_url": f"{base()}/repos/{found.full_name}/issues/{number}",
    })


def comment_json(repo, number: int, attribute: str, item: dict) -> dict:
    """A review comment, review or issue comment shaped as GitHub does (the fields Tact reads, and urls)."""
    kind = {"review_comments": "pulls/comments", "reviews": f"pulls/{number}/reviews",
            "issue_comments": "issues/comments"}[attribute]
    user = {**user_json(item["author"]), "type": "Bot" if item["bot"] else "User"}
    body = {"id": item["id"], "node_id": f"C_{item['id']}", "body": item["body"], "user": user,
            "url": f"{base()}/repos/{repo.full_name}/{kind}/{item['id']}",
            "html_url": f"{base()}/{repo.full_name}/pull/{number}#discussion_r{item['id']}",
            "created_at": iso(item["created_at"]), "updated_at": iso(item["created_at"])}
    if attribute == "review_comments":
        body.update(path=item["path"], line=item["line"], start_line=item["start_line"], side="RIGHT",
                    original_line=item["line"], subject_type="line", commit_id="0" * 40)
    if attribute == "reviews":  # a review has submitted_at, not created_at (Spec: pull-request-review)
        del body["created_at"], body["updated_at"]
        body.update(state="COMMENTED", commit_id="0" * 40, submitted_at=iso(item["created_at"]))
    return body


def _pull_list(attribute: str, permission: str):
    def view(owner: str, repo: str, number: int):
        found, pull = _pull(owner, repo, number, permission)
        if isinstance(found, Response):
            return found
        items = getattr(pull, attribute) if pull else []
        if request.args.get("since") and attribute != "reviews":  # Spec: `since` on comments, not reviews
            items = [i for i in items if iso(i["created_at"]) >= request.args["since"]]
        return paged([comment_json(found, number, attribute, item) for item in items])

    view.__name__ = f"list_{attribute}"
    return view


def get_contents(owner: str, repo: str, path: str):
    found = repo_access(f"{owner}/{repo}", "contents|single_file")
    if isinstance(found, Response):
        return found
    ref = request.args.get("ref") or found.default_branch
    text = found.files.get((ref, path))
    if text is None:
        return fail(limits.not_found())
    return answer(200, content_json(found, path, text))


def create_check_run(owner: str, repo: str):
    """POST check-runs: only installation tokens with checks: write, body validated as GitHub does."""
    found = repo_access(f"{owner}/{repo}", "checks", "write")
    if isinstance(found, Response):
        return found
    body = request.get_json(silent=True) or {}
    problem = limits.check_run_problem(body, creating=True)
    if problem:
        return fail(problem)
    if not SHA.match(str(body["head_sha"])):
        return fail(limits.error(422, f"No commit found for SHA: {body['head_sha']}"))
    run = new_run(found, body)
    apply_run_update(run, body)
    hub().state.check_runs.append(run)
    return answer(201, check_run_json(run))


def _run(owner: str, repo: str, run_id: int, level: str):
    found = repo_access(f"{owner}/{repo}", "checks", level)
    if isinstance(found, Response):
        return found
    run = hub().state.run(run_id)
    if run is None or run.repo != found.full_name:
        return fail(limits.not_found())
    return run


def update_check_run(owner: str, repo: str, run_id: int):
    run = _run(owner, repo, run_id, "write")
    if isinstance(run, Response):
        return run
    body = request.get_json(silent=True) or {}
    problem = limits.check_run_problem(body, creating=False)
    if problem:
        return fail(problem)
    apply_run_update(run, body)
    return answer(200, check_run_json(run))


def get_check_run(owner: str, repo: str, run_id: int):
    run = _run(owner, repo, run_id, "read")
    return run if isinstance(run, Response) else answer(200, check_run_json(run))


def list_annotations(owner: str, repo: str, run_id: int):
    run = _run(owner, repo, run_id, "read")
    if isinstance(run, Response):
        return run
    return paged([annotation_json(run, note) for note in run.annotations])


def list_check_runs_for_ref(owner: str, repo: str, ref: str):
    """GET commits/{ref}/check-runs; filter=latest (the default) keeps the newest run of each name."""
    found = repo_access(f"{owner}/{repo}", "checks")
    if isinstance(found, Response):
        return found
    runs = sorted(hub().state.runs_for(found.full_name, ref), key=lambda r: r.id, reverse=True)
    if request.args.get("check_name"):
        runs = [r for r in runs if r.name == request.args["check_name"]]
    if request.args.get("status"):
        runs = [r for r in runs if r.status == request.args["status"]]
    if request.args.get("filter", "latest") == "latest":
        seen: set[str] = set()
        runs = [r for r in runs if not (r.name in seen or seen.add(r.name))]
    return paged([check_run_json(r) for r in runs], wrap="check_runs")


# The legacy `permission` GitHub reports for each role: maintain reads as write and triage as read.
LEGACY_PERMISSION = {"admin": "admin", "maintain": "write", "write": "write", "triage": "read", "read": "read"}


def get_collaborator_permission(owner: str, repo: str, username: str):
    """GET collaborators/{username}/permission (Metadata: read): the role, or 404 for a non-collaborator
    (Docs "REST API endpoints for collaborators": Get repository permissions for a user)."""
    found = repo_access(f"{owner}/{repo}", None)
    if isinstance(found, Response):
        return found
    user = hub().state.users.get(username) or next(
        (u for u in hub().state.users.values() if u.login.lower() == username.lower()), None)  # logins: any case
    role = user.role(found.full_name) if user else None
    if role is None:
        return fail(limits.not_found())
    collaborator = {**user_json(user.login, user.id), "permissions": permissions_json(role), "role_name": role}
    return answer(200, {"permission": LEGACY_PERMISSION[role], "role_name": role, "user": collaborator})


def register(app: Flask) -> None:
    prefix = "/repos/<owner>/<repo>"
    rules = [
        ("", get_repo, "GET"),
        ("/pulls/<int:number>", get_pull, "GET"),
        ("/pulls/<int:number>/comments", _pull_list("review_comments", "pull_requests"), "GET"),
        ("/pulls/<int:number>/reviews", _pull_list("reviews", "pull_requests"), "GET"),
        ("/issues/<int:number>/comments", _pull_list("issue_comments", "issues|pull_requests"), "GET"),
        ("/contents/<path:path>", get_contents, "GET"),
        ("/check-runs", create_check_run, "POST"),
        ("/check-runs/<int:run_id>", update_check_run, "PATCH"),
        ("/check-runs/<int:run_id>", get_check_run, "GET"),
        ("/check-runs/<int:run_id>/annotations", list_annotations, "GET"),
        ("/commits/<ref>/check-runs", list_check_runs_for_ref, "GET"),
        ("/collaborators/<username>/permission", get_collaborator_permission, "GET"),
    ]
    for suffix, view, method in rules:
        app.add_url_rule(prefix + suffix, endpoint=f"{view.__name__}_{method}", view_func=view,
                         methods=[method])
