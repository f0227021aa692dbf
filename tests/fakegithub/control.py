"""The handle tests hold: start the fake on a free port, inject failures, declare expectations, verify.

Like Probot's nock: a call to an endpoint the fake does not implement, a call a test forbade, or an
expected call never made fails the test when `verify()` runs at fixture teardown.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.fakegithub.state import CheckRun, State


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: object
    status: int | None = None
    unimplemented: bool = False
    at: float = field(default_factory=time.time)  # when the request arrived (wall clock)
    installation_id: int | None = None  # whose installation token it carried, if any

    @property
    def api_version(self) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == "x-github-api-version"), None)

    @property
    def is_write(self) -> bool:
        """GitHub's "mutating" requests (Docs "Best practices for using the REST API")."""
        return self.method in ("POST", "PATCH", "PUT", "DELETE")


@dataclass
class FailRule:
    method: str
    path: re.Pattern
    status: int
    headers: dict[str, str]
    message: str | None
    times: int
    applied: bool  # the request takes effect, but the client sees the failure (a lost response)


@dataclass
class Expectation:
    method: str
    path: re.Pattern
    times: int
    made: list[RecordedRequest] = field(default_factory=list)


def _new_key() -> tuple[str, object]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return pem, key.public_key()


class FakeGitHub:
    """A live fake GitHub on 127.0.0.1; one per session, its state reset for each test."""

    app_id = 4242
    client_id = "Iv23liFakeTactClient"
    client_secret = "fake-client-secret"
    slug = "tact"

    def __init__(self) -> None:
        self.private_key_pem, self.public_key = _new_key()
        self.lock = threading.RLock()
        self.state = State()
        self.requests: list[RecordedRequest] = []
        self._failures: list[FailRule] = []
        self._delays: list[list] = []  # [method, compiled path, seconds, times left]
        self.waiting: list[tuple[str, str]] = []  # delayed requests, recorded as their wait begins
        self._expectations: list[Expectation] = []
        self._server = None
        self.url = ""
        self.hook_url = ""  # where the app's webhook deliveries go (tests point it at Tact)
        self.hook_secret = ""
        self.min_write_gap: float | None = None  # verify() fails on two writes of one installation closer

    # -- lifecycle ----------
    def start(self, port: int = 0) -> FakeGitHub:
        from tests.fakegithub.server import create_app

        self._server = make_server("127.0.0.1", port, _Serialized(create_app(self), self), threaded=True,
                                   request_handler=_Quiet)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, name="fake-github", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server = None

    def reset(self) -> None:
        """Forget everything a test did: world, requests, failures, expectations."""
        with self.lock:
            self.state = State()
            self.requests = []
            self._failures = []
            self._delays = []
            self.waiting = []
            self._expectations = []
            self.hook_url, self.hook_secret, self.min_write_gap = "", "", None

    # -- what tests read ----------
    @property
    def check_runs(self) -> list[CheckRun]:
        return self.state.check_runs

    def writes_by_installation(self) -> dict[int, list[RecordedRequest]]:
        """Every mutating request made with an installation token, per installation, in arrival order."""
        found: dict[int, list[RecordedRequest]] = {}
        for r in list(self.requests):
            if r.is_write and r.installation_id is not None:
                found.setdefault(r.installation_id, []).append(r)
        return found

    def closest_writes(self) -> float | None:
        """The shortest gap in seconds between two writes of one installation (None: fewer than two)."""
        gaps = [b.at - a.at for writes in self.writes_by_installation().values()
                for a, b in zip(writes, writes[1:], strict=False)]
        return min(gaps) if gaps else None

    def deliver(self, event: str, payload: dict, guid: str):
        """Send a webhook to `hook_url` as GitHub does, logging the attempt in /app/hook/deliveries."""
        from tests.fakegithub.routes_hooks import send_delivery

        return send_delivery(self, event, payload, guid)

    def requests_to(self, method: str, path_regex: str) -> list[RecordedRequest]:
        pattern = re.compile(path_regex)
        return [r for r in self.requests if r.method == method and pattern.search(r.path)]

    # -- what tests arrange ----------
    def fail_next(self, method: str, path_regex: str, status: int = 502, headers: dict | None = None,
                  times: int = 1, message: str | None = None, applied: bool = False) -> None:
        """Answer the next `times` matching requests with `status` (GitHub's wording by default)."""
        self._failures.append(FailRule(method.upper(), re.compile(path_regex), status,
                                       {k.lower(): str(v) for k, v in (headers or {}).items()},
                                       message, times, applied))

    def clear_failures(self) -> None:
        """GitHub is well again: forget every failure still pending (ends a `fail_next(times=many)`)."""
        with self.lock:
            self._failures = []

    def delay_next(self, method: str, path_regex: str, seconds: float, times: int = 1) -> None:
        """Answer the next `times` matching requests only after `seconds` (a slow GitHub)."""
        with self.lock:
            self._delays.append([method.upper(), re.compile(path_regex), seconds, times])

    def take_delay(self, method: str, path: str) -> float:
        with self.lock:
            for rule in self._delays:
                if rule[3] > 0 and rule[0] == method and rule[1].search(path):
                    rule[3] -= 1
                    self.waiting.append((method, path))
                    return rule[2]
        return 0.0

    def expect(self, method: str, path_regex: str, times: int = 1) -> None:
        """Require exactly `times` matching requests by the end of the test (0 forbids them)."""
        self._expectations.append(Expectation(method.upper(), re.compile(path_regex), times))

    def forbid(self, method: str, path_regex: str) -> None:
        self.expect(method, path_regex, times=0)

    def verify(self) -> None:
        """Raise AssertionError listing unimplemented calls and unmet expectations."""
        problems = [f"unimplemented endpoint: {r.method} {r.path}" for r in self.requests if r.unimplemented]
        problems += [f"no X-GitHub-Api-Version on {r.method} {r.path}" for r in self.requests
                     if _is_api(r.path) and not r.api_version]
        gap = self.closest_writes()
        if self.min_write_gap is not None and gap is not None and gap < self.min_write_gap:
            problems.append(f"two writes of one installation {gap:.3f} s apart (at least {self.min_write_gap} s)")
        for exp in self._expectations:
            made = self.requests_to(exp.method, exp.path.pattern)
            if len(made) != exp.times:
                problems.append(f"expected {exp.times} x {exp.method} {exp.path.pattern}, got {len(made)}")
        if problems:
            raise AssertionError("fake GitHub: " + "; ".join(problems))

    # -- used by the server ----------
    def take_failure(self, method: str, path: str) -> FailRule | None:
        for rule in self._failures:
            if rule.times > 0 and rule.method == method and rule.path.search(path):
                rule.times -= 1
                return rule
        return None


class _Serialized:
    """WSGI wrapper: one request at a time touches the state, however many connections are open."""

    def __init__(self, app, hub) -> None:
        self.app, self.hub = app, hub

    def __call__(self, environ, start_response):
        # A slow answer waits outside the lock, so other requests are not held up behind it.
        time.sleep(self.hub.take_delay(environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")))
        with self.hub.lock:
            return list(self.app(environ, start_response))


class _Quiet(WSGIRequestHandler):
    """No access log on stderr: the fake's own `requests` list is the log tests read."""

    def log_request(self, *args, **kwargs) -> None:
        pass


# GitHub's website (sign-in, the app-manifest pages, the fake's own PR pages) takes no API version.
_API_PREFIXES = ("/app", "/repos/", "/installation", "/user", "/orgs/", "/users/")


def _is_api(path: str) -> bool:
    return path.startswith(_API_PREFIXES) and not path.startswith("/apps/")
