"""Overview, sparklines, date ranges, CSV/JSON exports and per-author figures, through HTTP."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from service import storage
from tests.test_auth import gh_app, gh_client, gh_config, sign_in  # noqa: F401  (shared fixtures)
from tests.test_dashboard import FINDING, build_world, db  # noqa: F401


def seed(db, repo_id: int, github_id: int, *, weeks_ago: int, rules: list[tuple[str, str]], author="octocat"):
    with db.session() as session:
        comment = storage.upsert_comment(session, kind="review_comment", github_id=github_id, repository_id=repo_id,
                                         pull_number=1, author=author, url=f"https://github.com/c/{github_id}",
                                         created_at=storage.utcnow() - timedelta(weeks=weeks_ago))
        storage.replace_findings(session, comment, [dict(FINDING, rule=r, category=c) for r, c in rules])


def world(fake, db) -> dict[str, int]:
    ids = build_world(fake, db, admin={"app": True, "docs": True})
    seed(db, ids["app"], 1, weeks_ago=0, rules=[("you-broke", "blame")])
    seed(db, ids["app"], 2, weeks_ago=1, rules=[])
    seed(db, ids["app"], 3, weeks_ago=2, rules=[("stupid", "insult")], author="hubot")
    seed(db, ids["docs"], 4, weeks_ago=0, rules=[("read-the-docs", "condescension")])
    return ids


def test_the_overview_sums_the_repositories_you_can_see(gh_client, fake_github, db):  # noqa: F811
    ids = world(fake_github, db)
    sign_in(gh_client, "octocat")
    page = gh_client.get(f"/installations/{ids['installation']}").text
    assert "<strong>4</strong> comments analyzed" in page and "<strong>3</strong> flagged (75%)" in page
    assert page.count("<svg") >= 3 and "<script" not in page


def test_the_repository_list_has_a_sparkline_per_repository(gh_client, fake_github, db):  # noqa: F811
    world(fake_github, db)
    sign_in(gh_client, "octocat")
    page = gh_client.get("/").text
    assert page.count('class="pygal-chart pygal-sparkline"') == 2
    assert 'aria-label="Flagged comments per week in octo-org/app"' in page


def test_a_csv_export_has_one_row_per_week_of_the_range(gh_client, fake_github, db):  # noqa: F811
    ids = world(fake_github, db)
    sign_in(gh_client, "octocat")
    today = storage.utcnow().date()
    first = today - timedelta(weeks=3)
    answer = gh_client.get(f"/repos/{ids['app']}/trends.csv?from={first}&to={today}")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert len(rows) == 4 and rows[-1]["comments_flagged"] == "1" and rows[-1]["findings_blame"] == "1"
    assert sum(int(r["comments_analyzed"]) for r in rows) == 3


def test_a_json_export_carries_the_weeks_and_the_rules(gh_client, fake_github, db):  # noqa: F811
    ids = world(fake_github, db)
    sign_in(gh_client, "octocat")
    body = gh_client.get(f"/installations/{ids['installation']}/trends.json").json
    assert body["installation"] == "octo-org" and len(body["weeks"]) == 12
    assert {r["rule"] for r in body["rules"]} == {"you-broke", "stupid", "read-the-docs"}
    assert "octocat" not in str(body) and "github.com/c/" not in str(body)  # aggregates only


def test_a_bad_range_is_refused_with_its_reason(gh_client, fake_github, db):  # noqa: F811
    ids = world(fake_github, db)
    sign_in(gh_client, "octocat")
    answer = gh_client.get(f"/repos/{ids['app']}?from=2026-02-30")
    assert answer.status_code == 400 and "YYYY-MM-DD" in answer.text


def test_per_author_figures_are_off_until_an_admin_turns_them_on_and_show_only_your_own(
        gh_client, fake_github, db):  # noqa: F811
    ids = world(fake_github, db)
    sign_in(gh_client, "octocat")
    page = f"/installations/{ids['installation']}"
    assert "Per-author figures are off" in gh_client.get(page).text
    with gh_client.session_transaction() as session:
        token = session["csrf"]
    saved = gh_client.post(f"{page}/author-figures", data={"csrf_token": token, "author_figures": "on"})
    assert saved.status_code == 302
    text = gh_client.get(page).text
    assert "You wrote <strong>3</strong> analyzed comments" in text and "hubot" not in text


def test_someone_outside_an_installation_is_refused_its_overview_and_exports(gh_client, fake_github, db):  # noqa: F811
    ids = world(fake_github, db)
    other = fake_github.state.add_installation("elsewhere")
    fake_github.state.add_repository("elsewhere/site", other.id)
    fake_github.state.add_user("mallory", {"elsewhere/site": True})
    sign_in(gh_client, "mallory")
    assert gh_client.get(f"/installations/{ids['installation']}").status_code == 403
    assert gh_client.get(f"/installations/{ids['installation']}/trends.csv").status_code == 403
    assert gh_client.get(f"/repos/{ids['app']}/trends.json").status_code == 403
