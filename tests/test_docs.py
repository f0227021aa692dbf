"""Every shell command in the README, CONTRIBUTING.md, docs/ and examples/ is run here or exempt with a reason.

The commands run in document order against a temporary instance (a live Tact on a free port with
its own SQLite file): `tact` in-process through click, `curl` as an HTTP GET, `python3 -c` as a
subprocess. Addresses of the default instance (127.0.0.1:8000) point at the temporary one. A
command nobody has classified fails the test, so a new line in the docs cannot go unchecked.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from service.app import close_app
from service.cli import main
from service.storage import migrate

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", ROOT / "examples" / "README.md",
             *sorted((ROOT / "docs").glob("*.md"))]
DEFAULT = "http://127.0.0.1:8000"
SECRET = "dev-secret"
VARIABLES = ("GITHUB_APP_ID", "GITHUB_PRIVATE_KEY", "GITHUB_PRIVATE_KEY_PATH", "GITHUB_API_URL", "GITHUB_URL",
             "GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET", "REDIS_URL", "TACT_PUBLIC_URL", "TACT_SPACY_MODEL",
             "TACT_RETENTION_DAYS", "TACT_MAX_WEBHOOK_BYTES")

# Command prefixes that are not run, and why (each names what does run instead, where something does).
EXEMPT = {
    ("make", "run"): "serves until stopped; tests/test_registration.py starts the same `tact serve`, and "
                     "`tact db upgrade` runs here",
    ("make", "test"): "is this suite; .ci/run runs it",
    ("make", "setup"): "this suite runs inside the .venv it makes",
    ("make", "eval"): "analyzes the whole test corpus; tests/analysis/test_corpus_floors.py measures the same",
    ("make", "bench"): "load by design, minutes long; bench/ prints figures when run by hand",
    ("make", "model"): "trains for minutes and rewrites the model; tests/analysis/test_learned.py checks the stored "
                       "model was trained on the rows it names",
    (".ci/run",): "is CI itself",
    ("sudo",): "changes the machine as root (.ci/run installs what CI needs)",
    ("cd", "/srv/tact"): "the server layout of docs/deploy-server.md, with a `tact` system user",
    ("git",): "needs a clone and the network",
    ("npx", "smee-client"): "needs smee.io",
    ("gh",): "needs real GitHub",
    (".venv/bin/python", "-m", "pytest"): "would run this suite inside itself",
    (".venv/bin/python", "tests/corpus/build.py", "reviews"): "rewrites the corpus splits; the --check form runs",
    (".venv/bin/tact", "eval"): "analyzes the whole dev corpus (slow); tests/analysis/test_cli_analysis.py runs "
                                "tact eval on a small file",
    (".venv/bin/python", "-m", "tests.fakegithub"): "serves until stopped; tests/e2e/test_walkthrough.py walks "
                                                     "the same path with the same fake",
    (".venv/bin/tact", "replay", "delivery.json"): "needs a payload copied from GitHub's Recent deliveries; the "
                                                   "examples/ replays run",
}
# A doctor run against a bare temporary instance finds problems (no GitHub App): it must still answer.
MAY_FIND_PROBLEMS = {"doctor", "deliveries"}


def commands() -> list[tuple[str, list[str]]]:
    """(where, words) for every command line of every ```sh block, continuation lines joined, comments dropped."""
    found = []
    for doc in DOCUMENTS:
        for block in re.findall(r"```sh\n(.*?)```", doc.read_text(), re.S):
            for line in block.replace("\\\n", " ").splitlines():
                words = shlex.split(line, comments=True)
                if words:
                    found.append((f"{doc.relative_to(ROOT)}: {' '.join(words)}", words))
    return found


def exemption(words: list[str]) -> str | None:
    for prefix, reason in EXEMPT.items():
        if tuple(words[:len(prefix)]) == prefix:
            return reason
    return None


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """A temporary Tact: migrated SQLite, in-process tasks, served on a free loopback port."""
    from service.app import create_app

    monkeypatch.chdir(ROOT)  # the docs name files relative to the repository (examples/, tests/corpus/)
    url = f"sqlite:///{tmp_path / 'docs.sqlite3'}"
    migrate.upgrade(url)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "GITHUB_WEBHOOK_SECRET": SECRET,
                      "SECRET_KEY": "docs-test-secret-key-0123"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    env = dict.fromkeys(VARIABLES) | {"DATABASE_URL": url, "GITHUB_WEBHOOK_SECRET": SECRET,
                                      "TACT_ENV_FILE": str(tmp_path / "no.env"), "TACT_LOG_LEVEL": "WARNING"}
    yield f"http://127.0.0.1:{server.server_port}", env
    server.shutdown()
    server.server_close()
    close_app(app)


def run(words: list[str], base: str, env: dict, runner) -> None:
    words = [w.replace(DEFAULT, base) for w in words]
    program, args = words[0], words[1:]
    if program == "export":
        name, _, value = args[0].partition("=")
        env[name] = value
    elif program == "curl":
        assert requests.get(args[-1], timeout=10).status_code == 200
    elif program in ("python3", ".venv/bin/python"):
        subprocess.run([sys.executable, *args], check=True, capture_output=True, timeout=60, cwd=ROOT)
    elif program == ".venv/bin/tact":
        _tact(args, base, env, runner)
    else:
        raise AssertionError(f"unclassified command {' '.join(words)!r}: run it here or add it to EXEMPT")


def _tact(args: list[str], base: str, env: dict, runner) -> None:
    target = None
    if ">" in args:  # `tact rules --markdown > docs/rules.md`: compare instead of overwriting
        args, target = args[:args.index(">")], ROOT / args[args.index(">") + 1]
    if args[0] == "replay" and "--url" not in args:
        args = [*args, "--url", f"{base}/webhooks/github"]
    result = runner.invoke(main, args, env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    allowed = (0, 1) if args[0] in MAY_FIND_PROBLEMS else (0,)
    assert result.exit_code in allowed, result.output
    if target is not None:
        assert result.stdout == target.read_text()


def test_every_documented_command_runs_or_is_exempt_with_a_reason(instance, runner):
    base, env = instance
    ran = 0
    for where, words in commands():
        if exemption(words) is None:
            try:
                run(words, base, env, runner)
            except Exception as exc:
                raise AssertionError(f"{where}: {exc}") from exc
            ran += 1
    assert ran >= 20, ran


def test_every_exemption_is_still_used():
    """An exemption whose command left the docs would let a new, unrelated command slip through."""
    used = {prefix for _, words in commands() for prefix in EXEMPT if tuple(words[:len(prefix)]) == prefix}
    assert used == set(EXEMPT)
