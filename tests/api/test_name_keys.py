"""Names unique whatever their case are compared by one folding, in Python, on both databases:
SQLite's lower() folds ASCII only and PostgreSQL's differs from Python's for "İ"."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest

from kassa.core.names import name_key
from tests.api.support import assert_problem
from tests.conftest import Api, customer_body

Unchanged = Callable[[], AbstractContextManager[None]]
SAME_NAMES = [
    ("Über", "über"),
    ("İstanbul", "i̇stanbul"),
    ("Straße", "STRASSE"),
    ("ﬁbre", "FIBRE"),
    ("Zone ²", "zone 2"),
    ("Ωmega", "ωMEGA"),
]
# (path, body for a name, conflict code)
ENTITIES: list[tuple[str, Callable[[str], dict[str, Any]], str]] = [
    ("/business-models", lambda name: {"name": name}, "business_model_name_taken"),
    ("/customer-classes", lambda name: {"name": name}, "class_name_taken"),
    ("/customers", lambda name: customer_body(name=name), "customer_name_taken"),
]


@pytest.mark.parametrize(("path", "body", "code"), ENTITIES, ids=lambda v: str(v)[:20])
def test_a_name_differing_only_in_case_is_taken(
    api: Api,
    nothing_changes: Unchanged,
    subtests: pytest.Subtests,
    path: str,
    body: Callable[[str], dict[str, Any]],
    code: str,
) -> None:
    for first, second in SAME_NAMES:
        with subtests.test(first=first, second=second):
            created = api.post(path, body(first))
            assert created.status_code == 201, created.text
            with nothing_changes():
                refused = api.post(path, body(second))
            assert_problem(refused, 409, code=code)
            other = api.post(path, body(f"{first} two"))
            assert other.status_code == 201, other.text
            with nothing_changes():
                renamed = api.patch(f"{path}/{other.json()['id']}", {"name": second})
            assert_problem(renamed, 409, code=code)


@pytest.mark.parametrize(("path", "body", "code"), ENTITIES, ids=lambda v: str(v)[:20])
def test_a_name_that_folds_past_the_key_is_422(
    api: Api,
    nothing_changes: Unchanged,
    path: str,
    body: Callable[[str], dict[str, Any]],
    code: str,
) -> None:
    with nothing_changes():
        refused = api.post(path, body("\ufdfa" * 12))
    assert_problem(refused, 422, field="name")


def test_the_folding() -> None:
    assert name_key("  Über   Straße ") == "über strasse"
    assert name_key("İ") == name_key("i̇") == "i̇"
    assert name_key("ﬁ²") == "fi2"
    assert name_key("ǅ") == name_key("ǆ") == name_key("Ǆ")
