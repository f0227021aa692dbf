"""Tables and the few queries Tact makes: the only module that knows the database schema.

The same code runs on SQLite (the embedded default) and PostgreSQL (production). Times are
stored as naive UTC because SQLite has no time-zone type; ``utcnow()`` is the one clock.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

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
    create_engine,
    event,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, sessionmaker

# A delivery's life: received -> processing -> done | skipped | failed.
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
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    comment: Mapped[Comment] = relationship(back_populates="findings")


class Feedback(Base):
    """A reviewer's "Looks fine" on a finding; the dashboard's precision figure comes from these."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("comment_id", "rule"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repository_id: Mapped[int] = mapped_column(BigInteger, index=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(128))
    category: Mapped[str] = mapped_column(String(64))
    login: Mapped[str | None] = mapped_column(String(255))
    verdict: Mapped[str] = mapped_column(String(32), default="looks_fine")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Database:
    """An engine and its session factory; one per process, created by ``create_app``."""

    def __init__(self, url: str):
        self.url = normalize_url(url)
        self.engine = make_engine(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Commit on success, roll back on any error, always close."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


def normalize_url(url: str) -> str:
    """Send plain postgresql:// URLs to psycopg 3, the driver we ship (SQLAlchemy defaults to psycopg2)."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5})
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 15})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # WAL lets the web process insert deliveries while the in-process worker reads;
    # foreign keys are off by default in SQLite.
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


# --- deliveries ----------


def record_delivery(session: Session, *, guid: str, event: str, action: str | None, installation_id: int | None,
                    repository_id: int | None, payload: dict) -> tuple[Delivery, bool]:
    """Insert a delivery; return (row, created). A redelivery keeps its GUID, so a duplicate is not new."""
    existing = session.scalar(select(Delivery).where(Delivery.guid == guid))
    if existing is not None:
        return existing, False
    delivery = Delivery(guid=guid, event=event, action=action, installation_id=installation_id,
                        repository_id=repository_id, payload=payload, state=RECEIVED)
    try:
        with session.begin_nested():
            session.add(delivery)
    except IntegrityError:  # two web workers raced on the same redelivery
        return session.scalars(select(Delivery).where(Delivery.guid == guid)).one(), False
    return delivery, True


def claim_delivery(session: Session, delivery_id: int, claimant: str | None = None) -> Delivery | None:
    """Move a delivery from received to processing; None when another task has it or it is finished.

    A compare-and-set UPDATE, so two tasks sent for the same delivery never both process it. The
    same task may claim its row again: when a worker process dies mid-task, Celery hands the very
    same message (same task id) to another process, and the row it left `processing` is its own.
    """
    mine = (Delivery.state == PROCESSING) & (Delivery.claimed_by == claimant) if claimant else False
    result = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, (Delivery.state == RECEIVED) | mine)
        .values(state=PROCESSING, claimed_by=claimant, attempts=Delivery.attempts + 1, updated_at=utcnow())
    )
    if result.rowcount != 1:
        return None
    session.commit()
    return session.get(Delivery, delivery_id)


def finish_delivery(session: Session, delivery: Delivery, state: str, reason: str | None = None) -> None:
    if state not in DELIVERY_STATES:
        raise ValueError(f"unknown delivery state {state!r}")
    delivery.state = state
    delivery.reason = reason[:2000] if reason else None
    delivery.updated_at = utcnow()
    session.commit()


def release_delivery(session: Session, delivery_id: int, reason: str) -> None:
    """Hand a delivery back to the queue (a retryable failure): processing -> received."""
    session.execute(update(Delivery).where(Delivery.id == delivery_id, Delivery.state == PROCESSING)
                    .values(state=RECEIVED, reason=reason[:2000], updated_at=utcnow()))
    session.commit()


def retry_failed_delivery(session: Session, delivery_id: int) -> bool:
    """failed -> received by hand, keeping the old reason; a compare-and-set, so it never races a worker."""
    delivery = session.get(Delivery, delivery_id)
    reason = f"retried by hand; before: {delivery.reason or 'no reason recorded'}"[:2000] if delivery else ""
    result = session.execute(update(Delivery).where(Delivery.id == delivery_id, Delivery.state == FAILED)
                             .values(state=RECEIVED, reason=reason, updated_at=utcnow()))
    session.commit()
    return result.rowcount == 1


def reset_stuck_deliveries(session: Session, *, older_than: timedelta) -> list[int]:
    """Deliveries left in processing by a killed worker go back to received; return the ids to enqueue.

    Celery's own redelivery does not cover every crash (see PERFORMANCE-NOTES: a solo worker's
    unacked message is not run again), so the database is the source of truth.
    """
    cutoff = utcnow() - older_than
    stuck = session.scalars(select(Delivery.id).where(Delivery.state == PROCESSING, Delivery.updated_at < cutoff))
    ids = list(stuck)
    if ids:
        session.execute(update(Delivery).where(Delivery.id.in_(ids)).values(state=RECEIVED, updated_at=utcnow()))
    waiting = session.scalars(select(Delivery.id).where(Delivery.state == RECEIVED, Delivery.updated_at < cutoff))
    ids = sorted(set(ids) | set(waiting))
    session.commit()
    return ids


def recent_deliveries(session: Session, *, limit: int = 20, state: str | None = None) -> list[Delivery]:
    query = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if state:
        query = query.where(Delivery.state == state)
    return list(session.scalars(query))


# --- pipeline: installations, repositories, pull requests, comments, findings -----------------


def insert_missing(session: Session, model: type[Base], **values) -> None:
    """INSERT ... ON CONFLICT DO NOTHING on both databases.

    Two workers that see a new installation, repository, pull request or comment at the same
    moment must both succeed; a plain get-or-add lets the slower one fail on the unique key
    (bench/e2e.py found exactly that with two worker processes).
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(model).values(**values).on_conflict_do_nothing())


