"""Small builders for GitHub webhook payloads, and signing, for everyone's tests.

Each builder returns a ``Payload``: a plain dict shaped like GitHub's delivery for that event
(the fields Tact reads sit where GitHub puts them), which also remembers its event name so
``signed(payload, secret)`` can fill in ``X-GitHub-Event``. Shapes follow GitHub's "Webhook
events and payloads" page; most of the URL fields GitHub adds are left out because Tact reads none.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import uuid

REPO = "octo/demo"
REPO_ID = 4_200_001
INSTALLATION_ID = 77_001
APP_ID = 9_001
HEAD_SHA = hashlib.sha1(b"tact-test-head").hexdigest()
BASE_SHA = hashlib.sha1(b"tact-test-base").hexdigest()
CHECK_RUN_NAME = "Review tone"
WHEN = "2026-11-24T10:00:00Z"

_ids = itertools.count(5_000_001)
# A repository list: "owner/name" strings, or ("owner/name", id) pairs.
Repos = list | tuple


class Payload(dict):
    """A webhook body (a dict, serialised as-is) that knows which ``X-GitHub-Event`` it belongs to."""

    def __init__(self, event: str, data: dict):
        super().__init__(data)
        self.event = event


def next_id() -> int:
    """A fresh id for comments, reviews and check runs, unique within the test session."""
    return next(_ids)


# --- shared pieces ----------


def user(login: str, *, kind: str = "User") -> dict:
    """GitHub's simple-user; ``kind`` is "User", "Bot" or "Organization" (bot logins end in "[bot]")."""
    return {"login": login, "id": _stable_id(login), "node_id": f"U_{login}", "type": kind,
            "site_admin": False, "html_url": f"https://github.com/{login}"}


def repository(full_name: str = REPO, repo_id: int | None = None, *, default_branch: str = "main") -> dict:
    owner, name = full_name.split("/", 1)
    return {"id": repo_id or _repo_id(full_name), "node_id": f"R_{name}", "name": name,
            "full_name": full_name, "private": False, "owner": user(owner, kind="Organization"),
            "fork": False, "html_url": f"https://github.com/{full_name}",
            "url": f"https://api.github.com/repos/{full_name}", "default_branch": default_branch}


def installation_ref(installation_id: int = INSTALLATION_ID) -> dict:
    """What GitHub App deliveries carry about the installation: its id (and node id)."""
    return {"id": installation_id, "node_id": f"I_{installation_id}"}


def pull_request_object(number: int = 7, *, repo: str = REPO, repo_id: int | None = None,
                        head_sha: str = HEAD_SHA, author: str = "author", state: str = "open",
                        merged: bool = False, title: str = "Tidy the parser") -> dict:
    base_repo = repository(repo, repo_id)
    owner = repo.split("/")[0]
    return {"id": 900_000 + number, "node_id": f"PR_{number}", "number": number, "state": state,
            "title": title, "user": user(author), "body": None, "draft": False, "locked": False,
            "html_url": f"https://github.com/{repo}/pull/{number}",
            "url": f"https://api.github.com/repos/{repo}/pulls/{number}",
            "created_at": WHEN, "updated_at": WHEN, "closed_at": WHEN if state == "closed" else None,
            "merged_at": WHEN if merged else None, "merged": merged,
            "head": {"label": f"{owner}:feature", "ref": "feature", "sha": head_sha,
                     "user": base_repo["owner"], "repo": base_repo},
            "base": {"label": f"{owner}:main", "ref": "main", "sha": BASE_SHA,
                     "user": base_repo["owner"], "repo": base_repo},
            "author_association": "CONTRIBUTOR"}


def _envelope(event: str, action: str | None, body: dict, *, repo: str | None, repo_id: int | None,
              installation_id: int | None, sender: str) -> Payload:
    data = {"action": action} if action is not None else {}
    data.update(body)
    if repo is not None:
        data["repository"] = repository(repo, repo_id)
    if installation_id is not None:
        data["installation"] = installation_ref(installation_id)
    data["sender"] = user(sender)
    return Payload(event, data)


def _edited(action: str, previous_body: str | None) -> dict:
    """``edited`` deliveries carry the old text in ``changes.body.from``."""
    if action != "edited":
        return {}
    return {"changes": {"body": {"from": "(earlier text)" if previous_body is None else previous_body}}}


