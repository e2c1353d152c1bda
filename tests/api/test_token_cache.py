"""The API remembers a token's user briefly, and never past a revocation made in this process."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kassa.auth import token_cache
from kassa.auth.actor import Actor
from kassa.db.engine import Database
from kassa.db.models import ApiToken, User
from tests.conftest import Api


def _lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = token_cache.authenticate_token

    def counting(session: Session, token: str) -> Actor | None:
        seen.append(token)
        return real(session, token)

    monkeypatch.setattr(token_cache, "authenticate_token", counting)
    return seen


def test_a_known_token_is_looked_up_once(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    token = api.token_for("viewer")
    seen = _lookups(monkeypatch)
    for _ in range(3):
        assert api.as_token(token).get("/customers").status_code == 200
    assert seen == [token]


def test_a_revoked_token_is_refused_at_once(api: Api) -> None:
    token = api.token_for("operator")
    assert api.as_token(token).get("/customers").status_code == 200
    listed = api.get("/users").json()["items"]
    user_id = next(u["id"] for u in listed if u["role"] == "operator")
    token_id = api.get(f"/users/{user_id}/tokens").json()[0]["id"]
    assert api.delete(f"/tokens/{token_id}").status_code == 200
    refused = api.as_token(token).get("/customers")
    assert refused.status_code == 401
    assert refused.json()["code"] == "invalid_token"


def test_a_deactivated_user_is_refused_at_once(api: Api, db: Database) -> None:
    token = api.token_for("viewer")
    assert api.as_token(token).get("/customers").status_code == 200
    with db.transaction() as session:
        user = session.scalars(
            select(User).join(ApiToken, ApiToken.user_id == User.id).where(User.role == "viewer")
        ).one()
        user.active = False
    assert api.as_token(token).get("/customers").status_code == 401


def test_unknown_tokens_are_never_remembered(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _lookups(monkeypatch)
    for _ in range(2):
        assert api.as_token("kassa_no_such_token").get("/customers").status_code == 401
    assert len(seen) == 2
