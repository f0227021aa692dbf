"""The dashboard in a real browser (headless Chromium): local mode, Try it, demo charts, a switch, an export,
signing in through the fake GitHub, and a second user refused another installation's page.

The pages it visits are saved to docs/screenshots/ for the README.
"""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from service import storage
from service.cli import main
from service.cli.demo import INSTALLATION_ID

WAIT = 20


def find(browser, css: str):
    return WebDriverWait(browser, WAIT).until(lambda b: b.find_element(By.CSS_SELECTOR, css))


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory) -> str:
    """A database filled once by `tact demo` (the real command, the real analyzer)."""
    from service.storage import migrate

    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite3'}"
    migrate.upgrade(url)
    answer = CliRunner().invoke(main, ["demo"], env={"DATABASE_URL": url, "SECRET_KEY": "x" * 32,
                                                     "GITHUB_APP_ID": "", "GITHUB_CLIENT_ID": "",
                                                     "REDIS_URL": ""})
    assert answer.exit_code == 0, answer.output
    return url


def repo_id(app, name: str) -> int:
    with app.extensions["tact.db"].session() as session:
        ids = storage.installation_repository_ids(session, INSTALLATION_ID)
        return next(r.id for r in storage.repositories_by_ids(session, ids) if r.full_name == name)


def test_local_mode_lands_on_the_dashboard_with_its_banner(browser, serve, screenshot):
    base, _ = serve()
    browser.get(base)
    assert "Local mode." in find(browser, "#local-mode-banner").text
    assert "tact demo" in find(browser, "#empty-local").text
    assert not browser.find_elements(By.LINK_TEXT, "Sign in with GitHub")
    screenshot(browser, "local-mode-empty")


def test_try_it_shows_a_finding_and_its_rewrite(browser, serve, screenshot):
    base, _ = serve()
    browser.get(f"{base}/try")
    box = find(browser, "#text")
    box.clear()
    box.send_keys("You broke the build again. Thanks for the quick fix on the parser, though.")
    Select(find(browser, "#sensitivity")).select_by_value("high")
    find(browser, "form.tryit button[type=submit]").click()
    mark = find(browser, "#result mark")
    assert mark.text.startswith("You broke the build again.")
    assert find(browser, "#finding-1 .reason").text
    assert find(browser, "#rewrite .rewrite").text
    screenshot(browser, "try-it")


def test_demo_data_fills_the_charts_and_their_tables(browser, serve, demo_database, screenshot):
    base, app = serve(DATABASE_URL=demo_database)
    browser.get(base)
    assert len(browser.find_elements(By.CSS_SELECTOR, "td.spark svg.pygal-sparkline")) >= 3
    screenshot(browser, "repositories")
    browser.get(f"{base}/installations/{INSTALLATION_ID}")
    bars = browser.find_elements(By.CSS_SELECTOR, "#chart-comments svg .series rect")
    assert len(bars) >= 20  # two series over the weeks of the range
    find(browser, "#chart-comments summary").click()
    cells = browser.find_elements(By.CSS_SELECTOR, "#chart-comments table tbody td.number")
    assert sum(int(c.text) for c in cells[::6] if c.text.isdigit()) > 50  # comments analyzed, per week
    screenshot(browser, "overview")
    browser.get(f"{base}/repos/{repo_id(app, 'acme/api')}")
    assert find(browser, "#previews").text
    screenshot(browser, "repository")


def test_an_admin_saves_a_switch(browser, serve, demo_database):
    base, app = serve(DATABASE_URL=demo_database)
    web = repo_id(app, "acme/web")
    browser.get(f"{base}/repos/{web}")
    Select(find(browser, "#sensitivity")).select_by_value("low")
    browser.find_element(By.XPATH, "//button[normalize-space()='Save switches']").click()
    assert "Saved." in find(browser, ".notice").text
    with app.extensions["tact.db"].session() as session:
        assert storage.repository_by_id(session, web).dashboard_settings["sensitivity"] == "low"


def test_the_csv_export_downloads_the_weekly_figures(browser, serve, demo_database, browser_downloads):
    base, _ = serve(DATABASE_URL=demo_database)
    browser.get(f"{base}/installations/{INSTALLATION_ID}")
    browser.find_element(By.LINK_TEXT, "CSV").click()
    deadline = time.monotonic() + WAIT
    while not (files := list(browser_downloads.glob("tact-acme-*.csv"))) and time.monotonic() < deadline:
        time.sleep(0.2)
    [csv_file] = files
    lines = csv_file.read_text().splitlines()
    assert lines[0].startswith("week,comments_analyzed,comments_flagged") and len(lines) == 13


def oauth_world(fake, app, *, first_login: str) -> dict[str, int]:
    """Two installations; `octocat` administers octo-org's repository, `mallory` only elsewhere's."""
    logins = {"octocat": {"octo-org/app": True}, "mallory": {"elsewhere/site": True}}
    order = [first_login] + [name for name in logins if name != first_login]
    ids = {}
    for account, name in (("octo-org", "octo-org/app"), ("elsewhere", "elsewhere/site")):
        inst = fake.state.add_installation(account)
        repo = fake.state.add_repository(name, inst.id)
        ids[account], ids[name] = inst.id, repo.id
        with app.extensions["tact.db"].session() as session:
            storage.upsert_installation(session, inst.id, account_login=account, account_type="Organization")
            storage.upsert_repository(session, repo.id, full_name=name, installation_id=inst.id)
    for login in order:  # the fake's authorize page approves as its first user
        fake.state.add_user(login, logins[login])
    return ids


def oauth_config(fake) -> dict[str, str]:
    return {"GITHUB_API_URL": fake.url, "GITHUB_CLIENT_ID": fake.client_id,
            "GITHUB_CLIENT_SECRET": fake.client_secret}


def test_signing_in_through_github_oauth_pages(browser, serve, fake_github, screenshot):
    base, app = serve(**oauth_config(fake_github))
    oauth_world(fake_github, app, first_login="octocat")
    browser.get(base)
    assert not browser.find_elements(By.ID, "local-mode-banner")
    find(browser, "a.button").click()  # Sign in with GitHub -> the fake's authorize page -> back
    assert "Signed in as octocat" in find(browser, ".sign-out").text
    assert browser.find_element(By.LINK_TEXT, "octo-org/app")


def test_a_second_user_is_refused_another_installations_pages_by_url(browser, serve, fake_github):
    base, app = serve(**oauth_config(fake_github))
    ids = oauth_world(fake_github, app, first_login="mallory")
    browser.get(f"{base}/login")
    assert "Signed in as mallory" in find(browser, ".sign-out").text
    for page in (f"/repos/{ids['octo-org/app']}", f"/installations/{ids['octo-org']}"):
        browser.get(base + page)
        assert find(browser, "h1").text == "This needs access" and browser.title.startswith("Not available")
        assert "octo-org/app" not in browser.page_source
