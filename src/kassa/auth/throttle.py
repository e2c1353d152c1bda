"""Failed sign-ins, counted per username and per client address, and the locks they earn.

A username is counted as typed, whether or not such a user exists, so a lock says nothing
about which names are real. Past ``max_failures`` within the window the key is locked for the
lockout, and every further failure doubles it (up to the maximum): a guesser gets a handful of
tries, then ever fewer per hour. The window runs from the last failure or the end of the last
lock, whichever is later; once it has passed, the key starts over.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kassa.auth import audit
from kassa.auth.actor import Actor
from kassa.core.clock import utcnow
from kassa.core.errors import TooManyAttempts, ValidationFailed
from kassa.core.settings import Settings
from kassa.core.vocabulary import ThrottleScope
from kassa.db.models import LoginThrottle

KEY_LENGTH = 100
UNKNOWN_ADDRESS = "unknown"


@dataclass(frozen=True)
class LoginLimits:
    max_failures: int = 5
    max_failures_per_address: int = 20
    window_seconds: int = 900
    lockout_seconds: int = 60
    lockout_max_seconds: int = 3600
    refusal_delay_seconds: float = 1.0

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginLimits:
        return cls(
            max_failures=settings.login_max_failures,
            max_failures_per_address=settings.login_max_failures_per_address,
            window_seconds=settings.login_window_seconds,
            lockout_seconds=settings.login_lockout_seconds,
            lockout_max_seconds=settings.login_lockout_max_seconds,
            refusal_delay_seconds=settings.login_refusal_delay_seconds,
        )

    def threshold(self, scope: str) -> int:
        return self.max_failures if scope == ThrottleScope.USER else self.max_failures_per_address

    def lock_seconds(self, lockouts: int) -> int:
        """How long the ``lockouts``-th lock in a row lasts."""
        doubled = self.lockout_seconds * 2 ** min(lockouts - 1, 30)
        return int(min(doubled, self.lockout_max_seconds))


@dataclass(frozen=True)
class Lockout:
    scope: str
    key: str
    failures: int
    locked_until: datetime


def _keys(username: str, address: str | None) -> list[tuple[str, str]]:
    return [
        (ThrottleScope.USER, username[:KEY_LENGTH]),
        (ThrottleScope.ADDRESS, (address or UNKNOWN_ADDRESS)[:KEY_LENGTH]),
    ]


def seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def locked_message(seconds: int) -> str:
    if seconds < 90:
        wait = f"{seconds} seconds"
    elif seconds < 5400:
        wait = f"{math.ceil(seconds / 60)} minutes"
    else:
        wait = f"{math.ceil(seconds / 3600)} hours"
    return (
        f"Too many failed sign-ins: signing in is locked for {wait}. "
        "Try again then, or ask an administrator to unlock it."
    )


def _refuse(until: datetime, now: datetime) -> TooManyAttempts:
    seconds = seconds_until(until, now)
    return TooManyAttempts(locked_message(seconds), code="sign_in_locked", retry_after=seconds)


def check_not_locked(
    session: Session, username: str, address: str | None, *, now: datetime | None = None
) -> None:
    """Refuse (``TooManyAttempts``) while the username or the address is locked."""
    now = now or utcnow()
    keys = _keys(username, address)
    until = session.scalar(
        select(func.max(LoginThrottle.locked_until)).where(
            LoginThrottle.locked_until > now,
            (
                ((LoginThrottle.scope == keys[0][0]) & (LoginThrottle.key == keys[0][1]))
                | ((LoginThrottle.scope == keys[1][0]) & (LoginThrottle.key == keys[1][1]))
            ),
        )
    )
    if until is not None:
        raise _refuse(until, now)


def _create_if_missing(session: Session, scope: str, key: str, now: datetime) -> None:
    values = {"scope": scope, "key": key, "failures": 0, "last_failure_at": now, "lockouts": 0}
    if session.get_bind().dialect.name == "postgresql":
        session.execute(postgresql.insert(LoginThrottle).values(values).on_conflict_do_nothing())
    else:
        session.execute(sqlite.insert(LoginThrottle).values(values).on_conflict_do_nothing())


def record_failure(
    session: Session,
    limits: LoginLimits,
    username: str,
    address: str | None,
    *,
    now: datetime | None = None,
) -> TooManyAttempts | None:
    """Count a failed sign-in; the refusal to give instead of "wrong password" if it locked."""
    now = now or utcnow()
    window = timedelta(seconds=limits.window_seconds)
    locked: datetime | None = None
    for scope, key in _keys(username, address):
        # Two processes may count the first failure of a key at once: the row is made if
        # missing, then locked and updated, so neither count is lost.
        _create_if_missing(session, scope, key, now)
        row = session.scalars(
            select(LoginThrottle)
            .where(LoginThrottle.scope == scope, LoginThrottle.key == key)
            .with_for_update()
        ).one()
        quiet_since = max(row.last_failure_at, row.locked_until or row.last_failure_at)
        if now - quiet_since > window:
            row.failures, row.lockouts, row.locked_until = 0, 0, None
        row.failures += 1
        row.last_failure_at = now
        if row.failures >= limits.threshold(scope):
            row.lockouts += 1
            row.locked_until = now + timedelta(seconds=limits.lock_seconds(row.lockouts))
            locked = max(locked or row.locked_until, row.locked_until)
    session.flush()
    return _refuse(locked, now) if locked is not None else None


def record_success(session: Session, username: str) -> None:
    """The user knew their password: their name's failures are forgotten. The address keeps
    its count, or one valid account would let its holder guess at every other."""
    session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.scope == ThrottleScope.USER, LoginThrottle.key == username[:KEY_LENGTH]
        )
    )


def lift(session: Session, actor: Actor, scope: str, key: str) -> bool:
    """An administrator ends a lock and forgets the failures behind it; False when there
    were none to forget."""
    if scope not in tuple(ThrottleScope):
        raise ValidationFailed.field("scope", f"must be one of {', '.join(ThrottleScope)}")
    row = session.get(LoginThrottle, (scope, key[:KEY_LENGTH]))
    if row is None:
        return False
    before = {"failures": row.failures, "locked_until": _iso(row.locked_until)}
    session.delete(row)
    session.flush()
    audit.record(
        session,
        actor,
        "unlock",
        "login_throttle",
        f"{scope}:{row.key}",
        before=before,
        after={"failures": 0, "locked_until": None},
    )
    return True


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def lockouts(session: Session, *, now: datetime | None = None) -> list[Lockout]:
    """Every username and address locked at the moment, the longest lock first."""
    now = now or utcnow()
    rows = session.scalars(
        select(LoginThrottle)
        .where(LoginThrottle.locked_until > now)
        .order_by(LoginThrottle.locked_until.desc(), LoginThrottle.scope, LoginThrottle.key)
    )
    return [Lockout(r.scope, r.key, r.failures, r.locked_until) for r in rows if r.locked_until]


def locked_until(
    session: Session, usernames: list[str], *, now: datetime | None = None
) -> dict[str, datetime]:
    """Of these usernames, the ones locked now, with the end of their lock."""
    if not usernames:
        return {}
    now = now or utcnow()
    rows = session.execute(
        select(LoginThrottle.key, LoginThrottle.locked_until).where(
            LoginThrottle.scope == ThrottleScope.USER,
            LoginThrottle.key.in_(usernames),
            LoginThrottle.locked_until > now,
        )
    )
    return {key: until for key, until in rows if until is not None}


def purge_stale(session: Session, window_seconds: int, *, now: datetime | None = None) -> int:
    """Forget keys that would start over at their next failure anyway."""
    cutoff = (now or utcnow()) - timedelta(seconds=window_seconds)
    result = session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.last_failure_at < cutoff,
            (LoginThrottle.locked_until.is_(None)) | (LoginThrottle.locked_until < cutoff),
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
