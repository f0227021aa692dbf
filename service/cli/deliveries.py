"""`tact deliveries` shows what became of recent webhooks and retries failed ones; `tact replay` sends one."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path

import click
import requests
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from service import github, storage
from service.cli.ops import load_config
from service.config import Config, redact_url
from service.queue import BrokerUnavailable

DEFAULT_URL = "http://127.0.0.1:8000/webhooks/github"
PROCESS_TASK = "tact.process_delivery"
# A retry run inside this command (embedded mode, no Redis) gets this long before we stop waiting.
IN_PROCESS_WAIT_SECONDS = 300


@click.group("deliveries", invoke_without_command=True)
@click.option("--state", type=click.Choice(storage.DELIVERY_STATES), help="Only deliveries in this state.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--retry", "retry_id", type=int, metavar="ID",
              help="Reset a failed delivery to received and send it to a worker again.")
@click.pass_context
def deliveries_command(ctx: click.Context, state: str | None, limit: int, retry_id: int | None) -> None:
    """List recent webhook deliveries, newest first: what arrived, and what became of it."""
    if ctx.invoked_subcommand is not None:
        return
    config = load_config()
    if retry_id is not None:
        _retry(config, retry_id)
        return
    db = storage.Database(config.database_url)
    try:
        with db.session() as session:
            rows = [_row(d) for d in storage.recent_deliveries(session, limit=limit, state=state)]
    except OperationalError as exc:
        raise click.ClickException(f"cannot read deliveries from {redact_url(config.database_url)} "
                                   f"({type(exc.orig).__name__}); is the database up and migrated?") from exc
    finally:
        db.dispose()
    if not rows:
        click.echo(f"no {state} deliveries" if state else "no deliveries yet")
        return
    click.echo(_table([("ID", "GUID", "EVENT", "ACTION", "STATE", "ATTEMPTS", "REASON", "AGE"), *rows]))


@deliveries_command.command("recover")
@click.option("--since", "since", default="2h", show_default=True, metavar="AGE",
              help="How far back to look in GitHub's delivery log: 90m, 2h, 3d (GitHub keeps 3 days).")
@click.option("--dry-run", is_flag=True, help="List what would be redelivered; ask GitHub for nothing.")
def recover_command(since: str, dry_run: bool) -> None:
    """Ask GitHub to redeliver webhooks it failed to deliver and Tact never stored."""
    seconds = parse_age(since)
    config = load_config()
    if not config.github_app_configured:
        raise click.ClickException("recover needs the GitHub App's credentials (GITHUB_APP_ID and "
                                   "GITHUB_PRIVATE_KEY): GitHub's delivery log is read as the app")
    db = storage.Database(config.database_url)
    try:
        with db.session() as session:
            result = github.recover(app_credentials(config), lambda guids: storage.stored_guids(session, guids),
                                    since_seconds=seconds, dry_run=dry_run)
    except OperationalError as exc:
        raise click.ClickException(f"cannot read deliveries from {redact_url(config.database_url)} "
                                   f"({type(exc.orig).__name__}); is the database up and migrated?") from exc
    finally:
        db.dispose()
    verb = "would ask" if dry_run else "asked"
    click.echo(f"GitHub listed {result.seen} deliveries since {since} ago; Tact has {result.stored}; "
               f"{verb} GitHub to redeliver {len(result.redelivered)}")
    for guid in result.redelivered:
        click.echo(f"  {guid}")
    if result.too_old:
        click.echo(f"{len(result.too_old)} lost deliveries are older than GitHub's 3-day window and cannot "
                   f"be redelivered", err=True)


def app_credentials(config: Config) -> github.AppCredentials:
    return github.AppCredentials(app_id=config.github_app_id, private_key=config.github_private_key,
                                 api_url=config.github_api_url)


def parse_age(text: str) -> float:
    """Seconds in "90m", "2h", "3d" or "45s"."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    value, unit = text.strip()[:-1], text.strip()[-1:].lower()
    if unit not in units or not value.replace(".", "", 1).isdigit() or float(value) <= 0:
        raise click.BadParameter(f"{text!r} is not an age like 90m, 2h or 3d", param_hint="--since")
    return float(value) * units[unit]


def _row(d: storage.Delivery) -> tuple[str, ...]:
    reason = (d.reason or "").replace("\n", " ")
    return (str(d.id), d.guid, d.event, d.action or "-", d.state, str(d.attempts),
            (reason[:47] + "...") if len(reason) > 50 else reason or "-", _age(d.received_at))


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
                     for row in rows)


