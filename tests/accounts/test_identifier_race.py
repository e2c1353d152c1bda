"""Two accounts of one identifier saved at once, for two customers: each passes the check made
before its INSERT, and only the unique index decides. The loser hears 409, not a 500."""

from __future__ import annotations

import threading

import pytest

from kassa.accounts.queries import find_by_identifier
from kassa.accounts.schemas import AccountIn
from kassa.accounts.service import create_account
from kassa.auth.actor import SYSTEM
from kassa.core.errors import Conflict
from kassa.customers.schemas import CustomerIn
from kassa.customers.service import create_customer
from kassa.db.engine import Database
from tests.rating_rows import make_product

# Long enough that the second writer has run its check and waits on the first's row.
SECOND_WRITER_HEAD_START = 0.5


def add_customer(db: Database, name: str) -> int:
    body = {
        "name": name,
        "balance_control": "postpaid",
        "currency": "USD",
        "credit_limit": "100",
        "business_model_id": 1,
    }
    with db.transaction() as session:
        return create_customer(session, SYSTEM, CustomerIn.model_validate(body)).id


def test_the_unique_index_decides_a_race(db: Database) -> None:
    product = make_product(db, "USD")
    first, second = add_customer(db, "First"), add_customer(db, "Second")
    data = AccountIn(identifier="+420601234567", product_id=product)
    flushed, commit = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def winner() -> None:
        with db.transaction() as session:
            outcome["winner"] = create_account(session, SYSTEM, first, data).id
            flushed.set()
            commit.wait(10)

    def loser() -> None:
        try:
            with db.transaction() as session:
                outcome["loser"] = create_account(session, SYSTEM, second, data).id
        except Conflict as exc:
            outcome["loser"] = exc

    threads = [threading.Thread(target=winner), threading.Thread(target=loser)]
    threads[0].start()
    assert flushed.wait(10)
    threads[1].start()
    threads[1].join(SECOND_WRITER_HEAD_START)
    # The second writer waits: on PostgreSQL for the row in the unique index, on SQLite for
    # its turn to write.
    assert threads[1].is_alive()
    commit.set()
    for thread in threads:
        thread.join(20)
    error = outcome["loser"]
    if not isinstance(error, Conflict):
        pytest.fail(f"the second save was not refused: {error!r}")
    assert error.code == "account_identifier_taken"
    assert [e.field for e in error.errors] == ["identifier"]
    with db.reading() as session:
        account = find_by_identifier(session, "+420601234567")
        assert account is not None and account.customer_id == first
