"""Backfill: once a repository opts in, read its recent history so a team can judge Tact on its own words.

It reads the pull requests updated in the last ``backfill_days`` (a page at a time), then each one's
diff comments, review bodies and conversation comments, analyzes them like live comments and keeps
them with the day they were written, so the dashboard's trend starts from day one. The cursor is
saved (committed) after every page and every pull request: a worker that dies, or a rate limit,
costs at most one pull request's reads. A rate limit pauses the backfill until GitHub's retry time;
the sweeper sends it again then (``due``). Nothing is ever published for a closed pull request;
an open one gets its check run only when the repository's stage speaks on GitHub.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from service import github, storage
from service.settings import SettingsResult
from service.settings.fetch import current_settings
from service.storage.backfills import DONE_, FAILED_, PAUSED
from worker.context import Context, GitHubNotConfigured
from worker.handlers.comments import CommentEvent, store_comment
from worker.handlers.stages import publish_in_stage

log = logging.getLogger(__name__)
TASK = "tact.backfill_repository"


@dataclass(frozen=True)
class Progress:
    state: str  # done | paused | failed | busy (another worker has it) | missing
    reason: str = ""
    retry_after: float | None = None


def send_due(session: Session, send: Callable[[str, list], None]) -> list[int]:
    """Send every backfill that should run now; called after each delivery and by the sweeper."""
    ids = storage.due_backfills(session)
    for repository_id in ids:
        send(TASK, [repository_id])
    return ids


def run(ctx: Context, repository_id: int) -> Progress:
    """Carry a backfill on from its cursor until it is done, paused by a rate limit, or failed."""
    if not _claim(ctx.session, repository_id):
        return Progress("busy", "another worker is reading this history, or it is finished")
    row = storage.backfill_of(ctx.session, repository_id)
    repo = storage.repository_by_id(ctx.session, repository_id)
    try:
        result = current_settings(ctx.session, repo, ctx.github)
        if not result.settings.enabled:
            row.state, row.reason = FAILED_, "Tact is not switched on for this repository, so it read nothing"
            return Progress(FAILED_, row.reason)
        _read_pull_requests(ctx, repo, row)
        _read_comments(ctx, repo, row, result)
    except github.RateLimited as exc:
        wait = max(exc.retry_after or 60.0, 1.0)
        row.state, row.paused_until = PAUSED, storage.utcnow() + timedelta(seconds=wait)
        row.reason = f"GitHub asked Tact to wait {wait:.0f} s ({exc}); it carries on after that"
        return Progress(PAUSED, row.reason, wait)
    except github.GitHubError as exc:
        if isinstance(exc, github.Unavailable):
            raise  # the task's retry policy takes over; the cursor is kept
        row.state, row.reason = FAILED_, f"GitHub refused: {exc}"
        return Progress(FAILED_, row.reason)
    except GitHubNotConfigured as exc:
        row.state, row.reason = FAILED_, str(exc)
        return Progress(FAILED_, row.reason)
    row.state, row.finished_at, row.reason = DONE_, storage.utcnow(), None
    return Progress(DONE_, f"read {row.comments_read} comment(s), {row.findings} finding(s)")


def _claim(session: Session, repository_id: int) -> bool:
    claimed = storage.claim_backfill(session, repository_id)
    session.commit()
    return claimed


def _read_pull_requests(ctx: Context, repo: storage.Repository, row: storage.Backfill) -> None:
    """Pages of pull requests, most recently updated first, until one older than the window."""
    cursor = row.cursor or {"stage": "pulls", "page": 0, "pulls": []}
    while cursor["stage"] == "pulls":
        pulls, more = github.pull_requests_page(ctx.github(), repo.full_name, cursor["page"])
        recent = [[p.number, p.state] for p in pulls if p.updated_at >= row.since]
        finished = not more or len(recent) < len(pulls)
        cursor = {"stage": "comments" if finished else "pulls", "page": cursor["page"] + 1,
                  "pulls": cursor["pulls"] + recent}
        _save(ctx.session, row, cursor)


def _read_comments(ctx: Context, repo: storage.Repository, row: storage.Backfill, result: SettingsResult) -> None:
    while row.cursor["pulls"]:
        number, state = row.cursor["pulls"][0]
        read, found = _read_pull_request(ctx, repo, number, row, result)
        row.comments_read += read
        row.findings += found
        if state == "open" and found:
            log.info("backfill %s #%s: %s", repo.full_name, number, publish_in_stage(ctx, repo, number, result))
        _save(ctx.session, row, {**row.cursor, "pulls": row.cursor["pulls"][1:]})


def _read_pull_request(ctx, repo, number: int, row, result) -> tuple[int, int]:
    """Analyze one PR's comments from the window; comments Tact already saw live are left as they are."""
    settings, read, found = result.settings, 0, 0
    for past in github.comments_since(ctx.github(), repo.full_name, number, row.since):
        c = past.comment
        if c.author_is_bot or (c.author and settings.ignores_author(c.author)):
            continue
        if c.path and settings.ignores_path(c.path):
            continue
        existing = storage.find_comment(ctx.session, kind=c.kind, github_id=c.id)
        if existing is not None and not existing.backfilled:
            continue
        event = CommentEvent(kind=c.kind, github_id=c.id, pull_number=number, body=c.body or "", gone=False,
                             author=c.author, author_is_bot=False, url=c.url, path=c.path, line=c.line,
                             start_line=c.start_line)
        store_comment(ctx, repo, event, settings, backfilled=True, created_at=past.created_at or row.since)
        read += 1
        found += len(storage.find_comment(ctx.session, kind=c.kind, github_id=c.id).findings)
    return read, found


def _save(session: Session, row: storage.Backfill, cursor: dict) -> None:
    """Keep the place: committed now, so a restart resumes here (a JSON column needs a new value to save)."""
    row.cursor = dict(cursor)
    row.updated_at = storage.utcnow()
    session.commit()
