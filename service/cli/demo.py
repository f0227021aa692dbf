"""`tact demo`: fill the local database with a sample history, so the dashboard has something to show.

One installation (`acme`) with five repositories, fourteen weeks of review comments written for the
demo (``demo_comments.yml``), each analyzed by the real analyzer with its repository's settings,
some "Looks fine" verdicts, one repository whose `.github/tact.yml` has an error, and one that never
opted in. The history is written straight to storage; then one new pull request per repository goes
through the real pipeline (a delivery row, the `tact.process_delivery` task, the comment handler),
which without a GitHub App leaves the check-run preview on the repository's page. It is
deterministic (a fixed seed) and refuses to run twice on the same database.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import click
import yaml

from service import storage
from service.cli.ops import load_config
from service.config import Config

INSTALLATION_ID, ACCOUNT = 990_001, "acme"
AUTHORS = ("ada", "grace", "linus", "margaret", "ken", "barbara")
COMMENTS_FILE = Path(__file__).with_name("demo_comments.yml")


@dataclass(frozen=True)
class DemoRepository:
    id: int
    name: str
    tact_yml: str | None  # the repository's .github/tact.yml, or None for dashboard switches
    switches: dict | None  # dashboard switches where there is no file
    comments_per_week: tuple[int, int]  # none for a repository that never opted in


REPOSITORIES = (
    DemoRepository(990_101, "acme/api", "enabled: true\nsensitivity: medium\nstore_text: true\n", None, (6, 12)),
    DemoRepository(990_102, "acme/web", None, {"enabled": True, "sensitivity": "high"}, (4, 10)),
    DemoRepository(990_103, "acme/mobile", None, {"enabled": True, "sensitivity": "medium"}, (2, 6)),
    # A typo in the settings file: the dashboard and the check run show the error where people look.
    DemoRepository(990_104, "acme/docs", "enabled: true\nsensitivity: extreme\n", None, (0, 0)),
    DemoRepository(990_105, "acme/legacy", None, None, (0, 0)),
)


@click.command("demo")
@click.option("--weeks", default=14, show_default=True, type=click.IntRange(1, 104),
              help="How many weeks of history, ending this week.")
@click.option("--seed", default=13, show_default=True, help="The random seed (the same seed, the same history).")
def demo_command(weeks: int, seed: int) -> None:
    """Fill the database with a sample installation and months of analyzed review comments."""
    config = load_config()
    db = storage.Database(config.database_url)
    try:
        with db.session() as session:
            if storage.installations_by_ids(session, [INSTALLATION_ID]):
                raise click.ClickException(f"the demo installation '{ACCOUNT}' is already in this database")
            count = fill(session, config, weeks=weeks, rng=random.Random(seed))
    finally:
        db.dispose()
    click.echo(f"demo: {len(REPOSITORIES)} repositories of '{ACCOUNT}', {count} review comments over {weeks} weeks.")
    if config.github_app_configured:
        click.echo("demo: a GitHub App is configured, so no new pull request is sent through the pipeline "
                   "(its check run would go to GitHub, where these repositories do not exist).")
    else:
        click.echo(f"demo: {_through_the_pipeline(random.Random(seed))} new comments went through the pipeline; "
                   "their check runs are previews on the repository pages.")
    click.echo("Open the dashboard (`make run`) to explore them.")


def fill(session, config: Config, *, weeks: int, rng: random.Random) -> int:
    """Write the whole sample; returns how many comments were stored."""
    from service.settings import store

    texts = yaml.safe_load(COMMENTS_FILE.read_text(encoding="utf-8"))
    storage.upsert_installation(session, INSTALLATION_ID, account_login=ACCOUNT, account_type="Organization")
    count = 0
    for spec in REPOSITORIES:
        repo = storage.upsert_repository(session, spec.id, full_name=spec.name, installation_id=INSTALLATION_ID,
                                         default_branch="main")
        if spec.tact_yml is not None:
            sha = hashlib.sha1(spec.tact_yml.encode()).hexdigest()
            store.remember_files(repo, repository=(sha, spec.tact_yml), organization=None)
        elif spec.switches is not None:
            storage.save_dashboard_settings(session, spec.id, spec.switches)
        session.flush()
        result = store.stored_settings(session, repo)
        store.remember_result(repo, result)
        if result.settings.enabled and spec.comments_per_week[1]:
            count += _history(session, config, repo, result, weeks, rng, texts)
    return count


def _history(session, config, repo, result, weeks: int, rng: random.Random, texts: dict) -> int:
    """Weekly pull requests with comments; harsh ones grow rarer as the team gets used to the notes."""
    now = storage.utcnow()
    monday = (now - timedelta(days=now.weekday())).replace(hour=9, minute=0, second=0, microsecond=0)
    spec = next(s for s in REPOSITORIES if s.id == repo.id)
    analyzed: dict[str, list[dict]] = {}
    number, count = 100, 0
    for week in range(weeks - 1, -1, -1):
        harsh_share = 0.15 + 0.25 * week / max(weeks - 1, 1)
        for _ in range(rng.randint(1, 3)):
            number += 1
            pr_comments = rng.randint(*spec.comments_per_week) // 2 + 1
            times = sorted(_moment(monday - timedelta(weeks=week), now, rng) for _ in range(pr_comments))
            pr_url = f"https://github.com/{repo.full_name}/pull/{number}"
            storage.upsert_pull_request(session, repo.id, number, head_sha=_sha(repo.full_name, number),
                                        state="open" if week == 0 else "closed", html_url=pr_url,
                                        author=rng.choice(AUTHORS))
            for written in times:
                text = rng.choice(texts["harsh"] if rng.random() < harsh_share else texts["kind"])
                if text not in analyzed:
                    analyzed[text] = finding_rows(text, result.settings, config.spacy_model)
                count += 1
                _comment(session, repo, number, pr_url, written, text, analyzed[text], result.settings, rng)
            if rng.random() < 0.2:  # a reviewer judged this PR's notes fine
                storage.record_looks_fine(session, repo.id, number, rng.choice(AUTHORS), writer=True)  # the team
    return count


def _comment(session, repo, number, pr_url, written, text, rows, settings, rng) -> None:
    github_id = int(hashlib.sha1(f"{repo.id}-{number}-{written.isoformat()}".encode()).hexdigest()[:12], 16)
    comment = storage.upsert_comment(
        session, kind="review_comment", github_id=github_id, repository_id=repo.id, pull_number=number,
        author=rng.choice(AUTHORS), url=f"{pr_url}#discussion_r{github_id}", path=rng.choice(_PATHS),
        line=rng.randint(5, 240), start_line=None, deleted=False, created_at=written,
        body=text if settings.store_text else None)
    storage.replace_findings(session, comment, rows)
    comment.analyzed_at = written + timedelta(seconds=2)


def finding_rows(text: str, settings, model: str) -> list[dict]:
    """The analyzer with the repository's options; the excerpt kept only where store_text allows, as the worker does."""
    from service.analysis import engine
    from service.analysis.catalog import Options

    engine.load(model)
    options = Options(sensitivity=settings.sensitivity, disabled_categories=frozenset(settings.disabled_categories()),
                      disabled_rules=frozenset(settings.disabled_rules), model=model)
    return [{"rule": f.rule, "category": f.category, "severity": f.severity, "start": f.start, "end": f.end,
             "score": f.score, "message": f.message, "suggestion": f.suggestion,
             "excerpt": f.text if settings.store_text else None}
            for f in engine.analyze(text, options).findings]


