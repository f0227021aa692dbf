"""Registering the GitHub App from app.yml through the fake GitHub's manifest flow, over HTTP end to end."""

from __future__ import annotations

import html
import json
import re
import stat
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import yaml
from dotenv import dotenv_values

from service.config import Config
from tests import payloads

PUBLIC = "https://tact.example.org"
PLAIN = "http://tact.example.org"
APP_YML = Path(__file__).parents[1] / "app.yml"


@pytest.fixture
def env_file(tmp_path) -> Path:
    return tmp_path / "deploy" / ".env"


@pytest.fixture
def setup_app(app_factory, sqlite_url, fake_github, env_file):
    """A fresh deployment: no app credentials, pointed at the fake GitHub, its .env in a temporary folder."""
    return app_factory({"TESTING": True, "DATABASE_URL": sqlite_url, "SECRET_KEY": "test-secret-key-0123456789",
                        "GITHUB_API_URL": fake_github.url, "TACT_PUBLIC_URL": PUBLIC,
                        "TACT_ENV_FILE": str(env_file)})


def manifest_on_page(page: str) -> str:
    return html.unescape(re.search(r'name="manifest" value="([^"]*)"', page).group(1))


def start(client, **form) -> tuple[str, str]:
    """GET /setup, press a "Register" button; return GitHub's "new app" URL and the manifest posted to it."""
    page = client.get("/setup")
    assert page.status_code == 200 and "Register on GitHub" in page.text
    manifest = manifest_on_page(page.text)
    sent = client.post("/setup/register", data={"manifest": manifest, "account": "personal", **form})
    assert sent.status_code == 307  # 307: the browser re-POSTs the manifest form to GitHub
    return sent.location, manifest


def through_github(location: str, manifest: str, public: str = PUBLIC) -> str:
    """What the browser does at GitHub: post the manifest, follow GitHub's redirect back to us."""
    back = requests.post(location, data={"manifest": manifest}, allow_redirects=False, timeout=5)
    assert back.status_code == 302, back.text
    parts = urlsplit(back.headers["Location"])
    assert f"{parts.scheme}://{parts.netloc}" == public
    return f"{parts.path}?{parts.query}"


def register(client) -> object:
    return client.get(through_github(*start(client)))


def test_registering_writes_owner_only_credentials_applies_them_and_closes_setup(setup_app, fake_github, env_file):
    client = setup_app.test_client()
    done = register(client)
    assert done.status_code == 200
    assert f'href="{fake_github.url}/apps/tact/installations/new"' in done.text

    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    saved = dotenv_values(env_file)
    assert saved["GITHUB_APP_ID"] == str(fake_github.app_id)
    assert saved["GITHUB_PRIVATE_KEY"].strip() == fake_github.private_key_pem.strip()
    assert saved["GITHUB_CLIENT_ID"] == fake_github.client_id and saved["GITHUB_WEBHOOK_SECRET"]
    # A restart reads the same file and is a valid, configured deployment.
    restarted = Config.from_env({**saved, "GITHUB_API_URL": fake_github.url}).validate()
    assert restarted.github_app_configured and restarted.github_client_secret == fake_github.client_secret

    # This process uses the new webhook secret at once: a delivery signed with it is accepted.
    ping = payloads.deliver(client, payloads.ping(), saved["GITHUB_WEBHOOK_SECRET"])
    assert ping.status_code == 200 and ping.json["outcome"] == "pong", ping.text

    closed = client.get("/setup")
    assert closed.status_code == 404 and "already has a GitHub App" in closed.text
    assert client.post("/setup/register", data={"account": "personal"}).status_code == 404


def test_the_manifest_posted_to_github_is_app_yml_at_this_deployments_address(setup_app, fake_github):
    location, manifest = start(setup_app.test_client())
    assert location.startswith(f"{fake_github.url}/settings/apps/new?state=")
    sent, original = json.loads(manifest), yaml.safe_load(APP_YML.read_text())
    assert sent["hook_attributes"]["url"] == f"{PUBLIC}/webhooks/github"
    assert sent["redirect_url"] == f"{PUBLIC}/setup/callback"
    assert sent["callback_urls"] == [f"{PUBLIC}/auth/callback"]
    assert (sent["url"], sent["setup_url"]) == (f"{PUBLIC}/", f"{PUBLIC}/")
    assert sent["default_permissions"] == original["default_permissions"]
    assert sent["default_events"] == original["default_events"]


