"""A push to the default branch that touches .github/tact.yml refreshes the settings kept in storage."""

from __future__ import annotations

from service import storage
from service.settings import REPOSITORY_FILE, store
from service.settings.fetch import current_settings
from worker.context import Context
from worker.handlers.comments import repository_from
from worker.handlers.stages import backfill_on_opt_in, publish_in_stage
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
    was_speaking = _speaking(store.stored_settings(ctx.session, repo).settings) if repo.settings_files else False
    result = current_settings(ctx.session, repo, ctx.github, refresh=True)
    state = "opted in" if result.settings.enabled else "not opted in"
    backfill = "; reading back its history" if backfill_on_opt_in(ctx.session, repo, result) else ""
    published = ""
    if _speaking(result.settings) and not was_speaking:
        published = "; " + _publish_open_pull_requests(ctx, repo, result)
    return Outcome.done(f"settings re-read: {state}, {len(result.errors)} problem(s){backfill}{published}")


def _speaking(settings) -> bool:
    return settings.enabled and settings.publishes


def _publish_open_pull_requests(ctx: Context, repo: storage.Repository, result) -> str:
    """Moving from preview (or off) to a stage that speaks: open PRs get their check runs now, not at
    their next comment; closed ones are left alone (the publisher checks each PR's state)."""
    numbers = storage.pull_numbers_with_findings(ctx.session, repo.id)
    for number in numbers:
        publish_in_stage(ctx, repo, number, result)
    return f"mode {result.settings.mode}: {len(numbers)} pull request(s) with findings brought up to date"


def _touches_settings(payload: dict) -> bool:
    for commit in payload.get("commits") or []:
        for key in ("added", "modified", "removed"):
            if REPOSITORY_FILE in (commit.get(key) or []):
                return True
    return False
