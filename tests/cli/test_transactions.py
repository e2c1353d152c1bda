"""``kassa transactions add | list`` against the real database."""

from __future__ import annotations

from sqlalchemy import func, select

from kassa.cli.transactions import TransactionChoice
from kassa.core.vocabulary import TRANSACTION_TYPES
from kassa.db.engine import Database
from kassa.db.models import LedgerEntry
from tests.cli.conftest import Kassa


def _customer(kassa: Kassa) -> str:
    result = kassa.ok(
        "customers",
        "add",
        "--name",
        "Ledger Ltd",
        "--balance-control",
        "prepaid",
        "--currency",
        "USD",
        "--available-funds",
        "10.00",
        "--business-model",
        "Mobile",
    )
    return result.output.split("Created customer ", 1)[1].split(".", 1)[0]


def _entries(url: str) -> int:
    db = Database(url)
    try:
        with db.reading() as session:
            return int(session.scalar(select(func.count()).select_from(LedgerEntry)) or 0)
    finally:
        db.dispose()


def test_add_and_list(kassa: Kassa) -> None:
    customer = _customer(kassa)
    added = kassa.ok(
        "transactions",
        "add",
        customer,
        "--type",
        "manual_charge",
        "--amount",
        "2.50",
        "--visible-comment",
        "Setup fee",
    )
    assert "Balance after (owed)" in added.output and "-7.50 USD" in added.output
    kassa.ok("transactions", "add", customer, "--type", "payment", "--amount", "1")
    listed = kassa.ok("transactions", "list", customer, "--limit", "2")
    lines = [line for line in listed.output.splitlines() if "USD" in line]
    assert "payment" in lines[0] and "manual_charge" in lines[1]
    assert "Next cursor" in listed.output
    only = kassa.ok("transactions", "list", customer, "--type", "manual_charge")
    assert "Setup fee" in only.output and "payment" not in only.output


def test_bad_input_names_the_field_and_posts_nothing(kassa: Kassa) -> None:
    customer = _customer(kassa)
    before = _entries(kassa.url)
    for amount, message in (("-1", "negative"), ("1.001", "decimal"), ("abc", "not a decimal")):
        result = kassa("transactions", "add", customer, "--type", "payment", "--amount", amount)
        assert result.exit_code != 0
        assert "amount" in result.output and message in result.output
    wrong_type = kassa("transactions", "add", customer, "--type", "usage", "--amount", "1")
    assert wrong_type.exit_code != 0
    missing = kassa("transactions", "add", "987654", "--type", "payment", "--amount", "1")
    assert missing.exit_code != 0 and "987654" in missing.output
    assert _entries(kassa.url) == before


def test_type_choices_are_the_postable_entry_types() -> None:
    assert tuple(TransactionChoice) == TRANSACTION_TYPES
