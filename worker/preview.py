"""Without a GitHub App (local mode, `tact replay`), keep the check run Tact would have published as a preview.

It is built by the same pure ``check_run_output`` as the real run, from the same findings, so the
dashboard shows exactly what GitHub would have received; only the sending is left out.
"""

from __future__ import annotations

from service import storage
from service.settings import SettingsResult, render_errors_markdown
from worker.check_run import Item, check_run_output
from worker.context import Context


def preview_pull_request(ctx: Context, repo: storage.Repository, number: int, settings: SettingsResult) -> str:
    """The offline twin of ``publish.publish_pull_request``: same output, stored instead of sent."""
    pr = storage.find_pull_request(ctx.session, repo.id, number)
    head_sha = pr.head_sha if pr is not None else None
    items = [item_of(comment, finding)
             for comment, finding in storage.current_findings(ctx.session, repo.id, number)]
    note = render_errors_markdown(settings.errors, used_last_valid=settings.used_last_valid) if settings.errors else ""
    output = check_run_output(items, annotation_level=settings.settings.annotation_level,
                              conclusion=settings.settings.conclusion,
                              comments_read=storage.comments_analyzed(ctx.session, repo.id, number),
                              settings_note=note, head_sha=head_sha or "")
    storage.save_preview(ctx.session, repo.id, number, head_sha=head_sha, title=output.title,
                         summary=output.summary, conclusion=output.conclusion,
                         annotations=list(output.annotations))
    return f"no GitHub App configured: kept a preview of the check run with {len(items)} finding(s)"


def item_of(comment: storage.Comment, finding: storage.Finding) -> Item:
    """The same fields ``publish`` gives ``check_run_output``."""
    return Item(kind=comment.kind, url=comment.url, author=comment.author, path=comment.path, line=comment.line,
                start_line=comment.start_line, rule=finding.rule, category=finding.category,
                severity=finding.severity, message=finding.message, suggestion=finding.suggestion,
                excerpt=finding.excerpt)
