"""A repository's effective settings from what storage holds: fetched tact.yml texts, dashboard switches.

Shared by the worker (after it fetches the files) and the dashboard (which never calls GitHub
for settings). Flask-free and GitHub-free.
"""

from __future__ import annotations

from dataclasses import asdict, replace

from sqlalchemy.orm import Session

from service import storage
from service.settings.model import REPOSITORY_FILE, RepoSettings, SettingsError, SettingsResult
from service.settings.resolve import resolve


def stored_settings(session: Session, repo: storage.Repository) -> SettingsResult:
    """Resolve defaults < organization file < repository file, with dashboard switches where no file exists."""
    files = repo.settings_files or {}
    last_valid = RepoSettings.from_dict(repo.last_valid_settings) if repo.last_valid_settings else None
    owner = repo.full_name.split("/", 1)[0]
    result = resolve(
        repository_text=files.get("repository"),
        organization_text=files.get("organization"),
        dashboard=dashboard_layer(session, repo),
        last_valid=last_valid,
        organization_file=f"{owner}/.github: {REPOSITORY_FILE}",
    )
    return _name_installation_default(repo, result)


def _name_installation_default(repo: storage.Repository, result: SettingsResult) -> SettingsResult:
    """The installation-wide default travels in the dashboard layer; say so, apart from a switch
    someone set for this repository, wherever the sources are shown."""
    own_switch = "enabled" in (repo.dashboard_settings or {})
    if repo.settings_sha is None and not own_switch and result.sources.get("enabled") in ("dashboard", "default"):
        return replace(result, sources={**result.sources, "enabled": "installation"})
    return result


def dashboard_layer(session: Session, repo: storage.Repository) -> dict | None:
    """Dashboard switches, with the installation-wide default opt-in under them."""
    layer: dict = {}
    installation = storage.installation_of(session, repo)
    if installation is not None and installation.default_enabled:
        layer["enabled"] = True
    layer.update(repo.dashboard_settings or {})
    return layer or None


def remember_files(repo: storage.Repository, *, repository: tuple[str, str] | None,
                   organization: tuple[str, str] | None) -> None:
    """Keep the texts (and blob SHAs) just read from GitHub; ``None`` means the file does not exist."""
    repo.settings_files = {
        "repository": repository[1] if repository else None,
        "repository_sha": repository[0] if repository else None,
        "organization": organization[1] if organization else None,
        "organization_sha": organization[0] if organization else None,
    }
    repo.settings_sha = repository[0] if repository else None
    repo.settings_checked_at = storage.utcnow()


def remember_result(repo: storage.Repository, result: SettingsResult) -> None:
    """Errors go where the dashboard reads them; valid settings become the fallback for a later bad edit."""
    repo.settings_errors = [asdict(error) for error in result.errors] or None
    if not result.used_last_valid and not _repository_file_failed(result.errors):
        repo.last_valid_settings = result.settings.to_dict()


def stored_errors(repo: storage.Repository) -> tuple[SettingsError, ...]:
    return tuple(SettingsError(**error) for error in repo.settings_errors or ())


def _repository_file_failed(errors: tuple[SettingsError, ...]) -> bool:
    return any(error.kind == "error" and error.file == REPOSITORY_FILE for error in errors)
