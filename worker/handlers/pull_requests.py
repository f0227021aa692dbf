"""Pull request lifecycle: a new head commit gets the current check run; a closed PR gets no more."""

from __future__ import annotations

from service import storage
from service.settings.fetch import current_settings
from worker.context import Context
from worker.handlers.comments import repository_from
from worker.handlers.stages import publish_in_stage
from worker.outcome import Outcome


def head_changed(payload: dict, ctx: Context) -> Outcome:
    """opened, reopened, synchronize: check runs belong to a commit, so a new head needs its own run."""
    pr = payload.get("pull_request") or {}
    repo = repository_from(payload, ctx)
    if repo is None or not pr.get("number"):
        return Outcome.skipped("the payload names no repository or pull request")
    head = (pr.get("head") or {}).get("sha")
    row = storage.upsert_pull_request(ctx.session, repo.id, pr["number"], head_sha=head, state="open",
                                      html_url=pr.get("html_url"), author=(pr.get("user") or {}).get("login"))
    if row.check_run_id is None and not storage.current_findings(ctx.session, repo.id, pr["number"]):
        return Outcome.done("no check run yet and nothing to show")
    settings = current_settings(ctx.session, repo, ctx.github)
    if not settings.settings.enabled:
        return Outcome.skipped(f"{repo.full_name} has not opted in")
    return Outcome.done(publish_in_stage(ctx, repo, pr["number"], settings))


def closed(payload: dict, ctx: Context) -> Outcome:
    pr = payload.get("pull_request") or {}
    repo = repository_from(payload, ctx)
    if repo is None or not pr.get("number"):
        return Outcome.skipped("the payload names no repository or pull request")
    storage.upsert_pull_request(ctx.session, repo.id, pr["number"], state="closed")
    return Outcome.done(f"pull request #{pr['number']} closed")
