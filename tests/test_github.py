"""service.github against the fake GitHub over HTTP: tokens, reads, check runs, retries, sign-in."""

from __future__ import annotations

import time
import urllib.parse
import uuid

import pytest
import redis
import requests

from service import github

REPO = "octo-org/hello"
SHA = "a" * 40
FAST = github.RetryPolicy(attempts=3, backoff=0.01, rate_limit_budget=3.0)


def creds_for(fake) -> github.AppCredentials:
    return github.AppCredentials(fake.app_id, fake.private_key_pem, fake.url,
                                 seconds_between_requests=0, seconds_between_writes=0)


@pytest.fixture
def world(fake_github):
    inst = fake_github.state.add_installation()
    fake_github.state.add_repository(REPO, inst.id, default_branch="trunk")
    fake_github.state.add_pull_request(REPO, 7, SHA, author="mona")
    return inst


@pytest.fixture
def client(fake_github, world):
    gh = github.for_installation(creds_for(fake_github), world.id, github.MemoryTokenCache(), FAST)
    yield gh
    gh.close()


def notes(count: int, level: str = "notice") -> tuple[dict, ...]:
    return tuple({"path": "app.py", "start_line": i, "end_line": i, "annotation_level": level,
                  "message": f"finding {i}"} for i in range(1, count + 1))


def output(count: int = 1, **changes) -> github.CheckRunOutput:
    fields = dict(name="Review tone", title="2 comments may land badly", summary="Summary",
                  text=None, conclusion="neutral", annotations=notes(count))
    return github.CheckRunOutput(**{**fields, **changes})


# -- reads ----------
def test_read_file_returns_text_and_blob_sha_from_the_default_branch(fake_github, client):
    fake_github.state.add_file(REPO, ".github/tact.yml", "enabled: true\n")
    blob = github.read_file(client, REPO, ".github/tact.yml")
    assert (blob.path, blob.text) == (".github/tact.yml", "enabled: true\n")
    assert blob.sha == "d4ca94189e160a70677ece805ad0cadcaf7edfd5"  # git hash-object of that text


def test_read_file_at_a_ref_reads_that_ref(fake_github, client):
    fake_github.state.add_file(REPO, "a.txt", "old", ref="v1")
    fake_github.state.add_file(REPO, "a.txt", "new")
    assert github.read_file(client, REPO, "a.txt", ref="v1").text == "old"


def test_read_file_that_does_not_exist_returns_none(client):
    assert github.read_file(client, REPO, ".github/tact.yml") is None


def test_get_pull_request_returns_head_sha_author_and_default_branch(client):
    pull = github.get_pull_request(client, REPO, 7)
    assert (pull.number, pull.head_sha, pull.state, pull.author) == (7, SHA, "open", "mona")
    assert pull.base_default_branch == "trunk" and pull.html_url.endswith(f"/{REPO}/pull/7")


def test_missing_pull_request_raises_not_found(client):
    with pytest.raises(github.NotFound):
        github.get_pull_request(client, REPO, 99)


def test_pull_request_comments_of_all_three_kinds_are_listed(fake_github, client):
    add = fake_github.state.add_comment
    add(REPO, 7, "review_comment", "You broke it.", author="mona", path="app.py", line=12, start_line=10)
    add(REPO, 7, "review", None, author="mona")  # approved without a word: nothing to read
    add(REPO, 7, "review", "Looks wrong overall.", author="mona")
    add(REPO, 7, "issue_comment", "Deploy preview ready", author="netlify", bot=True)
    found = github.list_pull_request_comments(client, REPO, 7)
    assert [(c.kind, c.body, c.author, c.author_is_bot) for c in found] == [
        ("review_comment", "You broke it.", "mona", False), ("review", "Looks wrong overall.", "mona", False),
        ("issue_comment", "Deploy preview ready", "netlify", True)]
    assert (found[0].path, found[0].start_line, found[0].line) == ("app.py", 10, 12)
    assert not fake_github.requests_to("GET", r"/pulls/7$")  # lazy objects: three list calls, no PR fetch


def test_get_repository_returns_our_dataclass(client):
    info = github.get_repository(client, REPO)
    assert (info.full_name, info.default_branch, info.owner) == (REPO, "trunk", "octo-org")


