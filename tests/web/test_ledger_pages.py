"""The customer page's money: Make a transaction, history, open reservations, invoices."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kassa.auth.actor import SYSTEM
from kassa.billing.postings import post_transaction
from kassa.db.engine import Database
from kassa.db.models import Authorization, Customer, LedgerEntry
from kassa.ledger import authorizations
from kassa.ledger.schemas import ReserveIn, TransactionIn
from tests.web.conftest import USER_PASSWORD, csrf_of, make_user, web_login
from tests.web.helpers import add_customer, field_error, input_value


def balance(db: Database, customer_id: int) -> int:
    with db.reading() as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None
        return customer.balance_micros


def count_entries(db: Database) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(LedgerEntry)) or 0)


def post_tx(web: TestClient, customer_id: int, **overrides: str):  # type: ignore[no-untyped-def]
    token = csrf_of(web.get(f"/customers/{customer_id}").text)
    data = {
        "csrf_token": token,
        "type": "payment",
        "amount": "25.00",
        "visible_comment": "Thank you",
        "internal_comment": "Bank transfer 4711",
    }
    data.update(overrides)
    return web.post(f"/customers/{customer_id}/transactions", data=data, follow_redirects=False)


def history_rows(page: str) -> list[str]:
    """The text of each row of the transaction history, newest first."""
    section = page[page.index('id="history"') : page.index('id="invoices"')]
    body = section[section.index("<tbody>") :]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows]


def transact(db: Database, customer_id: int, kind: str, amount: str) -> None:
    with db.transaction() as session:
        post_transaction(session, SYSTEM, customer_id, TransactionIn(type=kind, amount=amount))


def test_payment_lowers_the_balance_and_tops_the_history(web: TestClient, db: Database) -> None:
    customer = add_customer(db)
    transact(db, customer, "manual_charge", "40.00")
    answer = post_tx(web, customer)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/customers/{customer}#history"
    assert balance(db, customer) == 15_000_000
    page = html.unescape(web.get(f"/customers/{customer}").text)
    assert "Payment of 25.00 USD saved. Balance owed is now 15.00 USD." in page
    first, second = history_rows(page)
    assert "Payment" in first and "-25.00" in first and "15.00" in first
    assert "Thank you" in first and "Bank transfer 4711" in first and "admin" in first
    assert "Manual charge" in second and "+40.00" in second and "system" in second


@pytest.mark.parametrize(
    ("kind", "micros"),
    [
        ("payment", -10_000_000),
        ("manual_credit", -10_000_000),
        ("promotional_credit", -10_000_000),
        ("manual_charge", 10_000_000),
        ("refund", 10_000_000),
    ],
)
def test_each_type_moves_the_balance_its_way(
    web: TestClient, db: Database, kind: str, micros: int
) -> None:
    customer = add_customer(db)
    assert post_tx(web, customer, type=kind, amount="10").status_code == 303
    assert balance(db, customer) == micros


def test_prepaid_flash_speaks_of_available_funds(web: TestClient, db: Database) -> None:
    customer = add_customer(
        db, "Prepaid Pete", balance_control="prepaid", credit_limit=None, available_funds="20.00"
    )
    post_tx(web, customer, amount="5.50")
    page = html.unescape(web.get(f"/customers/{customer}").text)
    assert "Available funds are now 25.50 USD." in page


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-1", "Must not be negative"),
        ("1.001", "Must have at most 2 decimal places in this currency"),
        ("", "Amount is required"),
        ("ten", "is not a decimal number"),
        ("0", "Must be greater than zero"),
    ],
)
def test_bad_amount_is_shown_next_to_it_and_posts_nothing(
    web: TestClient, db: Database, amount: str, message: str
) -> None:
    customer = add_customer(db)
    answer = post_tx(web, customer, amount=amount, visible_comment="kept")
    assert answer.status_code == 422
    page = html.unescape(answer.text)
    assert message in (field_error(page, "amount") or "")
    assert field_error(page, "type") is None
    # What was typed is still in the form, on the customer's page.
    assert input_value(page, "amount") == amount
    assert input_value(page, "visible_comment") == "kept"
    assert "Make a transaction" in page and "Transaction history" in page
    assert count_entries(db) == 0
    assert balance(db, customer) == 0


def test_unknown_type_and_long_comment_are_refused(web: TestClient, db: Database) -> None:
    customer = add_customer(db)
    answer = post_tx(web, customer, type="usage")
    assert answer.status_code == 422
    assert field_error(html.unescape(answer.text), "type") == "Choose a transaction type"
    answer = post_tx(web, customer, internal_comment="x" * 1001)
    assert answer.status_code == 422
    assert "1000 characters" in (field_error(html.unescape(answer.text), "internal_comment") or "")
    assert count_entries(db) == 0


def test_a_form_sent_twice_posts_once(web: TestClient, db: Database) -> None:
    customer = add_customer(db)
    page = web.get(f"/customers/{customer}").text
    key = re.search(r'name="form_key" value="([^"]+)"', page)
    assert key
    data = {"csrf_token": csrf_of(page), "type": "payment", "amount": "7", "form_key": key[1]}
    url = f"/customers/{customer}/transactions"
    assert web.post(url, data=data, follow_redirects=False).status_code == 303
    assert web.post(url, data=data, follow_redirects=False).status_code == 303
    assert count_entries(db) == 1
    assert balance(db, customer) == -7_000_000
    # The same form with another amount (sent again after Back) is another transaction.
    data["amount"] = "3"
    assert web.post(url, data=data, follow_redirects=False).status_code == 303
    assert count_entries(db) == 2
    assert balance(db, customer) == -10_000_000
    # Each page shows a fresh form.
    fresh = re.search(r'name="form_key" value="([^"]+)"', web.get(f"/customers/{customer}").text)
    assert fresh and fresh[1] != key[1]


def test_closed_customer_has_no_form_and_refuses_a_post(web: TestClient, db: Database) -> None:
    customer = add_customer(db)
    token = csrf_of(web.get(f"/customers/{customer}").text)
    web.post(f"/customers/{customer}/status", data={"csrf_token": token, "action": "close"})
    page = web.get(f"/customers/{customer}").text
    assert "Make a transaction" not in page
    answer = post_tx(web, customer)
    assert answer.status_code == 409
    assert "is closed" in answer.text
    assert count_entries(db) == 0


def test_history_pages_by_twenty(web: TestClient, db: Database) -> None:
    customer = add_customer(db)
    for cents in range(1, 23):
        transact(db, customer, "manual_charge", str(Decimal(cents) / 100))
    page = web.get(f"/customers/{customer}").text
    rows = history_rows(page)
    assert len(rows) == 20
    assert "+0.22" in rows[0] and "+0.03" in rows[-1]
    history = page[page.index('id="history"') : page.index('id="invoices"')]
    next_link = re.search(r'href="(/customers/\d+\?tx=[^"#]+)#history">Next', history)
    assert next_link
    second = web.get(html.unescape(next_link[1])).text
    rows = history_rows(second)
    assert len(rows) == 2 and "+0.02" in rows[0] and "+0.01" in rows[1]
    history = second[second.index('id="history"') : second.index('id="invoices"')]
    assert ">First</a>" in history and ">Next</a>" not in history
    assert web.get(f"/customers/{customer}?tx=garbage").status_code == 422


def reserve(db: Database, customer_id: int, amount: str = "3.00") -> int:
    with db.transaction() as session:
        view = authorizations.reserve(
            session,
            SYSTEM,
            customer_id,
            ReserveIn(amount=amount, service="voice", session_id="call-42", ttl_seconds=600),
        )
        return view.row.id


def test_open_reservations_are_listed_and_released(web: TestClient, db: Database) -> None:
    customer = add_customer(db, business_model_id=1)
    auth = reserve(db, customer)
    page = web.get(f"/customers/{customer}").text
    section = page[page.index('id="reservations"') : page.index('id="history"')]
    assert "call-42" in section and "voice" in section and "3.00" in section
    assert re.search(r"(9|10) min \d\d s", section)
    token = csrf_of(page)
    answer = web.post(
        f"/customers/{customer}/reservations/{auth}/release",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    with db.reading() as session:
        row = session.get(Authorization, auth)
        assert row is not None and row.status == "released"
        customer_row = session.get(Customer, customer)
        assert customer_row is not None and customer_row.reserved_micros == 0
    page = web.get(f"/customers/{customer}").text
    assert f"Reservation #{auth} released" in page
    assert "nothing is reserved" in page
    again = web.post(
        f"/customers/{customer}/reservations/{auth}/release", data={"csrf_token": token}
    )
    assert "already released" in again.text


def test_release_of_another_customers_reservation_is_a_404(web: TestClient, db: Database) -> None:
    one = add_customer(db, "One Ltd")
    other = add_customer(db, "Other Ltd")
    auth = reserve(db, other)
    token = csrf_of(web.get(f"/customers/{one}").text)
    answer = web.post(f"/customers/{one}/reservations/{auth}/release", data={"csrf_token": token})
    assert answer.status_code == 404
    with db.reading() as session:
        row = session.get(Authorization, auth)
        assert row is not None and row.status == "reserved"


def test_viewer_sees_money_but_cannot_post_or_release(client: TestClient, db: Database) -> None:
    customer = add_customer(db)
    transact(db, customer, "payment", "12.00")
    auth = reserve(db, customer)
    make_user(db, "viewer", "auditor")
    web_login(client, "auditor", USER_PASSWORD)
    page = client.get(f"/customers/{customer}").text
    assert "Transaction history" in page and "-12.00" in page and "call-42" in page
    assert "Make a transaction" not in page and ">Release</button>" not in page
    token = csrf_of(page)
    refused = client.post(
        f"/customers/{customer}/transactions",
        data={"csrf_token": token, "type": "payment", "amount": "5"},
    )
    assert refused.status_code == 403
    assert "may not do this" in refused.text
    refused = client.post(
        f"/customers/{customer}/reservations/{auth}/release", data={"csrf_token": token}
    )
    assert refused.status_code == 403
    assert count_entries(db) == 1
    with db.reading() as session:
        row = session.get(Authorization, auth)
        assert row is not None and row.status == "reserved"


def test_operator_makes_transactions(client: TestClient, db: Database) -> None:
    customer = add_customer(db)
    make_user(db, "operator", "clerk")
    web_login(client, "clerk", USER_PASSWORD)
    assert post_tx(client, customer, type="manual_charge").status_code == 303
    assert balance(db, customer) == 25_000_000
    assert "clerk" in client.get(f"/customers/{customer}").text


def test_transaction_form_needs_its_csrf_token(web: TestClient, db: Database) -> None:
    customer = add_customer(db)
    answer = web.post(
        f"/customers/{customer}/transactions", data={"type": "payment", "amount": "5"}
    )
    assert answer.status_code == 403
    assert count_entries(db) == 0
