"""``kassa accounts``: add, list, show, block, unblock, close."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

from kassa.accounts.queries import find_by_identifier
from kassa.auth import passwords
from kassa.auth.actor import SYSTEM
from kassa.customers.schemas import CustomerIn
from kassa.customers.service import create_customer
from kassa.db.engine import Database
from kassa.db.models import Account
from tests.cli.conftest import Kassa
from tests.rating_rows import make_product


@pytest.fixture(autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        )
        yield


def add_customer(db: Database, name: str = "Acme", currency: str = "USD") -> int:
    body = {
        "name": name,
        "balance_control": "postpaid",
        "currency": currency,
        "credit_limit": "100",
        "business_model_id": 1,
    }
    with db.transaction() as session:
        return create_customer(session, SYSTEM, CustomerIn.model_validate(body)).id


def stored(db: Database, identifier: str) -> Account | None:
    with db.reading() as session:
        account = find_by_identifier(session, identifier)
        if account is not None:
            session.expunge(account)
        return account


def add(kassa: Kassa, customer: int, identifier: str, product: int, *more: str) -> str:
    args = ["--customer", str(customer), "--identifier", identifier, "--product", str(product)]
    return kassa.ok("accounts", "add", *args, *more).output


def test_help_says_what_each_command_does(kassa: Kassa) -> None:
    top = kassa.ok("accounts", "--help").output
    for command in ("add", "list", "show", "block", "unblock", "close"):
        assert command in top
    assert "--password-prompt" in kassa.ok("accounts", "add", "--help").output
    assert "kassa" in kassa.ok("--help").output and "accounts" in kassa.ok("--help").output


def test_add_and_show_by_id_or_identifier(kassa: Kassa, db: Database) -> None:
    customer = add_customer(db)
    product = make_product(db, "USD")
    output = add(kassa, customer, " +420601234567 ", product, "--max-sessions", "2")
    assert "Created account" in output and "+420601234567" in output
    account = stored(db, "+420601234567")
    assert account is not None and account.max_sessions == 2 and account.password_hash is None
    for reference in (str(account.id), "+420601234567"):
        shown = kassa.ok("accounts", "show", reference).output
        assert "+420601234567" in shown and "Acme" in shown and "active" in shown


def test_identifier_of_digits_wins_over_an_id(kassa: Kassa, db: Database) -> None:
    customer = add_customer(db)
    product = make_product(db, "USD")
    add(kassa, customer, "alice", product)
    add(kassa, customer, "1", product)
    assert "Identifier    1" in kassa.ok("accounts", "show", "1").output
    missing = kassa("accounts", "show", "nobody")
    assert missing.exit_code == 1 and "account_not_found" in missing.output


def test_password_from_the_option_or_the_prompt(kassa: Kassa, db: Database) -> None:
    customer = add_customer(db)
    product = make_product(db, "USD")
    add(kassa, customer, "alice", product, "--password", "secret-1")
    args = ["accounts", "add", "--customer", str(customer), "--product", str(product)]
    kassa.ok(*args, "--identifier", "bob", "--password-prompt", input="secret-2\nsecret-2\n")
    for identifier in ("alice", "bob"):
        account = stored(db, identifier)
        assert account is not None and account.password_hash is not None
        assert passwords.verify_password(
            account.password_hash, "secret-1" if identifier == "alice" else "secret-2"
        )
    both = kassa(*args, "--identifier", "carol", "--password", "x" * 8, "--password-prompt")
    assert both.exit_code == 2
    assert stored(db, "carol") is None


def test_refused_input_exits_1_naming_the_field_and_option(kassa: Kassa, db: Database) -> None:
    customer = add_customer(db)
    product = make_product(db, "USD")
    add(kassa, customer, "taken", product)
    euro = make_product(db, "EUR")
    base = ["accounts", "add", "--customer", str(customer)]
    cases = [
        (["--identifier", "a b", "--product", str(product)], "identifier (--identifier)"),
        (["--identifier", "ok", "--product", str(euro)], "product_id (--product)"),
        (["--identifier", "ok", "--product", "99999"], "product_id (--product)"),
        (
            ["--identifier", "ok", "--product", str(product), "--max-sessions", "0"],
            "max_sessions (--max-sessions)",
        ),
        (
            ["--identifier", "ok", "--product", str(product), "--password", "abc"],
            "password (--password)",
        ),
        (["--identifier", "taken", "--product", str(product)], "account_identifier_taken"),
    ]
    for args, named in cases:
        result = kassa(*base, *args)
        assert result.exit_code == 1, result.output
        assert named in result.output, result.output
    assert stored(db, "ok") is None
    unknown = kassa(
        "accounts", "add", "--customer", "99999", "--identifier", "ok", "--product", "1"
    )
    assert unknown.exit_code == 1 and "customer_not_found" in unknown.output


def test_block_unblock_close(kassa: Kassa, db: Database) -> None:
    customer = add_customer(db)
    add(kassa, customer, "alice", make_product(db, "USD"))
    assert "is blocked" in kassa.ok("accounts", "block", "alice").output
    again = kassa("accounts", "block", "alice")
    assert again.exit_code == 1 and "invalid_status_transition" in again.output
    assert "is active" in kassa.ok("accounts", "unblock", "alice").output
    assert "is closed" in kassa.ok("accounts", "close", "alice").output
    assert kassa("accounts", "unblock", "alice").exit_code == 1


def test_list_filters_and_pages(kassa: Kassa, db: Database) -> None:
    first, second = add_customer(db, "First"), add_customer(db, "Second")
    product = make_product(db, "USD")
    for i in range(3):
        add(kassa, first, f"first{i}", product)
    add(kassa, second, "+15550001", product)
    everything = kassa.ok("accounts", "list").output
    assert all(name in everything for name in ("first0", "first2", "+15550001"))
    own = kassa.ok("accounts", "list", "--customer", str(second)).output
    assert "+15550001" in own and "first0" not in own
    found = kassa.ok("accounts", "list", "--identifier", "first1").output
    assert "first1" in found and "first0" not in found
    page = kassa.ok("accounts", "list", "--limit", "2").output
    assert "first1" in page and "first2" not in page and "Next cursor:" in page
    cursor = page.split("Next cursor: ")[1].split()[0]
    rest = kassa.ok("accounts", "list", "--limit", "2", "--cursor", cursor).output
    assert "first2" in rest and "first0" not in rest
    assert "No accounts match." in kassa.ok("accounts", "list", "--status", "closed").output
    bad = kassa("accounts", "list", "--limit", "0")
    assert bad.exit_code == 1 and "--limit" in bad.output