def _age(when: datetime, now: datetime | None = None) -> str:
    seconds = max(0, int(((now or storage.utcnow()) - when).total_seconds()))
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _retry(config: Config, delivery_id: int) -> None:
    """Reset, then send through the app's one queue, exactly as the webhook view does."""
    from service.app import close_app, create_app

    app = create_app()
    try:
        _reset_and_send(app.extensions["tact.db"], app.extensions["tact.queue"], delivery_id)
    finally:
        close_app(app)  # its database, broker and Redis connections and its task thread


def _reset_and_send(db: storage.Database, queue, delivery_id: int) -> None:
    with db.session() as session:
        reset_failed_delivery(session, delivery_id)
    if queue.describe == "in-process":
        # No broker: run the task here and wait, since this process's worker thread ends with it.
        queue.send(PROCESS_TASK, [delivery_id])
        queue.join(IN_PROCESS_WAIT_SECONDS)
        with db.session() as session:
            state = session.get(storage.Delivery, delivery_id).state
        click.echo(f"delivery {delivery_id} retried in this process: now {state}")
        return
    try:
        queue.send(PROCESS_TASK, [delivery_id])
    except BrokerUnavailable as exc:
        click.echo(f"delivery {delivery_id} reset to received, but the broker is unavailable "
                   f"({type(exc).__name__}); `tact beat` will send it once Redis is back", err=True)
        raise SystemExit(1) from exc
    click.echo(f"delivery {delivery_id} reset to received and sent to the workers")


def reset_failed_delivery(session: Session, delivery_id: int) -> storage.Delivery:
    """failed -> received, keeping the old reason for the record; refuse any other state.

    A compare-and-set UPDATE, so a delivery a worker is retrying on its own is never sent twice.
    """
    delivery = session.get(storage.Delivery, delivery_id)
    if delivery is None:
        raise click.ClickException(f"no delivery with id {delivery_id} (see `tact deliveries`)")
    if delivery.state != storage.FAILED:
        raise click.ClickException(f"delivery {delivery_id} is {delivery.state}; only failed deliveries "
                                   f"can be retried")
    if not storage.retry_failed_delivery(session, delivery_id):
        raise click.ClickException(f"delivery {delivery_id} changed state meanwhile; look again")
    return delivery


@click.command("replay")
@click.argument("payload", metavar="PAYLOAD.json",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--event", required=True, help="The X-GitHub-Event to send, e.g. pull_request_review_comment.")
@click.option("--url", default=DEFAULT_URL, show_default=True, help="The receiver to send to.")
@click.option("--secret", default=None, help="Signing secret (default: GITHUB_WEBHOOK_SECRET).")
@click.option("--guid", default=None, help="Reuse a delivery GUID, as GitHub's \"Redeliver\" does.")
def replay_command(payload: Path, event: str, url: str, secret: str | None, guid: str | None) -> None:
    """Sign a payload file as GitHub would and POST it to a running Tact (for local development)."""
    from service.web.webhooks import ACCEPTED_EVENTS, signature_for

    secret = secret or Config.from_env().github_webhook_secret
    if not secret:
        raise click.ClickException("no signing secret: set GITHUB_WEBHOOK_SECRET (as the server has it) "
                                   "or pass --secret")
    body = _read_payload(payload)
    if event not in ACCEPTED_EVENTS:
        click.echo(f"note: Tact does not handle {event!r} events; expect 204", err=True)
    headers = {"Content-Type": "application/json", "User-Agent": "tact-replay",
               "X-GitHub-Event": event, "X-GitHub-Delivery": guid or str(uuid.uuid4()),
               "X-Hub-Signature-256": signature_for(secret, body)}
    try:
        response = requests.post(url, data=body, headers=headers, timeout=(5, 30))
    except requests.ConnectionError as exc:
        raise click.ClickException(f"could not connect to {url}; is `tact serve` running there?") from exc
    except requests.Timeout as exc:
        raise click.ClickException(f"{url} did not answer within 30 s") from exc
    except requests.RequestException as exc:  # a malformed URL, mostly
        raise click.ClickException(f"cannot send to {url!r}: {exc}") from exc
    click.echo(f"{response.status_code} {response.reason}  delivery {headers['X-GitHub-Delivery']}")
    if response.text:
        click.echo(response.text.rstrip())
    if not response.ok:
        raise SystemExit(1)


def _read_payload(path: Path) -> bytes:
    """The file's exact bytes (they are what gets signed), after checking they are a JSON object."""
    body = path.read_bytes()
    try:
        parsed = json.loads(body)
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"{path}: not valid JSON: {exc.msg} (line {exc.lineno}, "
                                   f"column {exc.colno})") from exc
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{path}: not UTF-8 text") from exc
    if not isinstance(parsed, dict):
        raise click.ClickException(f"{path}: a webhook payload is a JSON object, not {type(parsed).__name__}")
    return body
