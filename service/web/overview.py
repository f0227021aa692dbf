"""Blueprint: an installation's overview: weekly trends over the repositories of it that you can see.

A person sees figures only for repositories GitHub says they can reach, so an overview never
reveals a private repository's activity to someone outside it. Per-author figures stay off unless
an installation admin turns them on; even then each person sees only their own comments' figures.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for

from service import storage
from service.settings import CATEGORIES
from service.web import auth
from service.web.dashboard import requested_range, trend_charts
from service.web.figures import collect

bp = Blueprint("overview", __name__)


def _db() -> storage.Database:
    return current_app.extensions["tact.db"]


def visible_in(session, installation_id: int) -> tuple[storage.Installation, list[int]]:
    """The installation and the ids of its repositories this person may see; 403 when there are none."""
    covered = storage.installation_repository_ids(session, installation_id)
    visible = auth.visible_repositories()
    ids = [i for i in covered if i in visible]
    inst = storage.installations_by_ids(session, [installation_id]).get(installation_id)
    if inst is None or not ids:
        abort(make_response(render_template("auth/forbidden.html", what="installation", admin=False), 403))
    return inst, ids


@bp.get("/installations/<int:installation_id>")
@auth.login_required
def installation(installation_id: int):
    span = requested_range()
    user = auth.current_user()
    with _db().session() as session:
        inst, ids = visible_in(session, installation_id)
        numbers = collect(session, ids, span)
        own = collect(session, ids, span, author=user.login) if inst.author_figures and user.id else None
        names = {r.id: r.full_name for r in storage.repositories_by_ids(session, ids)}
        is_admin = auth.is_installation_admin(storage.installation_repository_ids(session, installation_id))
    return render_template("dashboard/installation.html", inst=inst, figures=numbers, own=own,
                           charts=trend_charts(numbers, inst.account_login), categories=CATEGORIES,
                           repositories=sorted(names.values()), is_admin=is_admin)


@bp.post("/installations/<int:installation_id>/author-figures")
@auth.login_required
def author_figures(installation_id: int):
    auth.check_csrf()
    choice = request.form.get("author_figures")
    if choice not in ("on", "off"):
        abort(make_response(render_template("dashboard/bad_request.html",
                                            message="Please choose on or off for per-author figures."), 400))
    with _db().session() as session:
        auth.require_installation_admin(storage.installation_repository_ids(session, installation_id))
        storage.set_author_figures(session, installation_id, choice == "on")
    flash(f"Per-author figures are now {choice}. Each person sees only their own.")
    return redirect(url_for(".installation", installation_id=installation_id))