def upsert_installation(session: Session, installation_id: int, *, account_login: str,
                        account_type: str) -> Installation:
    insert_missing(session, Installation, id=installation_id, account_login=account_login, account_type=account_type)
    row = session.get(Installation, installation_id)
    row.account_login, row.account_type, row.deleted = account_login, account_type, False
    return row


def installation_of(session: Session, repo: Repository) -> Installation | None:
    return session.get(Installation, repo.installation_id) if repo.installation_id else None


def upsert_repository(session: Session, repository_id: int, *, full_name: str, installation_id: int | None,
                      default_branch: str | None = None) -> Repository:
    if installation_id is not None:
        # The app may have been installed before this database existed: learn the installation here.
        insert_missing(session, Installation, id=installation_id, account_login=full_name.split("/", 1)[0])
    insert_missing(session, Repository, id=repository_id, full_name=full_name, installation_id=installation_id)
    row = session.get(Repository, repository_id)
    row.full_name, row.installed = full_name, True
    row.installation_id = installation_id or row.installation_id
    row.default_branch = default_branch or row.default_branch
    return row


def upsert_pull_request(session: Session, repository_id: int, number: int, **fields) -> PullRequest:
    insert_missing(session, PullRequest, repository_id=repository_id, number=number)
    row = find_pull_request(session, repository_id, number)
    for key, value in fields.items():
        if value is not None:
            setattr(row, key, value)
    return row


def find_pull_request(session: Session, repository_id: int, number: int) -> PullRequest | None:
    return session.scalar(select(PullRequest).where(PullRequest.repository_id == repository_id,
                                                    PullRequest.number == number))


def upsert_comment(session: Session, *, kind: str, github_id: int, repository_id: int, pull_number: int,
                   **fields) -> Comment:
    insert_missing(session, Comment, kind=kind, github_id=github_id, repository_id=repository_id,
                   pull_number=pull_number)
    row = find_comment(session, kind=kind, github_id=github_id)
    row.repository_id, row.pull_number = repository_id, pull_number
    for key, value in fields.items():
        setattr(row, key, value)
    return row


def find_comment(session: Session, *, kind: str, github_id: int) -> Comment | None:
    return session.scalar(select(Comment).where(Comment.kind == kind, Comment.github_id == github_id))


def pull_request_comments(session: Session, repository_id: int, pull_number: int) -> list[Comment]:
    return list(session.scalars(select(Comment).where(Comment.repository_id == repository_id,
                                                      Comment.pull_number == pull_number)))


def replace_findings(session: Session, comment: Comment, findings: list[dict]) -> None:
    """A comment's findings always reflect its latest text: old ones go, new ones come."""
    comment.findings.clear()
    session.flush()
    comment.findings.extend(Finding(**fields) for fields in findings)
    comment.analyzed_at = utcnow()


def mark_comment_deleted(session: Session, *, kind: str, github_id: int) -> Comment | None:
    row = find_comment(session, kind=kind, github_id=github_id)
    if row is not None:
        row.deleted, row.body = True, None
        row.findings.clear()
    return row


def current_findings(session: Session, repository_id: int, pull_number: int) -> list[tuple[Comment, Finding]]:
    """Findings a check run should show now: live comments, minus those marked "Looks fine"."""
    dismissed = select(Feedback.id).where(Feedback.comment_id == Finding.comment_id, Feedback.rule == Finding.rule)
    query = (select(Comment, Finding).join(Finding, Finding.comment_id == Comment.id)
             .where(Comment.repository_id == repository_id, Comment.pull_number == pull_number,
                    Comment.deleted.is_(False), ~dismissed.exists())
             .order_by(Comment.created_at, Comment.id, Finding.start))
    return [(comment, finding) for comment, finding in session.execute(query)]


