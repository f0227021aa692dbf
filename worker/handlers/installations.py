"""Installation bookkeeping: which accounts installed Tact and which repositories it may see."""

from __future__ import annotations

from service import storage
from worker.context import Context
from worker.outcome import Outcome


def installation_created(payload: dict, ctx: Context) -> Outcome:
    """Also used for new_permissions_accepted: the repository list may come with it."""
    installation = _installation(payload, ctx)
    if installation is None:
        return Outcome.skipped("the payload names no installation")
    installation.suspended = False
    added = _add_repositories(ctx, installation.id, payload.get("repositories") or [])
    return Outcome.done(f"installation {installation.id} on {installation.account_login}: {added} repositories")


def installation_deleted(payload: dict, ctx: Context) -> Outcome:
    """Uninstalled: forget everything kept about the account's repositories (storage.removals says what)."""
    installation = _installation(payload, ctx)
    if installation is None:
        return Outcome.skipped("the payload names no installation")
    listed = [repo["id"] for repo in payload.get("repositories") or [] if isinstance(repo.get("id"), int)]
    deleted = storage.purge_repositories(ctx.session, listed, keep_delivery=ctx.delivery_guid)
    deleted += storage.purge_installation(ctx.session, installation.id, keep_delivery=ctx.delivery_guid)
    return Outcome.done(f"installation {installation.id} removed; {deleted} stored rows deleted")


def installation_suspended(payload: dict, ctx: Context) -> Outcome:
    return _set_suspended(payload, ctx, True)


def installation_unsuspended(payload: dict, ctx: Context) -> Outcome:
    return _set_suspended(payload, ctx, False)


def repositories_changed(payload: dict, ctx: Context) -> Outcome:
    """Repositories added are recorded; those removed are forgotten, and their queued deliveries skipped."""
    installation = _installation(payload, ctx)
    if installation is None:
        return Outcome.skipped("the payload names no installation")
    added = _add_repositories(ctx, installation.id, payload.get("repositories_added") or [])
    removed = [repo["id"] for repo in payload.get("repositories_removed") or [] if isinstance(repo.get("id"), int)]
    deleted = storage.purge_repositories(ctx.session, removed, keep_delivery=ctx.delivery_guid)
    return Outcome.done(f"{added} repositories added, {len(removed)} removed; {deleted} stored rows deleted")


def removed_reason(payload: dict, ctx: Context) -> str | None:
    """Deliveries still queued when Tact was removed from their account or repository are not processed."""
    repository = payload.get("repository") if isinstance(payload.get("repository"), dict) else {}
    repository_id = repository.get("id") if isinstance(repository.get("id"), int) else None
    return storage.removed_from(ctx.session, installation_id=ctx.installation_id, repository_id=repository_id)


def _set_suspended(payload: dict, ctx: Context, suspended: bool) -> Outcome:
    installation = _installation(payload, ctx)
    if installation is None:
        return Outcome.skipped("the payload names no installation")
    installation.suspended = suspended
    return Outcome.done(f"installation {installation.id} {'suspended' if suspended else 'resumed'}")


def _installation(payload: dict, ctx: Context) -> storage.Installation | None:
    data = payload.get("installation") or {}
    account = data.get("account") or {}
    if not data.get("id"):
        return None
    return storage.upsert_installation(ctx.session, data["id"], account_login=account.get("login") or "unknown",
                                       account_type=account.get("type") or "User")


def _add_repositories(ctx: Context, installation_id: int, repositories: list[dict]) -> int:
    count = 0
    for repo in repositories:
        if repo.get("id") and repo.get("full_name"):
            storage.upsert_repository(ctx.session, repo["id"], full_name=repo["full_name"],
                                      installation_id=installation_id)
            count += 1
    return count
