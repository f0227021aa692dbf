"""Fetch a repository's tact.yml files from GitHub when the copy in storage is stale, then resolve them.

Files are re-read on a push that touches them, on a re-run, and otherwise at most every
REFRESH_AFTER, so a busy review does not cost one contents API call per comment.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.orm import Session

from service import github, storage
from service.settings import store
from service.settings.model import REPOSITORY_FILE, SettingsResult

REFRESH_AFTER = timedelta(minutes=10)


def current_settings(session: Session, repo: storage.Repository, client: Callable[[], github.Client], *,
                     refresh: bool = False) -> SettingsResult:
    """``client`` builds the installation client on demand: fresh settings in storage need no GitHub call."""
    if refresh or _stale(repo):
        client = client()
        store.remember_files(
            repo,
            repository=_read(client, repo.full_name),
            organization=_read(client, organization_repository(repo.full_name)),
        )
    result = store.stored_settings(session, repo)
    store.remember_result(repo, result)
    return result


def organization_repository(full_name: str) -> str | None:
    """Probot's convention: org-wide defaults live in the owner's `.github` repository."""
    owner, _, name = full_name.partition("/")
    return None if name == ".github" else f"{owner}/.github"


def _stale(repo: storage.Repository) -> bool:
    checked = repo.settings_checked_at
    return repo.settings_files is None or checked is None or storage.utcnow() - checked > REFRESH_AFTER


def _read(client, full_name: str | None) -> tuple[str, str] | None:
    if full_name is None:
        return None
    try:
        blob = github.read_file(client, full_name, REPOSITORY_FILE)
    except github.NotFound:  # the org has no .github repository, or the app is not installed on it
        return None
    return (blob.sha, blob.text) if blob else None
