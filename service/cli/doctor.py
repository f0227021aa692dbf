"""`tact doctor`: check a deployment end to end and say, one line per check, what is wrong and how to fix it.

Each check returns a Result and never raises for the trouble it is looking for: a doctor that
crashes on a missing Redis is no help. Checks that need an earlier one (the GitHub App for the
installations, the configuration for everything) are skipped, not failed, when it failed.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

import click

from service import github
from service.config import Config, ConfigError, redact_url

OK, PROBLEM, SKIPPED = "ok", "problem", "skipped"
BEAT_LATE_AFTER = 180  # seconds: three sweeps missed (beat sends one a minute)
LEVELS = {"read": 1, "write": 2, "admin": 3}


@dataclass
class Result:
    check: str
    status: str
    detail: str
    fix: str = ""


@dataclass
class Context:
    """What the checks share: the config, and what GitHub said about the app (for the installations)."""

    config: Config | None
    worker_timeout: float
    app: github.AppInfo | None = None
    notes: dict = field(default_factory=dict)


def check_config(ctx: Context) -> Result:
    try:
        ctx.config = Config.from_env().validate()
    except ConfigError as exc:
        ctx.config = None
        return Result("config", PROBLEM, "; ".join(exc.problems),
                      "correct these variables in the environment or .env (README: Configuration)")
    return Result("config", OK, f"valid (database {redact_url(ctx.config.database_url)}, "
                                f"tasks {'in-process' if ctx.config.uses_in_process_tasks else 'on Redis'})")


def check_app(ctx: Context) -> Result:
    config = ctx.config
    if not config.github_app_configured:
        return Result("github-app", PROBLEM, "no GitHub App configured (GITHUB_APP_ID and a private key)",
                      f"run `tact serve` and open {config.public_url.rstrip('/')}/setup to register one from app.yml")
    problem = github.key_problem(config.github_private_key)
    if problem:
        return Result("github-app", PROBLEM, problem,
                      "generate a new private key in the app's settings on GitHub and set GITHUB_PRIVATE_KEY_PATH")
    try:
        ctx.app = github.get_app(_creds(config))
    except github.BadCredentials as exc:
        return Result("github-app", PROBLEM, f"GitHub refused the app's token for App ID {config.github_app_id}: {exc}",
                      "set GITHUB_APP_ID to the App ID shown on the settings page of the app this key belongs to")
    except github.GitHubError as exc:
        return Result("github-app", PROBLEM, f"GET /app failed at {config.github_api_url}: {exc}",
                      "check GITHUB_API_URL and that this machine can reach GitHub")
    return Result("github-app", OK, f"{ctx.app.slug} (App ID {ctx.app.id}); the key matches")


def check_webhook_secret(ctx: Context) -> Result:
    if not ctx.config.github_webhook_secret:
        return Result("webhook-secret", PROBLEM, "GITHUB_WEBHOOK_SECRET is not set, so every delivery is refused",
                      "set it to the webhook secret in the app's settings on GitHub")
    return Result("webhook-secret", OK, "set")


def check_installations(ctx: Context) -> Result:
    if ctx.app is None:
        return Result("installations", SKIPPED, "needs a working GitHub App (see github-app)")
    from service.web.registration import load_manifest

    manifest = load_manifest(ctx.config.public_url)
    asked, events = manifest.get("default_permissions") or {}, set(manifest.get("default_events") or ())
    registered = _lacking(ctx.app.permissions, asked)
    if registered or events - set(ctx.app.events):
        missing = registered + sorted(events - set(ctx.app.events))
        return Result("installations", PROBLEM, f"the app on GitHub lacks what app.yml asks for: {', '.join(missing)}",
                      f"add them under Permissions & events at {ctx.app.html_url} (app settings)")
    try:
        found = github.list_app_installations(_creds(ctx.config))
    except github.GitHubError as exc:
        return Result("installations", PROBLEM, f"cannot list installations: {exc}", "see github-app")
    if not found:
        return Result("installations", PROBLEM, "the app is not installed on any account",
                      f"install it at {ctx.app.html_url.rstrip('/')}/installations/new")
    problems = [p for inst in found for p in _installation_problems(inst, asked, events)]
    if problems:
        return Result("installations", PROBLEM, "; ".join(problems),
                      "an owner of each account named accepts the new permissions under Settings > GitHub Apps")
    return Result("installations", OK, f"{len(found)} installed: {', '.join(i.account for i in found)}")


def _lacking(granted: dict[str, str], asked: dict[str, str]) -> list[str]:
    return [f"{name}: {level}" for name, level in sorted(asked.items())
            if LEVELS.get(granted.get(name, ""), 0) < LEVELS.get(level, 0)]


def _installation_problems(inst: github.InstallationInfo, asked: dict, events: set) -> list[str]:
    problems = []
    if inst.suspended:
        problems.append(f"{inst.account} has suspended the app")
    pending = _lacking(inst.permissions, asked) + sorted(events - set(inst.events))
    if pending:
        problems.append(f"{inst.account} has not accepted yet: {', '.join(pending)}")
    return problems


def check_database(ctx: Context) -> Result:
    from sqlalchemy.exc import SQLAlchemyError

    from service.storage import Database, migrate

    url = ctx.config.database_url
    if _missing_sqlite_file(url):  # connecting would create an empty file; say so instead
        return Result("database", PROBLEM, f"{redact_url(url)} does not exist yet", "run `tact db upgrade`")
    db = Database(url)
    try:
        db.ping()
        current, head = migrate.current(url), migrate.head()
    except SQLAlchemyError as exc:
        return Result("database", PROBLEM, f"cannot reach {redact_url(url)} ({type(exc.orig or exc).__name__})",
                      "start the database or correct DATABASE_URL")
    finally:
        db.dispose()
    if current != head:
        return Result("database", PROBLEM, f"schema at revision {current or 'none'}, code expects {head}",
                      "run `tact db upgrade`")
    return Result("database", OK, f"reachable, at revision {head}")


def _missing_sqlite_file(url: str) -> bool:
    from pathlib import Path

    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:") \
        and not Path(parsed.database).exists()


def check_redis(ctx: Context) -> Result:
    if ctx.config.uses_in_process_tasks:
        return Result("redis", OK, "not used: REDIS_URL is unset, so `tact serve` runs tasks itself")
    import redis

    client = redis.Redis.from_url(ctx.config.redis_url, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        return Result("redis", PROBLEM, f"cannot reach {redact_url(ctx.config.redis_url)} ({type(exc).__name__})",
                      "start Redis or correct REDIS_URL")
    finally:
        client.close()
    return Result("redis", OK, "reachable")


def check_worker(ctx: Context) -> Result:
    if ctx.config.uses_in_process_tasks:
        return Result("worker", OK, "in-process: `tact serve` runs tasks in a thread")
    from celery import Celery
    from celery.exceptions import TimeoutError as CeleryTimeout

    from service.queue import BrokerUnavailable, celery_settings, close_celery

    celery = Celery("tact-doctor", set_as_current=False)
    celery.conf.update(celery_settings(ctx.config))
    token = secrets.token_hex(4)
    try:
        answer = celery.send_task("tact.ping", args=[token]).get(timeout=ctx.worker_timeout)
    except CeleryTimeout:
        return Result("worker", PROBLEM, f"no worker answered a ping within {ctx.worker_timeout:g} s",
                      "start `tact worker` with the same REDIS_URL and DATABASE_URL, and read its log")
    except BrokerUnavailable as exc:
        return Result("worker", PROBLEM, f"cannot send a ping ({type(exc).__name__})", "see redis")
    finally:
        close_celery(celery)
    if answer != f"pong:{token}":
        return Result("worker", PROBLEM, f"a worker answered {answer!r}", "run the same Tact version everywhere")
    return Result("worker", OK, "a worker answered a ping")


def check_analyzer(ctx: Context) -> Result:
    from service.analysis import engine  # lazily: only this check needs spaCy

    model = ctx.config.spacy_model
    try:
        engine.load(model)
        flagged = engine.analyze("You broke the build again.").findings
    except Exception as exc:  # any failure here is what the check reports: the worker would stop at start
        return Result("analyzer", PROBLEM, f"cannot load {model!r}: {str(exc).splitlines()[0][:200]}",
                      "run `make setup` (it installs the pinned pipeline) or correct TACT_SPACY_MODEL")
    if not flagged:
        return Result("analyzer", PROBLEM, "the pipeline loads but flags nothing in a sentence every rule set flags",
                      "use an en_core_web_sm 3.8 build in TACT_SPACY_MODEL")
    return Result("analyzer", OK, f"{model} loads and the rules run")


def check_beat(ctx: Context) -> Result:
    if ctx.config.uses_in_process_tasks:
        return Result("beat", OK, "in-process: `tact serve` sweeps every minute itself")
    import redis

    from service.queue import SWEEP_MARK

    client = redis.Redis.from_url(ctx.config.redis_url, socket_timeout=2, socket_connect_timeout=2)
    try:
        raw = client.get(SWEEP_MARK)
    except redis.RedisError:
        return Result("beat", SKIPPED, "needs Redis (see redis)")
    finally:
        client.close()
    if raw is None:
        return Result("beat", PROBLEM, "the sweeper has not run in the last day",
                      "run exactly one `tact beat` next to the workers")
    age = time.time() - float(raw)
    if age > BEAT_LATE_AFTER:
        return Result("beat", PROBLEM, f"the sweeper last ran {age / 60:.0f} minutes ago",
                      "check that `tact beat` is running and a worker takes its tasks")
    return Result("beat", OK, f"the sweeper ran {age:.0f} s ago")


def check_public_url(ctx: Context) -> Result:
    url = ctx.config.public_url.rstrip("/")
    if _is_loopback(url):
        return Result("public-url", SKIPPED, f"{url} is this machine's own address; GitHub cannot reach it",
                      "set TACT_PUBLIC_URL to the address GitHub sends webhooks to")
    import requests

    try:
        status = requests.get(f"{url}/healthz", timeout=5).status_code
    except requests.RequestException as exc:
        return Result("public-url", PROBLEM, f"{url}/healthz did not answer ({type(exc).__name__})",
                      "check DNS, the reverse proxy and TLS in front of `tact serve`")
    if status != 200:
        return Result("public-url", PROBLEM, f"{url}/healthz answered {status}", "see database and redis above")
    return Result("public-url", OK, f"{url}/healthz answers 200")


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _creds(config: Config) -> github.AppCredentials:
    return github.AppCredentials(config.github_app_id, config.github_private_key, config.github_api_url,
                                 seconds_between_requests=0, seconds_between_writes=0)


CHECKS: dict[str, Callable[[Context], Result]] = {
    "config": check_config, "github-app": check_app, "webhook-secret": check_webhook_secret,
    "installations": check_installations, "database": check_database, "redis": check_redis,
    "worker": check_worker, "analyzer": check_analyzer, "beat": check_beat, "public-url": check_public_url,
}


def run_checks(names: list[str], worker_timeout: float) -> list[Result]:
    ctx = Context(config=None, worker_timeout=worker_timeout)
    results = [check_config(ctx)]
    for name, check in CHECKS.items():
        if name == "config" or (names and name not in names and not _needed(name, names)):
            continue
        if ctx.config is None:
            results.append(Result(name, SKIPPED, "needs a valid configuration (see config)"))
            continue
        result = check(ctx)
        if not names or name in names:
            results.append(result)
    return results


def _needed(name: str, names: list[str]) -> bool:
    return name == "github-app" and "installations" in names  # installations compare against the app


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print the results as a JSON list, for machines.")
@click.option("--check", "names", multiple=True, type=click.Choice(list(CHECKS)),
              help="Run only this check (repeatable); config always runs.")
@click.option("--worker-timeout", default=5.0, show_default=True, type=click.FloatRange(0.1, 60),
              help="Seconds to wait for a worker to answer the ping.")
def doctor_command(as_json: bool, names: tuple[str, ...], worker_timeout: float) -> None:
    """Check this deployment: config, the GitHub App and its installations, database, Redis, worker, analyzer,
    beat and the public address. Exits 1 when any check finds a problem."""
    results = run_checks(list(names), worker_timeout)
    if as_json:
        click.echo(json.dumps([asdict(r) for r in results], indent=2))
    else:
        width = max(len(r.check) for r in results)
        for r in results:
            fix = f"  -> {r.fix}" if r.fix and r.status != OK else ""
            click.echo(f"{r.status:<8} {r.check:<{width}}  {r.detail}{fix}")
    if any(r.status == PROBLEM for r in results):
        raise SystemExit(1)
