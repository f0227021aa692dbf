"""An annotation as a reviewer sees it: a signed webhook goes through Tact's receiver and worker to a check
run on the fake GitHub, whose check-run page (the run's html_url) the browser opens.

The page is saved as docs/screenshots/annotation.png for the README's opening.
"""

from __future__ import annotations

import requests

from tests import payloads
from tests.browser.test_browser_dashboard import find
from tests.conftest import FAST_GITHUB, WEBHOOK_SECRET, opt_in
from tests.services import wait_for

COMMENT = "Why didn't you just use a dict here? This is obviously wrong."


def test_a_review_comment_becomes_an_annotation_on_the_check_run_page(browser, serve, github_world, screenshot):
    base, _ = serve(GITHUB_APP_ID=str(github_world.app_id), GITHUB_PRIVATE_KEY=github_world.private_key_pem,
                    GITHUB_API_URL=github_world.url, GITHUB_WEBHOOK_SECRET=WEBHOOK_SECRET, **FAST_GITHUB)
    opt_in(github_world, "enabled: true\nmode: warning\n")
    body, headers = payloads.signed(payloads.review_comment(COMMENT, path="src/cache.py", line=41), WEBHOOK_SECRET)
    assert requests.post(f"{base}/webhooks/github", data=body, headers=headers, timeout=10).status_code == 202
    run = wait_for(lambda: [r for r in github_world.check_runs if r.status == "completed" and r.annotations],
                   timeout=60)[-1]
    browser.get(f"{github_world.url}/{run.repo}/runs/{run.id}")  # the run's html_url, as GitHub links it
    assert run.name in find(browser, "#check-run h2").text
    note = find(browser, "#annotations .annotation")
    assert "src/cache.py#L41" in note.text and run.annotations[0].message.splitlines()[0] in note.text
    assert find(browser, ".summary").text  # the summary, rendered from its Markdown
    bottom = browser.execute_script("return document.getElementById('check-run').getBoundingClientRect().bottom")
    screenshot(browser, "annotation", max_height=int(bottom) + 24)
