"""Installations, repositories and pull requests: upserts from webhooks, and the dashboard's look-ups and switches."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from service.storage.models import Base, Installation, PullRequest, Repository, utcnow


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


def forget_settings_of_owner(session: Session, owner: str) -> int:
    """An organization's tact.yml changed: every repository of that owner re-reads on its next event."""
    result = session.execute(update(Repository).where(Repository.full_name.like(f"{owner}/%"))
                             .values(settings_checked_at=None))
    return result.rowcount


def repository_by_id(session: Session, repository_id: int) -> Repository | None:
    return session.get(Repository, repository_id)


def repositories_by_ids(session: Session, repository_ids: Collection[int]) -> list[Repository]:
    """The repositories among these ids that the App is still installed on, by name."""
    if not repository_ids:
        return []
    query = (select(Repository).where(Repository.id.in_(list(repository_ids)), Repository.installed.is_(True))
             .order_by(Repository.full_name))
    return list(session.scalars(query))


def installations_by_ids(session: Session, installation_ids: Collection[int]) -> dict[int, Installation]:
    if not installation_ids:
        return {}
    query = select(Installation).where(Installation.id.in_(list(installation_ids)))
    return {inst.id: inst for inst in session.scalars(query)}


def installation_repository_ids(session: Session, installation_id: int) -> list[int]:
    """Every repository an installation currently covers: what its installation-wide default changes."""
    query = select(Repository.id).where(Repository.installation_id == installation_id,
                                        Repository.installed.is_(True))
    return list(session.scalars(query))


def save_dashboard_settings(session: Session, repository_id: int, settings: dict) -> None:
    session.execute(update(Repository).where(Repository.id == repository_id)
                    .values(dashboard_settings=settings))


def set_installation_default(session: Session, installation_id: int, enabled: bool) -> None:
    session.execute(update(Installation).where(Installation.id == installation_id)
                    .values(default_enabled=enabled, updated_at=utcnow()))


def set_author_figures(session: Session, installation_id: int, enabled: bool) -> None:
    """Whether the dashboard shows each person their own figures, across the installation."""
    session.execute(update(Installation).where(Installation.id == installation_id)
                    .values(author_figures=enabled, updated_at=utcnow()))


def installed_repository_ids(session: Session) -> list[int]:
    """Every repository Tact is installed on: what the one user of local mode may see."""
    query = (select(Repository.id).join(Installation, Installation.id == Repository.installation_id)
             .where(Repository.installed.is_(True), Installation.deleted.is_(False)))
    return list(session.scalars(query))
