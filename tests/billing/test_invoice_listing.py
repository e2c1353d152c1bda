"""The invoice lists answer each invoice in full, as GET /invoices/{id} does (API.md)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.conftest import Api, customer_body

pytestmark = pytest.mark.calendar

# API.md, for GET /customers/{id}/invoices and GET /invoices/{id}.
CONTRACT_FIELDS = {
    "id",
    "number",
    "customer_id",
    "period_start",
    "period_end",
    "issue_date",
    "due_date",
    "currency",
    "lines",
    "subtotal",
    "taxes",
    "total",
    "previous_balance",
    "payments",
    "amount_due",
    "status",
}


def _billed_customer(api: Api, class_id: int, charge: str) -> dict[str, Any]:
    created = api.post("/customers", customer_body(customer_class_id=class_id))
    assert created.status_code == 201, created.text
    customer: dict[str, Any] = created.json()
    for kind, amount in (("manual_charge", charge), ("payment", "1.00")):
        posted = api.post(
            f"/customers/{customer['id']}/transactions", {"type": kind, "amount": amount}
        )
        assert posted.status_code == 201, posted.text
    return customer


def test_listed_invoices_carry_every_field_of_the_invoice(api: Api) -> None:
    taxed = api.post(
        "/customer-classes",
        {
            "name": "Taxed",
            "taxation": {"inclusive": False, "taxes": [{"name": "VAT", "rate": "10"}]},
        },
    )
    assert taxed.status_code == 201, taxed.text
    customers = [_billed_customer(api, taxed.json()["id"], charge) for charge in ("10.00", "20.00")]
    # The day after the first period of both ends: one invoice each.
    last_end = max(date.fromisoformat(c["next_billing_date"]) for c in customers)
    as_of = f"{last_end + timedelta(days=1)}T00:00:00Z"
    run = api.post("/billing-runs", {"as_of": as_of})
    assert run.status_code == 201, run.text

    listed_by_customer = []
    for customer, charge in zip(customers, ("10.00", "20.00"), strict=True):
        page = api.get(f"/customers/{customer['id']}/invoices")
        assert page.status_code == 200, page.text
        [item] = page.json()["items"]
        assert set(item) >= CONTRACT_FIELDS, CONTRACT_FIELDS - set(item)
        assert item == api.get(f"/invoices/{item['id']}").json()
        assert item["customer_id"] == customer["id"]
        assert item["period_start"] < item["period_end"]
        assert [(line["entry_type"], line["amount"]) for line in item["lines"]] == [
            ("manual_charge", charge)
        ]
        assert item["taxes"][0]["name"] == "VAT"
        assert item["payments"] == "1.00"
        listed_by_customer.append(item)

    everything = api.get("/invoices").json()["items"]
    assert sorted(everything, key=lambda i: i["id"]) == sorted(
        listed_by_customer, key=lambda i: i["id"]
    )
