"""The rollout stage decides whether GitHub hears anything: preview and coaching keep findings to Tact.

Every handler that would publish goes through ``publish_in_stage``, so a repository in `preview`
never gets a check run, whichever event arrives (comment, new head, re-run, "Looks fine").
Opting in is also the moment to read history back (``backfill_on_opt_in``; worker/backfill.py reads).
"""

from __future__ import annotations

from service import storage
from service.settings import SettingsResult
from worker.context import Context
from worker.publish import publish_pull_request

MAX_BACKFILL_DAYS = 90


def publish_in_stage(ctx: Context, repo: storage.Repository, number: int, result: SettingsResult,
                     **options) -> str:
    """Publish the PR's state when the stage speaks on GitHub; otherwise say where the findings went."""
    mode = result.settings.mode
    if not result.settings.publishes:
        where = "the dashboard" if mode == "preview" else "each writer's coaching page"
        return f"mode is {mode}: findings are kept for {where}; nothing published on GitHub"
    return publish_pull_request(ctx, repo, number, result, **options)


def start_backfill(session, repo: storage.Repository, settings, days: int | None = None) -> storage.Backfill:
    """Queue a backfill of ``days`` (default: the repository's ``backfill_days``), at most 90."""
    days = min(max(days or settings.backfill_days, 1), MAX_BACKFILL_DAYS)
    return storage.start_backfill(session, repo.id, days)


def backfill_on_opt_in(session, repo: storage.Repository, result: SettingsResult) -> bool:
    """The first time Tact finds a repository opted in (its file, a dashboard switch or the
    installation-wide default), queue a read of its history; later opt-ins keep the first one."""
    if not result.settings.enabled or storage.backfill_of(session, repo.id) is not None:
        return False
    start_backfill(session, repo, result.settings)
    return True
