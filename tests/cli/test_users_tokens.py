from __future__ import annotations

from kassa.auth.passwords import verify_password
from kassa.auth.service import authenticate_token, credentials_for
from kassa.db.engine import Database
from kassa.db.models import ApiToken, User
from tests.cli.conftest import Kassa


def _token_role(url: str, token: str) -> str | None:
    db = Database(url)
    try:
        with db.reading() as session:
            actor = authenticate_token(session, token)
            return None if actor is None else actor.role.value
    finally:
        db.dispose()


def _password_ok(url: str, username: str, password: str) -> bool:
    db = Database(url)
    try:
        with db.reading() as session:
            found = credentials_for(session, username)
            return found.user is not None and verify_password(found.password_hash, password)
    finally:
        db.dispose()


def test_create_user_with_password_and_list(kassa: Kassa) -> None:
    result = kassa.ok("users", "create", "alice", "--role", "operator", "--password", "s3cret-pw")
    assert "Created user 'alice'" in result.output
    assert _password_ok(kassa.url, "alice", "s3cret-pw")
    listing = kassa.ok("users", "list").output
    assert "alice" in listing
    assert "operator" in listing


def test_password_is_prompted_for_with_confirmation(kassa: Kassa) -> None:
    kassa.ok("users", "create", "bob", "--role", "viewer", input="long-password\nlong-password\n")
    assert _password_ok(kassa.url, "bob", "long-password")


def test_service_users_have_no_password(kassa: Kassa) -> None:
    kassa.ok("users", "create", "switch", "--role", "service")
    assert "none (tokens only)" in kassa.ok("users", "list").output
    refused = kassa("users", "create", "radius", "--role", "service", "--password", "whatever1")
    assert refused.exit_code == 2
    assert "--password" in refused.output
    assert kassa.count(User) == 1


def test_bad_user_input_is_refused_naming_the_field(kassa: Kassa) -> None:
    short = kassa("users", "create", "carol", "--role", "admin", "--password", "short")
    assert short.exit_code == 1
    assert "password (--password): must be at least 8 characters" in short.output
    name = kassa("users", "create", "no spaces!", "--role", "admin", "--password", "long-enough")
    assert name.exit_code == 1
    assert "username" in name.output
    role = kassa("users", "create", "dave", "--role", "superuser", "--password", "long-enough")
    assert role.exit_code == 2
    assert "--role" in role.output
    assert kassa.count(User) == 0


def test_duplicate_username_is_a_conflict(kassa: Kassa) -> None:
    kassa.ok("users", "create", "erin", "--role", "admin", "--password", "long-enough")
    again = kassa("users", "create", "erin", "--role", "viewer", "--password", "long-enough")
    assert again.exit_code == 1
    assert "already exists" in again.output
    assert kassa.count(User) == 1


def test_token_for_an_existing_user_works_once_printed(kassa: Kassa) -> None:
    kassa.ok("users", "create", "frank", "--role", "operator", "--password", "long-enough")
    result = kassa.ok("tokens", "create", "--user", "frank", "--name", "laptop")
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("kassa_")
    assert _token_role(kassa.url, token) == "operator"
    listing = kassa.ok("tokens", "list", "--user", "frank").output
    assert "laptop" in listing
    assert token not in listing
    assert token[:12] in listing


def test_token_by_role_creates_and_then_reuses_the_role_user(kassa: Kassa) -> None:
    first = kassa.ok("tokens", "create", "--role", "service", "--quiet").output.strip()
    second = kassa.ok("tokens", "create", "--role", "service", "-q").output.strip()
    assert first != second
    assert _token_role(kassa.url, first) == "service"
    assert _token_role(kassa.url, second) == "service"
    assert kassa.count(User) == 1
    assert "service-api" in kassa.ok("users", "list").output


def test_token_with_user_and_role_creates_the_user_or_checks_its_role(kassa: Kassa) -> None:
    token = kassa.ok("tokens", "create", "--user", "grafana", "--role", "viewer", "-q").output
    assert _token_role(kassa.url, token.strip()) == "viewer"
    mismatch = kassa("tokens", "create", "--user", "grafana", "--role", "admin")
    assert mismatch.exit_code == 1
    assert "role (--role)" in mismatch.output
    assert kassa.count(ApiToken) == 1


def test_token_requests_that_cannot_work_create_nothing(kassa: Kassa) -> None:
    unknown = kassa("tokens", "create", "--user", "nobody")
    assert unknown.exit_code == 1
    assert "user (--user)" in unknown.output
    neither = kassa("tokens", "create")
    assert neither.exit_code == 2
    assert "--user" in neither.output
    assert kassa.count(User) == 0
    assert kassa.count(ApiToken) == 0


def test_revoke(kassa: Kassa) -> None:
    created = kassa.ok("tokens", "create", "--role", "operator").output
    token = created.strip().splitlines()[-1]
    token_id = created.split("Created API token ")[1].split()[0]
    assert "Revoked API token" in kassa.ok("tokens", "revoke", token_id).output
    assert _token_role(kassa.url, token) is None
    assert "already revoked" in kassa.ok("tokens", "revoke", token_id).output
    missing = kassa("tokens", "revoke", "999")
    assert missing.exit_code == 1
    assert "does not exist" in missing.output
    assert kassa("tokens", "revoke", "abc").exit_code == 2