def comments_analyzed(session: Session, repository_id: int, pull_number: int) -> int:
    query = select(Comment.id).where(Comment.repository_id == repository_id, Comment.pull_number == pull_number,
                                     Comment.deleted.is_(False))
    return len(list(session.scalars(query)))


def forget_settings_of_owner(session: Session, owner: str) -> int:
    """An organization's tact.yml changed: every repository of that owner re-reads on its next event."""
    result = session.execute(update(Repository).where(Repository.full_name.like(f"{owner}/%"))
                             .values(settings_checked_at=None))
    return result.rowcount


def record_looks_fine(session: Session, repository_id: int, pull_number: int, login: str | None) -> int:
    """Remember that a reviewer judged every current finding on a PR fine; return how many."""
    seen: set[tuple[int, str]] = set()
    for comment, finding in current_findings(session, repository_id, pull_number):
        if (comment.id, finding.rule) not in seen:  # one verdict per rule per comment
            seen.add((comment.id, finding.rule))
            session.add(Feedback(repository_id=repository_id, comment_id=comment.id, rule=finding.rule,
                                 category=finding.category, login=login, verdict="looks_fine"))
    return len(seen)


# --- dashboard queries ---
# Queries for service/dashboard.py. Week buckets are made in Python from per-day counts, because
# SQLite and PostgreSQL share no week function; a day is `date(created_at)` on both.


def repository_by_id(session: Session, repository_id: int) -> Repository | None:
    return session.get(Repository, repository_id)


def repositories_by_ids(session: Session, repository_ids: Collection[int]) -> list[Repository]:
    """The repositories among these ids that the App is still installed on, by name."""
    if not repository_ids:
        return []
    query = (select(Repository).where(Repository.id.in_(list(repository_ids)), Repository.installed.is_(True))
             .order_by(Repository.full_name))
    return list(session.scalars(query))


def installations_by_ids(session: Session, installation_ids: Collection[int]) -> dict[int, Installation]:
    if not installation_ids:
        return {}
    query = select(Installation).where(Installation.id.in_(list(installation_ids)))
    return {inst.id: inst for inst in session.scalars(query)}


def installation_repository_ids(session: Session, installation_id: int) -> list[int]:
    """Every repository an installation currently covers: what its installation-wide default changes."""
    query = select(Repository.id).where(Repository.installation_id == installation_id,
                                        Repository.installed.is_(True))
    return list(session.scalars(query))


def save_dashboard_settings(session: Session, repository_id: int, settings: dict) -> None:
    session.execute(update(Repository).where(Repository.id == repository_id)
                    .values(dashboard_settings=settings))


def set_installation_default(session: Session, installation_id: int, enabled: bool) -> None:
    session.execute(update(Installation).where(Installation.id == installation_id)
                    .values(default_enabled=enabled, updated_at=utcnow()))


def finding_counts_by_day(session: Session, repository_id: int,
                          since: datetime) -> list[tuple[date, str, int]]:
    """(day, category, findings) for one repository's comments written since a moment, oldest first.

    Days are the comment's, not the finding's: re-analysing an edited comment replaces its findings,
    and that should not move them to another week.
    """
    from sqlalchemy import func

    day = func.date(Comment.created_at)
    query = (select(day, Finding.category, func.count(Finding.id))
             .join(Comment, Comment.id == Finding.comment_id)
             .where(Comment.repository_id == repository_id, Comment.created_at >= since)
             .group_by(day, Finding.category).order_by(day))
    # SQLite's date() gives text, PostgreSQL's a date.
    return [(d if isinstance(d, date) else date.fromisoformat(d), category, n)
            for d, category, n in session.execute(query)]


@dataclass(frozen=True)
class RuleCount:
    rule: str
    category: str
    findings: int
    looks_fine: int  # of those findings, how many a reviewer marked "Looks fine"


def rule_counts(session: Session, repository_id: int, since: datetime) -> list[RuleCount]:
    """Findings per rule on comments written since a moment, most frequent first, with their "Looks fine"s.

    Feedback is per (comment, rule), the unit a reviewer dismisses in the check run.
    """
    from sqlalchemy import and_, func

    fine = and_(Feedback.comment_id == Finding.comment_id, Feedback.rule == Finding.rule,
                Feedback.verdict == "looks_fine")
    query = (select(Finding.rule, Finding.category, func.count(Finding.id), func.count(Feedback.id))
             .join(Comment, Comment.id == Finding.comment_id)
             .outerjoin(Feedback, fine)
             .where(Comment.repository_id == repository_id, Comment.created_at >= since)
             .group_by(Finding.rule, Finding.category)
             .order_by(func.count(Finding.id).desc(), Finding.rule))
    return [RuleCount(*row) for row in session.execute(query)]
