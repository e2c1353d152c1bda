"""Fixtures of the API tests, on top of tests/conftest.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest
from argon2 import PasswordHasher

from kassa.auth import passwords
from kassa.db.engine import Database
from tests.api.support import unchanged
from tests.conftest import Api, customer_body


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing() -> Iterator[None]:
    """Argon2 at its production cost takes most of a second per user on a busy machine; these
    tests are about the API, not the hash, so they use the cheapest valid parameters."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        )
        yield


@pytest.fixture
def nothing_changes(db: Database) -> Callable[[], AbstractContextManager[None]]:
    """``with nothing_changes(): ...`` fails if the block changed any row of any table."""
    return lambda: unchanged(db)


@pytest.fixture
def make_customer(api: Api) -> Callable[..., dict[str, Any]]:
    def make(**overrides: object) -> dict[str, Any]:
        response = api.post("/customers", customer_body(**overrides))
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    return make


@pytest.fixture
def enable_currency(api: Api) -> Callable[[str], None]:
    def enable(code: str) -> None:
        response = api.put(f"/currencies/{code}", {"enabled": True})
        assert response.status_code == 200, response.text
        assert response.json()["enabled"] is True

    return enable
