"""Signed-in browsers, kept in the database so that one can be ended at once.

Signing out ends one; a password change and disabling a user end all of the user's. The
browser holds only a random key, and the database only its SHA-256.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from kassa.auth.actor import Actor
from kassa.core.clock import utcnow
from kassa.core.vocabulary import Role
from kassa.db.models import User, WebSession

LIFETIME = timedelta(hours=12)
# Last seen is written at most this often per session: a write on every page would cost more
# than the page on SQLite, where writers queue.
SEEN_EVERY = timedelta(minutes=5)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class SignedIn:
    actor: Actor
    last_seen_at: datetime

    def seen_long_ago(self, now: datetime) -> bool:
        return now - self.last_seen_at >= SEEN_EVERY


def start(session: Session, user_id: int, *, now: datetime | None = None) -> str:
    """A new session of the user; the key to give the browser."""
    now = now or utcnow()
    key = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            id=_digest(key),
            user_id=user_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + LIFETIME,
        )
    )
    session.flush()
    return key


def find(session: Session, key: str, *, now: datetime | None = None) -> SignedIn | None:
    """Who the key signs in, while the session lasts and its user is active."""
    now = now or utcnow()
    row = session.execute(
        select(User.id, User.username, User.role, WebSession.last_seen_at)
        .join(WebSession, WebSession.user_id == User.id)
        .where(WebSession.id == _digest(key), WebSession.expires_at > now, User.active.is_(True))
    ).first()
    if row is None:
        return None
    actor = Actor(user_id=row.id, username=row.username, role=Role(row.role))
    return SignedIn(actor, row.last_seen_at)


def seen(session: Session, key: str, *, now: datetime | None = None) -> None:
    session.execute(
        update(WebSession).where(WebSession.id == _digest(key)).values(last_seen_at=now or utcnow())
    )


def end(session: Session, key: str) -> None:
    session.execute(delete(WebSession).where(WebSession.id == _digest(key)))


def end_all(session: Session, user_id: int) -> int:
    """End every session of the user; how many there were."""
    result = session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def last_seen(session: Session, user_ids: list[int]) -> dict[int, datetime]:
    """When each of these users was last seen in an open session."""
    if not user_ids:
        return {}
    rows = session.execute(
        select(WebSession.user_id, func.max(WebSession.last_seen_at))
        .where(WebSession.user_id.in_(user_ids), WebSession.expires_at > utcnow())
        .group_by(WebSession.user_id)
    )
    return {user_id: moment for user_id, moment in rows}


def purge_expired(session: Session, *, now: datetime | None = None) -> int:
    result = session.execute(delete(WebSession).where(WebSession.expires_at <= (now or utcnow())))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
