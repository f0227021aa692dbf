"""The app's own side of GitHub: registering from a manifest, and what GitHub says about the app and its installations.

Used by the setup page (service.web.registration) and `tact doctor`; both get our dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass

from github import Auth, GithubIntegration

from service.github.client import AppCredentials, _github
from service.github.retry import API_VERSION, RetryPolicy, call


@dataclass(frozen=True)
class RegisteredApp:
    """What the manifest conversion returns once: the new app's identity and its secrets."""

    id: int
    slug: str
    name: str
    html_url: str
    owner: str
    pem: str
    webhook_secret: str | None
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class AppInfo:
    id: int
    slug: str
    html_url: str
    permissions: dict[str, str]
    events: tuple[str, ...]


@dataclass(frozen=True)
class InstallationInfo:
    id: int
    account: str
    permissions: dict[str, str]
    events: tuple[str, ...]
    suspended: bool


def convert_manifest(code: str, api_url: str) -> RegisteredApp:
    """POST /app-manifests/{code}/conversions (no authentication; the code is the credential).

    The code is single-use and lives one hour, so a lost answer is never replayed (idempotent=False).
    https://docs.github.com/rest/apps/apps#create-a-github-app-from-a-manifest
    """
    gh = _github(api_url, None)
    try:
        _headers, data = call(lambda: gh.requester.requestJsonAndCheck("POST", f"/app-manifests/{code}/conversions"),
                              RetryPolicy(), idempotent=False)
    finally:
        gh.close()
    return RegisteredApp(int(data["id"]), data["slug"], data.get("name") or data["slug"], data["html_url"],
                         (data.get("owner") or {}).get("login", ""), data["pem"], data.get("webhook_secret"),
                         data["client_id"], data["client_secret"])


def key_problem(pem: str) -> str | None:
    """Why this text is not a usable RSA private key, or None when it is."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        return f"the private key does not parse ({exc.__class__.__name__})"
    if not isinstance(key, rsa.RSAPrivateKey):
        return "the private key is not an RSA key (GitHub App keys are RSA)"
    return None


def _integration(creds: AppCredentials) -> GithubIntegration:
    return GithubIntegration(auth=Auth.AppAuth(creds.app_id, creds.private_key), base_url=creds.api_url,
                             api_version=API_VERSION, retry=None, seconds_between_requests=None,
                             seconds_between_writes=None)


def get_app(creds: AppCredentials) -> AppInfo:
    """GET /app with the app's JWT: a 401 means the key does not belong to this App ID."""
    integration = _integration(creds)
    try:
        app = call(integration.get_app, RetryPolicy(attempts=2))
        return AppInfo(app.id, app.slug, app.html_url, dict(app.raw_data.get("permissions") or {}),
                       tuple(app.raw_data.get("events") or ()))
    finally:
        integration.close()


def list_installations(creds: AppCredentials) -> list[InstallationInfo]:
    """GET /app/installations: every account the app is installed on, with what each has accepted."""
    integration = _integration(creds)
    try:
        found = call(lambda: list(integration.get_installations()), RetryPolicy(attempts=2))
        return [InstallationInfo(i.id, (i.raw_data.get("account") or {}).get("login", "?"),
                                 dict(i.raw_data.get("permissions") or {}), tuple(i.raw_data.get("events") or ()),
                                 bool(i.raw_data.get("suspended_at"))) for i in found]
    finally:
        integration.close()
