"""Check-run previews: what Tact would have published where it has no GitHub App to publish with."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.storage.models import CheckRunPreview
from service.storage.repositories import insert_missing


def save_preview(session: Session, repository_id: int, pull_number: int, *, head_sha: str | None, title: str,
                 summary: str, conclusion: str, annotations: list[dict]) -> CheckRunPreview:
    """Replace the pull request's preview: like the real check run, it shows only the current state."""
    insert_missing(session, CheckRunPreview, repository_id=repository_id, pull_number=pull_number,
                   title=title, summary=summary, conclusion=conclusion, annotations=annotations)
    row = session.scalar(select(CheckRunPreview).where(CheckRunPreview.repository_id == repository_id,
                                                       CheckRunPreview.pull_number == pull_number))
    row.head_sha, row.title, row.summary, row.conclusion = head_sha, title, summary, conclusion
    row.annotations = annotations
    return row


def previews(session: Session, repository_id: int, limit: int = 20) -> list[CheckRunPreview]:
    """The repository's previews, most recently updated first."""
    query = (select(CheckRunPreview).where(CheckRunPreview.repository_id == repository_id)
             .order_by(CheckRunPreview.updated_at.desc(), CheckRunPreview.id.desc()).limit(limit))
    return list(session.scalars(query))
