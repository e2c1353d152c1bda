"""Billing runs driven through ``as_of``: invoices, taxes, numbering, collection."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kassa.db.engine import Database
from kassa.db.models import BillingPeriod, Customer, LedgerEntry
from tests.billing.numbers import assert_gapless
from tests.conftest import Api, customer_body
from tests.when import after_first_periods, days_ahead, iso, period_end

pytestmark = pytest.mark.calendar


def _class(api: Api, name: str, **fields: object) -> int:
    response = api.post("/customer-classes", {"name": name, **fields})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _customer(api: Api, **overrides: object) -> int:
    response = api.post("/customers", customer_body(**overrides))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _post(api: Api, customer: int, kind: str, amount: str) -> None:
    response = api.post(f"/customers/{customer}/transactions", {"type": kind, "amount": amount})
    assert response.status_code == 201, response.text


def _usage(api: Api, customer: int, service: str, amount: str) -> None:
    auth = api.post(
        f"/customers/{customer}/authorizations", {"amount": amount, "service": service}
    ).json()
    assert api.post(f"/authorizations/{auth['id']}/commit", {"amount": amount}).status_code == 200


def _first_invoice(api: Api, customer: int) -> dict[str, object]:
    listed = api.get(f"/customers/{customer}/invoices").json()["items"]
    first = min(listed, key=lambda i: i["id"])
    return dict(api.get(f"/invoices/{first['id']}").json())


def test_exclusive_taxes_lines_and_amount_due(api: Api, db: Database) -> None:
    vat = _class(
        api,
        "VAT payers",
        grace_period_days=14,
        taxation={
            "inclusive": False,
            "taxes": [{"name": "VAT", "rate": "21"}, {"name": "Fee", "rate": "1.5"}],
        },
    )
    customer = _customer(api, customer_class_id=vat, business_model_id=7, credit_limit="1000")
    _usage(api, customer, "voice", "10.004")
    _usage(api, customer, "voice", "0.333")
    _usage(api, customer, "data", "5.555")
    _post(api, customer, "manual_charge", "20.00")
    _post(api, customer, "promotional_credit", "3.00")
    _post(api, customer, "payment", "7.00")
    run = api.post("/billing-runs", {"as_of": after_first_periods()})
    assert run.status_code == 201, run.text
    assert run.json()["periods_closed"] >= 1 and run.json()["invoices_issued"] >= 1
    invoice = _first_invoice(api, customer)
    lines = {(line["service"], line["entry_type"]): line["amount"] for line in invoice["lines"]}  # type: ignore[union-attr]
    assert lines == {
        ("voice", "usage"): "10.34",  # 10.337 rounded half up
        ("data", "usage"): "5.56",  # 5.555 rounded half up
        (None, "manual_charge"): "20.00",
        (None, "promotional_credit"): "-3.00",
    }
    assert invoice["subtotal"] == "32.90"
    assert invoice["taxes"] == [
        {"name": "VAT", "rate": "21", "amount": "6.91"},  # 6.909
        {"name": "Fee", "rate": "1.5", "amount": "0.49"},  # 0.4935
    ]
    assert invoice["total"] == "40.30"
    assert invoice["previous_balance"] == "0.00"
    assert invoice["payments"] == "7.00"
    assert invoice["amount_due"] == "33.30"
    assert re.fullmatch(r"INV-\d{4}-\d{6}", str(invoice["number"]))
    assert invoice["status"] in ("issued", "overdue")
    # Exclusive taxes are in the ledger, and the ledger still adds up.
    with db.reading() as session:
        taxes = session.scalar(
            select(func.sum(LedgerEntry.amount_micros)).where(
                LedgerEntry.customer_id == customer, LedgerEntry.type == "tax"
            )
        )
        total = session.scalar(
            select(func.sum(LedgerEntry.amount_micros)).where(LedgerEntry.customer_id == customer)
        )
        balance = session.get_one(Customer, customer).balance_micros
    assert taxes == 7_400_000
    assert total == balance


def test_inclusive_taxes_are_shown_not_added(api: Api) -> None:
    inclusive = _class(
        api, "Retail", taxation={"inclusive": True, "taxes": [{"name": "VAT", "rate": "20"}]}
    )
    customer = _customer(api, customer_class_id=inclusive)
    _post(api, customer, "manual_charge", "12.00")
    api.post("/billing-runs", {"as_of": after_first_periods()})
    invoice = _first_invoice(api, customer)
    assert invoice["subtotal"] == "12.00" and invoice["total"] == "12.00"
    assert invoice["taxes"] == [{"name": "VAT", "rate": "20", "amount": "2.00"}]
    assert invoice["amount_due"] == "12.00"


def test_periods_close_once_and_numbers_have_no_gaps(api: Api, db: Database) -> None:
    customers = [_customer(api, billing_period="daily") for _ in range(3)]
    for c in customers:
        _post(api, c, "manual_charge", "1.00")
    as_of = days_ahead(4)
    first = api.post("/billing-runs", {"as_of": as_of}).json()
    again = api.post("/billing-runs", {"as_of": as_of}).json()
    assert first["periods_closed"] > 0 and again["periods_closed"] == 0
    with db.reading() as session:
        per_customer = session.execute(
            select(
                BillingPeriod.customer_id,
                func.count(),
                func.count(func.distinct(BillingPeriod.start_at)),
            ).group_by(BillingPeriod.customer_id)
        ).all()
    assert all(count == distinct for _, count, distinct in per_customer)
    numbers = []
    for c in customers:
        numbers += [
            i["number"]
            for i in api.get(f"/customers/{c}/invoices", params={"limit": 500}).json()["items"]
        ]
    assert_gapless(numbers)


def test_none_template_closes_the_period_without_invoice(api: Api, db: Database) -> None:
    silent = _class(api, "No invoices", invoice_template="none")
    customer = _customer(api, customer_class_id=silent)
    _post(api, customer, "manual_charge", "5.00")
    run = api.post("/billing-runs", {"as_of": after_first_periods()}).json()
    assert run["periods_closed"] >= 1
    assert api.get(f"/customers/{customer}/invoices").json()["items"] == []
    with db.reading() as session:
        billed = session.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.customer_id == customer, LedgerEntry.billing_period_id.is_not(None))
        )
    assert billed == 1


def test_suspension_after_overdue_and_payment_lifts_it(api: Api, db: Database) -> None:
    strict = _class(api, "Strict", grace_period_days=5, suspend_after_days=3)
    customer = _customer(api, customer_class_id=strict, credit_limit=None)
    _post(api, customer, "manual_charge", "50.00")
    # The invoice is issued the day the first period ends (a UTC midnight), due five days
    # later, overdue the day after, and the customer is suspended three days after that.
    ends = period_end(db, customer)
    api.post("/billing-runs", {"as_of": iso(ends + timedelta(days=1))})
    invoice = _first_invoice(api, customer)
    assert invoice["issue_date"] == ends.date().isoformat()
    assert invoice["status"] == "issued"
    assert invoice["due_date"] == (ends + timedelta(days=5)).date().isoformat()
    api.post("/billing-runs", {"as_of": iso(ends + timedelta(days=5, hours=23))})
    assert _first_invoice(api, customer)["status"] == "issued"
    api.post("/billing-runs", {"as_of": iso(ends + timedelta(days=6))})
    assert _first_invoice(api, customer)["status"] == "overdue"
    assert api.get(f"/customers/{customer}").json()["status"] == "active"
    api.post("/billing-runs", {"as_of": iso(ends + timedelta(days=9))})
    assert api.get(f"/customers/{customer}").json()["status"] == "suspended"
    refused = api.post(f"/customers/{customer}/authorizations", {"amount": "1", "service": "voice"})
    assert refused.status_code == 403
    _post(api, customer, "payment", "20.00")
    assert api.get(f"/customers/{customer}").json()["status"] == "suspended"
    _post(api, customer, "payment", "30.00")
    assert _first_invoice(api, customer)["status"] == "paid"
    assert api.get(f"/customers/{customer}").json()["status"] == "active"


def test_run_input_and_listing(api: Api) -> None:
    bad = api.post("/billing-runs", {"as_of": "tomorrow"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "as_of"
    naive = api.post("/billing-runs", {"as_of": "2026-12-01T00:00:00"})
    assert naive.status_code == 422
    ok = api.post("/billing-runs", {})
    assert ok.status_code == 201 and ok.json()["status"] == "finished"
    assert api.get("/billing-runs").json()["items"][0]["id"] == ok.json()["id"]
    assert api.get("/billing-runs/99999").status_code == 404
    assert api.get("/invoices/99999").status_code == 404
    viewer = api.as_token(api.token_for("viewer"))
    assert viewer.post("/billing-runs", {}).status_code == 403