def _short_pulls(repo: dict, head_sha: str, numbers) -> list[dict]:
    """The short PR form inside check runs and suites (empty for PRs from forks)."""
    ref = {"id": repo["id"], "url": repo["url"], "name": repo["name"]}
    return [{"url": f"{repo['url']}/pulls/{n}", "id": 900_000 + n, "number": n,
             "head": {"ref": "feature", "sha": head_sha, "repo": ref},
             "base": {"ref": "main", "sha": BASE_SHA, "repo": ref}} for n in numbers]


# --- events ----------


def review_comment(body: str = "Looks good.", *, path: str = "app.py", line: int | None = 12,
                   start_line: int | None = None, action: str = "created", comment_id: int | None = None,
                   pull_number: int = 7, repo: str = REPO, repo_id: int | None = None,
                   installation_id: int = INSTALLATION_ID, author: str = "reviewer",
                   author_type: str = "User", head_sha: str = HEAD_SHA, review_id: int | None = None,
                   previous_body: str | None = None) -> Payload:
    """``pull_request_review_comment``: a comment on the diff. ``line=None`` is an outdated comment."""
    comment_id = comment_id or next_id()
    pr = pull_request_object(pull_number, repo=repo, repo_id=repo_id, head_sha=head_sha)
    comment = {
        "id": comment_id, "node_id": f"PRRC_{comment_id}", "pull_request_review_id": review_id or next_id(),
        "url": f"https://api.github.com/repos/{repo}/pulls/comments/{comment_id}",
        "html_url": f"https://github.com/{repo}/pull/{pull_number}#discussion_r{comment_id}",
        "pull_request_url": pr["url"], "diff_hunk": "@@ -10,3 +10,3 @@", "path": path,
        "position": None if line is None else 3, "original_position": 3,
        "commit_id": head_sha, "original_commit_id": head_sha, "user": user(author, kind=author_type),
        "body": body, "created_at": WHEN, "updated_at": WHEN, "author_association": "MEMBER",
        "start_line": start_line, "original_start_line": start_line,
        "start_side": "RIGHT" if start_line is not None else None,
        "line": line, "original_line": 12 if line is None else line, "side": "RIGHT",
        "subject_type": "line", "in_reply_to_id": None,
    }
    return _envelope("pull_request_review_comment", action,
                     {"comment": comment, "pull_request": pr, **_edited(action, previous_body)},
                     repo=repo, repo_id=repo_id, installation_id=installation_id, sender=author)


def review(body: str | None = "Thanks, a few notes inline.", *, state: str = "commented",
           action: str = "submitted", review_id: int | None = None, pull_number: int = 7, repo: str = REPO,
           repo_id: int | None = None, installation_id: int = INSTALLATION_ID, author: str = "reviewer",
           head_sha: str = HEAD_SHA, previous_body: str | None = None) -> Payload:
    """``pull_request_review``: the review's own body (may be None); ``state`` is lower case in webhooks."""
    review_id = review_id or next_id()
    pr = pull_request_object(pull_number, repo=repo, repo_id=repo_id, head_sha=head_sha)
    obj = {"id": review_id, "node_id": f"PRR_{review_id}", "user": user(author), "body": body,
           "commit_id": head_sha, "submitted_at": WHEN,
           "state": "dismissed" if action == "dismissed" else state,
           "html_url": f"https://github.com/{repo}/pull/{pull_number}#pullrequestreview-{review_id}",
           "pull_request_url": pr["url"], "author_association": "MEMBER"}
    return _envelope("pull_request_review", action,
                     {"review": obj, "pull_request": pr, **_edited(action, previous_body)},
                     repo=repo, repo_id=repo_id, installation_id=installation_id, sender=author)


def issue_comment(body: str = "Thanks!", *, on_pull_request: bool = True, action: str = "created",
                  comment_id: int | None = None, number: int = 7, repo: str = REPO,
                  repo_id: int | None = None, installation_id: int = INSTALLATION_ID,
                  author: str = "reviewer", author_type: str = "User",
                  previous_body: str | None = None) -> Payload:
    """``issue_comment``: a PR conversation comment iff ``issue.pull_request`` is present (GitHub's rule)."""
    comment_id = comment_id or next_id()
    kind = "pull" if on_pull_request else "issues"
    issue = {"id": 800_000 + number, "node_id": f"I_{number}", "number": number, "title": "Tidy the parser",
             "user": user("author"), "state": "open", "locked": False, "comments": 1, "body": None,
             "html_url": f"https://github.com/{repo}/{kind}/{number}",
             "url": f"https://api.github.com/repos/{repo}/issues/{number}",
             "created_at": WHEN, "updated_at": WHEN, "author_association": "CONTRIBUTOR"}
    if on_pull_request:
        pull = f"https://github.com/{repo}/pull/{number}"
        issue["pull_request"] = {"url": f"https://api.github.com/repos/{repo}/pulls/{number}",
                                 "html_url": pull, "diff_url": f"{pull}.diff", "patch_url": f"{pull}.patch",
                                 "merged_at": None}
    comment = {"id": comment_id, "node_id": f"IC_{comment_id}", "user": user(author, kind=author_type),
               "body": body, "created_at": WHEN, "updated_at": WHEN, "author_association": "MEMBER",
               "html_url": f"https://github.com/{repo}/{kind}/{number}#issuecomment-{comment_id}",
               "issue_url": issue["url"], "performed_via_github_app": None}
    return _envelope("issue_comment", action,
                     {"issue": issue, "comment": comment, **_edited(action, previous_body)},
                     repo=repo, repo_id=repo_id, installation_id=installation_id, sender=author)


