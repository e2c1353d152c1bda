"""Users over the API: passwords changed and reset, users disabled and enabled, sign-in locks
listed and lifted; each change in the audit trail, and a disabled user's tokens refused."""

from __future__ import annotations

from typing import Any

from kassa.auth.passwords import verify_password
from kassa.auth.service import credentials_for
from kassa.db.engine import Database
from tests.api.support import assert_problem
from tests.conftest import Api

PASSWORD = "password-123"


def make_user(api: Api, role: str, name: str) -> tuple[int, Api]:
    """A user of ``role`` with PASSWORD, and the API as their token."""
    user = api.post("/users", {"username": name, "role": role, "password": PASSWORD})
    assert user.status_code == 201, user.text
    token = api.post(f"/users/{user.json()['id']}/tokens", {"name": "test"})
    return int(user.json()["id"]), api.as_token(token.json()["token"])


def password_is(db: Database, username: str, password: str) -> bool:
    with db.reading() as session:
        found = credentials_for(session, username)
    return found.user is not None and verify_password(found.password_hash, password)


def trail(api: Api, entity_id: int) -> list[dict[str, Any]]:
    params = {"entity_type": "user", "entity_id": str(entity_id), "limit": 500}
    items: list[dict[str, Any]] = api.get("/audit-log", params=params).json()["items"]
    return items


def test_a_user_changes_their_own_password_giving_the_current_one(api: Api, db: Database) -> None:
    user_id, alice = make_user(api, "operator", "alice")
    missing = alice.post(f"/users/{user_id}/password", {"password": "brand-new-pw"})
    assert_problem(missing, 422, field="current_password")
    wrong = alice.post(
        f"/users/{user_id}/password", {"password": "brand-new-pw", "current_password": "nope-nope"}
    )
    assert_problem(wrong, 422, code="wrong_password", field="current_password")
    short = alice.post(
        f"/users/{user_id}/password", {"password": "short", "current_password": PASSWORD}
    )
    assert_problem(short, 422, field="password")
    assert password_is(db, "alice", PASSWORD)

    changed = alice.post(
        f"/users/{user_id}/password", {"password": "brand-new-pw", "current_password": PASSWORD}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["username"] == "alice"
    assert password_is(db, "alice", "brand-new-pw")
    assert not password_is(db, "alice", PASSWORD)
    # The token is another credential: a new password leaves it working.
    assert alice.get("/customers").status_code == 200
    (entry,) = [e for e in trail(api, user_id) if e["action"] == "change_password"]
    assert entry["user_id"] == user_id
    assert "brand-new-pw" not in str(entry) and PASSWORD not in str(entry)


def test_an_admin_resets_another_users_password_without_the_current_one(
    api: Api, db: Database
) -> None:
    user_id, _ = make_user(api, "viewer", "bob")
    reset = api.post(f"/users/{user_id}/password", {"password": "set-by-admin"})
    assert reset.status_code == 200, reset.text
    assert password_is(db, "bob", "set-by-admin")
    (entry,) = [e for e in trail(api, user_id) if e["action"] == "reset_password"]
    assert entry["after"] == {"password_set": True, "sessions_ended": 0}


def test_only_admins_set_other_users_passwords(api: Api, db: Database) -> None:
    victim_id, _ = make_user(api, "viewer", "victim")
    _, operator = make_user(api, "operator", "clerk")
    refused = operator.post(f"/users/{victim_id}/password", {"password": "taken-over"})
    assert_problem(refused, 403)
    assert password_is(db, "victim", PASSWORD)
    assert_problem(operator.post("/users/424242/password", {"password": "whatever-1"}), 404)


def test_service_users_get_no_password(api: Api) -> None:
    switch = api.post("/users", {"username": "switch", "role": "service"}).json()
    refused = api.post(f"/users/{switch['id']}/password", {"password": "a-password"})
    assert_problem(refused, 422, field="password")


def test_a_disabled_user_is_refused_at_once_and_enabled_again(api: Api) -> None:
    user_id, carol = make_user(api, "operator", "carol")
    assert carol.get("/customers").status_code == 200
    disabled = api.patch(f"/users/{user_id}", {"active": False})
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["active"] is False
    assert_problem(carol.get("/customers"), 401, code="invalid_token")
    assert api.get(f"/users/{user_id}").json()["active"] is False

    enabled = api.patch(f"/users/{user_id}", {"active": True})
    assert enabled.json()["active"] is True
    assert carol.get("/customers").status_code == 200
    actions = [e["action"] for e in trail(api, user_id)]
    assert actions.count("disable") == 1 and actions.count("enable") == 1
    disable = next(e for e in trail(api, user_id) if e["action"] == "disable")
    assert disable["before"] == {"active": True, "sessions_ended": None}
    assert disable["after"] == {"active": False, "sessions_ended": 0}


def test_disabling_needs_an_admin_and_never_yourself(api: Api) -> None:
    user_id, operator = make_user(api, "operator", "dave")
    assert_problem(operator.patch(f"/users/{user_id}", {"active": False}), 403)
    admin_id = next(u["id"] for u in api.get("/users").json()["items"] if u["username"] == "admin")
    assert_problem(
        api.patch(f"/users/{admin_id}", {"active": False}), 409, "cannot_disable_yourself"
    )
    assert_problem(api.patch(f"/users/{user_id}", {"active": "maybe"}), 422, field="active")
    assert_problem(api.patch(f"/users/{user_id}", {"role": "admin"}), 422, field="role")
    assert_problem(api.patch("/users/424242", {"active": False}), 404)
    assert api.patch(f"/users/{user_id}", {}).json()["active"] is True
