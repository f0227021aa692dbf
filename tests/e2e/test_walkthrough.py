"""The README's path for a new user, with the fake GitHub standing in for github.com, through real HTTP only.

`tact serve` on the embedded defaults (SQLite, tasks in-process), a browser session (requests), and
the fake's pages for what a person clicks on GitHub: register from /setup, install the app, opt a
repository in with .github/tact.yml, comment, see the annotation, sign in to the dashboard.
"""

import html
import re

import requests

from tests.services import free_port, status_of, wait_for, web_server_process


def test_register_install_opt_in_comment_and_see_the_annotation_and_dashboard(fake_github, sqlite_url, tmp_path):
    fake_github.state.add_user("octocat")
    port = free_port()
    tact, log = f"http://127.0.0.1:{port}", tmp_path / "serve.log"
    env = {"DATABASE_URL": sqlite_url, "GITHUB_API_URL": fake_github.url, "TACT_PUBLIC_URL": tact,
           "TACT_ENV_FILE": str(tmp_path / ".env"), "SECRET_KEY": "walkthrough-secret-key-0123"}
    with web_server_process(env, log, port=port):
        browser = requests.Session()

        # 1. Register: /setup posts app.yml to GitHub's "new app" page, which sends us back to /setup/callback.
        page = browser.get(f"{tact}/setup", timeout=10)
        manifest = html.unescape(re.search(r'name="manifest" value="([^"]*)"', page.text).group(1))
        done = browser.post(f"{tact}/setup/register", data={"manifest": manifest, "account": "personal"}, timeout=10)
        assert done.status_code == 200 and "Tact is registered" in done.text, done.text
        install_url = html.unescape(re.search(r'href="([^"]+/installations/new)"', done.text).group(1))
        # gunicorn restarts its workers with the new .env; the old one finishes its requests and exits.
        wait_for(lambda: b"Worker exiting" in log.read_bytes(), timeout=30)
        wait_for(lambda: status_of(f"{tact}/setup") == 404, timeout=30)  # old workers may reset connections

        # 2. Install it on octocat/demo (GitHub delivers installation.created), 3. opt in (push), 4. comment.
        assert browser.post(install_url, data={"account": "octocat", "repository": "demo"}, timeout=30).ok
        browser.post(f"{fake_github.url}/octocat/demo/files",
                     data={"path": ".github/tact.yml", "content": "enabled: true\n"}, timeout=30)
        browser.post(f"{fake_github.url}/octocat/demo/pull/1/comments",
                     data={"path": "app.py", "line": "3", "body": "You broke the build again."}, timeout=30)

        assert fake_github.state.deliveries == [("installation", 202), ("push", 202),
                                                ("pull_request_review_comment", 202)]

        # 5. The annotation, on the pull request's checks.
        run = wait_for(lambda: next((r for r in fake_github.check_runs if r.annotations), None), timeout=90)
        assert (run.name, run.annotations[0].path, run.annotations[0].start_line) == ("Review tone", "app.py", 3)
        assert "Review tone" in browser.get(f"{fake_github.url}/octocat/demo/pull/1", timeout=10).text

        # 6. The dashboard, after signing in with GitHub.
        dashboard = browser.get(f"{tact}/login", timeout=30)
        assert dashboard.status_code == 200 and "octocat/demo" in dashboard.text