def pull_request(action: str = "opened", *, number: int = 7, head_sha: str = HEAD_SHA,
                 before: str | None = None, merged: bool = False, repo: str = REPO,
                 repo_id: int | None = None, installation_id: int = INSTALLATION_ID,
                 author: str = "author") -> Payload:
    """``pull_request``; ``synchronize`` has ``before``/``after`` (the new head); ``closed``, ``merged``."""
    pr = pull_request_object(number, repo=repo, repo_id=repo_id, head_sha=head_sha, author=author,
                             state="closed" if action == "closed" else "open", merged=merged)
    body: dict = {"number": number, "pull_request": pr}
    if action == "synchronize":
        body.update(before=before or BASE_SHA, after=head_sha)
    return _envelope("pull_request", action, body, repo=repo, repo_id=repo_id,
                     installation_id=installation_id, sender=author)


def check_run(action: str = "rerequested", *, identifier: str | None = None, check_run_id: int | None = None,
              head_sha: str = HEAD_SHA, pull_numbers: tuple[int, ...] = (7,), name: str = CHECK_RUN_NAME,
              app_id: int = APP_ID, repo: str = REPO, repo_id: int | None = None,
              installation_id: int = INSTALLATION_ID, sender: str = "reviewer") -> Payload:
    """``check_run``; ``requested_action`` carries the pressed button's ``identifier`` at the top level.

    Only the App that owns the run receives these. ``pull_requests`` is empty for PRs from forks.
    """
    run_id = check_run_id or next_id()
    prs = _short_pulls(repository(repo, repo_id), head_sha, pull_numbers)
    run = {"id": run_id, "node_id": f"CR_{run_id}", "name": name, "head_sha": head_sha, "external_id": "",
           "status": "completed", "conclusion": "neutral", "started_at": WHEN, "completed_at": WHEN,
           "html_url": f"https://github.com/{repo}/runs/{run_id}", "details_url": None,
           "url": f"https://api.github.com/repos/{repo}/check-runs/{run_id}",
           "output": {"title": name, "summary": "", "text": None, "annotations_count": 0},
           "check_suite": {"id": run_id + 1, "head_branch": "feature", "head_sha": head_sha,
                           "status": "completed", "conclusion": "neutral", "pull_requests": prs},
           "app": {"id": app_id, "slug": "tact", "name": "Tact"}, "pull_requests": prs}
    body: dict = {"check_run": run}
    if action == "requested_action":
        body["requested_action"] = {"identifier": identifier or "looks-fine"}
    return _envelope("check_run", action, body, repo=repo, repo_id=repo_id,
                     installation_id=installation_id, sender=sender)


def check_suite(action: str = "requested", *, head_sha: str = HEAD_SHA, pull_numbers: tuple[int, ...] = (7,),
                suite_id: int | None = None, head_branch: str | None = "feature", app_id: int = APP_ID,
                repo: str = REPO, repo_id: int | None = None, installation_id: int = INSTALLATION_ID,
                sender: str = "author") -> Payload:
    """``check_suite``: ``requested`` on every push, ``rerequested`` from "Re-run all"."""
    suite_id = suite_id or next_id()
    suite = {"id": suite_id, "node_id": f"CS_{suite_id}", "head_branch": head_branch, "head_sha": head_sha,
             "status": "queued", "conclusion": None, "before": BASE_SHA, "after": head_sha,
             "pull_requests": _short_pulls(repository(repo, repo_id), head_sha, pull_numbers),
             "app": {"id": app_id, "slug": "tact", "name": "Tact"},
             "created_at": WHEN, "updated_at": WHEN, "latest_check_runs_count": 0}
    return _envelope("check_suite", action, {"check_suite": suite}, repo=repo, repo_id=repo_id,
                     installation_id=installation_id, sender=sender)


