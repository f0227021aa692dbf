"""A push to the default branch that touches .github/tact.yml refreshes the settings kept in storage."""

from __future__ import annotations

from service import storage
from service.settings import REPOSITORY_FILE
from service.settings.fetch import current_settings
from worker.context import Context
from worker.handlers.comments import repository_from
from worker.handlers.stages import backfill_on_opt_in
from worker.outcome import Outcome


def push(payload: dict, ctx: Context) -> Outcome:
    repo = repository_from(payload, ctx)
    if repo is None:
        return Outcome.skipped("the payload names no repository")
    default_branch = (payload.get("repository") or {}).get("default_branch") or repo.default_branch
    if payload.get("ref") != f"refs/heads/{default_branch}":
        return Outcome.skipped("not the default branch: settings are read from the default branch only")
    if not _touches_settings(payload):
        return Outcome.skipped(f"{REPOSITORY_FILE} unchanged")
    if repo.full_name.endswith("/.github"):
        owner = repo.full_name.split("/", 1)[0]
        count = storage.forget_settings_of_owner(ctx.session, owner)
        return Outcome.done(f"organization settings changed; {count} repositories will re-read them")
    result = current_settings(ctx.session, repo, ctx.github, refresh=True)
    state = "opted in" if result.settings.enabled else "not opted in"
    backfill = "; reading back its history" if backfill_on_opt_in(ctx.session, repo, result) else ""
    return Outcome.done(f"settings re-read: {state}, {len(result.errors)} problem(s){backfill}")


def _touches_settings(payload: dict) -> bool:
    for commit in payload.get("commits") or []:
        for key in ("added", "modified", "removed"):
            if REPOSITORY_FILE in (commit.get(key) or []):
                return True
    return False
