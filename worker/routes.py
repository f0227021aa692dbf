"""ROUTES: (event, action) -> handler. The one screen that lists everything Tact reacts to."""

from __future__ import annotations

from collections.abc import Callable

from worker.context import Context
from worker.handlers import checks, comments, installations, pull_requests, pushes
from worker.outcome import Outcome

Handler = Callable[[dict, Context], Outcome]

ROUTES: dict[tuple[str, str | None], Handler] = {
    ("ping", None): lambda payload, ctx: Outcome.done("ping"),
    ("installation", "created"): installations.installation_created,
    ("installation", "deleted"): installations.installation_deleted,
    ("installation", "suspend"): installations.installation_suspended,
    ("installation", "unsuspend"): installations.installation_unsuspended,
    ("installation", "new_permissions_accepted"): installations.installation_created,
    ("installation_repositories", "added"): installations.repositories_changed,
    ("installation_repositories", "removed"): installations.repositories_changed,
    ("pull_request_review_comment", "created"): comments.review_comment_changed,
    ("pull_request_review_comment", "edited"): comments.review_comment_changed,
    ("pull_request_review_comment", "deleted"): comments.review_comment_changed,
    ("pull_request_review", "submitted"): comments.review_changed,
    ("pull_request_review", "edited"): comments.review_changed,
    ("pull_request_review", "dismissed"): comments.review_changed,
    ("issue_comment", "created"): comments.issue_comment_changed,
    ("issue_comment", "edited"): comments.issue_comment_changed,
    ("issue_comment", "deleted"): comments.issue_comment_changed,
    ("pull_request", "opened"): pull_requests.head_changed,
    ("pull_request", "reopened"): pull_requests.head_changed,
    ("pull_request", "synchronize"): pull_requests.head_changed,
    ("pull_request", "closed"): pull_requests.closed,
    ("check_run", "rerequested"): checks.rerun_requested,
    ("check_run", "requested_action"): checks.action_requested,
    ("check_suite", "requested"): checks.suite_requested,
    ("check_suite", "rerequested"): checks.rerun_requested,
    ("push", None): pushes.push,
}

EVENTS = frozenset(event for event, _ in ROUTES)
# Events about the installation itself, handled even after Tact was removed (a re-install, for one).
BOOKKEEPING = frozenset({"ping", "installation", "installation_repositories"})


def dispatch(event: str, action: str | None, payload: dict, ctx: Context) -> Outcome:
    handler = ROUTES.get((event, action)) or ROUTES.get((event, None))
    if handler is None:
        return Outcome.skipped(f"Tact does not act on {event}.{action}")
    if event not in BOOKKEEPING and (reason := installations.removed_reason(payload, ctx)):
        return Outcome.skipped(reason)
    return handler(payload, ctx)
