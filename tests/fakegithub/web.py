"""The fake's stand-in for the github.com pages a person clicks: install the app, add a file, comment, see checks.

Each form changes the fake's world as GitHub would, then delivers the webhook GitHub would send,
signed with the secret the manifest conversion handed out, to the hook URL the manifest named
(Docs "Webhook events and payloads"). Only after a registration through the manifest flow does the
fake know where to deliver; before that, the pages change the world and deliver nothing.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from html import escape

import requests
from flask import Flask, redirect, request

from tests import payloads
from tests.fakegithub.server import hub

log = logging.getLogger(__name__)
PAGE = "<!doctype html><meta charset=utf-8><title>{title} · fake GitHub</title><h1>{title}</h1>{body}"


def deliver(payload: payloads.Payload) -> int | None:
    """POST a signed webhook to the registered app, as GitHub does; the status Tact answered, or None."""
    app = hub().state.app
    if not app.get("hook_url") or not app.get("webhook_secret"):
        return None
    body, headers = payloads.signed(payload, app["webhook_secret"])
    try:
        status = requests.post(app["hook_url"], data=body, headers=headers, timeout=10).status_code
    except requests.RequestException as exc:  # GitHub records a failed delivery and moves on
        log.warning("fake GitHub: delivery to %s failed: %s", app["hook_url"], exc)
        status = None
    hub().state.deliveries.append((payload.event, status))
    return status


def _page(title: str, body: str) -> str:
    return PAGE.format(title=escape(title), body=body)


def install_form(slug: str):
    login = next(iter(hub().state.users), "octocat")
    return _page(f"Install {slug}", f"""<form method=post>
<label>Account <input name=account value="{escape(login)}"></label>
<label>Repository <input name=repository value=demo></label>
<button type=submit>Install</button></form>""")


def install(slug: str):
    """Create the installation with one repository (and a pull request on it), then send installation.created."""
    state = hub().state
    account = request.form.get("account") or "octocat"
    full_name = f"{account}/{request.form.get('repository') or 'demo'}"
    inst = state.add_installation(account=account)
    repo = state.add_repository(full_name, inst.id)
    state.add_pull_request(full_name, 1, hashlib.sha1(secrets.token_bytes(8)).hexdigest(), author=account)
    user = state.users.get(account) or state.add_user(account)
    user.repos[full_name] = True
    deliver(payloads.installation(repositories=[(full_name, repo.id)], installation_id=inst.id, account=account,
                                  account_type="User", app_id=hub().app_id, sender=account))
    setup_url = state.app.get("setup_url")
    if setup_url:  # GitHub sends the installer to the app's setup URL (Docs: "About the setup URL")
        return redirect(f"{setup_url}?installation_id={inst.id}&setup_action=install", code=302)
    return redirect(f"/{full_name}/pull/1", code=302)


def add_file(owner: str, name: str):
    """Commit a file to the default branch and send push, as the web editor's "Commit changes" does."""
    state = hub().state
    repo = state.repos[f"{owner}/{name}"]
    path, text = request.form["path"], request.form.get("content", "")
    state.add_file(repo.full_name, path, text)
    deliver(payloads.push(files=[path], repo=repo.full_name, repo_id=repo.id, installation_id=repo.installation_id,
                          default_branch=repo.default_branch, pusher=owner,
                          after=hashlib.sha1(secrets.token_bytes(8)).hexdigest()))
    return redirect(f"/{repo.full_name}/pull/1", code=302)


def pull_page(owner: str, name: str, number: int):
    state = hub().state
    repo = state.repos[f"{owner}/{name}"]
    pull = repo.pulls[number]
    notes = "".join(f"<li><strong>{escape(run.name)}</strong> ({escape(run.conclusion or run.status)}): "
                    f"{escape(run.output.title or '')}<ul>"
                    + "".join(f"<li>{escape(a.path)} line {a.start_line}: {escape(a.message)}</li>"
                              for a in run.annotations) + "</ul></li>"
                    for run in state.runs_for(repo.full_name, pull.head_sha))
    comments = "".join(f"<li>{escape(c['author'])} on {escape(c['path'] or '')}: {escape(c['body'] or '')}</li>"
                       for c in pull.review_comments)
    return _page(f"{repo.full_name} #{number}", f"""<h2>Checks</h2><ul id=checks>{notes}</ul>
<h2>Review comments</h2><ul>{comments}</ul>
<form method=post action="/{escape(repo.full_name)}/pull/{number}/comments">
<label>File <input name=path value=app.py></label> <label>Line <input name=line value=3></label>
<label>Comment <textarea name=body></textarea></label><button type=submit>Comment</button></form>
<form method=post action="/{escape(repo.full_name)}/files">
<label>Path <input name=path value=.github/tact.yml></label>
<label>Content <textarea name=content>enabled: true</textarea></label><button type=submit>Commit</button></form>""")


def comment(owner: str, name: str, number: int):
    """Add a review comment on the diff and send pull_request_review_comment (action created)."""
    state = hub().state
    repo = state.repos[f"{owner}/{name}"]
    pull = repo.pulls[number]
    login = request.form.get("login") or next(iter(state.users), "octocat")
    line = int(request.form.get("line") or 1)
    item = state.add_comment(repo.full_name, number, "review_comment", request.form["body"], author=login,
                             path=request.form.get("path") or "app.py", line=line)
    deliver(payloads.review_comment(item["body"], path=item["path"], line=line, comment_id=item["id"],
                                    pull_number=number, repo=repo.full_name, repo_id=repo.id,
                                    installation_id=repo.installation_id, author=login, head_sha=pull.head_sha))
    return redirect(f"/{repo.full_name}/pull/{number}", code=302)


def register(app: Flask) -> None:
    app.add_url_rule("/apps/<slug>/installations/new", view_func=install_form)
    app.add_url_rule("/apps/<slug>/installations/new", endpoint="install", view_func=install, methods=["POST"])
    app.add_url_rule("/<owner>/<name>/files", view_func=add_file, methods=["POST"])
    app.add_url_rule("/<owner>/<name>/pull/<int:number>", view_func=pull_page)
    app.add_url_rule("/<owner>/<name>/pull/<int:number>/comments", view_func=comment, methods=["POST"])