def installation(action: str = "created", *, repositories: Repos = (REPO,),
                 installation_id: int = INSTALLATION_ID, account: str = "octo",
                 account_type: str = "Organization", app_id: int = APP_ID, sender: str = "admin") -> Payload:
    """``installation``: created, deleted, suspend, unsuspend, new_permissions_accepted.

    Here the installation object is the full one and there is no ``repository``: the affected
    repositories are listed in short form in ``repositories``.
    """
    obj = {"id": installation_id, "account": user(account, kind=account_type),
           "repository_selection": "selected", "app_id": app_id, "app_slug": "tact",
           "html_url": f"https://github.com/settings/installations/{installation_id}",
           "target_id": _stable_id(account), "target_type": account_type,
           "permissions": {"checks": "write", "contents": "read", "issues": "read", "metadata": "read",
                           "pull_requests": "read"},
           "events": ["pull_request", "pull_request_review", "pull_request_review_comment", "issue_comment"],
           # Real deliveries send epoch seconds here although GitHub's schema says string.
           "created_at": 1_764_000_000, "updated_at": 1_764_000_000, "single_file_name": None,
           "suspended_at": WHEN if action == "suspend" else None,
           "suspended_by": user(sender) if action == "suspend" else None}
    return _envelope("installation", action,
                     {"installation": obj, "repositories": _short_repos(repositories)},
                     repo=None, repo_id=None, installation_id=None, sender=sender)


def installation_repositories(action: str = "added", *, added: Repos = (), removed: Repos = (),
                              selection: str = "selected", installation_id: int = INSTALLATION_ID,
                              account: str = "octo", sender: str = "admin") -> Payload:
    """``installation_repositories``: repositories added to or removed from an installation."""
    obj = installation(installation_id=installation_id, account=account)["installation"]
    obj["repository_selection"] = selection
    return _envelope("installation_repositories", action,
                     {"installation": obj, "repository_selection": selection,
                      "repositories_added": _short_repos(added),
                      "repositories_removed": _short_repos(removed), "requester": None},
                     repo=None, repo_id=None, installation_id=None, sender=sender)


def push(*, ref: str = "refs/heads/main", files: list[str] | tuple = (".github/tact.yml",),
         added: list[str] | tuple = (), removed: list[str] | tuple = (), after: str = HEAD_SHA,
         before: str = BASE_SHA, default_branch: str = "main", repo: str = REPO, repo_id: int | None = None,
         installation_id: int = INSTALLATION_ID, pusher: str = "author") -> Payload:
    """``push`` (no action): ``files`` are the modified paths of its one commit.

    The default branch is on ``repository.default_branch``; compare it with ``ref``.
    """
    person = {"name": pusher, "email": f"{pusher}@example.com", "username": pusher}
    commit = {"id": after, "tree_id": BASE_SHA, "distinct": True, "message": "Update settings",
              "timestamp": WHEN, "url": f"https://github.com/{repo}/commit/{after}",
              "author": person, "committer": person,
              "added": list(added), "removed": list(removed), "modified": list(files)}
    data = _envelope("push", None,
                     {"ref": ref, "before": before, "after": after, "created": False, "deleted": False,
                      "forced": False, "base_ref": None,
                      "compare": f"https://github.com/{repo}/compare/{before[:12]}...{after[:12]}",
                      "commits": [commit], "head_commit": commit,
                      "pusher": {"name": pusher, "email": person["email"]}},
                     repo=repo, repo_id=repo_id, installation_id=installation_id, sender=pusher)
    data["repository"] = repository(repo, repo_id, default_branch=default_branch)
    return data


def ping(*, hook_id: int = 31_337, app_id: int = APP_ID) -> Payload:
    """``ping``: sent when the App's webhook is created; no action, no installation."""
    hook = {"type": "App", "id": hook_id, "name": "web", "active": True, "app_id": app_id,
            "events": ["pull_request", "pull_request_review_comment"],
            "config": {"content_type": "json", "insecure_ssl": "0",
                       "url": "https://tact.example.com/webhooks/github"},
            "created_at": WHEN, "updated_at": WHEN}
    return Payload("ping", {"zen": "Keep it logically awesome.", "hook_id": hook_id, "hook": hook,
                            "sender": user("admin")})


# --- signing ----------


