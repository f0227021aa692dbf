"""The rollout stage decides whether GitHub hears anything: preview and coaching keep findings to Tact.

Every handler that would publish goes through ``publish_in_stage``, so a repository in `preview`
never gets a check run, whichever event arrives (comment, new head, re-run, "Looks fine").
"""

from __future__ import annotations

from service import storage
from service.settings import SettingsResult
from worker.context import Context
from worker.publish import publish_pull_request


def publish_in_stage(ctx: Context, repo: storage.Repository, number: int, result: SettingsResult,
                     **options) -> str:
    """Publish the PR's state when the stage speaks on GitHub; otherwise say where the findings went."""
    mode = result.settings.mode
    if not result.settings.publishes:
        where = "the dashboard" if mode == "preview" else "each writer's coaching page"
        return f"mode is {mode}: findings are kept for {where}; nothing published on GitHub"
    return publish_pull_request(ctx, repo, number, result, **options)
