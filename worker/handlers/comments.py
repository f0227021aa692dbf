"""Review comments, review bodies and PR conversation comments: analyze, store findings, publish."""

from __future__ import annotations

from dataclasses import dataclass

from service import storage
from service.analysis import engine
from service.analysis.catalog import Options
from service.analysis.markdown import marked_deliberate
from service.settings import RepoSettings, store
from service.settings.fetch import current_settings
from worker.context import Context
from worker.handlers.stages import publish_in_stage
from worker.outcome import Outcome
from worker.preview import preview_pull_request

REVIEW_COMMENT, REVIEW, ISSUE_COMMENT = "review_comment", "review", "issue_comment"
PHRASE_CHARS = 40


@dataclass(frozen=True)
class CommentEvent:
    """The fields Tact reads from any of the three comment payloads (GitHub's shapes differ)."""

    kind: str
    github_id: int | None
    pull_number: int | None
    body: str
    gone: bool
    author: str | None
    author_is_bot: bool
    url: str | None
    path: str | None = None
    line: int | None = None
    start_line: int | None = None


def review_comment_changed(payload: dict, ctx: Context) -> Outcome:
    comment = payload.get("comment") or {}
    # A comment on the old side of the diff (side LEFT) has no line on the head commit to annotate.
    on_head = comment.get("side", "RIGHT") == "RIGHT"
    return _changed(payload, ctx, CommentEvent(
        kind=REVIEW_COMMENT, github_id=comment.get("id"), pull_number=_number(payload.get("pull_request")),
        body=comment.get("body") or "", gone=payload.get("action") == "deleted", **_author(comment),
        url=comment.get("html_url"), path=comment.get("path"), line=comment.get("line") if on_head else None,
        start_line=comment.get("start_line") if on_head else None))


def review_changed(payload: dict, ctx: Context) -> Outcome:
    review = payload.get("review") or {}
    # A dismissed review no longer speaks for its author, so its notes leave the check run.
    return _changed(payload, ctx, CommentEvent(
        kind=REVIEW, github_id=review.get("id"), pull_number=_number(payload.get("pull_request")),
        body=review.get("body") or "", gone=payload.get("action") == "dismissed", **_author(review),
        url=review.get("html_url")))


def issue_comment_changed(payload: dict, ctx: Context) -> Outcome:
    issue = payload.get("issue") or {}
    if not issue.get("pull_request"):
        return Outcome.skipped("a comment on an issue, not on a pull request")
    comment = payload.get("comment") or {}
    return _changed(payload, ctx, CommentEvent(
        kind=ISSUE_COMMENT, github_id=comment.get("id"), pull_number=_number(issue),
        body=comment.get("body") or "", gone=payload.get("action") == "deleted", **_author(comment),
        url=comment.get("html_url")))


def _changed(payload: dict, ctx: Context, event: CommentEvent) -> Outcome:
    repo = repository_from(payload, ctx)
    if repo is None or event.github_id is None or event.pull_number is None:
        return Outcome.skipped("the payload names no repository, comment or pull request")
    # Offline there is no GitHub to read tact.yml from: the dashboard's switches and defaults apply.
    if ctx.offline:
        result = store.stored_settings(ctx.session, repo)
    else:
        result = current_settings(ctx.session, repo, ctx.github)
    settings = result.settings
    if not settings.enabled:
        return Outcome.skipped(f"{repo.full_name} has not opted in")
    before = _visible(ctx, event)
    if event.gone:
        storage.mark_comment_deleted(ctx.session, kind=event.kind, github_id=event.github_id)
    elif event.author_is_bot or (event.author and settings.ignores_author(event.author)):
        return Outcome.skipped(f"comments by {event.author} are ignored")
    elif event.path and settings.ignores_path(event.path):
        return Outcome.skipped(f"{event.path} is in ignore_paths")
    else:
        store_comment(ctx, repo, event, settings)
    after = _visible(ctx, event)
    _note_cleared(ctx, event, before, after)
    if not before and not after:
        return Outcome.done("no findings before or after; nothing to publish")
    if before == after:  # an edit that kept every note as it was: GitHub would show the same run
        return Outcome.done("nothing visible changed; nothing to publish")
    if ctx.offline:  # no GitHub App: keep the run Tact would publish, for the dashboard
        return Outcome.done(preview_pull_request(ctx, repo, event.pull_number, result))
    return Outcome.done(publish_in_stage(ctx, repo, event.pull_number, result))


