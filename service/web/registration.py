"""Blueprint /setup: register this deployment's GitHub App from app.yml (GitHub's manifest flow), once.

Docs "Registering a GitHub App from a manifest": a form POSTs the manifest to GitHub's "new app" page
with a `state`; GitHub sends the person back to /setup/callback with a one-hour, single-use `code`,
which POST /app-manifests/{code}/conversions turns into the App ID, private key, webhook secret and
OAuth client ID and secret. Those are written to the `.env` file (owner-only) and applied at once;
from then on /setup is closed, so nobody can re-register a running deployment.
"""

from __future__ import annotations

import hmac
import logging
import os
import re
import secrets
import signal
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from dotenv import dotenv_values
from flask import Blueprint, current_app, redirect, render_template, request, session

from service import github
from service.config import Config, ConfigError, is_local_url

bp = Blueprint("registration", __name__, url_prefix="/setup")
log = logging.getLogger(__name__)

MANIFEST_PATH = Path(__file__).resolve().parents[2] / "app.yml"
STATE_LIFETIME = 3600  # GitHub's code lives one hour; a state older than that cannot finish anyway
ENV_KEYS = ("GITHUB_APP_ID", "GITHUB_PRIVATE_KEY", "GITHUB_WEBHOOK_SECRET", "GITHUB_CLIENT_ID",
            "GITHUB_CLIENT_SECRET")
# GitHub logins: letters, digits and single hyphens, at most 39 characters, no leading hyphen.
LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
URL_KEYS = ("url", "redirect_url", "setup_url")


def load_manifest(public_url: str, path: Path = MANIFEST_PATH) -> dict:
    """app.yml with every URL moved to this deployment's address; the paths stay as app.yml names them."""
    manifest = yaml.safe_load(path.read_text())
    base = public_url.rstrip("/")

    def here(url: str) -> str:
        parts = urlsplit(url)
        return base + (parts.path if parts.path not in ("", "/") else "/") + (f"?{parts.query}" if parts.query else "")

    for key in URL_KEYS:
        if manifest.get(key):
            manifest[key] = here(manifest[key])
    if manifest.get("hook_attributes", {}).get("url"):
        manifest["hook_attributes"]["url"] = here(manifest["hook_attributes"]["url"])
    manifest["callback_urls"] = [here(u) for u in manifest.get("callback_urls") or []]
    return manifest


def _config() -> Config:
    return current_app.config["TACT"]


def _closed():
    return render_template("setup/closed.html", config=_config()), 404


def _failed(status: int, reason: str):
    return render_template("setup/failed.html", reason=reason), status


@bp.get("")
def index():
    config = _config()
    if config.github_app_configured:
        return _closed()
    manifest = load_manifest(config.public_url)
    return render_template("setup/index.html", manifest=manifest, github_url=config.github_web_url,
                           env_file=config.env_file, loopback=is_local_url(config.public_url))


@bp.post("/register")
def register():
    """Send the browser on to GitHub's "new app" page with a fresh state; 307 keeps the POSTed manifest."""
    config = _config()
    if config.github_app_configured:
        return _closed()
    organization = request.form.get("organization", "").strip()
    if request.form.get("account") == "organization":
        if not LOGIN.match(organization):
            return _failed(400, "organization")
        target = f"{config.github_web_url}/organizations/{organization}/settings/apps/new"
    else:
        target = f"{config.github_web_url}/settings/apps/new"
    state = secrets.token_urlsafe(32)
    session["setup_state"] = {"value": state, "at": time.time()}
    return redirect(f"{target}?state={state}", code=307)


@bp.get("/callback")
def callback():
    config = _config()
    if config.github_app_configured:
        return _closed()
    expected = session.pop("setup_state", None) or {}
    if not expected.get("value") or time.time() - expected.get("at", 0) > STATE_LIFETIME \
            or not hmac.compare_digest(expected["value"], request.args.get("state", "")):
        return _failed(400, "state")  # a forged, replayed or stale return from GitHub
    if not request.args.get("code"):
        return _failed(400, "code")
    env_file = Path(config.env_file)
    clash = _clashing_keys(env_file)
    if clash:  # checked before the code is spent, so it still works once the file is fixed
        return render_template("setup/env_exists.html", env_file=env_file, keys=clash), 409
    try:
        app = github.convert_manifest(request.args["code"], config.github_api_url)
    except github.Unavailable:
        return _failed(503, "unavailable")
    except github.GitHubError as exc:  # 404: the code is unknown, used or more than an hour old
        log.info("manifest conversion refused: %s %s", exc.status, type(exc).__name__)
        return _failed(400, "conversion")
    write_env(env_file, app)
    _reload(config, app)
    log.info("registered GitHub App %s (id %s); credentials written to %s", app.slug, app.id, env_file)
    return render_template("setup/done.html", app=app, env_file=env_file,
                           install_url=f"{app.html_url.rstrip('/')}/installations/new")


def _clashing_keys(env_file: Path) -> list[str]:
    if not env_file.exists():
        return []
    present = dotenv_values(env_file)
    return [key for key in (*ENV_KEYS, "GITHUB_PRIVATE_KEY_PATH") if present.get(key)]


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def write_env(env_file: Path, app: github.RegisteredApp) -> None:
    """Append the app's credentials, creating the file owner-only (0600); never replace a line already there."""
    values = {"GITHUB_APP_ID": str(app.id), "GITHUB_PRIVATE_KEY": app.pem.strip(),
              "GITHUB_WEBHOOK_SECRET": app.webhook_secret or "",
              "GITHUB_CLIENT_ID": app.client_id, "GITHUB_CLIENT_SECRET": app.client_secret}
    values = {key: value for key, value in values.items() if value}  # no webhook secret without a webhook
    existing = dotenv_values(env_file) if env_file.exists() else {}
    if not existing.get("SECRET_KEY"):  # sessions then survive restarts; the environment still wins
        values["SECRET_KEY"] = secrets.token_hex(32)
    lines = [f"# GitHub App {app.slug} (id {app.id}), registered from app.yml on "
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"]
    lines += [f"{key}={_quote(value)}" for key, value in values.items()]
    env_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(env_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.fchmod(fd, 0o600)  # an existing file may have been world-readable; it now holds a private key
        prefix = "\n" if env_file.stat().st_size else ""
        os.write(fd, (prefix + "\n".join(lines) + "\n").encode())
    finally:
        os.close(fd)


def _reload(config: Config, app: github.RegisteredApp) -> None:
    """Apply the credentials in this process now, and ask gunicorn to restart its workers with the new file."""
    try:
        current_app.config["TACT"] = replace(
            config, github_app_id=app.id, github_private_key=app.pem.strip() + "\n",
            github_webhook_secret=app.webhook_secret or config.github_webhook_secret,
            github_client_id=app.client_id, github_client_secret=app.client_secret).validate()
    except ConfigError as exc:  # the file is written; a restart shows the same problem at start-up
        log.warning("new credentials do not validate: %s", exc)
    if request.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn/"):
        # HUP: gunicorn starts fresh workers (which read the new .env) and retires these gracefully.
        os.kill(os.getppid(), signal.SIGHUP)

