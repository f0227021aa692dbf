"""Rows the worker keeps: installations, repositories, pull requests, comments and their findings."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from service.storage.models import (
    Base,
    Comment,
    Feedback,
    Finding,
    Installation,
    PullRequest,
    Repository,
    utcnow,
)


def insert_missing(session: Session, model: type[Base], **values) -> None:
    """INSERT ... ON CONFLICT DO NOTHING on both databases.

    Two workers that see a new installation, repository, pull request or comment at the same
    moment must both succeed; a plain get-or-add lets the slower one fail on the unique key
    (bench/e2e.py found exactly that with two worker processes).
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(model).values(**values).on_conflict_do_nothing())


def upsert_installation(session: Session, installation_id: int, *, account_login: str,
                        account_type: str) -> Installation:
    insert_missing(session, Installation, id=installation_id, account_login=account_login, account_type=account_type)
    row = session.get(Installation, installation_id)
    row.account_login, row.account_type, row.deleted = account_login, account_type, False
    return row


def installation_of(session: Session, repo: Repository) -> Installation | None:
    return session.get(Installation, repo.installation_id) if repo.installation_id else None


def upsert_repository(session: Session, repository_id: int, *, full_name: str, installation_id: int | None,
                      default_branch: str | None = None) -> Repository:
    if installation_id is not None:
        # The app may have been installed before this database existed: learn the installation here.
        insert_missing(session, Installation, id=installation_id, account_login=full_name.split("/", 1)[0])
    insert_missing(session, Repository, id=repository_id, full_name=full_name, installation_id=installation_id)
    row = session.get(Repository, repository_id)
    row.full_name, row.installed = full_name, True
    row.installation_id = installation_id or row.installation_id
    row.default_branch = default_branch or row.default_branch
    return row


def upsert_pull_request(session: Session, repository_id: int, number: int, **fields) -> PullRequest:
    insert_missing(session, PullRequest, repository_id=repository_id, number=number)
    row = find_pull_request(session, repository_id, number)
    for key, value in fields.items():
        if value is not None:
            setattr(row, key, value)
    return row


def find_pull_request(session: Session, repository_id: int, number: int) -> PullRequest | None:
    return session.scalar(select(PullRequest).where(PullRequest.repository_id == repository_id,
                                                    PullRequest.number == number))


def upsert_comment(session: Session, *, kind: str, github_id: int, repository_id: int, pull_number: int,
                   **fields) -> Comment:
    insert_missing(session, Comment, kind=kind, github_id=github_id, repository_id=repository_id,
                   pull_number=pull_number)
    row = find_comment(session, kind=kind, github_id=github_id)
    row.repository_id, row.pull_number = repository_id, pull_number
    for key, value in fields.items():
        setattr(row, key, value)
    return row


def find_comment(session: Session, *, kind: str, github_id: int) -> Comment | None:
    return session.scalar(select(Comment).where(Comment.kind == kind, Comment.github_id == github_id))


def pull_request_comments(session: Session, repository_id: int, pull_number: int) -> list[Comment]:
    return list(session.scalars(select(Comment).where(Comment.repository_id == repository_id,
                                                      Comment.pull_number == pull_number)))


def replace_findings(session: Session, comment: Comment, findings: list[dict]) -> None:
    """A comment's findings always reflect its latest text: old ones go, new ones come."""
    comment.findings.clear()
    session.flush()
    comment.findings.extend(Finding(**fields) for fields in findings)
    comment.analyzed_at = utcnow()


def mark_comment_deleted(session: Session, *, kind: str, github_id: int) -> Comment | None:
    row = find_comment(session, kind=kind, github_id=github_id)
    if row is not None:
        row.deleted, row.body = True, None
        row.findings.clear()
    return row


def current_findings(session: Session, repository_id: int, pull_number: int) -> list[tuple[Comment, Finding]]:
    """Findings a check run should show now: live comments, minus those marked "Looks fine"."""
    dismissed = select(Feedback.id).where(Feedback.comment_id == Finding.comment_id, Feedback.rule == Finding.rule)
    query = (select(Comment, Finding).join(Finding, Finding.comment_id == Comment.id)
             .where(Comment.repository_id == repository_id, Comment.pull_number == pull_number,
                    Comment.deleted.is_(False), ~dismissed.exists())
             .order_by(Comment.created_at, Comment.id, Finding.start))
    return [(comment, finding) for comment, finding in session.execute(query)]


def comments_analyzed(session: Session, repository_id: int, pull_number: int) -> int:
    query = select(func.count(Comment.id)).where(Comment.repository_id == repository_id,
                                                 Comment.pull_number == pull_number, Comment.deleted.is_(False))
    return session.scalar(query)


def forget_settings_of_owner(session: Session, owner: str) -> int:
    """An organization's tact.yml changed: every repository of that owner re-reads on its next event."""
    result = session.execute(update(Repository).where(Repository.full_name.like(f"{owner}/%"))
                             .values(settings_checked_at=None))
    return result.rowcount


def record_looks_fine(session: Session, repository_id: int, pull_number: int, login: str | None) -> int:
    """Remember that a reviewer judged every current finding on a PR fine; return how many."""
    seen: set[tuple[int, str]] = set()
    for comment, finding in current_findings(session, repository_id, pull_number):
        if (comment.id, finding.rule) not in seen:  # one verdict per rule per comment
            seen.add((comment.id, finding.rule))
            session.add(Feedback(repository_id=repository_id, comment_id=comment.id, rule=finding.rule,
                                 category=finding.category, login=login, verdict="looks_fine"))
    return len(seen)
