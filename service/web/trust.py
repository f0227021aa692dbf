"""Blueprint: the controls that let a team trust Tact before it speaks, and each person's coaching page.

Per repository: the rollout stage (and a switch for it where no file decides), the backfill's progress
with "what Tact would have flagged", a button to read history again, the count of comments their
writers marked deliberate, and proposals drawn from "Looks fine" marks. Per person: their own flagged
comments with suggestions, found by the signed-in login only, never by anything in the URL.

Like the dashboard, it reads and writes only through ``service.storage`` and asks GitHub about
permissions through ``service.web.auth``; tasks are sent by name, so the worker is never imported.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from service import settings, storage
from service.settings import REPOSITORY_FILE, store
from service.web import auth

bp = Blueprint("trust", __name__)

BACKFILL_TASK = "tact.backfill_repository"
MODES = tuple(settings.schema()["properties"]["mode"]["enum"])
MAX_DAYS = settings.schema()["properties"]["backfill_days"]["maximum"]
SHOWN = 50
STAGE_WORDS = {
    "preview": "Preview: Tact analyzes and shows its findings here, and publishes nothing on GitHub.",
    "notice": "Notice: findings appear as notices in the check run; it never blocks a merge.",
    "warning": "Warning: findings appear as warnings in the check run; it never blocks a merge.",
    "required": "Required: findings appear as warnings and the check run asks for a look before merging.",
    "coaching": "Coaching: each writer sees notes on their own page; nothing appears on pull requests.",
}


def _db() -> storage.Database:
    return current_app.extensions["tact.db"]


@bp.get("/repos/<int:repo_id>/trust")
@auth.login_required
def repository(repo_id: int):
    is_admin = auth.require_repo_access(repo_id)
    with _db().session() as session:
        repo = _installed(session, repo_id)
        result = store.stored_settings(session, repo)
        row = storage.backfill_of(session, repo_id)
        since = row.since if row else storage.utcnow() - timedelta(days=result.settings.backfill_days)
        flagged = storage.would_have_flagged(session, repo_id, since, limit=SHOWN)
        deliberate = storage.deliberate_comments(session, repo_id, since)
        proposals = _proposals(session, repo_id, result.settings)
        session.expunge_all()
    notes = [e for e in result.errors if "replaced by `mode`" in e.message]
    mode_source = settings.SOURCE_WORDS.get(result.sources.get("mode", "default"), "Tact's default")
    return render_template("trust/repository.html", repo=repo, settings=result.settings,
                           mode_source=mode_source, stage=STAGE_WORDS,
                           modes=MODES, has_file=repo.has_settings_file, is_admin=is_admin,
                           backfill=row, flagged=flagged, deliberate=deliberate, notes=notes,
                           proposals=proposals, max_days=MAX_DAYS, file=REPOSITORY_FILE)


@bp.post("/repos/<int:repo_id>/backfill")
@auth.login_required
def run_backfill(repo_id: int):
    """An admin reads the history again: a fresh cursor, then the worker takes it from there."""
    auth.check_csrf()
    auth.require_repo_admin(repo_id)
    with _db().session() as session:
        repo = _installed(session, repo_id)
        default = store.stored_settings(session, repo).settings.backfill_days
        days = _days(request.form.get("days"), default)
        storage.start_backfill(session, repo_id, days)
    current_app.extensions["tact.queue"].send(BACKFILL_TASK, [repo_id])
    flash(f"Tact is reading the last {days} days of this repository's reviews. This page shows its progress.")
    return redirect(url_for(".repository", repo_id=repo_id))


@bp.post("/repos/<int:repo_id>/mode")
@auth.login_required
def save_mode(repo_id: int):
    auth.check_csrf()
    auth.require_repo_admin(repo_id)
    mode = request.form.get("mode")
    if mode not in MODES:
        abort(400)
    with _db().session() as session:
        repo = _installed(session, repo_id)
        if repo.has_settings_file:
            return file_wins(repo)
        storage.save_dashboard_settings(session, repo_id, {**(repo.dashboard_settings or {}), "mode": mode})
    flash(f"Saved: the stage is now {mode}, from the next comment on.")
    return redirect(url_for(".repository", repo_id=repo_id))


@bp.post("/repos/<int:repo_id>/proposals")
@auth.login_required
def accept_proposal(repo_id: int):
    """One click for an admin: allow the phrase, or switch the rule off, as a dashboard setting."""
    auth.check_csrf()
    auth.require_repo_admin(repo_id)
    with _db().session() as session:
        repo = _installed(session, repo_id)
        if repo.has_settings_file:
            return file_wins(repo)
        layer = dict(repo.dashboard_settings or {})
        change = _apply_proposal(layer, request.form.get("action"), request.form.get("value", ""))
        problems = settings.check_mapping(layer, settings.DASHBOARD)
        if change is None or any(p.kind == "error" for p in problems):
            abort(400)
        storage.save_dashboard_settings(session, repo_id, layer)
    flash(f"Saved as a dashboard setting: {change}.")
    return redirect(url_for(".repository", repo_id=repo_id))


@bp.get("/me/coaching")
@auth.login_required
def coaching():
    """The signed-in person's own flagged comments, in the repositories GitHub says they can see."""
    user = auth.current_user()
    visible = auth.visible_repositories()
    with _db().session() as session:
        rows = storage.own_findings(session, user.login, visible, limit=SHOWN * 2)
        names = {r.id: r.full_name for r in storage.repositories_by_ids(session, {c.repository_id for c, _ in rows})}
        session.expunge_all()
    return render_template("trust/coaching.html", rows=rows, names=names, login=user.login)


