"""Publish a pull request's current findings as the "Review tone" check run on its head commit."""

from __future__ import annotations

from service import github, storage
from service.settings import SettingsResult, render_errors_markdown
from worker import trust
from worker.check_run import Item, check_run_output
from worker.context import Context


def publish_pull_request(ctx: Context, repo: storage.Repository, number: int, settings: SettingsResult,
                         *, fresh_run: bool = False) -> str:
    """Always the whole PR's state, so running it twice is harmless; returns what happened, for the delivery.

    The same state on the same head reuses its run. ``fresh_run`` (a user pressed Re-run) asks for a
    new run, keyed by the delivery so that a retry of that same delivery still finds it.
    """
    info = github.get_pull_request(ctx.github(), repo.full_name, number)
    pr = storage.upsert_pull_request(ctx.session, repo.id, number, head_sha=info.head_sha, state=info.state,
                                     html_url=info.html_url, author=info.author)
    if info.state != "open":
        return f"pull request #{number} is {info.state}; nothing published"
    rows = storage.current_findings(ctx.session, repo.id, number)
    items = [_item(comment, finding) for comment, finding in rows]
    note = render_errors_markdown(settings.errors, used_last_valid=settings.used_last_valid) if settings.errors else ""
    items, note = _quieter(ctx, repo, number, settings, rows, items, note)
    output = check_run_output(items, annotation_level=settings.settings.annotation_level,
                              conclusion=settings.settings.conclusion,
                              comments_read=storage.comments_analyzed(ctx.session, repo.id, number),
                              settings_note=note, head_sha=info.head_sha,
                              run_key=ctx.delivery_guid if fresh_run else "")
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