def webhook_headers(event: str, guid: str | None = None, signature: str | None = None) -> dict[str, str]:
    """The headers GitHub sends with an App delivery; ``signature=None`` leaves the signature out."""
    headers = {"Content-Type": "application/json", "User-Agent": "GitHub-Hookshot/tact-test",
               "X-GitHub-Event": event, "X-GitHub-Delivery": guid or str(uuid.uuid4()),
               "X-GitHub-Hook-ID": "31337", "X-GitHub-Hook-Installation-Target-Type": "integration",
               "X-GitHub-Hook-Installation-Target-ID": str(APP_ID)}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return headers


def signature(body: bytes, secret: str) -> str:
    """``sha256=`` + HMAC-SHA256 of the exact body bytes (GitHub's "Validating webhook deliveries")."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signed(payload: dict | bytes, secret: str, *, event: str | None = None,
           guid: str | None = None) -> tuple[bytes, dict[str, str]]:
    """Serialise and sign a payload as GitHub does; return ``(body, headers)`` ready to POST.

    ``event`` defaults to the builder's; raw bytes are signed exactly as given.
    """
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    event = event or getattr(payload, "event", None)
    if event is None:
        raise ValueError("pass event= for a payload not made by a builder")
    return body, webhook_headers(event, guid, signature(body, secret))


def deliver(client, payload: dict | bytes, secret: str, *, event: str | None = None, guid: str | None = None):
    """POST a signed payload to a Flask test client's receiver; return the response."""
    body, headers = signed(payload, secret, event=event, guid=guid)
    return client.post("/webhooks/github", data=body, headers=headers)


def _short_repos(repos) -> list[dict]:
    out = []
    for item in repos:
        full_name, repo_id = (item, None) if isinstance(item, str) else item
        ref = repository(full_name, repo_id)
        out.append({k: ref[k] for k in ("id", "node_id", "name", "full_name", "private")})
    return out


def _repo_id(full_name: str) -> int:
    return REPO_ID if full_name == REPO else _stable_id(full_name)


def _stable_id(text: str) -> int:
    """A deterministic id per name, so the same login or repository always has the same id."""
    return 1_000_000 + int(hashlib.sha1(text.encode()).hexdigest()[:8], 16) % 90_000_000


# --- fuzzing ----------

# One builder per event Tact handles; with their defaults each makes a delivery shaped like GitHub's.
BUILDERS = (review_comment, review, issue_comment, pull_request, check_run, check_suite, installation,
            installation_repositories, push, ping)


# The fields the receiver and the handlers read, per GitHub's payload shapes (worker/handlers/, service/web/).
READ_FIELDS = (
    ("action",), ("installation",), ("installation", "id"), ("repository",), ("repository", "id"),
    ("repository", "full_name"), ("repository", "default_branch"), ("sender",), ("sender", "login"),
    ("comment",), ("comment", "id"), ("comment", "body"), ("comment", "user"), ("comment", "user", "login"),
    ("comment", "user", "type"), ("comment", "path"), ("comment", "line"), ("comment", "start_line"),
    ("comment", "side"), ("comment", "html_url"), ("review",), ("review", "id"), ("review", "body"),
    ("pull_request",), ("pull_request", "number"), ("pull_request", "head"), ("pull_request", "head", "sha"),
    ("pull_request", "user"), ("pull_request", "html_url"), ("issue",), ("issue", "number"),
    ("issue", "pull_request"), ("check_run",), ("check_run", "name"), ("check_run", "pull_requests"),
    ("check_run", "head_sha"), ("check_suite",), ("check_suite", "pull_requests"), ("check_suite", "head_sha"),
    ("requested_action",), ("requested_action", "identifier"), ("repositories",), ("repositories_added",),
    ("repositories_removed",), ("ref",), ("commits",), ("head_commit",), ("changes",),
)


def read_paths(payload: dict) -> list[tuple]:
    """The ``READ_FIELDS`` this payload has (each builder carries only its event's)."""
    present = set(paths(payload))
    return [path for path in READ_FIELDS if path in present]


def paths(data: object, prefix: tuple = ()) -> list[tuple]:
    """Every key path in a payload, containers included, so the fields Tact reads are all among them."""
    found = []
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        found.append(prefix + (key,))
        found.extend(paths(value, prefix + (key,)))
    return found


def replaced(payload: Payload, path: tuple, value: object) -> Payload:
    """A deep copy of ``payload`` with the value at ``path`` replaced (for wrong-type and hostile-value tests)."""
    copy = Payload(payload.event, json.loads(json.dumps(payload)))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return copy
