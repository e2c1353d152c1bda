"""Users, API tokens and password checks."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kassa.auth import audit
from kassa.auth.actor import ROLES, Actor, Role
from kassa.auth.passwords import hash_password, verify_password
from kassa.core.clock import utcnow
from kassa.core.errors import Conflict, FieldErrors, NotFound
from kassa.db.models import ApiToken, User

USERNAME_RE = re.compile(r"^[a-zA-Z0-9_.@-]{1,100}$")
MIN_PASSWORD_LENGTH = 8
TOKEN_PREFIX = "kassa_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_password() -> str:
    return secrets.token_urlsafe(12)


def create_user(
    session: Session, actor: Actor, *, username: str, role: str, password: str | None
) -> User:
    errors = FieldErrors()
    username = (username or "").strip()
    if not USERNAME_RE.match(username):
        errors.add("username", "use 1-100 letters, digits or _ . @ -")
    if role not in ROLES:
        errors.add("role", f"must be one of {', '.join(ROLES)}")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        errors.add("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    errors.raise_if_any()
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"user '{username}' already exists", code="username_taken")
    user = User(
        username=username,
        role=role,
        password_hash=hash_password(password) if password else None,
        active=True,
        created_at=utcnow(),
    )
    session.add(user)
    session.flush()
    audit.record(
        session, actor, "create", "user", user.id, after={"username": username, "role": role}
    )
    return user


def get_user_by_name(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"user '{username}' does not exist", code="user_not_found")
    return user


@dataclass(frozen=True)
class IssuedToken:
    token: str
    record: ApiToken


def create_token(
    session: Session, actor: Actor, user: User, *, name: str, token: str | None = None
) -> IssuedToken:
    token = token or new_token()
    record = ApiToken(
        user_id=user.id,
        name=name[:100] or "token",
        token_hash=hash_token(token),
        prefix=token[:12],
        created_at=utcnow(),
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor,
        "create",
        "api_token",
        record.id,
        after={"user": user.username, "name": name},
    )
    return IssuedToken(token=token, record=record)


def actor_for(user: User) -> Actor:
    return Actor(user_id=user.id, username=user.username, role=Role(user.role))


def authenticate_token(session: Session, token: str) -> Actor | None:
    row = session.execute(
        select(User.id, User.username, User.role)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_hash == hash_token(token),
            ApiToken.revoked_at.is_(None),
            User.active.is_(True),
        )
    ).first()
    if row is None:
        return None
    return Actor(user_id=row.id, username=row.username, role=Role(row.role))


def authenticate_password(session: Session, username: str, password: str) -> Actor | None:
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    if user is None or user.password_hash is None:
        # Spend the same time as a real check so usernames cannot be probed by timing.
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    return actor_for(user)


_DUMMY_HASH = hash_password("not-a-real-password")


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id)))


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist", code="user_not_found")
    return user


def revoke_token(session: Session, actor: Actor, token_id: int) -> ApiToken:
    record = session.get(ApiToken, token_id)
    if record is None:
        raise NotFound(f"API token {token_id} does not exist", code="token_not_found")
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        audit.record(session, actor, "revoke", "api_token", record.id, after={"revoked": True})
    return record