def _through_the_pipeline(rng: random.Random) -> int:
    """A new pull request per active repository, its comments sent as webhook deliveries to the task queue."""
    from service.app import close_app, create_app

    app = create_app()
    db, queue = app.extensions["tact.db"], app.extensions["tact.queue"]
    texts = yaml.safe_load(COMMENTS_FILE.read_text(encoding="utf-8"))
    ids = []
    try:
        with db.session() as session:
            for spec in REPOSITORIES[:3]:
                number = 900 + spec.id % 100
                for body in (rng.choice(texts["harsh"]), rng.choice(texts["kind"]), rng.choice(texts["harsh"])):
                    payload = _review_comment(spec, number, body, rng)
                    delivery, _ = storage.record_delivery(
                        session, guid=str(uuid.uuid4()), event="pull_request_review_comment", action="created",
                        installation_id=INSTALLATION_ID, repository_id=spec.id, payload=payload)
                    session.flush()
                    ids.append(delivery.id)
        for delivery_id in ids:
            queue.send("tact.process_delivery", [delivery_id])
        if queue.describe == "in-process":
            queue.join(300)
    finally:
        close_app(app)
    return len(ids)


def _review_comment(spec: DemoRepository, number: int, body: str, rng: random.Random) -> dict:
    """The fields of GitHub's pull_request_review_comment payload that Tact reads."""
    github_id = rng.randint(10**9, 2 * 10**9)
    url = f"https://github.com/{spec.name}/pull/{number}"
    return {"action": "created", "installation": {"id": INSTALLATION_ID},
            "repository": {"id": spec.id, "full_name": spec.name, "default_branch": "main"},
            "pull_request": {"number": number, "html_url": url, "head": {"sha": _sha(spec.name, number)}},
            "comment": {"id": github_id, "body": body, "html_url": f"{url}#discussion_r{github_id}",
                        "path": rng.choice(_PATHS), "line": rng.randint(5, 240), "side": "RIGHT",
                        "user": {"login": rng.choice(AUTHORS), "type": "User"}}}


def _moment(week_start: datetime, now: datetime, rng: random.Random) -> datetime:
    """A working-hours moment in that week, never in the future."""
    moment = week_start + timedelta(days=rng.randint(0, 4), hours=rng.randint(0, 8), minutes=rng.randint(0, 59))
    return min(moment, now - timedelta(minutes=rng.randint(5, 600)))


def _sha(name: str, number: int) -> str:
    return hashlib.sha1(f"{name}#{number}".encode()).hexdigest()


_PATHS = ("src/app.py", "src/parser.py", "src/api/routes.py", "src/models.py", "tests/test_parser.py",
          "src/jobs/retry.py", "web/src/Chart.tsx", "docs/setup.md")
