"""Where a repository's opt-in comes from, seen through the whole pipeline: org file, repo file, dashboard."""

from service import storage
from tests import payloads
from tests.conftest import opt_in
from tests.delivery_helpers import deliver_and_wait


def _org_default(fake, text):
    fake.state.add_repository("octo/.github", payloads.INSTALLATION_ID)
    opt_in(fake, text, repo="octo/.github")


def _dashboard(app, **switches):
    with app.extensions["tact.db"].session() as session:
        storage.upsert_repository(session, payloads.REPO_ID, full_name=payloads.REPO,
                                  installation_id=payloads.INSTALLATION_ID)
        storage.save_dashboard_settings(session, payloads.REPO_ID, switches)


def test_the_organization_file_opts_its_repositories_in(github_app, github_world):
    _org_default(github_world, "enabled: true\n")
    deliver_and_wait(github_app, payloads.review_comment("You broke the build again."))
    assert len(github_world.check_runs) == 1


def test_the_repository_file_wins_over_the_organization_file(github_app, github_world):
    _org_default(github_world, "enabled: true\n")
    opt_in(github_world, "enabled: false\n")
    delivery = deliver_and_wait(github_app, payloads.review_comment("You broke the build again."))
    assert delivery.state == storage.SKIPPED and github_world.check_runs == []


def test_a_dashboard_switch_opts_in_a_repository_without_a_file(github_app, github_world):
    _dashboard(github_app, enabled=True)
    deliver_and_wait(github_app, payloads.review_comment("You broke the build again."))
    assert len(github_world.check_runs) == 1


def test_a_file_overrides_the_dashboard_switch(github_app, github_world):
    _dashboard(github_app, enabled=True)
    opt_in(github_world, "sensitivity: high\n")  # a file without `enabled: true` keeps Tact off
    delivery = deliver_and_wait(github_app, payloads.review_comment("You broke the build again."))
    assert delivery.state == storage.SKIPPED


def test_the_installation_default_opts_in_repositories_without_a_file(github_app, github_world):
    with github_app.extensions["tact.db"].session() as session:
        storage.upsert_installation(session, payloads.INSTALLATION_ID, account_login="octo", account_type="User")
        session.flush()
        storage.set_installation_default(session, payloads.INSTALLATION_ID, True)
    deliver_and_wait(github_app, payloads.review_comment("You broke the build again."))
    assert len(github_world.check_runs) == 1


def test_a_disabled_category_is_not_flagged(github_app, github_world):
    opt_in(github_world, "enabled: true\ncategories:\n  blame: false\n")
    delivery = deliver_and_wait(github_app, payloads.review_comment("You broke the build again."))
    assert delivery.state == storage.DONE and github_world.check_runs == []


def test_a_disabled_rule_is_not_flagged(github_app, github_world):
    opt_in(github_world, "enabled: true\nrules:\n  disabled: [you-broke]\n")
    deliver_and_wait(github_app, payloads.review_comment("You broke the build again."))
    assert github_world.check_runs == []