def test_missing_permission_is_an_error_not_a_rate_limit(fake_github):
    inst = fake_github.state.add_installation(permissions={"checks": "write", "metadata": "read"})
    fake_github.state.add_repository(REPO, inst.id)
    gh = github.for_installation(creds_for(fake_github), inst.id, github.MemoryTokenCache(), FAST)
    with pytest.raises(github.GitHubError) as raised:
        github.read_file(gh, REPO, ".github/tact.yml")
    assert raised.value.status == 403 and not isinstance(raised.value, github.Unavailable)


# -- installation tokens ----------
def test_clients_sharing_a_cache_mint_one_token(fake_github, world):
    cache = github.MemoryTokenCache()
    for _ in range(2):
        github.get_repository(github.for_installation(creds_for(fake_github), world.id, cache, FAST), REPO)
    assert len(fake_github.requests_to("POST", r"/access_tokens$")) == 1


def test_expired_token_is_replaced_and_the_call_still_succeeds(fake_github, client):
    github.get_repository(client, REPO)
    fake_github.state.expire_installation_tokens()  # an hour passes on GitHub's side
    assert github.get_repository(client, REPO).full_name == REPO
    assert len(fake_github.requests_to("POST", r"/access_tokens$")) == 2


def test_token_within_five_minutes_of_expiry_is_not_reused(fake_github, world):
    fake_github.state.token_lifetime = 200
    cache = github.MemoryTokenCache()
    gh = github.for_installation(creds_for(fake_github), world.id, cache, FAST)
    github.get_repository(gh, REPO)
    github.get_repository(gh, REPO)
    assert len(fake_github.requests_to("POST", r"/access_tokens$")) == 2
    assert cache.get(gh.tokens.key) is None


@pytest.mark.services
def test_redis_cache_shares_one_token_between_worker_processes(fake_github, world):
    prefix = f"tact-test:{uuid.uuid4().hex}:"
    connections = [redis.Redis(host="127.0.0.1", port=6379, db=0) for _ in range(2)]
    try:
        for conn in connections:  # two connections stand for two worker processes
            gh = github.for_installation(creds_for(fake_github), world.id,
                                         github.RedisTokenCache(conn, prefix=prefix), FAST)
            github.get_repository(gh, REPO)
        [key] = connections[0].keys(prefix + "*")
        assert 3290 <= connections[0].ttl(key) <= 3300  # one hour minus the five-minute margin
        assert len(fake_github.requests_to("POST", r"/access_tokens$")) == 1
    finally:
        for key in connections[0].keys(prefix + "*"):
            connections[0].delete(key)
        for conn in connections:
            conn.close()


# -- check runs ----------
def test_120_annotations_go_out_as_one_create_and_two_appends(fake_github, client):
    ref = github.publish_check_run(client, REPO, SHA, output(120))
    sizes = [len(r.body["output"]["annotations"]) for r in fake_github.requests
             if r.method in ("POST", "PATCH") and "check-runs" in r.path]
    assert sizes == [50, 50, 20]
    [run] = fake_github.check_runs
    assert (run.id, run.status, run.conclusion, run.head_sha) == (ref.id, "completed", "neutral", SHA)
    assert [a.start_line for a in run.annotations] == list(range(1, 121))


def test_few_annotations_are_published_in_one_completed_create(fake_github, client):
    actions = ({"label": "Looks fine", "description": "Hide this suggestion", "identifier": "looks-fine"},)
    github.publish_check_run(client, REPO, SHA, output(3, actions=actions, text="Details"))
    [run] = fake_github.check_runs
    assert run.conclusion == "neutral" and run.output.text == "Details" and run.actions == list(actions)
    assert len(fake_github.requests_to("PATCH", r"check-runs")) == 0


