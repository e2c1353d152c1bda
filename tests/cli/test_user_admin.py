"""``kassa users passwd | disable | enable | unlock | lockouts``."""

from __future__ import annotations

from sqlalchemy import func, select

from kassa.auth import throttle, web_sessions
from kassa.auth.passwords import verify_password
from kassa.auth.service import authenticate_token, credentials_for
from kassa.db.engine import Database
from kassa.db.models import AuditLog, LoginThrottle, User, WebSession
from tests.cli.conftest import Kassa

LIMITS = throttle.LoginLimits(max_failures=2, max_failures_per_address=2)


def _db(kassa: Kassa) -> Database:
    return Database(kassa.url)


def _signed_in(kassa: Kassa, username: str) -> str:
    """A web session of the user, as a browser would hold it."""
    db = _db(kassa)
    try:
        with db.transaction() as session:
            user_id = session.scalar(select(User.id).where(User.username == username))
            assert user_id is not None
            return web_sessions.start(session, user_id)
    finally:
        db.dispose()


def _session_works(kassa: Kassa, key: str) -> bool:
    db = _db(kassa)
    try:
        with db.reading() as session:
            return web_sessions.find(session, key) is not None
    finally:
        db.dispose()


def _password_is(kassa: Kassa, username: str, password: str) -> bool:
    db = _db(kassa)
    try:
        with db.reading() as session:
            found = credentials_for(session, username)
            return found.user is not None and verify_password(found.password_hash, password)
    finally:
        db.dispose()


def _actions(kassa: Kassa) -> list[str]:
    db = _db(kassa)
    try:
        with db.reading() as session:
            return list(session.scalars(select(AuditLog.action).order_by(AuditLog.id)))
    finally:
        db.dispose()


def _fail(kassa: Kassa, username: str, address: str, times: int) -> None:
    db = _db(kassa)
    try:
        for _ in range(times):
            with db.transaction() as session:
                throttle.record_failure(session, LIMITS, username, address)
    finally:
        db.dispose()


def test_passwd_sets_the_password_and_ends_the_users_web_sessions(kassa: Kassa) -> None:
    kassa.ok("users", "create", "alice", "--role", "operator", "--password", "first-password")
    key = _signed_in(kassa, "alice")
    assert _session_works(kassa, key)
    result = kassa.ok("users", "passwd", "alice", input="second-password\nsecond-password\n")
    assert "their web sessions have ended" in result.output
    assert _password_is(kassa, "alice", "second-password")
    assert not _password_is(kassa, "alice", "first-password")
    assert not _session_works(kassa, key)
    assert _actions(kassa)[-1] == "reset_password"
    kassa.ok("users", "passwd", "alice", "--password", "third-password")
    assert _password_is(kassa, "alice", "third-password")


def test_passwd_refuses_what_cannot_be_a_password(kassa: Kassa) -> None:
    kassa.ok("users", "create", "bob", "--role", "viewer", "--password", "first-password")
    kassa.ok("users", "create", "switch", "--role", "service")
    short = kassa("users", "passwd", "bob", "--password", "short")
    assert short.exit_code == 1
    assert "password (--password): must be at least 8 characters" in short.output
    unknown = kassa("users", "passwd", "nobody", "--password", "long-enough")
    assert unknown.exit_code == 1
    assert "user 'nobody' does not exist" in unknown.output
    service = kassa("users", "passwd", "switch", "--password", "long-enough")
    assert service.exit_code == 1
    assert "API tokens only" in service.output
    assert _password_is(kassa, "bob", "first-password")


def test_disable_refuses_tokens_and_ends_sessions_until_enabled(kassa: Kassa) -> None:
    kassa.ok("users", "create", "carol", "--role", "operator", "--password", "long-enough")
    token = kassa.ok("tokens", "create", "--user", "carol", "-q").output.strip()
    key = _signed_in(kassa, "carol")
    assert "API tokens are refused" in kassa.ok("users", "disable", "carol").output
    assert "disabled already" in kassa.ok("users", "disable", "carol").output
    db = _db(kassa)
    try:
        with db.reading() as session:
            assert authenticate_token(session, token) is None
            assert session.scalar(select(func.count()).select_from(WebSession)) == 0
    finally:
        db.dispose()
    assert not _session_works(kassa, key)
    listing = kassa.ok("users", "list").output
    assert "carol" in listing and " no " in listing
    assert "may sign in again" in kassa.ok("users", "enable", "carol").output
    db = _db(kassa)
    try:
        with db.reading() as session:
            assert authenticate_token(session, token) is not None
    finally:
        db.dispose()
    assert _actions(kassa)[-2:] == ["disable", "enable"]
    assert kassa("users", "disable", "nobody").exit_code == 1


def test_unlock_lifts_a_users_or_an_addresss_lock(kassa: Kassa) -> None:
    kassa.ok("users", "create", "dave", "--role", "viewer", "--password", "long-enough")
    assert "Nothing is locked." in kassa.ok("users", "lockouts").output
    _fail(kassa, "dave", "10.0.0.1", LIMITS.max_failures)
    listing = kassa.ok("users", "list").output
    assert "UTC" in listing.split("dave")[1].splitlines()[0]
    locks = kassa.ok("users", "lockouts").output
    assert "dave" in locks and "10.0.0.1" in locks
    assert "Unlocked 'dave'" in kassa.ok("users", "unlock", "dave").output
    assert "no failed sign-ins to forget" in kassa.ok("users", "unlock", "dave").output
    assert (
        "Unlocked address 10.0.0.1" in kassa.ok("users", "unlock", "--address", "10.0.0.1").output
    )
    assert kassa.count(LoginThrottle) == 0
    assert _actions(kassa)[-2:] == ["unlock", "unlock"]
    assert kassa("users", "unlock").exit_code == 2
    assert kassa("users", "unlock", "dave", "--address", "10.0.0.1").exit_code == 2
    assert kassa("users", "unlock", "nobody").exit_code == 1
