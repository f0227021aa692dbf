"""Blueprint: the trend aggregates as CSV or JSON, for a repository or an installation, over a date range.

The same figures as the pages (``service.web.figures``), behind the same permission checks. Only
aggregates leave: no comment text, no excerpts, no authors.
"""

from __future__ import annotations

import csv
import io
import json

from flask import Blueprint, Response, abort, current_app

from service import storage
from service.web import auth
from service.web.dashboard import requested_range
from service.web.figures import Figures, collect
from service.web.overview import visible_in

bp = Blueprint("exports", __name__)
FORMATS = ("csv", "json")


@bp.get("/repos/<int:repo_id>/trends.<fmt>")
@auth.login_required
def repository(repo_id: int, fmt: str):
    _known(fmt)
    auth.require_repo_access(repo_id)
    span = requested_range()
    with current_app.extensions["tact.db"].session() as session:
        repo = storage.repository_by_id(session, repo_id)
        if repo is None:
            abort(404)
        numbers, name = collect(session, [repo_id], span), repo.full_name
    return _send(numbers, fmt, {"repository": name}, name.replace("/", "-"))


@bp.get("/installations/<int:installation_id>/trends.<fmt>")
@auth.login_required
def installation(installation_id: int, fmt: str):
    _known(fmt)
    span = requested_range()
    with current_app.extensions["tact.db"].session() as session:
        inst, ids = visible_in(session, installation_id)
        names = sorted(r.full_name for r in storage.repositories_by_ids(session, ids))
        numbers, login = collect(session, ids, span), inst.account_login
    return _send(numbers, fmt, {"installation": login, "repositories": names}, login)


def _known(fmt: str) -> None:
    if fmt not in FORMATS:
        abort(404)


def _send(numbers: Figures, fmt: str, scope: dict, stem: str) -> Response:
    span = numbers.span
    filename = f"tact-{stem}-{span.first.isoformat()}-{span.last.isoformat()}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}
    if fmt == "json":
        body = {**scope, "from": span.first.isoformat(), "to": span.last.isoformat(),
                "weeks": [w.as_row() for w in numbers.weeks],
                "rules": [{"rule": r.rule, "category": r.category, "findings": r.findings,
                           "looks_fine": r.looks_fine} for r in numbers.rules]}
        return Response(json.dumps(body, indent=2), mimetype="application/json", headers=headers)
    return Response(_csv(numbers), mimetype="text/csv", headers=headers)


def _csv(numbers: Figures) -> str:
    rows = [w.as_row() for w in numbers.weeks]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["week"], lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: "" if v is None else v for k, v in row.items()} for row in rows)
    return out.getvalue()
