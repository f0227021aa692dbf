"""The tables: installations, repositories, deliveries, pull requests, comments, findings, feedback, sign-ins.

Times are stored as naive UTC because SQLite has no time-zone type; ``utcnow()`` is the one clock.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

RECEIVED, PROCESSING, DONE, SKIPPED, FAILED = "received", "processing", "done", "skipped", "failed"
DELIVERY_STATES = (RECEIVED, PROCESSING, DONE, SKIPPED, FAILED)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Installation(Base):
    """A GitHub App installation on an account; ``default_enabled`` is the dashboard's installation-wide opt-in."""

    __tablename__ = "installations"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    account_login: Mapped[str] = mapped_column(String(255))
    account_type: Mapped[str] = mapped_column(String(32), default="User")
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    default_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Per-author figures on the dashboard: off unless an installation admin turns them on.
    author_figures: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Repository(Base):
    """A repository the app can see, with its settings cache (keyed by the tact.yml blob SHA)."""

    __tablename__ = "repositories"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    installation_id: Mapped[int | None] = mapped_column(ForeignKey("installations.id"), index=True)
    full_name: Mapped[str] = mapped_column(String(255), index=True)
    default_branch: Mapped[str | None] = mapped_column(String(255))
    installed: Mapped[bool] = mapped_column(Boolean, default=True)
    dashboard_settings: Mapped[dict | None] = mapped_column(JSON)
    last_valid_settings: Mapped[dict | None] = mapped_column(JSON)
    settings_sha: Mapped[str | None] = mapped_column(String(64))
    # The tact.yml texts last read from GitHub (repository and organization), so settings can be
    # re-resolved when a dashboard switch changes without another API call.
    settings_files: Mapped[dict | None] = mapped_column(JSON)
    settings_errors: Mapped[list | None] = mapped_column(JSON)
    settings_checked_at: Mapped[datetime | None] = mapped_column(DateTime)

    @property
    def has_settings_file(self) -> bool:
        """The worker records the blob SHA of `.github/tact.yml` when the default branch has one; then the
        file decides, and the dashboard's switches for this repository stay closed."""
        return self.settings_sha is not None


