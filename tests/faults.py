"""The fault-test stack and its bookkeeping: real processes, webhooks sent through the fake GitHub, figures.

A scenario sends webhooks the way GitHub does (the fake's `deliver`, which logs each attempt in
the app's delivery log), breaks something while they are in flight, lifts the fault, and waits
until every delivery is processed and every pull request's latest check run shows every comment.
It counts sent against processed, duplicated check runs and annotations, what was lost, and the
seconds from the fault's end to the last publish. docs/reliability.md is built from these figures.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text

from service.storage import normalize_url
from tests import payloads
from tests.fakegithub.control import FakeGitHub

HARSH = ["You broke the build again.", "Did you even run the tests?", "Obviously this is wrong.",
         "Why didn't you just use a dict? Any beginner knows this."]
RESULTS: dict[str, dict] = {}  # scenario -> figures, in the order they ran
FIGURES = Path(__file__).resolve().parent.parent / "docs" / "reliability.json"
TARGET_SECONDS = 60.0
SCENARIOS = ("review-burst-30", "burst-10-prs", "worker-main-killed", "pool-child-killed", "redis-restarted-empty",
             "database-refused", "database-black-holed", "github-502", "github-403-secondary-retry-after",
             "github-403-secondary-no-retry-after", "github-429", "token-expired-mid-task", "repository-removed",
             "one-million-old-deliveries")


@dataclass
class World:
    """One scenario's installation, repository and pull requests in the fake GitHub."""

    name: str
    installation_id: int
    repo: str
    repo_id: int
    pulls: dict[int, str] = field(default_factory=dict)  # number -> head sha
    sent: list[tuple[str, int, int]] = field(default_factory=list)  # (guid, pull number, line)


def make_world(fake: FakeGitHub, name: str, index: int, pulls: int) -> World:
    world = World(name, 90_000 + index, f"octo/{name}", 8_000_000 + index)
    fake.state.add_installation(account="octo", id=world.installation_id)
    repo = fake.state.add_repository(world.repo, world.installation_id)
    repo.id = world.repo_id
    # Every finding must be countable in the final run, so no annotation limit cuts a 30-comment review.
    fake.state.add_file(world.repo, ".github/tact.yml", "enabled: true\nmax_notes: 100\n")
    for number in range(1, pulls + 1):
        sha = f"{index:08x}{number:032x}"
        fake.state.add_pull_request(world.repo, number, sha)
        world.pulls[number] = sha
    return world


def comment_deliveries(world: World, per_pull: int) -> list[tuple[str, dict, int, int]]:
    """(guid, payload, pull number, line): one harsh review comment per line, round robin over the PRs."""
    out = []
    for i in range(per_pull * len(world.pulls)):
        number = 1 + i % len(world.pulls)
        line = 10 + i // len(world.pulls)
        payload = payloads.review_comment(HARSH[i % len(HARSH)], pull_number=number, line=line, repo=world.repo,
                                          repo_id=world.repo_id, installation_id=world.installation_id,
                                          head_sha=world.pulls[number])
        out.append((f"{world.name}-{i}", payload, number, line))
    return out


def send(fake: FakeGitHub, world: World, batch: list[tuple[str, dict, int, int]], parallel: int = 4) -> None:
    """Deliver a batch as GitHub would, a few at once (GitHub sends concurrently too)."""
    lock = threading.Lock()
    items = list(batch)

    def worker():
        while True:
            with lock:
                if not items:
                    return
                guid, payload, number, line = items.pop(0)
                world.sent.append((guid, number, line))
            fake.deliver("pull_request_review_comment", payload, guid)

    threads = [threading.Thread(target=worker) for _ in range(parallel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


class Ledger:
    """Reads what Tact stored (PostgreSQL, directly) and what the fake GitHub shows."""

    def __init__(self, database_url: str) -> None:
        self.engine = create_engine(normalize_url(database_url), pool_pre_ping=True)

    def states(self, guids: list[str]) -> dict[str, str]:
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT guid, state FROM deliveries WHERE guid = ANY(:g)"), {"g": guids})
            return dict(rows.all())

    def claimants(self, world: World) -> list[str]:
        """The Celery task ids working for this world now: on a delivery, or publishing a pull request."""
        with self.engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT claimed_by FROM deliveries WHERE guid = ANY(:g) AND state = 'processing' "
                "AND claimed_by IS NOT NULL UNION ALL SELECT publish_claimed_by FROM pull_requests "
                "WHERE repository_id = :r AND publish_claimed_by IS NOT NULL"),
                {"g": [g for g, _, _ in world.sent], "r": world.repo_id})
            return list(rows.scalars())

    def reasons(self, guids: list[str]) -> dict[str, str]:
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT guid, state || ': ' || coalesce(reason, '') FROM deliveries "
                                     "WHERE guid = ANY(:g)"), {"g": guids})
            return dict(rows.all())

    def dispose(self) -> None:
        self.engine.dispose()