def test_an_organization_registers_on_its_own_new_app_page(setup_app, fake_github):
    client = setup_app.test_client()
    refused = client.post("/setup/register", data={"account": "organization", "organization": "-x/../y"})
    assert refused.status_code == 400 and "organization login" in refused.text
    location, manifest = start(client, account="organization", organization="octo-org")
    assert urlsplit(location).path == "/organizations/octo-org/settings/apps/new"
    assert client.get(through_github(location, manifest)).status_code == 200


def test_a_return_with_the_wrong_state_saves_nothing_and_spends_no_code(setup_app, fake_github, env_file):
    client = setup_app.test_client()
    back = through_github(*start(client))
    forged = re.sub(r"state=[^&]+", "state=forged", back)
    fake_github.forbid("POST", r"^/app-manifests/")
    answer = client.get(forged)
    assert answer.status_code == 400 and "does not match" in answer.text
    assert not env_file.exists() and not setup_app.config["TACT"].github_app_configured
    other_browser = setup_app.test_client()
    assert other_browser.get(back).status_code == 400  # the state lives in the browser that started


def test_credentials_already_in_the_env_file_are_never_overwritten(setup_app, fake_github, env_file):
    env_file.parent.mkdir()
    env_file.write_text("GITHUB_APP_ID=99\n")
    fake_github.forbid("POST", r"^/app-manifests/")
    answer = register(setup_app.test_client())
    assert answer.status_code == 409 and "GITHUB_APP_ID" in answer.text
    assert env_file.read_text() == "GITHUB_APP_ID=99\n"


def test_other_settings_in_the_env_file_are_kept_and_the_file_becomes_owner_only(setup_app, env_file):
    env_file.parent.mkdir()
    env_file.write_text("TACT_PUBLIC_URL=https://tact.example.org\n")
    env_file.chmod(0o644)
    assert register(setup_app.test_client()).status_code == 200
    assert env_file.read_text().startswith("TACT_PUBLIC_URL=https://tact.example.org\n")
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert dotenv_values(env_file)["GITHUB_APP_ID"]


def test_a_stale_code_is_refused_by_github_and_nothing_is_saved(setup_app, fake_github, env_file):
    client = setup_app.test_client()
    back = through_github(*start(client))
    fake_github.state.clock.advance(3601)  # the code lives one hour
    answer = client.get(back)
    assert answer.status_code == 400 and "more than an hour old" in answer.text
    assert not env_file.exists()


def test_the_fake_refuses_a_manifest_github_would_refuse(fake_github):
    no_url = requests.post(f"{fake_github.url}/settings/apps/new", data={"manifest": json.dumps({"name": "x"})},
                           allow_redirects=False, timeout=5)
    assert no_url.status_code == 422 and "url is required" in no_url.json()["message"]
    unknown = requests.post(f"{fake_github.url}/app-manifests/nope/conversions", timeout=5,
                            headers={"X-GitHub-Api-Version": "2022-11-28"})
    assert unknown.status_code == 404


def test_every_address_in_app_yml_is_a_route_of_the_app(app):
    """app.yml named /setup/callback before any route served it; the manifest and the routes must agree."""
    manifest = yaml.safe_load(APP_YML.read_text())
    wanted = {(urlsplit(manifest["hook_attributes"]["url"]).path, "POST")}
    wanted |= {(urlsplit(manifest[k]).path or "/", "GET") for k in ("url", "redirect_url", "setup_url")}
    wanted |= {(urlsplit(u).path, "GET") for u in manifest["callback_urls"]}
    adapter = app.url_map.bind("localhost")
    for path, method in sorted(wanted):
        assert adapter.test(path, method=method), f"app.yml names {method} {path} but no route serves it"
    assert parse_qs(urlsplit(manifest["redirect_url"]).query) == {}