def backfill_on_opt_in(session, repository_ids) -> list[int]:
    """After a dashboard switch or the installation-wide default turns Tact on: read back the history
    of each repository now opted in that has never been read. Returns the ids sent to the worker."""
    sent = []
    for repo in storage.repositories_by_ids(session, repository_ids):
        result = store.stored_settings(session, repo)
        if result.settings.enabled and storage.backfill_of(session, repo.id) is None:
            storage.start_backfill(session, repo.id, result.settings.backfill_days)
            sent.append(repo.id)
    session.commit()  # the worker must find the rows it is sent
    for repo_id in sent:
        current_app.extensions["tact.queue"].send(BACKFILL_TASK, [repo_id])
    return sent


def file_wins(repo: storage.Repository):
    """The answer to a dashboard switch on a repository whose settings file decides: the file is reviewed
    like code, and a switch here would silently disagree with it."""
    return render_template("dashboard/file_wins.html", repo=repo), 409


def _installed(session, repo_id: int) -> storage.Repository:
    repo = storage.repository_by_id(session, repo_id)
    if repo is None or not repo.installed:
        abort(404)
    return repo


def _days(value: str | None, default: int) -> int:
    try:
        days = int(value) if value else default
    except ValueError:
        abort(400)
    return min(max(days, 1), MAX_DAYS)


def _proposals(session, repo_id: int, current) -> list[dict]:
    """Rules marked "Looks fine" at least `looks_fine_threshold` times that still apply here."""
    out = []
    for rule, marks, phrase in storage.looks_fine_by_rule(session, repo_id):
        if marks < current.looks_fine_threshold or rule in current.disabled_rules:
            continue
        if phrase is not None and phrase in (p.lower() for p in current.allow):
            continue  # already allowed: the marks are from before
        out.append({"rule": rule, "marks": marks, "phrase": phrase})
    return out


def _apply_proposal(layer: dict, action: str | None, value: str) -> str | None:
    if action == "allow" and value:
        layer["allow"] = sorted({*layer.get("allow", []), value})
        return f"the phrase \u201c{value}\u201d is allowed"
    if action == "disable" and value:
        rules = dict(layer.get("rules", {}))
        rules["disabled"] = sorted({*rules.get("disabled", []), value})
        layer["rules"] = rules
        return f"the rule {value} is off"
    return None
