"""The rollout and coaching pages in a real browser: an admin moves a repository from preview to notice
and accepts a "Looks fine" proposal with one click; a person's coaching page shows their comments only,
and changing the URL never opens someone else's.

Signing in goes through the fake GitHub's OAuth pages, as in test_browser_dashboard.py.
"""

from __future__ import annotations

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import Select, WebDriverWait

from service import storage
from tests.browser.test_browser_dashboard import WAIT, find, oauth_config

REPO = "octo-org/app"
FINDING = {"severity": "medium", "start": 10, "end": 16, "score": 0.9, "category": "insult"}


@pytest.fixture
def world(fake_github, serve):
    """One installation and repository; octocat administers it and hubot writes to it; both sign in."""
    base, app = serve(**oauth_config(fake_github))
    inst = fake_github.state.add_installation("octo-org")
    repo = fake_github.state.add_repository(REPO, inst.id)
    with app.extensions["tact.db"].session() as session:
        storage.upsert_installation(session, inst.id, account_login="octo-org", account_type="Organization")
        storage.upsert_repository(session, repo.id, full_name=REPO, installation_id=inst.id)
        storage.save_dashboard_settings(session, repo.id, {"enabled": True, "mode": "preview"})
    fake_github.state.add_user("octocat", {REPO: "admin"})  # the fake's authorize page approves as the first
    fake_github.state.add_user("hubot", {REPO: "write"})
    return base, app, repo.id


def flag(app, repo_id: int, github_id: int, author: str, rule: str, phrase: str) -> None:
    with app.extensions["tact.db"].session() as session:
        comment = storage.upsert_comment(session, kind="review_comment", github_id=github_id, repository_id=repo_id,
                                         pull_number=github_id, author=author, created_at=storage.utcnow())
        storage.replace_findings(session, comment, [dict(FINDING, rule=rule, phrase=phrase,
                                                         message=f"{rule} may land badly.",
                                                         suggestion=f"A kinder way to say {phrase}.")])


def submit(browser, button) -> None:
    """Click a form's button and wait for the next page, so no element of this one is read by mistake."""
    page = browser.find_element(By.TAG_NAME, "html")
    button.click()
    WebDriverWait(browser, WAIT).until(lambda _: replaced(page))


def replaced(element) -> bool:
    """Whether the page holding element has been replaced by the next one.

    While Chromium swaps documents, asking about a node of the old one can also answer "Node with given
    id does not belong to the document" instead of the stale-element error: that too means it is gone.
    """
    try:
        return staleness_of(element)(None)
    except WebDriverException as error:
        if "does not belong to the document" in (error.msg or ""):
            return True
        raise


def status(browser, url: str) -> int:
    """The HTTP status of a page, asked from inside the signed-in browser (its cookie goes along)."""
    return browser.execute_script("return fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.status)", url)


def stored_layer(app, repo_id: int) -> dict:
    with app.extensions["tact.db"].session() as session:
        return storage.repository_by_id(session, repo_id).dashboard_settings


def test_an_admin_moves_preview_to_notice_and_accepts_a_proposal_in_one_click(browser, world):
    base, app, repo_id = world
    for number in (1, 2, 3):  # three comments that people with write access judged fine
        flag(app, repo_id, number, "hubot", "stupid", "stupid")
        with app.extensions["tact.db"].session() as session:
            storage.record_looks_fine(session, repo_id, number, "hubot", writer=True)
    browser.get(f"{base}/login")
    assert "Signed in as octocat" in find(browser, ".sign-out").text
    browser.get(f"{base}/repos/{repo_id}/trust")
    assert find(browser, "#stage").text.startswith("Preview:")
    Select(find(browser, "#mode")).select_by_value("notice")
    submit(browser, browser.find_element(By.XPATH, "//button[normalize-space()='Save stage']"))
    assert "the stage is now notice" in find(browser, ".notice").text
    assert find(browser, "#stage").text.startswith("Notice:")
    assert browser.find_element(By.CSS_SELECTOR, "#stage + .help").text == "Set by this dashboard."
    assert stored_layer(app, repo_id) == {"enabled": True, "mode": "notice"}
    proposal = find(browser, "#proposals li")
    assert 'marked stupid "Looks fine" 3 times' in proposal.text
    submit(browser, proposal.find_element(By.XPATH, ".//button[normalize-space()='Allow “stupid”']"))
    assert "Saved as a dashboard setting" in find(browser, ".notice").text
    assert stored_layer(app, repo_id)["allow"] == ["stupid"]
    assert not browser.find_elements(By.CSS_SELECTOR, "#proposals")  # followed: nothing left to propose


def test_the_coaching_page_shows_only_the_signed_in_persons_comments(browser, world):
    base, app, repo_id = world
    flag(app, repo_id, 11, "octocat", "you-broke", "you broke")
    flag(app, repo_id, 12, "hubot", "did-you-even", "did you even")
    browser.get(f"{base}/login")
    assert "Signed in as octocat" in find(browser, ".sign-out").text
    browser.get(f"{base}/me/coaching")
    notes = find(browser, "#coaching").text
    assert "you-broke" in notes and "A kinder way to say you broke." in notes
    assert "did-you-even" not in browser.page_source
    for tampered in ("/me/coaching/hubot", "/users/hubot/coaching", "/coaching/hubot"):
        assert status(browser, base + tampered) in (403, 404), tampered
        browser.get(base + tampered)
        assert "Your coaching notes" not in browser.page_source and "did-you-even" not in browser.page_source
    for tampered in ("/me/coaching?login=hubot", "/me/coaching?author=hubot&user=hubot"):
        browser.get(base + tampered)  # query arguments are ignored: still one's own notes
        assert "you-broke" in find(browser, "#coaching").text and "did-you-even" not in browser.page_source
