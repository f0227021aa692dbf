"""Publish a pull request's stored findings as the "Review tone" check run: one writer per pull request.

Handlers only record that the pull request changed (`publish_pull_request`); the writer
(`publish_pending`) runs a coalescing window later, takes the pull request's publish lease, and
shows whatever is stored then. A review with thirty comments is thirty deliveries but one or two
writes, each delivery's findings are committed before the writer reads, and no two writers race
on one check run. The check run is a function of the stored state, so running it twice is harmless.
"""

from __future__ import annotations

import logging

from service import github, storage
from service.settings import SettingsResult, render_errors_markdown
from service.settings.fetch import current_settings
from worker import trust
from worker.check_run import Item, check_run_output
from worker.context import Context, GitHubNotConfigured
from worker.transient import is_transient

log = logging.getLogger(__name__)
PUBLISH_TASK = "tact.publish_pull_request"


def publish_pull_request(ctx: Context, repo: storage.Repository, number: int, settings: SettingsResult,
                         *, fresh_run: bool = False) -> str:
    """Ask for the PR's check run to show its current state; the writer sends it after this commit.

    ``fresh_run`` (a user pressed Re-run) asks for a new run, keyed by the delivery so that a retry
    of that same delivery still finds it.
    """
    pr = storage.upsert_pull_request(ctx.session, repo.id, number)
    ctx.session.flush()
    if pr.state != "open":
        return f"pull request #{number} is {pr.state}; nothing published"
    storage.want_publish(ctx.session, pr.id, run_key=ctx.delivery_guid if fresh_run else None)
    ctx.after_commit.append((PUBLISH_TASK, [pr.id]))
    return f"check run of #{number} requested"


def publish_pending(ctx: Context, pull_request_id: int, claimant: str) -> str | None:
    """The writer: publish the wanted version unless another writer holds the lease. None: nothing to do.

    Raises github.Unavailable (and storage or broker outages) after holding the lease for this
    task's own retry; the caller decides when that is. Returns a line for the log.
    """
    config = ctx.config
    version = storage.claim_publish(ctx.session, pull_request_id, claimant, config.delivery_lease_seconds)
    if version is None:
        return None
    pr = ctx.session.get(storage.PullRequest, pull_request_id)
    repo = storage.repository_by_id(ctx.session, pr.repository_id)
    ctx.installation_id = repo.installation_id
    try:
        text = _publish(ctx, repo, pr)
    except github.Unavailable:
        ctx.session.rollback()
        raise
    except (github.GitHubError, GitHubNotConfigured, LookupError) as exc:  # never succeeds: stop, say why
        ctx.session.rollback()
        text = f"not published: {type(exc).__name__} {getattr(exc, 'status', '') or ''}".strip()
    except Exception as exc:
        ctx.session.rollback()
        if not is_transient(exc):  # a bug: let this version go, so the sweeper does not resend it forever
            storage.finish_publish(ctx.session, pull_request_id, claimant, version)
        raise
    ctx.session.commit()
    if storage.finish_publish(ctx.session, pull_request_id, claimant, version):
        ctx.after_commit.append((PUBLISH_TASK, [pull_request_id]))  # changed while we wrote: once more
    log.info("pull request %s #%s version %s: %s", repo.full_name, pr.number, version, text)
    return text


def _publish(ctx: Context, repo: storage.Repository, pr: storage.PullRequest) -> str:
    if repo.installation_id is None:
        raise LookupError("the repository has no installation")
    settings = current_settings(ctx.session, repo, ctx.github)
    if not settings.settings.enabled:
        return f"{repo.full_name} has not opted in"
    info = github.get_pull_request(ctx.github(), repo.full_name, pr.number)
    storage.upsert_pull_request(ctx.session, repo.id, pr.number, head_sha=info.head_sha, state=info.state,
                                html_url=info.html_url, author=info.author)
    if info.state != "open":
        return f"pull request #{pr.number} is {info.state}; nothing published"
    rows = storage.current_findings(ctx.session, repo.id, pr.number)
    items = [_item(comment, finding) for comment, finding in rows]
    note = render_errors_markdown(settings.errors, used_last_valid=settings.used_last_valid) if settings.errors else ""
    items, note = _quieter(ctx, repo, pr.number, settings, rows, items, note)
    output = check_run_output(items, annotation_level=settings.settings.annotation_level,
                              conclusion=settings.settings.conclusion,
                              comments_read=storage.comments_analyzed(ctx.session, repo.id, pr.number),
                              settings_note=note, head_sha=info.head_sha, run_key=pr.publish_run_key or "")
    ref = github.publish_check_run(ctx.github(), repo.full_name, info.head_sha, output)
    pr.check_run_id = ref.id
    return f"published check run {ref.id} with {len(items)} finding(s) on {info.head_sha[:7]}"


def _quieter(ctx, repo, number, settings, rows, items, note) -> tuple[list[Item], str]:
    """The annotation limit (newest first), notes cleared since, and the `allow:` line (worker.trust)."""
    limit = settings.settings.max_notes
    items, hidden = trust.newest_within(items, limit, on_a_line=lambda item: item.on_a_line)
    extra = trust.summary_note(hidden=hidden, max_notes=limit,
                               cleared=storage.cleared_comments(ctx.session, repo.id, number),
                               phrases=[finding.phrase for _, finding in rows])
    return items, "\n\n".join(part for part in (note, extra) if part)


def _item(comment: storage.Comment, finding: storage.Finding) -> Item:
    return Item(kind=comment.kind, url=comment.url, author=comment.author, path=comment.path, line=comment.line,
                start_line=comment.start_line, rule=finding.rule, category=finding.category,
                severity=finding.severity, message=finding.message, suggestion=finding.suggestion,
                excerpt=finding.excerpt, comment_id=comment.id)
