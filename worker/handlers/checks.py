"""Check-run buttons: "Re-run" re-analyzes the PR from GitHub, "Looks fine" records feedback and republishes."""

from __future__ import annotations

from datetime import timedelta

from service import github, storage
from service.settings.fetch import current_settings
from worker.check_run import CHECK_NAME, LOOKS_FINE
from worker.context import Context
from worker.handlers.comments import CommentEvent, repository_from, store_comment
from worker.handlers.stages import publish_in_stage
from worker.outcome import Outcome


def rerun_requested(payload: dict, ctx: Context) -> Outcome:
    """check_run.rerequested and check_suite.rerequested: read settings and every comment afresh."""
    run = payload.get("check_run") or payload.get("check_suite") or {}
    if payload.get("check_run") and run.get("name") != CHECK_NAME:
        return Outcome.skipped(f"not Tact's check run ({run.get('name')!r})")
    repo = repository_from(payload, ctx)
    numbers = _pull_numbers(run)
    if repo is None or not numbers:
        return Outcome.skipped("the check is not attached to a pull request of a known repository")
    result = current_settings(ctx.session, repo, ctx.github, refresh=True)
    if not result.settings.enabled:
        return Outcome.skipped(f"{repo.full_name} has not opted in")
    done = []
    for number in numbers:
        _reanalyze(ctx, repo, number, result.settings)
        done.append(publish_in_stage(ctx, repo, number, result, fresh_run=True))
    return Outcome.done("; ".join(done))


def action_requested(payload: dict, ctx: Context) -> Outcome:
    """The "Looks fine" button: every current finding on the PR is feedback now, and leaves the run."""
    identifier = (payload.get("requested_action") or {}).get("identifier")
    if identifier != LOOKS_FINE:
        return Outcome.skipped(f"unknown check-run action {identifier!r}")
    run = payload.get("check_run") or {}
    repo = repository_from(payload, ctx)
    if repo is None or not _pull_numbers(run):
        return Outcome.skipped("the check run is not attached to a pull request of a known repository")
    login = (payload.get("sender") or {}).get("login")
    result = current_settings(ctx.session, repo, ctx.github)
    done = []
    writer = _can_write(ctx, repo, login)
    for number in _pull_numbers(run):
        count = storage.record_looks_fine(ctx.session, repo.id, number, login, writer=writer)
        ctx.session.flush()
        done.append(f"{count} finding(s) marked fine by {login}; " + publish_in_stage(ctx, repo, number, result))
    return Outcome.done("; ".join(done))


def suite_requested(payload: dict, ctx: Context) -> Outcome:
    # GitHub sends this for every push; pull_request.synchronize already republishes on the new head.
    return Outcome.done("a new commit: pull_request.synchronize publishes there")


def _reanalyze(ctx: Context, repo: storage.Repository, number: int, settings) -> None:
    fresh = github.list_pull_request_comments(ctx.github(), repo.full_name, number)
    seen = {(c.kind, c.id) for c in fresh}
    for comment in storage.pull_request_comments(ctx.session, repo.id, number):
        if (comment.kind, comment.github_id) not in seen:  # deleted while Tact was not listening
            storage.mark_comment_deleted(ctx.session, kind=comment.kind, github_id=comment.github_id)
    for c in fresh:
        if c.author_is_bot or (c.author and settings.ignores_author(c.author)):
            continue
        if c.path and settings.ignores_path(c.path):
            continue
        store_comment(ctx, repo, CommentEvent(kind=c.kind, github_id=c.id, pull_number=number, body=c.body, gone=False,
                                       author=c.author, author_is_bot=c.author_is_bot, url=c.url, path=c.path,
                                       line=c.line, start_line=c.start_line), settings)


def _can_write(ctx: Context, repo: storage.Repository, login: str | None) -> bool:
    """Whether the person pressing "Looks fine" has write access: only their marks propose a change.

    Asked when the mark is made, and stored with it: the dashboard then counts with one query rather
    than asking GitHub about every marker at every page view, and the mark keeps the standing its
    author had when making it. The answer is reused from their latest mark for a while
    (TACT_PERMISSION_CACHE_SECONDS), so a run of clicks costs GitHub one request."""
    if not login:
        return False
    since = storage.utcnow() - timedelta(seconds=ctx.config.permission_cache_seconds)
    known = storage.known_writer(ctx.session, repo.id, login, since)
    if known is not None:
        return known
    return github.collaborator_permission(ctx.github(), repo.full_name, login).can_write


def _pull_numbers(run: dict) -> list[int]:
    return [pr["number"] for pr in run.get("pull_requests") or [] if pr.get("number")]
