"""Whose word counts in a repository: a person's permission there, as GitHub reports it to the installation.

"Get repository permissions for a user" (GET /repos/{owner}/{repo}/collaborators/{username}/permission,
Docs "REST API endpoints for collaborators") needs only Metadata: read, which every installation has.
Its `permission` is the legacy base role (admin, write, read, none: maintain is reported as write and
triage as read); `role_name` is the full role, custom roles included. GitHub answers 404 for someone
who is not a collaborator, which here means "no write access", not an error.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from service.github.client import Client
from service.github.retry import NotFound

WRITE_ROLES = frozenset({"admin", "maintain", "write"})


@dataclass(frozen=True)
class Permission:
    permission: str  # admin | write | read | none
    role_name: str  # admin | maintain | write | triage | read, or a custom role's name

    @property
    def can_write(self) -> bool:
        """Write, maintain or admin. A custom role reports its base role in `permission`."""
        return self.permission in WRITE_ROLES or self.role_name in WRITE_ROLES


NO_ACCESS = Permission("none", "")


def collaborator_permission(client: Client, repo_full_name: str, login: str) -> Permission:
    """The person's permission on the repository; NO_ACCESS when GitHub says they are not a collaborator."""
    url = f"/repos/{repo_full_name}/collaborators/{urllib.parse.quote(login, safe='')}/permission"

    def fetch():
        _headers, data = client.requester.requestJsonAndCheck("GET", url)
        return Permission(str(data.get("permission") or "none"), str(data.get("role_name") or ""))

    try:
        return client.call(fetch)
    except NotFound:
        return NO_ACCESS
