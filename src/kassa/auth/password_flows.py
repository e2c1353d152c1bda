"""Signing in, changing a password and creating a user with one: the work that hashes.

Each runs its short database steps on the shared thread pool and the hashing on
:class:`~kassa.auth.hashing.PasswordHashing`'s own threads, and no step holds a transaction
while a hash is computed (on SQLite that would hold every writer back).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from anyio import to_thread
from sqlalchemy.orm import Session

from kassa.auth import service, throttle, web_sessions
from kassa.auth.actor import Actor
from kassa.auth.hashing import HashingSlot, PasswordHashing
from kassa.auth.throttle import LoginLimits
from kassa.core.errors import Forbidden, Unauthorized, ValidationFailed
from kassa.core.vocabulary import Role
from kassa.db.engine import Database
from kassa.db.models import User

T = TypeVar("T")
WRONG_CREDENTIALS = "Unknown username or wrong password."


@dataclass(frozen=True)
class Passwords:
    """What the password work of one server process shares."""

    db: Database
    hashing: PasswordHashing
    limits: LoginLimits

    async def read(self, work: Callable[[Session], T]) -> T:
        def run() -> T:
            with self.db.reading() as session:
                return work(session)

        return await to_thread.run_sync(run)

    async def write(self, work: Callable[[Session], T]) -> T:
        def run() -> T:
            with self.db.transaction() as session:
                return work(session)

        return await to_thread.run_sync(run)


async def sign_in(
    passwords: Passwords,
    slot: HashingSlot,
    *,
    username: str,
    password: str,
    address: str | None,
    roles: frozenset[Role],
) -> tuple[Actor, str]:
    """The user and a new web session key, once the password is right. ``slot`` is the place
    in the hashing queue the caller took first (``passwords.hashing.reserve()``).

    Refused while the username or the address is locked (``TooManyAttempts``), when the
    password is wrong or the name unknown (``Unauthorized``, without saying which) and for a
    disabled user or one whose role may not sign in here (``Forbidden``)."""

    def credentials(session: Session) -> service.Credentials:
        throttle.check_not_locked(session, username, address)
        return service.credentials_for(session, username)

    found = await passwords.read(credentials)
    matches = await slot.verify(found.password_hash, password)
    user = found.user
    if user is None or not matches:
        locked = await passwords.write(
            lambda s: throttle.record_failure(s, passwords.limits, username, address)
        )
        raise locked or Unauthorized(WRONG_CREDENTIALS, code="invalid_credentials")
    if not found.active:
        raise Forbidden("This user is disabled; ask an administrator.", code="user_disabled")
    if user.role not in roles:
        raise Forbidden(
            "This account is for API access only and cannot sign in to the web.",
            code="api_only_user",
        )
    user_id = user.user_id
    assert user_id is not None  # read from the database

    def succeed(session: Session) -> str:
        throttle.record_success(session, username)
        return web_sessions.start(session, user_id)

    return user, await passwords.write(succeed)


async def change_password(
    passwords: Passwords,
    actor: Actor,
    user_id: int,
    *,
    password: str,
    current_password: str | None,
    address: str | None,
    keep_signed_in: bool = False,
) -> tuple[User, str | None]:
    """Set a user's password, ending all of their web sessions. Their own password needs the
    current one, which counts towards the sign-in locks when wrong. With ``keep_signed_in``
    the actor's own browser gets a new session: the key is returned."""
    service.check_new_password(password)
    with passwords.hashing.reserve() as slot:
        plan = await passwords.read(lambda s: service.plan_password_change(s, actor, user_id))
        if plan.current_hash is not None:
            if not current_password:
                raise ValidationFailed.field("current_password", "give your current password")
            await passwords.read(lambda s: throttle.check_not_locked(s, plan.username, address))
            if not await slot.verify(plan.current_hash, current_password):
                locked = await passwords.write(
                    lambda s: throttle.record_failure(s, passwords.limits, plan.username, address)
                )
                raise locked or ValidationFailed.field(
                    "current_password", "is not your current password", code="wrong_password"
                )
        new_hash = await slot.hash(password)

    def store(session: Session) -> tuple[User, str | None]:
        user = service.set_password(session, actor, plan.user_id, new_hash)
        own = keep_signed_in and actor.user_id == user.id
        return user, web_sessions.start(session, user.id) if own else None

    return await passwords.write(store)


async def create_user(
    passwords: Passwords, actor: Actor, *, username: str, role: str, password: str | None
) -> User:
    service.check_new_user(username, role, password)
    password_hash = await passwords.hashing.hash(password) if password else None
    return await passwords.write(
        lambda s: service.create_user(
            s, actor, username=username, role=role, password_hash=password_hash
        )
    )
