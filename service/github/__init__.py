"""Tact's one door to GitHub: app and user authentication, reads, check runs; returns our own dataclasses.

Only this package imports PyGithub (an import-linter contract says so). Callers write ``from service import
github`` and ``github.<name>``; they get frozen dataclasses and our errors: Unavailable (retry later, e.g.
Celery autoretry_for), RateLimited (retry after `retry_after`), NotFound, and GitHubError for everything else.
The modules split the work: client (installation client and reads), checks (check runs within GitHub's
limits), collaborators (a person's permission on a repository), apps (manifest registration, the app and
its installations), tokens (installation tokens and their cache), retry (errors and retry policy), user
(sign-in).
"""

from service.github.apps import AppInfo, InstallationInfo, RegisteredApp, convert_manifest, get_app, key_problem
from service.github.apps import list_installations as list_app_installations
from service.github.checks import (
    DETAILS_BYTES,
    MARKDOWN_BYTES,
    TITLE_CHARS,
    CheckRunOutput,
    CheckRunRef,
    clip,
    content_key,
    publish_check_run,
)
from service.github.client import (
    API_VERSION,
    DEFAULT_API_URL,
    AppCredentials,
    Client,
    FileBlob,
    PullComment,
    PullRequestInfo,
    RepositoryInfo,
    UserInfo,
    UserRepository,
    for_installation,
    get_pull_request,
    get_repository,
    list_pull_request_comments,
    read_file,
)
from service.github.collaborators import NO_ACCESS, Permission, collaborator_permission
from service.github.history import PastComment, PullSummary, comments_since, pull_requests_page
from service.github.hooks import HookDelivery, Recovery, hook_deliveries, recover, redeliver
from service.github.pacing import MemoryPacer, Pacer, RedisPacer
from service.github.retry import BadCredentials, GitHubError, NotFound, RateLimited, RetryPolicy, Unavailable
from service.github.tokens import MemoryTokenCache, RedisTokenCache, TokenCache
from service.github.user import DEFAULT_WEB_URL, authorize_url, exchange_code, get_user, user_repositories

__all__ = [
    "API_VERSION", "DEFAULT_API_URL", "DETAILS_BYTES", "MARKDOWN_BYTES", "TITLE_CHARS", "content_key",
    "AppInfo", "InstallationInfo", "RegisteredApp", "convert_manifest", "get_app", "key_problem",
    "list_app_installations", "HookDelivery", "MemoryPacer", "Pacer", "RedisPacer",
    "Recovery", "hook_deliveries", "recover", "redeliver",
    "AppCredentials", "BadCredentials", "CheckRunOutput", "CheckRunRef", "Client", "FileBlob", "GitHubError",
    "MemoryTokenCache", "NotFound", "PullComment", "PullRequestInfo", "RateLimited", "RedisTokenCache",
    "RepositoryInfo", "RetryPolicy", "TokenCache", "Unavailable", "UserInfo", "UserRepository",
    "PastComment", "PullSummary", "comments_since", "pull_requests_page",
    "NO_ACCESS", "Permission", "collaborator_permission",
    "authorize_url", "clip", "exchange_code", "for_installation", "get_pull_request", "get_repository", "get_user",
    "list_pull_request_comments", "publish_check_run", "read_file", "user_repositories", "DEFAULT_WEB_URL",
]
