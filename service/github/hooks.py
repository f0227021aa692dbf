"""The app's webhook deliveries as GitHub recorded them, and asking GitHub to deliver one again.

Docs "Automatically redelivering failed deliveries for a GitHub App webhook": list with
`GET /app/hook/deliveries` (app JWT, newest first, paginated by a `cursor` in the Link header),
then `POST /app/hook/deliveries/{id}/attempts` (202) for a delivery that never succeeded; the
redelivery keeps its GUID. PyGithub has no wrapper for these, so the raw requester is used.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from github import Auth, GithubIntegration

from service.github.client import AppCredentials
from service.github.retry import API_VERSION, RetryPolicy, call

_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


@dataclass(frozen=True)
class HookDelivery:
    """One attempt GitHub made to deliver a webhook (a redelivery is a new attempt, same guid)."""

    id: int
    guid: str
    delivered_at: datetime  # naive UTC, like storage's times
    status: str  # "OK" when Tact answered 2XX, else GitHub's description of the failure
    status_code: int
    redelivery: bool
    event: str
    action: str | None


def _integration(creds: AppCredentials) -> GithubIntegration:
    return GithubIntegration(auth=Auth.AppAuth(creds.app_id, creds.private_key), base_url=creds.api_url,
                             retry=None, api_version=API_VERSION, seconds_between_requests=None,
                             seconds_between_writes=None)


def hook_deliveries(creds: AppCredentials, since: datetime, policy: RetryPolicy | None = None
                    ) -> Iterator[HookDelivery]:
    """Every attempt from now back to `since` (naive UTC), following the cursor page by page."""
    policy = policy or RetryPolicy()
    gi = _integration(creds)
    try:
        cursor: str | None = None
        while True:
            params = {"per_page": 100} | ({"cursor": cursor} if cursor else {})
            headers, data = call(lambda p=params: gi.requester.requestJsonAndCheck(
                "GET", "/app/hook/deliveries", parameters=p), policy)
            for item in data or []:
                delivery = _delivery(item)
                if delivery.delivered_at < since:
                    return
                yield delivery
            cursor = _next_cursor(headers.get("link", ""))
            if not cursor or not data:
                return
    finally:
        gi.close()


def redeliver(creds: AppCredentials, delivery_id: int, policy: RetryPolicy | None = None) -> None:
    """Ask GitHub to send this delivery again (202). Not idempotent: a lost answer is not replayed."""
    gi = _integration(creds)
    try:
        call(lambda: gi.requester.requestJsonAndCheck("POST", f"/app/hook/deliveries/{delivery_id}/attempts"),
             policy or RetryPolicy(), idempotent=False)
    finally:
        gi.close()


def _next_cursor(link: str) -> str | None:
    found = _NEXT.search(link)
    if not found:
        return None
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(found.group(1)).query)
    return (query.get("cursor") or [None])[0]


def _delivery(item: dict) -> HookDelivery:
    when = datetime.fromisoformat(item["delivered_at"].replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)
    return HookDelivery(id=int(item["id"]), guid=item["guid"], delivered_at=when, status=item.get("status") or "",
                        status_code=int(item.get("status_code") or 0), redelivery=bool(item.get("redelivery")),
                        event=item.get("event") or "", action=item.get("action"))


REDELIVERY_WINDOW = timedelta(days=3)  # Docs "Redelivering webhooks": the past 3 days on github.com


@dataclass
class Recovery:
    seen: int = 0  # distinct GUIDs GitHub listed
    stored: int = 0  # ... that Tact has
    redelivered: list[str] = field(default_factory=list)  # GUIDs GitHub was asked to send again
    too_old: list[str] = field(default_factory=list)  # lost, but outside GitHub's window


def recover(creds: AppCredentials, stored: Callable[[list[str]], set[str]], *, since_seconds: float,
            dry_run: bool = False, policy: RetryPolicy | None = None) -> Recovery:
    """Ask GitHub again for each webhook it failed to deliver and Tact never stored.

    GitHub never redelivers a failed webhook by itself (Docs "Handling failed webhook deliveries").
    A GUID with no 2XX attempt and no row in Tact (`stored` says which GUIDs have one) was lost on
    the way; a redelivery keeps its GUID, so one that arrives twice is still stored once.
    """
    now = datetime.now(UTC).replace(tzinfo=None)
    latest: dict[str, HookDelivery] = {}
    succeeded: set[str] = set()
    for attempt in hook_deliveries(creds, now - timedelta(seconds=since_seconds), policy):
        if 200 <= attempt.status_code < 300:
            succeeded.add(attempt.guid)
        if attempt.guid not in latest or attempt.delivered_at > latest[attempt.guid].delivered_at:
            latest[attempt.guid] = attempt
    have = stored(list(latest))
    result = Recovery(seen=len(latest), stored=len(have))
    for guid, attempt in sorted(latest.items(), key=lambda item: item[1].delivered_at):
        if guid in have or guid in succeeded:
            continue
        if now - attempt.delivered_at > REDELIVERY_WINDOW:
            result.too_old.append(guid)
            continue
        if not dry_run:
            redeliver(creds, attempt.id, policy)
        result.redelivered.append(guid)
    return result
