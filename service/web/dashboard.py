"""Blueprint: the dashboard: repositories and their state, tone trends, and per-repository switches.

It reads and writes only through ``service.storage``; every permission question goes to GitHub
through ``service.web.auth``. The worker decides what to analyze; this page explains that decision
with the same precedence: the repository's `.github/tact.yml`, else the dashboard's switches,
else the installation-wide default (off unless an installation admin turned it on).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup

from service import settings, storage
from service.settings import CATEGORIES, REPOSITORY_FILE, RepoSettings, SettingsResult, store
from service.web import auth, charts, figures, trust

bp = Blueprint("dashboard", __name__)

TOP_RULES = 10
SENSITIVITIES = tuple(settings.schema()["properties"]["sensitivity"]["enum"])
def _db() -> storage.Database:
    return current_app.extensions["tact.db"]


# ---------- views


@bp.get("/")
def index():
    if auth.current_user() is None:
        return render_template("dashboard/landing.html")
    visible = auth.visible_repositories()
    span = figures.date_range({}, storage.utcnow().date())
    with _db().session() as session:
        repos = storage.repositories_by_ids(session, visible)
        installations = storage.installations_by_ids(session, {r.installation_id for r in repos})
        lines = figures.collect(session, list(visible), span).sparklines
        groups = []
        for inst in sorted(installations.values(), key=lambda i: i.account_login.lower()):
            covered = storage.installation_repository_ids(session, inst.id)
            rows = [(r, activity(r, inst, store.stored_settings(session, r)), visible[r.id],
                     charts.sparkline(lines.get(r.id, []), f"Flagged comments per week in {r.full_name}"),
                     sum(lines.get(r.id, [])))
                    for r in sorted(repos, key=lambda r: r.full_name.lower()) if r.installation_id == inst.id]
            groups.append((inst, rows, auth.is_installation_admin(covered)))
    return render_template("dashboard/index.html", groups=groups, weeks=len(span.mondays))


@bp.get("/repos/<int:repo_id>")
@auth.login_required
def repository(repo_id: int):
    is_admin = auth.require_repo_access(repo_id)
    span = requested_range()
    with _db().session() as session:
        repo, inst = _installed_repository(session, repo_id)
        numbers = figures.collect(session, [repo_id], span)
        recent = [_finding_view(c, f) for c, f in storage.recent_findings(session, repo_id, span.since, span.until)]
        result = store.stored_settings(session, repo)
        previews = [_preview_view(p) for p in storage.previews(session, repo_id)]
    return render_template(
        "dashboard/repository.html", repo=repo, state=activity(repo, inst, result), figures=numbers,
        charts=trend_charts(numbers, repo.full_name), categories=CATEGORIES, top_rules=numbers.rules[:TOP_RULES],
        recent=recent, settings=result.settings, settings_rows=_settings_rows(result.settings, result.sources),
        has_file=repo.has_settings_file, is_admin=is_admin, sensitivities=SENSITIVITIES,
        errors_html=_render_markdown(_errors_markdown(repo, result)), previews=previews)


def requested_range() -> figures.Range:
    """The page's ?from=&to=, or a 400 page saying what is wrong with them."""
    try:
        return figures.date_range(request.args, storage.utcnow().date())
    except figures.BadRange as exc:
        _bad_request(str(exc))
        raise  # not reached: _bad_request aborts


def trend_charts(numbers: figures.Figures, scope: str) -> dict[str, Markup]:
    return {"comments": charts.comments_chart(numbers.weeks, f"Comments analyzed and flagged per week, {scope}"),
            "rates": charts.rates_chart(numbers.weeks, f'Share flagged and "Looks fine" rate per week, {scope}'),
            "categories": charts.categories_chart(numbers.weeks, f"Findings per week by category, {scope}")}


def _finding_view(comment: storage.Comment, finding: storage.Finding) -> dict[str, Any]:
    """A recent finding: its excerpt only when the repository's store_text kept one."""
    return {"rule": finding.rule, "category": finding.category, "severity": finding.severity,
            "excerpt": finding.excerpt, "url": comment.url, "pull_number": comment.pull_number,
            "written": comment.created_at}


@bp.post("/repos/<int:repo_id>/settings")
@auth.login_required
def save_settings(repo_id: int):
    auth.check_csrf()
    auth.require_repo_admin(repo_id)
    with _db().session() as session:
        repo, _ = _installed_repository(session, repo_id)
        if repo.has_settings_file:
            return trust.file_wins(repo)
        switches = _switches_from_form(request.form)
        storage.save_dashboard_settings(session, repo_id, {**(repo.dashboard_settings or {}), **switches})
        session.expire_all()
        trust.backfill_on_opt_in(session, [repo_id])  # switched on: read its history back (service/web/trust.py)
    flash("Saved. Tact uses these settings from the next comment on.")
    return redirect(url_for(".repository", repo_id=repo_id))


