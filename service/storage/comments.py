"""Comments and their findings: what the worker stores per comment, and what a check run shows now."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.storage.models import Comment, Feedback, Finding, utcnow
from service.storage.repositories import insert_missing


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


def record_looks_fine(session: Session, repository_id: int, pull_number: int, login: str | None,
                      writer: bool | None = None) -> int:
    """Remember that a reviewer judged every current finding on a PR fine; return how many.

    ``writer`` says whether they had write access to the repository (None: not known); only writers'
    marks count towards a proposal (looks_fine_by_rule)."""
    seen: set[tuple[int, str]] = set()
    for comment, finding in current_findings(session, repository_id, pull_number):
        if (comment.id, finding.rule) not in seen:  # one verdict per rule per comment
            seen.add((comment.id, finding.rule))
            session.add(Feedback(repository_id=repository_id, comment_id=comment.id, rule=finding.rule,
                                 category=finding.category, login=login, writer=writer, verdict="looks_fine"))
    return len(seen)


def known_writer(session: Session, repository_id: int, login: str, since) -> bool | None:
    """Whether ``login`` had write access, from their latest mark here since ``since``; None if none.

    The marks are where Tact keeps GitHub's answer, so every worker shares it without another store."""
    query = (select(Feedback.writer)
             .where(Feedback.repository_id == repository_id, func.lower(Feedback.login) == login.lower(),
                    Feedback.writer.is_not(None), Feedback.created_at >= since)
             .order_by(Feedback.created_at.desc(), Feedback.id.desc()).limit(1))
    return session.scalar(query)


def cleared_comments(session: Session, repository_id: int, pull_number: int) -> int:
    """Comments on a PR whose notes went away (edited into kinder words, or deleted) and have none now."""
    has_findings = select(Finding.id).where(Finding.comment_id == Comment.id).exists()
    query = select(func.count(Comment.id)).where(Comment.repository_id == repository_id,
                                                 Comment.pull_number == pull_number,
                                                 Comment.cleared_at.is_not(None), ~has_findings)
    return session.scalar(query)


def deliberate_comments(session: Session, repository_id: int, since) -> int:
    """Comments a writer marked `<!-- tact: ignore -->`: the dashboard counts them apart from findings."""
    query = select(func.count(Comment.id)).where(Comment.repository_id == repository_id,
                                                 Comment.ignored.is_(True), Comment.deleted.is_(False),
                                                 Comment.created_at >= since)
    return session.scalar(query)


def own_findings(session: Session, login: str, repository_ids, limit: int = 100) -> list[tuple[Comment, Finding]]:
    """One person's flagged comments in the given repositories, newest first: their coaching page only."""
    query = (select(Comment, Finding).join(Finding, Finding.comment_id == Comment.id)
             .where(func.lower(Comment.author) == login.lower(), Comment.repository_id.in_(list(repository_ids)),
                    Comment.deleted.is_(False))
             .order_by(Comment.created_at.desc(), Comment.id.desc(), Finding.start).limit(limit))
    return [(comment, finding) for comment, finding in session.execute(query)]


def looks_fine_by_rule(session: Session, repository_id: int) -> list[tuple[str, int, str | None]]:
    """(rule, "Looks fine" marks, the phrase most often marked) per rule in a repository, most marked first.

    A mark comes from the check run's "Looks fine" button; one per comment and rule. Only marks by
    people with write access count: anyone who can comment could otherwise switch a rule off.
    """
    counted = (Feedback.repository_id == repository_id, Feedback.verdict == "looks_fine", Feedback.writer.is_(True))
    marks = (select(Feedback.rule, func.count(func.distinct(Feedback.comment_id))).where(*counted)
             .group_by(Feedback.rule).order_by(func.count(func.distinct(Feedback.comment_id)).desc()))
    out = []
    for rule, count in session.execute(marks):
        phrases = (select(Finding.phrase, func.count(Finding.id))
                   .join(Feedback, (Feedback.comment_id == Finding.comment_id) & (Feedback.rule == Finding.rule))
                   .where(*counted, Finding.rule == rule, Finding.phrase.is_not(None))
                   .group_by(Finding.phrase).order_by(func.count(Finding.id).desc()).limit(1))
        top = session.execute(phrases).first()
        out.append((rule, count, top[0].lower() if top else None))
    return out


def pull_numbers_with_findings(session: Session, repository_id: int, limit: int = 20) -> list[int]:
    """Pull requests whose live comments have findings, most recently commented first."""
    latest = func.max(Comment.created_at)
    query = (select(Comment.pull_number).join(Finding, Finding.comment_id == Comment.id)
             .where(Comment.repository_id == repository_id, Comment.deleted.is_(False))
             .group_by(Comment.pull_number).order_by(latest.desc()).limit(limit))
    return list(session.scalars(query))
