"""Backfill on opt-in, end to end: a push opts the repository in, the worker reads its history from the
fake GitHub (paginated, rate-limited), keeps what it would have flagged, and publishes nothing for
closed pull requests."""

from service import storage
from tests import payloads
from tests.conftest import opt_in
from tests.delivery_helpers import deliver_and_wait

DAY = 86_400
TASK = "tact.backfill_repository"


def _history(fake) -> None:
    """PR 7 (open, from github_world), PR 3 closed five days ago, PR 2 closed two months ago."""
    state, now = fake.state, fake.state.clock.now()
    state.repos[payloads.REPO].pulls[7].updated_at = now
    state.add_comment(payloads.REPO, 7, "review", "Did you even run the tests?", created_at=now - DAY)
    state.add_pull_request(payloads.REPO, 3, "c" * 40, state="closed", updated_at=now - 5 * DAY)
    state.add_comment(payloads.REPO, 3, "review_comment", "You broke the build again.", path="a.py", line=2,
                      created_at=now - 5 * DAY)
    state.add_comment(payloads.REPO, 3, "issue_comment", "Thanks, this reads well.", created_at=now - 5 * DAY)
    state.add_pull_request(payloads.REPO, 2, "d" * 40, state="closed", updated_at=now - 60 * DAY)
    state.add_comment(payloads.REPO, 2, "review", "This is pointless, nobody cares.", created_at=now - 60 * DAY)


def _backfill(app) -> storage.Backfill:
    with app.extensions["tact.db"].session() as session:
        row = session.query(storage.Backfill).one()
        session.expunge(row)
        return row


def _finish(app) -> None:
    """The opt-in's delivery sends the backfill task as it ends: wait for that one too."""
    assert app.extensions["tact.queue"].join(timeout=60)


def test_opting_in_in_preview_reads_the_last_30_days_and_publishes_nothing(github_app, github_world):
    _history(github_world)
    opt_in(github_world, "enabled: true\nmode: preview\n")
    delivery = deliver_and_wait(github_app, payloads.push())
    assert "reading back its history" in delivery.reason
    _finish(github_app)
    row = _backfill(github_app)
    assert (row.state, row.days, row.comments_read, row.findings) == ("done", 30, 3, 2)
    assert github_world.check_runs == []
    assert github_world.requests_to("GET", r"/pulls/2/(comments|reviews)") == []  # older than the window
    with github_app.extensions["tact.db"].session() as session:
        flagged = storage.would_have_flagged(session, payloads.REPO_ID, row.since)
        assert sorted(f.rule for _, f in flagged) == ["did-you-even", "you-broke"]
        assert all(c.backfilled for c, _ in flagged)
        days = {c.pull_number: (storage.utcnow() - c.created_at).days for c, _ in flagged}
        assert days == {7: 1, 3: 5}  # kept on the day they were written, so the trend starts from day one


def test_in_notice_only_the_open_pull_request_gets_a_check_run(github_app, github_world):
    _history(github_world)
    opt_in(github_world)
    deliver_and_wait(github_app, payloads.push())
    _finish(github_app)
    assert {run.head_sha for run in github_world.check_runs} == {payloads.HEAD_SHA}
    assert github_world.requests_to("POST", r"/check-runs") != []
    assert github_world.requests_to("GET", r"/pulls/3$") == []  # closed: never even asked about


def test_a_rate_limit_pauses_the_backfill_and_it_resumes_where_it_stopped(github_app, github_world):
    _history(github_world)
    opt_in(github_world, "enabled: true\nmode: preview\n")
    github_world.fail_next("GET", r"/pulls/3/reviews$", status=403, headers={"retry-after": "120"},
                           message="You have exceeded a secondary rate limit. Please wait a few minutes "
                                   "before you try again.")
    deliver_and_wait(github_app, payloads.push())
    _finish(github_app)
    paused = _backfill(github_app)
    assert paused.state == "paused" and "wait 120 s" in paused.reason
    assert paused.cursor["pulls"] == [[3, "closed"]] and paused.comments_read == 1
    with github_app.extensions["tact.db"].session() as session:  # two minutes pass
        session.query(storage.Backfill).update({"paused_until": storage.utcnow()})
    github_app.extensions["tact.queue"].send(TASK, [payloads.REPO_ID])  # as a restarted worker's sweeper does
    _finish(github_app)
    done = _backfill(github_app)
    assert (done.state, done.comments_read, done.findings) == ("done", 3, 2)
    assert len(github_world.requests_to("GET", r"/repos/[^/]+/[^/]+/pulls$")) == 1  # the list was not reread
    assert len(github_world.requests_to("GET", r"/pulls/7/comments$")) == 1


def test_a_long_pull_request_is_read_page_by_page(github_app, github_world):
    state, now = github_world.state, github_world.state.clock.now()
    for i in range(101):
        body = "You broke the build again." if i == 100 else f"Thanks for note {i}."
        state.add_comment(payloads.REPO, 7, "issue_comment", body, created_at=now - DAY)
    opt_in(github_world, "enabled: true\nmode: preview\n")
    deliver_and_wait(github_app, payloads.push())
    _finish(github_app)
    row = _backfill(github_app)
    assert (row.state, row.comments_read, row.findings) == ("done", 101, 1)
    pages = github_world.requests_to("GET", r"/issues/7/comments$")
    assert [r.query.get("page", "1") for r in pages] == ["1", "2"]


def test_a_second_opt_in_does_not_read_history_again(github_app, github_world):
    opt_in(github_world, "enabled: true\nmode: preview\n")
    deliver_and_wait(github_app, payloads.push())
    _finish(github_app)
    delivery = deliver_and_wait(github_app, payloads.push())
    assert "reading back" not in delivery.reason


def test_moving_from_preview_to_notice_publishes_the_open_pull_request_only(github_app, github_world):
    """The walkthrough in docs/configuration.md: preview, read back, judge, then notice."""
    _history(github_world)
    opt_in(github_world, "enabled: true\nmode: preview\n")
    deliver_and_wait(github_app, payloads.push())
    _finish(github_app)
    assert github_world.check_runs == []
    opt_in(github_world, "enabled: true\nmode: notice\n")
    delivery = deliver_and_wait(github_app, payloads.push())
    assert "mode notice: 2 pull request(s) with findings brought up to date" in delivery.reason
    [run] = github_world.check_runs
    assert run.head_sha == payloads.HEAD_SHA and "[review]" in run.output.summary
    assert github_world.state.runs_for(payloads.REPO, "c" * 40) == []  # PR 3 is closed


def test_a_repository_that_is_not_opted_in_has_nothing_read(github_app, github_world):
    _history(github_world)
    deliver_and_wait(github_app, payloads.push())  # known, but no settings file
    with github_app.extensions["tact.db"].session() as session:
        storage.start_backfill(session, payloads.REPO_ID, 30)
    github_app.extensions["tact.queue"].send(TASK, [payloads.REPO_ID])
    _finish(github_app)
    row = _backfill(github_app)
    assert row.state == "failed" and "not switched on" in row.reason
    assert github_world.requests_to("GET", r"/pulls") == []