@bp.post("/installations/<int:installation_id>/default")
@auth.login_required
def installation_default(installation_id: int):
    auth.check_csrf()
    choice = request.form.get("default")
    if choice not in ("on", "off"):
        _bad_request("Please choose on or off for the installation-wide default.")
    with _db().session() as session:
        auth.require_installation_admin(storage.installation_repository_ids(session, installation_id))
        storage.set_installation_default(session, installation_id, choice == "on")
        session.expire_all()
        trust.backfill_on_opt_in(session, storage.installation_repository_ids(session, installation_id))
    flash(f"The installation-wide default is now {choice}. Repositories with their own choice keep it.")
    return redirect(url_for(".index"))


def _installed_repository(session, repo_id: int) -> tuple[storage.Repository, storage.Installation | None]:
    repo = storage.repository_by_id(session, repo_id)
    if repo is None or not repo.installed:
        abort(make_response(render_template("dashboard/not_installed.html"), 404))
    inst = storage.installations_by_ids(session, [repo.installation_id]).get(repo.installation_id)
    return repo, inst


def _switches_from_form(form) -> dict[str, Any]:
    sensitivity = form.get("sensitivity")
    if sensitivity not in SENSITIVITIES:
        _bad_request(f"Sensitivity must be one of {', '.join(SENSITIVITIES)}.")
    switches = {"enabled": form.get("enabled") == "on", "sensitivity": sensitivity,
                "categories": {name: form.get(f"category-{name}") == "on" for name in CATEGORIES}}
    problems = settings.check_mapping(switches, settings.DASHBOARD)
    if any(p.kind == "error" for p in problems):  # the form and the schema disagree: our bug, say so
        _bad_request("; ".join(str(p) for p in problems))
    return switches


def _bad_request(message: str) -> None:
    abort(make_response(render_template("dashboard/bad_request.html", message=message), 400))


# ---------- settings and state


@dataclass(frozen=True)
class Activity:
    active: bool
    reason: str


def activity(repo: storage.Repository, inst: storage.Installation | None, result: SettingsResult) -> Activity:
    """Whether Tact analyzes this repository now, and the one reason a person needs to know."""
    if inst is None or inst.deleted or not repo.installed:
        return Activity(False, "Tact is no longer installed here.")
    if inst.suspended:
        return Activity(False, "The installation is suspended on GitHub.")
    enabled, source = result.settings.enabled, result.sources.get("enabled")
    word = "on" if enabled else "off"
    if not settings.language_supported(result.settings.language):
        return Activity(False, "The settings name a language Tact does not read yet.")
    if result.used_last_valid:
        reason = f"The last valid .github/tact.yml turns Tact {word}; the new one has problems."
        return Activity(enabled, reason)
    if repo.has_settings_file and any(e.kind == "error" and e.file == REPOSITORY_FILE for e in result.errors):
        return Activity(False, ".github/tact.yml has problems, and there is no earlier valid version.")
    reasons = {
        "repository": f".github/tact.yml turns Tact {word}.",
        "organization": f"The organization's .github/tact.yml turns Tact {word}.",
        "dashboard": f"Switched {word} in this dashboard.",
        "installation": f"The installation-wide default is {word}.",
    }
    return Activity(enabled, reasons.get(source, f"No settings file sets enabled, so Tact is {word}."))


def _settings_rows(effective: RepoSettings, sources: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(key, value as a person reads it, where it came from) for every key, in the schema's order."""
    rows = []
    for key, value in _flat(effective.to_dict()).items():
        if isinstance(value, dict):
            continue  # its sub-keys get their own rows
        source = sources.get(key) or sources.get(key.split(".")[0], "default")
        rows.append((key, _shown(value), settings.SOURCE_WORDS.get(source, source)))
    return rows


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list):
        return ", ".join(value) if value else "none"
    return str(value)


def _flat(doc: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in doc.items():
        out[key] = value
        if isinstance(value, dict):
            out.update({f"{key}.{sub}": v for sub, v in value.items()})
    return out


def _errors_markdown(repo: storage.Repository, result: SettingsResult) -> str:
    """The errors the worker stored at its last read, worded as the check-run summary words them."""
    errors = store.stored_errors(repo)
    return settings.render_errors_markdown(errors, used_last_valid=result.used_last_valid)


def _render_markdown(text: str) -> Markup:
    """The small Markdown the check-run summary uses (paragraphs, "- " lists, `code`) as safe HTML."""
    blocks = []
    for block in filter(None, text.split("\n\n")):
        lines = block.split("\n")
        if all(line.startswith("- ") for line in lines):
            items = "".join(f"<li>{_inline(line[2:])}</li>" for line in lines)
            blocks.append(f"<ul>{items}</ul>")
        else:
            blocks.append(f"<p>{_inline(' '.join(lines))}</p>")
    return Markup("".join(blocks))


def _preview_view(preview: storage.CheckRunPreview) -> dict[str, Any]:
    """A preview as the page shows it: the summary's Markdown rendered, the annotations as they are."""
    return {"pull_number": preview.pull_number, "head_sha": preview.head_sha, "title": preview.title,
            "conclusion": preview.conclusion, "updated_at": preview.updated_at,
            "summary_html": _render_markdown(preview.summary), "annotations": preview.annotations}


def _inline(text: str) -> str:
    return re.sub(r"`([^`]*)`", r"<code>\1</code>", html.escape(text, quote=False))