def latest_runs(fake: FakeGitHub, world: World) -> dict[int, object]:
    runs = {}
    for number, sha in world.pulls.items():
        mine = [r for r in fake.check_runs if r.repo == world.repo and r.head_sha == sha]
        if mine:
            runs[number] = mine[-1]
    return runs


def missing(fake: FakeGitHub, world: World, expect_runs: bool = True) -> list[tuple[int, int]]:
    """(pull, line) of every sent comment whose annotation the PR's latest completed run lacks."""
    if not expect_runs:
        return []
    runs = latest_runs(fake, world)
    gaps = []
    for _, number, line in world.sent:
        run = runs.get(number)
        lines = {a.start_line for a in run.annotations} if run is not None and run.status == "completed" else set()
        if line not in lines:
            gaps.append((number, line))
    return gaps


def settled(fake: FakeGitHub, ledger: Ledger, world: World, expect_runs: bool = True) -> bool:
    guids = [g for g, _, _ in world.sent]
    states = ledger.states(guids)
    finished = len(states) == len(guids) and all(s in ("done", "skipped") for s in states.values())
    return finished and not missing(fake, world, expect_runs)


def wait_settled(fake, ledger, world, since: float, expect_runs: bool = True, timeout: float = 75.0,
                 gone=lambda: None) -> float:
    """Seconds from `since` (the fault's end) until everything is processed and published.

    `gone()` names a process that should be running and is not (the worker): then nothing would
    ever settle, so the scenario fails at once with what it says.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (problem := gone()) is not None:
            raise AssertionError(problem)
        try:
            if settled(fake, ledger, world, expect_runs):
                return time.monotonic() - since
        except Exception:  # the database may still be away right after the fault
            pass
        time.sleep(0.2)
    return float("inf")


def figures(fake: FakeGitHub, ledger: Ledger, world: World, recovered: float, expect_runs: bool = True,
            note: str = "") -> dict:
    """The scenario's line in docs/reliability.md, plus the write counts the burst tests assert."""
    guids = [g for g, _, _ in world.sent]
    states = ledger.states(guids)
    processed = sum(1 for s in states.values() if s in ("done", "skipped"))
    runs = [r for r in fake.check_runs if r.repo == world.repo]
    same = Counter((r.head_sha, r.external_id) for r in runs)
    duplicate_runs = sum(n - 1 for n in same.values())
    duplicate_notes = 0
    for run in latest_runs(fake, world).values():
        seen = Counter((a.path, a.start_line, a.message) for a in run.annotations)
        duplicate_notes += sum(n - 1 for n in seen.values())
    writes = [r for r in fake.writes_by_installation().get(world.installation_id, []) if "/check-runs" in r.path]
    gaps = [b.at - a.at for a, b in zip(writes, writes[1:], strict=False)]
    return {
        "sent": len(guids), "processed": processed, "duplicated": duplicate_runs + duplicate_notes,
        "lost": len(guids) - processed + len(missing(fake, world, expect_runs)),
        "recover_seconds": round(recovered, 1), "check_run_writes": len(writes),
        "pull_requests": len(world.pulls), "closest_writes_seconds": round(min(gaps), 3) if gaps else None,
        "failed": sorted(g for g, s in states.items() if s == "failed"), "note": note,
    }


def record(name: str, result: dict) -> dict:
    RESULTS[name] = result
    return result


DOC = FIGURES.with_suffix(".md")
START, END = "<!-- figures: written by tests/test_faults.py, do not edit -->", "<!-- end of figures -->"


def write_figures(results: dict[str, dict], path: Path = FIGURES, doc: Path = DOC) -> None:
    """docs/reliability.json and the table in docs/reliability.md: what the last full fault run measured."""
    path.write_text(json.dumps(results, indent=2) + "\n")
    text = doc.read_text()
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    doc.write_text(f"{head}{START}\n{table(results)}\n{END}{tail}")


def embedded_table(doc: Path = DOC) -> str:
    return doc.read_text().partition(START)[2].partition(END)[0].strip()


@dataclass
class Row:
    scenario: str
    sent: int
    processed: int
    duplicated: int
    lost: int
    recover_seconds: float

    @classmethod
    def of(cls, name: str, result: dict) -> Row:
        return cls(name, result["sent"], result["processed"], result["duplicated"], result["lost"],
                   result["recover_seconds"])


def table(results: dict[str, dict]) -> str:
    """The Markdown table docs/reliability.md embeds between its markers."""
    lines = ["| scenario | sent | processed | duplicated | lost | seconds to recover |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, result in results.items():
        row = asdict(Row.of(name, result))
        lines.append("| {scenario} | {sent} | {processed} | {duplicated} | {lost} | {recover_seconds} |".format(**row))
    return "\n".join(lines)
