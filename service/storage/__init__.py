"""Tables and the queries Tact makes: the only package that knows the database schema.

The same code runs on SQLite (the embedded default) and PostgreSQL (production). Callers use
``from service import storage`` and ``storage.<name>``; the modules below only split the work:
models, the engine, and one module for each thing kept: deliveries, repositories, comments, trends;
retention forgets what is past its time;
migrate runs the schema migrations in migrations/.
"""

from service.storage.comments import (
    comments_analyzed,
    current_findings,
    find_comment,
    mark_comment_deleted,
    pull_request_comments,
    record_looks_fine,
    replace_findings,
    upsert_comment,
)
from service.storage.database import (
    Database,
    make_engine,
    normalize_url,
)
from service.storage.deliveries import (
    claim_delivery,
    finish_delivery,
    recent_deliveries,
    record_delivery,
    release_delivery,
    reset_stuck_deliveries,
    retry_failed_delivery,
)
from service.storage.models import (
    DELIVERY_STATES,
    DONE,
    FAILED,
    PROCESSING,
    RECEIVED,
    SKIPPED,
    Base,
    Comment,
    Delivery,
    Feedback,
    Finding,
    Installation,
    PullRequest,
    Repository,
    utcnow,
)
from service.storage.repositories import (
    find_pull_request,
    forget_settings_of_owner,
    insert_missing,
    installation_of,
    installation_repository_ids,
    installations_by_ids,
    repositories_by_ids,
    repository_by_id,
    save_dashboard_settings,
    set_installation_default,
    upsert_installation,
    upsert_pull_request,
    upsert_repository,
)
from service.storage.retention import (
    Purged,
    purge_expired,
    purge_installation,
)
from service.storage.trends import (
    RuleCount,
    finding_counts_by_day,
    rule_counts,
)

__all__ = [
    "RECEIVED",
    "PROCESSING",
    "DONE",
    "SKIPPED",
    "FAILED",
    "DELIVERY_STATES",
    "utcnow",
    "Base",
    "Installation",
    "Repository",
    "Delivery",
    "PullRequest",
    "Comment",
    "Finding",
    "Feedback",
    "Database",
    "normalize_url",
    "make_engine",
    "record_delivery",
    "claim_delivery",
    "finish_delivery",
    "release_delivery",
    "retry_failed_delivery",
    "reset_stuck_deliveries",
    "recent_deliveries",
    "insert_missing",
    "upsert_installation",
    "installation_of",
    "upsert_repository",
    "upsert_pull_request",
    "find_pull_request",
    "upsert_comment",
    "find_comment",
    "pull_request_comments",
    "replace_findings",
    "mark_comment_deleted",
    "current_findings",
    "comments_analyzed",
    "forget_settings_of_owner",
    "record_looks_fine",
    "repository_by_id",
    "repositories_by_ids",
    "installations_by_ids",
    "installation_repository_ids",
    "save_dashboard_settings",
    "set_installation_default",
    "finding_counts_by_day",
    "RuleCount",
    "rule_counts",
    "Purged",
    "purge_expired",
    "purge_installation",
]
