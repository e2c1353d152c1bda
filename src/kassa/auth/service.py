"""Users, API tokens and password checks."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kassa.auth import audit, web_sessions
from kassa.auth.actor import Actor, Permission
from kassa.auth.passwords import hash_password
from kassa.core.clock import utcnow
from kassa.core.errors import Conflict, FieldErrors, NotFound, ValidationFailed
from kassa.core.vocabulary import Role
from kassa.db.models import ApiToken, User
from kassa.db.pagination import paginate

USERNAME_RE = re.compile(r"^[a-zA-Z0-9_.@-]{1,100}$")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 200
TOKEN_PREFIX = "kassa_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_password() -> str:
    return secrets.token_urlsafe(12)


def _user_errors(username: str, role: str) -> FieldErrors:
    errors = FieldErrors()
    if not USERNAME_RE.match(username):
        errors.add("username", "use 1-100 letters, digits or _ . @ -")
    if role not in tuple(Role):
        errors.add("role", f"must be one of {', '.join(Role)}")
    return errors


def _password_errors(errors: FieldErrors, password: str | None, field: str = "password") -> None:
    if password is None:
        return
    if len(password) < MIN_PASSWORD_LENGTH:
        errors.add(field, f"must be at least {MIN_PASSWORD_LENGTH} characters")
    elif len(password) > MAX_PASSWORD_LENGTH:
        errors.add(field, f"must be at most {MAX_PASSWORD_LENGTH} characters")


def check_new_user(username: str, role: str, password: str | None) -> None:
    """Every fault of a new user's fields at once, before its password is hashed."""
    errors = _user_errors((username or "").strip(), role)
    _password_errors(errors, password)
    errors.raise_if_any()


def check_new_password(password: str, field: str = "password") -> None:
    errors = FieldErrors()
    _password_errors(errors, password, field)
    errors.raise_if_any()


def create_user(
    session: Session, actor: Actor, *, username: str, role: str, password_hash: str | None
) -> User:
    """A new user; ``password_hash`` from :func:`check_new_user`'s checked password."""
    username = (username or "").strip()
    _user_errors(username, role).raise_if_any()
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"user '{username}' already exists", code="username_taken")
    user = User(
        username=username,
        role=role,
        password_hash=password_hash,
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


@dataclass(frozen=True)
class Credentials:
    """What a password typed for ``username`` is checked against. For a name with no user (or
    no password) it is a stand-in hash: the check costs the same, so timing tells nothing."""

    user: Actor | None
    active: bool
    password_hash: str


def credentials_for(session: Session, username: str) -> Credentials:
    user = session.scalar(select(User).where(User.username == username))
    if user is None or user.password_hash is None:
        return Credentials(None, False, DUMMY_HASH)
    return Credentials(actor_for(user), user.active, user.password_hash)


DUMMY_HASH = hash_password("not-a-real-password")


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id)))


def page_users(
    session: Session, *, limit: int | None, cursor: str | None
) -> tuple[list[User], str | None]:
    return paginate(session, select(User), User.id, limit=limit, cursor=cursor)


def find_user_by_name(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def usernames(session: Session, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(user_ids)))
    return {row.id: row.username for row in rows}


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist", code="user_not_found")
    return user


def list_tokens(session: Session, *, user_id: int | None = None) -> list[ApiToken]:
    """Every API token, or one user's, in the order they were created."""
    stmt = select(ApiToken)
    if user_id is not None:
        stmt = stmt.where(ApiToken.user_id == user_id)
    return list(session.scalars(stmt.order_by(ApiToken.id)))


def find_token(session: Session, token_id: int) -> ApiToken | None:
    return session.get(ApiToken, token_id)


def revoke_token(session: Session, actor: Actor, token_id: int) -> ApiToken:
    record = session.get(ApiToken, token_id)
    if record is None:
        raise NotFound(f"API token {token_id} does not exist", code="token_not_found")
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        audit.record(session, actor, "revoke", "api_token", record.id, after={"revoked": True})
    return record


@dataclass(frozen=True)
class PasswordChange:
    """Whose password a request may set, and what must be proved first."""

    user_id: int
    username: str
    # The user's own password is only changed by someone who knows it (a stolen session or
    # token must not be enough); an administrator resets another user's without it.
    current_hash: str | None


def plan_password_change(session: Session, actor: Actor, user_id: int) -> PasswordChange:
    user = get_user(session, user_id)
    own = actor.user_id == user.id
    if not own:
        actor.require(Permission.MANAGE_USERS)
    if user.role == Role.SERVICE:
        raise ValidationFailed.field(
            "password", "service users sign in with API tokens only and have no password"
        )
    if own and user.password_hash is None:
        raise ValidationFailed.field(
            "current_password", "this user has no password yet; an administrator sets the first"
        )
    return PasswordChange(user.id, user.username, user.password_hash if own else None)


def set_password(session: Session, actor: Actor, user_id: int, password_hash: str) -> User:
    """Store the new hash and end every web session of the user, wherever it is."""
    user = get_user(session, user_id)
    user.password_hash = password_hash
    ended = web_sessions.end_all(session, user.id)
    action = "change_password" if actor.user_id == user.id else "reset_password"
    audit.record(
        session,
        actor,
        action,
        "user",
        user.id,
        after={"password_set": True, "sessions_ended": ended},
    )
    return user


def set_active(session: Session, actor: Actor, user_id: int, active: bool) -> User:
    """Enable or disable a user. A disabled user cannot sign in, their web sessions end at
    once and their API tokens are refused (the token cache forgets on every user change)."""
    user = get_user(session, user_id)
    if not active and actor.user_id == user.id:
        raise Conflict("you cannot disable your own user", code="cannot_disable_yourself")
    if user.active == active:
        return user
    user.active = active
    after: dict[str, Any] = {"active": active}
    if not active:
        after["sessions_ended"] = web_sessions.end_all(session, user.id)
    audit.record(
        session,
        actor,
        "enable" if active else "disable",
        "user",
        user.id,
        before={"active": not active},
        after=after,
    )
    return user