def test_overlong_fields_are_cut_with_a_visible_note(fake_github, client):
    long_note = {**notes(1)[0], "message": "é" * 40000, "title": "t" * 300}
    github.publish_check_run(client, REPO, SHA, output(title="T" * 300, summary="😀" * 20000,
                                                       text="x" * 70000, annotations=(long_note,)))
    run = fake_github.check_runs[0]  # the fake answers 422 to anything over GitHub's limits
    assert len(run.output.title) == 255 and run.output.title.endswith("…(truncated)")
    assert len(run.output.summary.encode()) <= 65535 and run.output.summary.endswith("…(truncated)")
    assert len(run.output.text) <= 65535 and run.annotations[0].message.endswith("…(truncated)")


def test_publishing_the_same_output_twice_creates_one_run(fake_github, client):
    first = github.publish_check_run(client, REPO, SHA, output(60))
    second = github.publish_check_run(client, REPO, SHA, output(60))
    assert first == second and len(fake_github.check_runs) == 1


def test_a_new_external_id_publishes_a_fresh_run(fake_github, client):
    github.publish_check_run(client, REPO, SHA, output(2, external_id="delivery-1"))
    github.publish_check_run(client, REPO, SHA, output(2, external_id="delivery-2"))
    assert [r.external_id for r in fake_github.check_runs] == ["delivery-1", "delivery-2"]


def test_lost_create_response_does_not_create_a_second_run(fake_github, client):
    """GitHub created the run but the 502 hid it: a blind retry of the POST would duplicate it."""
    fake_github.fail_next("POST", r"/check-runs$", status=502, applied=True)
    ref = github.publish_check_run(client, REPO, SHA, output(70))
    [run] = fake_github.check_runs
    assert ref.id == run.id and len(run.annotations) == 70
    assert len(fake_github.requests_to("POST", r"/check-runs$")) == 1


def test_refused_create_is_sent_again_after_looking(fake_github, client):
    fake_github.fail_next("POST", r"/check-runs$", status=502)
    github.publish_check_run(client, REPO, SHA, output(2))
    assert len(fake_github.check_runs) == 1
    assert len(fake_github.requests_to("POST", r"/check-runs$")) == 2


def test_lost_append_response_does_not_duplicate_annotations(fake_github, client):
    fake_github.fail_next("PATCH", r"/check-runs/\d+$", status=502, applied=True)
    github.publish_check_run(client, REPO, SHA, output(75))
    assert [a.start_line for a in fake_github.check_runs[0].annotations] == list(range(1, 76))


def test_publish_resumes_a_run_a_crashed_attempt_left_unfinished(fake_github, client):
    fake_github.fail_next("PATCH", r"/check-runs/\d+$", status=502, times=FAST.attempts)
    with pytest.raises(github.Unavailable):
        github.publish_check_run(client, REPO, SHA, output(75))
    github.publish_check_run(client, REPO, SHA, output(75))  # the Celery retry
    [run] = fake_github.check_runs
    assert run.status == "completed" and len(run.annotations) == 75


# -- outages and rate limits ----------
def test_a_502_on_a_read_is_retried(fake_github, client):
    fake_github.fail_next("GET", r"/pulls/7$", status=502, times=2)
    assert github.get_pull_request(client, REPO, 7).head_sha == SHA


def test_a_lasting_outage_raises_unavailable(fake_github, client):
    fake_github.fail_next("GET", r"/pulls/7$", status=502, times=10)
    with pytest.raises(github.Unavailable) as raised:
        github.get_pull_request(client, REPO, 7)
    assert raised.value.status == 502 and not isinstance(raised.value, github.RateLimited)
    assert len(fake_github.requests_to("GET", r"/pulls/7$")) == FAST.attempts


@pytest.mark.parametrize("status", [403, 429])
def test_a_short_retry_after_is_waited_out_in_process(fake_github, client, status):
    fake_github.fail_next("POST", r"/check-runs$", status=status, headers={"retry-after": "1"})
    started = time.monotonic()
    github.publish_check_run(client, REPO, SHA, output(1))
    assert time.monotonic() - started >= 1 and len(fake_github.check_runs) == 1


def test_primary_limit_waits_until_the_reset_time(fake_github, client):
    reset = int(time.time()) + 1
    fake_github.fail_next("GET", r"/pulls/7$", status=403,
                          message="API rate limit exceeded for installation ID 1.",
                          headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)})
    assert github.get_pull_request(client, REPO, 7).number == 7
    assert time.time() >= reset


