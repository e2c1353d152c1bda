"""The README's example invoice, through the API: a customer in Prague subscribed to a plan one
December evening and charged an installation, invoiced when the month closed."""

from __future__ import annotations

from decimal import Decimal

from kassa.db.engine import Database
from tests.conftest import Api
from tests.subscriptions.support import (
    Clock,
    check_ledger,
    fees,
    make_customer,
    make_plan,
    subscribe,
)

D = "\N{EN DASH}"


def test_the_readme_invoice(api: Api, db: Database, at: Clock) -> None:
    at.set("2026-12-06T20:59:00+00:00")
    customer = make_customer(
        api, name="Nová Ves Fibre s.r.o.", currency="EUR", billing_timezone="Europe/Prague"
    )
    plan = make_plan(
        db,
        currency="EUR",
        periodic_fee=Decimal("29.99"),
        activation_fee=Decimal("49.00"),
        minimum_periods=12,
        cancellation_fee=Decimal("100.00"),
    )
    at.set("2026-12-06T20:59:48+00:00")
    sub = subscribe(api, customer, plan)
    charge = api.post(
        f"/customers/{customer}/transactions",
        {
            "type": "manual_charge",
            "amount": "15.00",
            "visible_comment": "Router installation visit",
        },
    )
    assert charge.status_code == 201, charge.text

    at.set("2027-01-01T06:00:00+00:00")
    run = api.post("/billing-runs", {"as_of": "2027-01-01T06:00:00Z"})
    assert run.status_code == 201, run.text
    (invoice,) = api.get(f"/customers/{customer}/invoices").json()["items"]
    shown = api.get(f"/invoices/{invoice['id']}").json()
    assert shown["number"] == "INV-2027-000001"
    assert [(line["description"], line["amount"]) for line in shown["lines"]] == [
        ("Router installation visit", "15.00"),
        ("Fibre 300, activation fee (6 Dec 2026)", "49.00"),
        (f"Fibre 300, 6{D}31 Dec 2026 (80.91% of the month)", "24.27"),
    ]
    assert shown["total"] == "88.27"
    # January's fee was posted as January began, for January's invoice.
    assert [(f["kind"], f["amount"]) for f in fees(api, sub["id"])] == [
        ("activation", "49.00"),
        ("periodic", "24.27"),
        ("periodic", "29.99"),
    ]
    check_ledger(db)
