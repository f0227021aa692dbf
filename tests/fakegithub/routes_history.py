"""History endpoints a backfill reads: the repository's pull requests, most recently updated first.

`GET /repos/{owner}/{repo}/pulls` (Docs "List pull requests"): `state` open|closed|all (default
open), `sort` created|updated|popularity|long-running (default created), `direction` (default desc
when sorting by `created`, else asc), paginated with `per_page` (at most 100) and `page`, with a
`Link` header on the fake's own host. Not in rest-subset.json yet: the backfill is its first user.
"""

from __future__ import annotations

from flask import Flask, Response, request

from tests.fakegithub import limits
from tests.fakegithub.server import base, fail, iso, paged, repo_access, repo_json, user_json

STATES = ("open", "closed", "all")
SORTS = ("created", "updated", "popularity", "long-running")


def list_pulls(owner: str, repo: str):
    found = repo_access(f"{owner}/{repo}", "pull_requests")
    if isinstance(found, Response):
        return found
    state = request.args.get("state", "open")
    sort = request.args.get("sort", "created")
    if state not in STATES or sort not in SORTS:
        return fail(limits.error(422, "Validation Failed"))
    direction = request.args.get("direction", "desc" if sort == "created" else "asc")
    pulls = [p for p in found.pulls.values() if state == "all" or p.state == state]
    key = (lambda p: p.updated_at) if sort == "updated" else (lambda p: p.number)
    pulls.sort(key=key, reverse=direction == "desc")
    return paged([pull_json(found, p) for p in pulls])


def pull_json(found, pull) -> dict:
    url = f"{base()}/repos/{found.full_name}/pulls/{pull.number}"
    return {
        "id": found.id * 1000 + pull.number, "number": pull.number, "state": pull.state, "title": pull.title,
        "url": url, "html_url": f"{base()}/{found.full_name}/pull/{pull.number}", "user": user_json(pull.author),
        "created_at": iso(pull.updated_at), "updated_at": iso(pull.updated_at),
        "closed_at": iso(pull.updated_at) if pull.state == "closed" else None,
        "head": {"sha": pull.head_sha, "ref": f"pr-{pull.number}", "repo": repo_json(found)},
        "base": {"sha": "0" * 40, "ref": found.default_branch, "repo": repo_json(found)},
        "draft": False, "issue_url": f"{base()}/repos/{found.full_name}/issues/{pull.number}",
    }


def register(app: Flask) -> None:
    app.add_url_rule("/repos/<owner>/<repo>/pulls", endpoint="list_pulls_GET", view_func=list_pulls,
                     methods=["GET"])