def test_a_long_retry_after_raises_rate_limited_for_celery(fake_github, client):
    fake_github.fail_next("GET", r"/pulls/7$", status=429, headers={"retry-after": "120"})
    with pytest.raises(github.RateLimited) as raised:
        github.get_pull_request(client, REPO, 7)
    assert raised.value.retry_after == 120
    assert len(fake_github.requests_to("GET", r"/pulls/7$")) == 1


def test_secondary_limit_without_retry_after_asks_for_a_minute(fake_github, client):
    fake_github.fail_next("GET", r"/pulls/7$", status=403)
    with pytest.raises(github.RateLimited) as raised:
        github.get_pull_request(client, REPO, 7)
    assert raised.value.retry_after == 60


# -- user sign-in ----------
@pytest.mark.parametrize("web", ["https://github.com", "https://ghe.example.com", "http://127.0.0.1:8765"])
def test_authorize_url_is_on_the_web_host_given(web):
    url = github.authorize_url("Iv1.abc", "s3cret-state", "https://tact.example/callback", web + "/")
    parts = urllib.parse.urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{web}/login/oauth/authorize"
    assert urllib.parse.parse_qs(parts.query) == {"client_id": ["Iv1.abc"], "state": ["s3cret-state"],
                                                  "redirect_uri": ["https://tact.example/callback"]}


@pytest.mark.parametrize(("role", "writes"), [("admin", True), ("maintain", True), ("write", True),
                                            ("triage", False), ("read", False)])
def test_write_access_is_write_maintain_or_admin(fake_github, client, role, writes):
    fake_github.state.add_user("mona", repos={REPO: role})
    found = github.collaborator_permission(client, REPO, "mona")
    assert (found.role_name, found.can_write) == (role, writes)


def test_someone_github_does_not_know_here_has_no_access(fake_github, client):
    fake_github.state.add_user("mona", repos={"elsewhere/site": "admin"})
    assert github.collaborator_permission(client, REPO, "mona") == github.NO_ACCESS
    assert not github.collaborator_permission(client, REPO, "ghost").can_write


def test_a_custom_role_counts_by_the_base_role_github_reports():
    assert github.Permission("write", "security-engineer").can_write
    assert not github.Permission("read", "docs-editor").can_write


def sign_in(fake, login: str) -> str:
    callback = "http://tact.test/auth/callback"
    url = github.authorize_url(fake.client_id, "st4te", callback, fake.url) + f"&login={login}"
    location = requests.get(url, allow_redirects=False, timeout=5).headers["Location"]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    assert query["state"] == ["st4te"]
    return github.exchange_code(fake.client_id, fake.client_secret, query["code"][0], fake.url)


def test_sign_in_yields_a_token_that_identifies_the_user(fake_github):
    user = fake_github.state.add_user("mona")
    assert github.get_user(sign_in(fake_github, "mona"), fake_github.url) == github.UserInfo(user.id, "mona")


def test_a_used_code_is_refused(fake_github):
    fake_github.state.add_user("mona")
    code = fake_github.state.issue_code("mona", None, None)
    github.exchange_code(fake_github.client_id, fake_github.client_secret, code, fake_github.url)
    with pytest.raises(github.GitHubError):
        github.exchange_code(fake_github.client_id, fake_github.client_secret, code, fake_github.url)


def test_user_repositories_are_what_both_user_and_app_reach(fake_github, world):
    other = fake_github.state.add_installation(account="other-org")
    fake_github.state.add_repository("other-org/tools", other.id)
    fake_github.state.add_repository("octo-org/private", world.id)
    fake_github.state.add_user("mona", repos={REPO: True, "other-org/tools": False, "not/installed": True},
                               token="ghu_mona")
    found = github.user_repositories("ghu_mona", fake_github.url)
    assert sorted((r.full_name, r.admin) for r in found) == [(REPO, True), ("other-org/tools", False)]
    assert {r.installation_id for r in found} == {world.id, other.id}


def test_an_unknown_user_token_is_bad_credentials(fake_github):
    with pytest.raises(github.BadCredentials):
        github.get_user("ghu_nobody", fake_github.url)