class Delivery(Base):
    """One POST from GitHub, kept before we answer so that nothing is lost if a worker or Redis fails."""

    __tablename__ = "deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guid: Mapped[str] = mapped_column(String(64), unique=True)
    event: Mapped[str] = mapped_column(String(64))
    action: Mapped[str | None] = mapped_column(String(64))
    installation_id: Mapped[int | None] = mapped_column(BigInteger)
    repository_id: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[dict] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default=RECEIVED, index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(64))  # the Celery task id working on it
    reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # processing: the claimant's lease, renewed by its heartbeat; past it, the worker is presumed dead.
    # received: the earliest time the sweeper re-sends it (a retry waiting out its backoff).
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class PullRequest(Base):
    __tablename__ = "pull_requests"
    __table_args__ = (UniqueConstraint("repository_id", "number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repository_id: Mapped[int] = mapped_column(BigInteger, index=True)
    number: Mapped[int] = mapped_column(Integer)
    head_sha: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="open")
    html_url: Mapped[str | None] = mapped_column(String(512))
    author: Mapped[str | None] = mapped_column(String(255))
    check_run_id: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    # One writer per pull request: every change bumps `publish_wanted`; the writer holding the lease
    # publishes the stored state and records the version it showed in `publish_done`.
    publish_wanted: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    publish_done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    publish_wanted_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    publish_lease_until: Mapped[datetime | None] = mapped_column(DateTime)
    publish_claimed_by: Mapped[str | None] = mapped_column(String(64))
    publish_run_key: Mapped[str | None] = mapped_column(String(64))  # a Re-run's delivery: a fresh run


class Comment(Base):
    """A review comment, a review body or a PR conversation comment (``kind`` says which)."""

    __tablename__ = "comments"
    __table_args__ = (UniqueConstraint("kind", "github_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    github_id: Mapped[int] = mapped_column(BigInteger)
    repository_id: Mapped[int] = mapped_column(BigInteger, index=True)
    pull_number: Mapped[int] = mapped_column(Integer)
    author: Mapped[str | None] = mapped_column(String(255))
    url: Mapped[str | None] = mapped_column(String(512))
    path: Mapped[str | None] = mapped_column(String(1024))
    line: Mapped[int | None] = mapped_column(Integer)
    start_line: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str | None] = mapped_column(Text)  # kept only when the repository's store_text allows it
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    analyzed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The writer marked it deliberate with `<!-- tact: ignore -->`: not analyzed, counted apart.
    ignored: Mapped[bool] = mapped_column(Boolean, default=False)
    # When its last note went away (edited into kinder words, or deleted); the summary says so.
    cleared_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Read from history when the repository opted in, rather than from a webhook.
    backfilled: Mapped[bool] = mapped_column(Boolean, default=False)
    findings: Mapped[list[Finding]] = relationship(back_populates="comment", cascade="all, delete-orphan")


class Finding(Base):
    __tablename__ = "findings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    rule: Mapped[str] = mapped_column(String(128))
    category: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    message: Mapped[str] = mapped_column(Text)
    suggestion: Mapped[str] = mapped_column(Text)
    excerpt: Mapped[str | None] = mapped_column(Text)  # only with store_text
    # The rule's matched words (a few words, capped), so a note can give the exact `allow:` line.
    phrase: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    comment: Mapped[Comment] = relationship(back_populates="findings")


class Feedback(Base):
    """A reviewer's "Looks fine" on a finding; the dashboard's precision figure comes from these, and the
    marks of people with write access propose allowing a phrase or switching a rule off."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("comment_id", "rule"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repository_id: Mapped[int] = mapped_column(BigInteger, index=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(128))
    category: Mapped[str] = mapped_column(String(64))
    login: Mapped[str | None] = mapped_column(String(255))
    # Whether `login` had write access (write, maintain, admin) when marking, as GitHub said then: only
    # such marks propose a change of settings. None: recorded before Tact asked, so unknown.
    writer: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    verdict: Mapped[str] = mapped_column(String(32), default="looks_fine")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CheckRunPreview(Base):
    """The check run Tact would have published on a pull request, kept when it has no GitHub App to publish with.

    One row per pull request, replaced at each publish, as the real check run is: it always shows the
    PR's current state. Local mode and `tact replay` show it on the repository's dashboard page.
    """

    __tablename__ = "check_run_previews"
    __table_args__ = (UniqueConstraint("repository_id", "pull_number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repository_id: Mapped[int] = mapped_column(BigInteger, index=True)
    pull_number: Mapped[int] = mapped_column(Integer)
    head_sha: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(255))
    summary: Mapped[str] = mapped_column(Text)
    conclusion: Mapped[str] = mapped_column(String(32))
    annotations: Mapped[list] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
class SignIn(Base):
    """A signed-in dashboard browser, kept here so that signing out ends it for every copy of the cookie.

    The cookie carries only a random key; ``id`` is that key's SHA-256, so a copy of this table opens
    no session. ``token`` is the GitHub user token, encrypted by the web layer before it gets here.
    ``repositories`` is GitHub's answer about the user's repositories, cached for a few minutes.
    """

    __tablename__ = "sign_ins"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    login: Mapped[str] = mapped_column(String(255))
    token: Mapped[str] = mapped_column(Text)
    repositories: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class Backfill(Base):
    """Reading a repository's recent history once it opts in; the cursor makes it resumable after a restart.

    ``cursor`` is {"stage": ..., "page": n, "pulls": [numbers still to read reviews of]}; a rate limit
    sets ``paused_until`` and the task comes back then, rather than failing.
    """

    __tablename__ = "backfills"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repository_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    state: Mapped[str] = mapped_column(String(16), default="queued")  # queued|running|paused|done|failed
    days: Mapped[int] = mapped_column(Integer, default=30)
    since: Mapped[datetime] = mapped_column(DateTime)
    cursor: Mapped[dict | None] = mapped_column(JSON)
    comments_read: Mapped[int] = mapped_column(Integer, default=0)
    findings: Mapped[int] = mapped_column(Integer, default=0)
    paused_until: Mapped[datetime | None] = mapped_column(DateTime)
    reason: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
