"""The fake GitHub's own contract: it rejects what GitHub rejects, with GitHub's status and wording."""

from __future__ import annotations

import base64
import hashlib
import time
import urllib.parse

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

REPO = "octo-org/hello"
SHA = "b" * 40


def app_jwt(fake, key: str | None = None, iat_offset: int = -60, lifetime: int = 360, iss=None) -> str:
    now = int(time.time())
    claims = {"iat": now + iat_offset, "exp": now + iat_offset + lifetime, "iss": str(iss or fake.app_id)}
    return jwt.encode(claims, key or fake.private_key_pem, algorithm="RS256")


def call(fake, method: str, path: str, token: str | None = None, headers: dict | None = None,
         **kwargs) -> requests.Response:
    headers = {"X-GitHub-Api-Version": "2022-11-28", **({"Authorization": f"token {token}"} if token else {}),
               **(headers or {})}
    return requests.request(method, fake.url + path, headers=headers, timeout=5, **kwargs)


def installation_token(fake, **body) -> str:
    inst = fake.state.installations.get(1) or fake.state.add_installation(id=1)
    answer = call(fake, "POST", f"/app/installations/{inst.id}/access_tokens", app_jwt(fake), json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["token"]


@pytest.fixture
def token(fake_github):
    fake_github.state.add_installation(id=1)
    fake_github.state.add_repository(REPO, 1)
    return installation_token(fake_github)


def note(**changes) -> dict:
    return {"path": "app.py", "start_line": 3, "end_line": 3, "annotation_level": "notice",
            "message": "May land badly.", **changes}


def create_run(fake, token: str, **changes) -> requests.Response:
    body = {"name": "Review tone", "head_sha": SHA, "output": {"title": "T", "summary": "S"}, **changes}
    return call(fake, "POST", f"/repos/{REPO}/check-runs", token, json=body)


def with_output(**output) -> dict:
    return {"output": {"title": "T", "summary": "S", **output}}


# -- app JWT and installation tokens ----------
def test_a_valid_app_jwt_reaches_the_app_endpoint(fake_github):
    assert call(fake_github, "GET", "/app", app_jwt(fake_github)).json()["id"] == fake_github.app_id


def other_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@pytest.mark.parametrize("jwt_args, message", [
    ({"key": "other"}, "A JSON web token could not be decoded"),
    ({"lifetime": 700}, "'Expiration time' claim ('exp') is too far in the future"),
    ({"iat_offset": -1000}, "'Expiration time' claim ('exp') must be a numeric value"),
    ({"iat_offset": 300}, "'Issued at' claim ('iat') must be an Integer"),
    ({"iss": 999}, "Integration not found"),
], ids=["wrong-key", "exp-too-far", "expired", "iat-in-future", "unknown-iss"])
def test_a_bad_app_jwt_gets_401_with_githubs_message(fake_github, jwt_args, message):
    if jwt_args.get("key") == "other":
        jwt_args = {"key": other_key()}
    answer = call(fake_github, "GET", "/app", app_jwt(fake_github, **jwt_args))
    assert answer.status_code == 401 and answer.json()["message"].startswith(message)


def test_an_installation_token_lasts_one_hour_and_starts_with_ghs(fake_github):
    fake_github.state.add_installation(id=1)
    answer = call(fake_github, "POST", "/app/installations/1/access_tokens", app_jwt(fake_github),
                  json={"permissions": {}})  # PyGithub always sends this body
    body = answer.json()
    expires = time.mktime(time.strptime(body["expires_at"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    assert answer.status_code == 201 and body["token"].startswith("ghs_")
    assert abs(expires - (time.time() + 3600)) < 5


def test_an_expired_installation_token_gets_bad_credentials(fake_github, token):
    fake_github.state.expire_installation_tokens()
    answer = call(fake_github, "GET", f"/repos/{REPO}", token)
    assert answer.status_code == 401 and answer.json()["message"] == "Bad credentials"


def test_a_token_narrowed_to_one_repository_cannot_see_another(fake_github, token):
    fake_github.state.add_repository("octo-org/other", 1)
    narrow = installation_token(fake_github, repositories=["other"])
    assert call(fake_github, "GET", f"/repos/{REPO}", narrow).status_code == 404
    assert call(fake_github, "GET", "/repos/octo-org/other", narrow).status_code == 200


def test_a_token_cannot_widen_the_installations_permissions(fake_github, token):
    answer = call(fake_github, "POST", "/app/installations/1/access_tokens", app_jwt(fake_github),
                  json={"permissions": {"administration": "write"}})
    assert answer.status_code == 422


def test_a_missing_permission_is_resource_not_accessible(fake_github):
    fake_github.state.add_installation(id=1, permissions={"checks": "write", "metadata": "read"})
    fake_github.state.add_repository(REPO, 1)
    fake_github.state.add_file(REPO, "a.txt", "x")
    answer = call(fake_github, "GET", f"/repos/{REPO}/contents/a.txt", installation_token(fake_github))
    assert answer.status_code == 403 and answer.json()["message"] == "Resource not accessible by integration"


def test_contents_come_base64_encoded_with_the_git_blob_sha(fake_github, token):
    fake_github.state.add_file(REPO, ".github/tact.yml", "enabled: true\n")
    body = call(fake_github, "GET", f"/repos/{REPO}/contents/.github/tact.yml", token).json()
    assert base64.b64decode(body["content"]) == b"enabled: true\n" and body["encoding"] == "base64"
    assert body["sha"] == hashlib.sha1(b"blob 14\0enabled: true\n").hexdigest()


# -- Checks API limits ----------
def test_fifty_one_annotations_get_githubs_422(fake_github, token):
    answer = create_run(fake_github, token, **with_output(annotations=[note()] * 51))
    assert answer.status_code == 422
    expected = "Invalid request.\n\nNo more than 50 items are allowed; 51 were supplied."
    assert answer.json()["message"] == expected


def test_fifty_annotations_are_accepted(fake_github, token):
    assert create_run(fake_github, token, **with_output(annotations=[note()] * 50)).status_code == 201


def test_a_summary_over_65535_characters_is_rejected(fake_github, token):
    answer = create_run(fake_github, token, **with_output(summary="x" * 65536))
    expected = "Invalid request.\n\nOnly 65535 characters are allowed; 65536 were supplied."
    assert answer.json()["message"] == expected


def test_a_summary_over_65535_bytes_is_rejected_even_under_the_character_limit(fake_github, token):
    answer = create_run(fake_github, token, **with_output(text="😀" * 20000))
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["message"] == "text exceeds a maximum bytesize of 65535"


@pytest.mark.parametrize("bad, expected", [
    ({"path": None}, '"path" wasn\'t supplied.'),
    ({"message": None, "annotation_level": None}, '"annotation_level", "message" weren\'t supplied.'),
    ({"annotation_level": "error"}, "is not a member of"),
], ids=["no-path", "no-level-no-message", "bad-level"])
def test_malformed_annotations_are_invalid_requests(fake_github, token, bad, expected):
    answer = create_run(fake_github, token, **with_output(annotations=[note(**bad)]))
    assert answer.status_code == 422 and expected in answer.json()["message"]


@pytest.mark.parametrize("bad", [
    {"start_line": 3, "end_line": 5, "start_column": 1, "end_column": 4},
    {"start_column": 0, "end_column": 4},
    {"start_column": 9, "end_column": 4},
    {"message": "x" * (64 * 1024 + 1)},
    {"title": "t" * 256},
], ids=["columns-across-lines", "column-zero", "columns-reversed", "message-over-64kb", "title-over-255"])
def test_annotations_github_cannot_place_fail_validation(fake_github, token, bad):
    body = create_run(fake_github, token, **with_output(annotations=[note(**bad)])).json()
    assert body["message"] == "Validation Failed"
    assert body["errors"] == [{"resource": "CheckRun", "code": "invalid", "field": "annotations"}]


@pytest.mark.parametrize("changes", [
    {"status": "completed"},
    {"status": "pending"},
    {"conclusion": "stale"},
    {"output": {"summary": "no title"}},
    {"head_sha": None},
    {"actions": [{"label": "l", "description": "d", "identifier": str(i)} for i in range(4)]},
    {"actions": [{"label": "A label that is too long", "description": "d", "identifier": "i"}]},
], ids=["completed-without-conclusion", "actions-only-status", "stale", "no-title", "no-sha", "four-actions",
        "long-label"])
def test_check_runs_github_refuses_get_422(fake_github, token, changes):
    assert create_run(fake_github, token, **changes).status_code == 422


def test_updates_append_annotations_and_replace_the_text(fake_github, token):
    run = create_run(fake_github, token, **with_output(annotations=[note(start_line=1, end_line=1)])).json()
    second = note(start_line=2, end_line=2)
    body = {"conclusion": "neutral", **with_output(summary="new", annotations=[second])}
    call(fake_github, "PATCH", f"/repos/{REPO}/check-runs/{run['id']}", token, json=body)
    listed = call(fake_github, "GET", f"/repos/{REPO}/check-runs/{run['id']}/annotations", token).json()
    stored = fake_github.check_runs[0]
    assert [a["start_line"] for a in listed] == [1, 2] and stored.output.summary == "new"
    assert (stored.status, stored.conclusion) == ("completed", "neutral")


def test_a_user_token_cannot_create_check_runs(fake_github, token):
    fake_github.state.add_user("mona", repos={REPO: True}, token="ghu_mona")
    assert create_run(fake_github, "ghu_mona").status_code == 403


@pytest.mark.parametrize(("role", "permission"), [("admin", "admin"), ("maintain", "write"), ("write", "write"),
                                                 ("triage", "read"), ("read", "read")])
def test_a_collaborators_permission_is_the_legacy_base_role_beside_the_role_name(fake_github, token, role,
                                                                                 permission):
    fake_github.state.add_user("mona", repos={REPO: role})
    answer = call(fake_github, "GET", f"/repos/{REPO}/collaborators/mona/permission", token)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["permission"], body["role_name"], body["user"]["login"]) == (permission, role, "mona")
    assert body["user"]["permissions"]["push"] is (permission in ("admin", "write"))


def test_someone_who_is_not_a_collaborator_gets_404(fake_github, token):
    fake_github.state.add_user("mona", repos={"elsewhere/site": "admin"})
    for login in ("mona", "nobody"):
        answer = call(fake_github, "GET", f"/repos/{REPO}/collaborators/{login}/permission", token)
        assert (answer.status_code, answer.json()["message"]) == (404, "Not Found"), login


def test_a_collaborators_permission_needs_a_token_of_the_repositorys_installation(fake_github, token):
    other = fake_github.state.add_installation(id=2)
    fake_github.state.add_repository("other-org/tools", other.id)
    fake_github.state.add_user("mona", repos={"other-org/tools": "write"})
    assert call(fake_github, "GET", "/repos/other-org/tools/collaborators/mona/permission", token).status_code == 404
    assert call(fake_github, "GET", f"/repos/{REPO}/collaborators/mona/permission").status_code == 401


def test_a_check_runs_html_url_shows_its_output_and_annotations_as_a_page(fake_github, token):
    body = {"output": {"title": "1 phrasing", "summary": "See `allow:` <script>x()</script>",
                       "annotations": [note(message="May <b>land</b> badly.", start_line=3, end_line=4)]},
            "conclusion": "neutral"}
    run = create_run(fake_github, token, **body).json()
    page = requests.get(run["html_url"], timeout=5)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "<code>allow:</code>" in page.text and "<script>" not in page.text  # Markdown, raw HTML dropped
    assert "app.py#L3-L4" in page.text and "May &lt;b&gt;land&lt;/b&gt; badly." in page.text
    assert "Check notice" in page.text  # GitHub's heading for an annotation without a title
    assert requests.get(f"{fake_github.url}/{REPO}/runs/999999", timeout=5).status_code == 404
    assert requests.get(f"{fake_github.url}/other/repo/runs/{run['id']}", timeout=5).status_code == 404


def test_listing_for_a_ref_shows_only_the_latest_run_of_each_name(fake_github, token):
    names = ("Review tone", "Review tone", "lint")
    ids = [create_run(fake_github, token, name=n).json()["id"] for n in names]
    latest = call(fake_github, "GET", f"/repos/{REPO}/commits/{SHA}/check-runs", token).json()
    every = call(fake_github, "GET", f"/repos/{REPO}/commits/{SHA}/check-runs?filter=all", token).json()
    assert sorted(r["id"] for r in latest["check_runs"]) == [ids[1], ids[2]] and every["total_count"] == 3


def test_pages_link_to_the_fakes_own_host_and_stop_at_100(fake_github, token):
    run = create_run(fake_github, token, **with_output(annotations=[note()] * 50)).json()
    for _ in range(2):
        call(fake_github, "PATCH", f"/repos/{REPO}/check-runs/{run['id']}", token,
             json=with_output(annotations=[note()] * 50))
    answer = call(fake_github, "GET", f"/repos/{REPO}/check-runs/{run['id']}/annotations?per_page=500", token)
    assert len(answer.json()) == 100
    assert answer.links["next"]["url"].startswith(fake_github.url + "/repos/")


# -- rate limits and injected failures ----------
def test_every_answer_carries_the_five_rate_limit_headers(fake_github, token):
    headers = call(fake_github, "GET", f"/repos/{REPO}", token).headers
    assert headers["x-ratelimit-limit"] == "5000" and headers["x-ratelimit-remaining"] == "4999"
    assert {"x-ratelimit-used", "x-ratelimit-reset", "x-ratelimit-resource"} <= set(headers)


def test_a_spent_budget_gets_the_primary_rate_limit_403(fake_github, token):
    fake_github.state.rate_limit = 1
    call(fake_github, "GET", f"/repos/{REPO}", token)
    answer = call(fake_github, "GET", f"/repos/{REPO}", token)
    assert answer.status_code == 403 and answer.json()["message"].startswith("API rate limit exceeded")
    assert answer.headers["x-ratelimit-remaining"] == "0"


@pytest.mark.parametrize("status, wording", [
    (502, "Server Error"), (403, "You have exceeded a secondary rate limit"), (429, "You have exceeded"),
])
def test_fail_next_answers_once_as_github_would_then_recovers(fake_github, token, status, wording):
    fake_github.fail_next("GET", rf"^/repos/{REPO}$", status=status, headers={"Retry-After": "7"})
    first, second = (call(fake_github, "GET", f"/repos/{REPO}", token) for _ in range(2))
    assert first.status_code == status and first.json()["message"].startswith(wording)
    assert first.headers["retry-after"] == "7" and second.status_code == 200


def test_an_applied_failure_takes_effect_but_answers_the_error(fake_github, token):
    fake_github.fail_next("POST", r"/check-runs$", status=502, applied=True)
    assert create_run(fake_github, token).status_code == 502 and len(fake_github.check_runs) == 1


# -- nock-style verification ----------
def test_an_unimplemented_endpoint_fails_verification(fake_github):
    call(fake_github, "DELETE", f"/repos/{REPO}")
    with pytest.raises(AssertionError, match="unimplemented endpoint: DELETE"):
        fake_github.verify()
    fake_github.reset()


def test_an_expected_call_never_made_fails_verification(fake_github):
    fake_github.expect("POST", r"/check-runs$")
    with pytest.raises(AssertionError, match="expected 1 x POST"):
        fake_github.verify()
    fake_github.reset()


def test_a_forbidden_call_fails_verification(fake_github, token):
    fake_github.forbid("POST", r"/check-runs$")
    create_run(fake_github, token)
    with pytest.raises(AssertionError, match="expected 0 x POST"):
        fake_github.verify()
    fake_github.reset()


# -- OAuth web flow and the user's view ----------
def authorize(fake, **extra) -> dict:
    params = {"client_id": fake.client_id, "redirect_uri": "http://tact.test/cb", "state": "xyz", **extra}
    url = "/login/oauth/authorize?" + urllib.parse.urlencode(params)
    answer = call(fake, "GET", url, allow_redirects=False)
    assert answer.status_code == 302
    query = urllib.parse.urlsplit(answer.headers["Location"]).query
    return {k: v[0] for k, v in urllib.parse.parse_qs(query).items()}


def exchange(fake, json_body: bool = True, **params) -> requests.Response:
    body = {"client_id": fake.client_id, "client_secret": fake.client_secret, **params}
    if json_body:
        accept = {"Accept": "application/json"}
        return call(fake, "POST", "/login/oauth/access_token", json=body, headers=accept)
    return call(fake, "POST", "/login/oauth/access_token", data=body)


def test_authorize_sends_back_a_code_and_the_same_state(fake_github):
    fake_github.state.add_user("mona")
    assert authorize(fake_github)["state"] == "xyz"


def test_a_code_works_once_and_errors_come_with_200(fake_github):
    fake_github.state.add_user("mona")
    code = authorize(fake_github)["code"]
    first, second = exchange(fake_github, code=code), exchange(fake_github, code=code)
    assert first.json()["access_token"].startswith("ghu_") and first.json()["expires_in"] == 28800
    assert second.status_code == 200 and second.json()["error"] == "bad_verification_code"


def test_a_code_expires_after_ten_minutes(fake_github):
    fake_github.state.add_user("mona")
    code = authorize(fake_github)["code"]
    fake_github.state.clock.advance(601)
    assert exchange(fake_github, code=code).json()["error"] == "bad_verification_code"


def test_wrong_client_secret_is_incorrect_client_credentials(fake_github):
    fake_github.state.add_user("mona")
    answer = exchange(fake_github, code=authorize(fake_github)["code"], client_secret="nope")
    assert answer.json()["error"] == "incorrect_client_credentials"


def test_without_json_accept_the_answer_is_form_encoded(fake_github):
    fake_github.state.add_user("mona")
    answer = exchange(fake_github, json_body=False, code=authorize(fake_github)["code"])
    assert urllib.parse.parse_qs(answer.text)["token_type"] == ["bearer"]


def test_pkce_needs_the_matching_verifier(fake_github):
    fake_github.state.add_user("mona")
    challenge = base64.urlsafe_b64encode(hashlib.sha256(b"verifier-123").digest()).rstrip(b"=").decode()
    code = authorize(fake_github, code_challenge=challenge, code_challenge_method="S256")["code"]
    assert exchange(fake_github, code=code, code_verifier="wrong").json()["error"] == "bad_verification_code"
    code = authorize(fake_github, code_challenge=challenge, code_challenge_method="S256")["code"]
    assert "access_token" in exchange(fake_github, code=code, code_verifier="verifier-123").json()


def test_refresh_rotates_both_tokens(fake_github):
    fake_github.state.add_user("mona")
    first = exchange(fake_github, code=authorize(fake_github)["code"]).json()
    second = exchange(fake_github, grant_type="refresh_token", refresh_token=first["refresh_token"]).json()
    assert call(fake_github, "GET", "/user", first["access_token"]).status_code == 401
    assert call(fake_github, "GET", "/user", second["access_token"]).json()["login"] == "mona"
    reused = exchange(fake_github, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert "error" in reused.json()


def test_a_user_sees_only_installations_and_repositories_shared_with_the_app(fake_github, token):
    fake_github.state.add_installation(id=2, account="elsewhere")
    fake_github.state.add_repository("octo-org/secret", 1)
    fake_github.state.add_user("mona", repos={REPO: True, "not/installed": True}, token="ghu_mona")
    installations = call(fake_github, "GET", "/user/installations", "ghu_mona").json()["installations"]
    repos = call(fake_github, "GET", "/user/installations/1/repositories", "ghu_mona").json()["repositories"]
    assert [i["id"] for i in installations] == [1]
    assert [(r["full_name"], r["permissions"]["admin"]) for r in repos] == [(REPO, True)]
    assert call(fake_github, "GET", "/user/installations/2/repositories", "ghu_mona").status_code == 404


def test_an_installation_token_cannot_act_as_a_user(fake_github, token):
    answer = call(fake_github, "GET", "/user", token)
    assert answer.status_code == 403 and answer.json()["message"] == "Resource not accessible by integration"


def test_a_delayed_answer_is_slow_once_and_then_fast(fake_github):
    import time


    fake_github.delay_next("GET", r"^/app$", seconds=0.6)
    started = time.monotonic()
    call(fake_github, "GET", "/app")
    slow = time.monotonic() - started
    started = time.monotonic()
    call(fake_github, "GET", "/app")
    assert slow >= 0.6 > time.monotonic() - started
