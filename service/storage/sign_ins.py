"""Sign-ins: the server-side record of each signed-in dashboard browser, made, found, refreshed and ended.

The web layer hashes the cookie's key and encrypts the token before calling here; this module
only keeps rows. Expired rows are deleted whenever someone signs in, so the table never grows
past the browsers signed in during the last session lifetime.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from service.storage.models import SignIn, utcnow


def create_sign_in(session: Session, key_hash: str, *, user_id: int, login: str, token: str,
                   expires_at: datetime) -> SignIn:
    session.execute(delete(SignIn).where(SignIn.expires_at <= utcnow()))
    row = SignIn(id=key_hash, user_id=user_id, login=login, token=token, expires_at=expires_at)
    session.add(row)
    return row


def find_sign_in(session: Session, key_hash: str) -> SignIn | None:
    """The live sign-in with this key, or None when it was ended, expired or never existed."""
    return session.scalar(select(SignIn).where(SignIn.id == key_hash, SignIn.expires_at > utcnow()))


def end_sign_in(session: Session, key_hash: str) -> None:
    session.execute(delete(SignIn).where(SignIn.id == key_hash))


def cache_sign_in_repositories(session: Session, key_hash: str, repositories: dict | None) -> None:
    session.execute(update(SignIn).where(SignIn.id == key_hash).values(repositories=repositories))


def forget_cached_repositories(session: Session) -> int:
    """Every browser asks GitHub again on its next page: an installation or repository just went away.

    All rows, not only those naming the removed ids: the cache is a few minutes of GitHub's answer,
    cheap to rebuild, and a JSON search that works the same on SQLite and PostgreSQL is not.
    """
    return session.execute(update(SignIn).where(SignIn.repositories.is_not(None))
                           .values(repositories=None)).rowcount