def store_comment(ctx: Context, repo: storage.Repository, event: CommentEvent, settings, **fields) -> None:
    """Analyze and keep one comment; a comment its writer marked deliberate is kept, counted, not analyzed."""
    deliberate = marked_deliberate(event.body)
    rows = [] if deliberate else finding_rows(event.body, settings, ctx.config.spacy_model)
    comment = storage.upsert_comment(
        ctx.session, kind=event.kind, github_id=event.github_id, repository_id=repo.id,
        pull_number=event.pull_number, author=event.author, url=event.url, path=event.path, line=event.line,
        start_line=event.start_line, deleted=False, body=event.body if settings.store_text else None,
        ignored=deliberate, **fields)
    storage.replace_findings(ctx.session, comment, rows)


def _visible(ctx: Context, event: CommentEvent) -> tuple:
    """What the check run shows of this comment: where it points and each note; () when nothing."""
    comment = storage.find_comment(ctx.session, kind=event.kind, github_id=event.github_id)
    if comment is None or comment.deleted or not comment.findings:
        return ()
    # Offsets are not shown anywhere, so a typo fixed outside the flagged sentence changes nothing.
    notes = tuple(sorted((f.rule, f.message, f.suggestion, f.excerpt or "") for f in comment.findings))
    return (comment.path, comment.line, comment.start_line, notes)


def _note_cleared(ctx: Context, event: CommentEvent, before: tuple, after: tuple) -> None:
    """Remember when a comment's notes went away, so the next summary can say they were cleared."""
    comment = storage.find_comment(ctx.session, kind=event.kind, github_id=event.github_id)
    if comment is None:
        return
    if after:
        comment.cleared_at = None
    elif before:
        comment.cleared_at = storage.utcnow()


def repository_from(payload: dict, ctx: Context) -> storage.Repository | None:
    """Keep the repository row current from any payload that names one."""
    repo = payload.get("repository") or {}
    if not repo.get("id") or not repo.get("full_name"):
        return None
    return storage.upsert_repository(ctx.session, repo["id"], full_name=repo["full_name"],
                                     installation_id=ctx.installation_id,
                                     default_branch=repo.get("default_branch"))


def _author(obj: dict) -> dict:
    user = obj.get("user") or {}
    return {"author": user.get("login"), "author_is_bot": user.get("type") == "Bot"}


def _number(obj: dict | None) -> int | None:
    return (obj or {}).get("number")


def options_for(settings: RepoSettings, model: str) -> Options:
    return Options(sensitivity=settings.sensitivity,
                   disabled_categories=frozenset(settings.disabled_categories()),
                   disabled_rules=frozenset(settings.disabled_rules), model=model,
                   allowed=settings.allow)


def finding_rows(text: str, settings: RepoSettings, model: str) -> list[dict]:
    """Finding fields for storage; the excerpt is kept only where the repository allows it."""
    engine.load(model)
    result = engine.analyze(text, options_for(settings, model))
    return [
        {"rule": f.rule, "category": f.category, "severity": f.severity, "start": f.start, "end": f.end,
         "score": f.score, "message": f.message, "suggestion": f.suggestion,
         "excerpt": f.text if settings.store_text else None, "phrase": _phrase(f.matched)}
        for f in result.findings
    ]


def _phrase(words: str) -> str | None:
    """Matched words are rule-sized ("stupid", "you broke"); a longer span is the writer's text, not kept."""
    return words if words and len(words) <= PHRASE_CHARS else None
