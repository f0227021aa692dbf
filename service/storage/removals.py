"""Forgetting what Tact kept about a repository or an installation once its owner removes the App.

GitHub sends ``installation.deleted`` when an account uninstalls Tact and
``installation_repositories.removed`` when repositories are taken out of an installation. From then
on Tact may no longer read them, so it keeps nothing it learned from them: comments (and any text),
findings, feedback, pull requests, the deliveries that carried their payloads, and the dashboard's
cached answers about who sees what.

Tables are found by their ``repository_id`` column rather than listed here, so a table added later
that keys its rows by repository is forgotten with the rest without anyone remembering to add it.
What stays is a tombstone: the repository row (id, name, ``installed = False``) with every setting
cleared, or the installation row marked ``deleted``. Deliveries still queued for them are skipped
by that mark (``worker.routes``); the delivery that announced the removal is kept, as the record
of it.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from service.storage.models import Base, Comment, Delivery, Finding, Installation, Repository
from service.storage.sign_ins import forget_cached_repositories

# Tables forgotten by hand, in this order, before the generic sweep: findings have no repository_id of
# their own, deliveries keep the one that announced the removal, repositories stay as tombstones.
_BY_HAND = {"findings", "deliveries", "repositories"}


def purge_repositories(session: Session, repository_ids: Collection[int], *, keep_delivery: str | None) -> int:
    """Delete everything kept about these repositories and clear their rows; return the rows deleted."""
    ids = list(repository_ids)
    if not ids:
        return 0
    comments = select(Comment.id).where(Comment.repository_id.in_(ids))
    deleted = session.execute(delete(Finding).where(Finding.comment_id.in_(comments))).rowcount
    for table in reversed(Base.metadata.sorted_tables):  # dependents (feedback) before what they point to
        if "repository_id" in table.c and table.name not in _BY_HAND:
            deleted += session.execute(delete(table).where(table.c.repository_id.in_(ids))).rowcount
    deleted += session.execute(_deliveries(Delivery.repository_id.in_(ids), keep_delivery)).rowcount
    session.execute(update(Repository).where(Repository.id.in_(ids)).values(
        installed=False, default_branch=None, dashboard_settings=None, last_valid_settings=None,
        settings_sha=None, settings_files=None, settings_errors=None, settings_checked_at=None))
    forget_cached_repositories(session)
    return deleted


def purge_installation(session: Session, installation_id: int, *, keep_delivery: str | None) -> int:
    """Everything of every repository the installation covered, its deliveries, and its dashboard default."""
    repository_ids = list(session.scalars(select(Repository.id).where(Repository.installation_id == installation_id)))
    deleted = purge_repositories(session, repository_ids, keep_delivery=keep_delivery)
    deleted += session.execute(_deliveries(Delivery.installation_id == installation_id, keep_delivery)).rowcount
    session.execute(update(Installation).where(Installation.id == installation_id)
                    .values(deleted=True, suspended=False, default_enabled=False))
    return deleted


def removed_from(session: Session, *, installation_id: int | None, repository_id: int | None) -> str | None:
    """Why a delivery must not be processed (Tact was removed from its account or repository), or None."""
    if installation_id is not None:
        installation = session.get(Installation, installation_id)
        if installation is not None and installation.deleted:
            return f"Tact was uninstalled from installation {installation_id}"
    if repository_id is not None:
        repository = session.get(Repository, repository_id)
        if repository is not None and not repository.installed:
            return f"Tact was removed from repository {repository_id}"
    return None


def _deliveries(condition, keep_guid: str | None):
    """Their payloads hold comment text, so it goes; the rows stay, so every delivery GitHub sent is still
    accounted for (a queued one ends skipped, as Tact was removed) and `tact deliveries` can say so."""
    query = update(Delivery).where(condition).values(payload={})
    return query.where(Delivery.guid != keep_guid) if keep_guid else query
