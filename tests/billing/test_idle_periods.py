"""A class with skip_idle_invoices issues no invoice for a period without a single entry; the
period closes all the same and the next one opens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from kassa.db.engine import Database
from kassa.db.models import BillingPeriod
from tests.billing.fees import post_fee
from tests.conftest import Api, customer_body
from tests.when import iso, period_end

pytestmark = pytest.mark.calendar


def _customer(api: Api, **overrides: object) -> int:
    response = api.post("/customers", customer_body(**overrides))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _run_past(api: Api, db: Database, customers: list[int]) -> dict[str, int]:
    """A billing run just after the open period of each of these customers has ended."""
    end = max(period_end(db, c) for c in customers)
    run = api.post("/billing-runs", {"as_of": iso(end + timedelta(seconds=1))})
    assert run.status_code == 201, run.text
    return dict(run.json())


def _invoices(api: Api, customer: int) -> int:
    return len(api.get(f"/customers/{customer}/invoices").json()["items"])


def _periods(db: Database, customer: int) -> list[tuple[int | None]]:
    with db.reading() as session:
        return [
            (invoice_id,)
            for invoice_id in session.scalars(
                select(BillingPeriod.invoice_id)
                .where(BillingPeriod.customer_id == customer)
                .order_by(BillingPeriod.id)
            )
        ]


def test_an_idle_period_closes_without_an_invoice(api: Api, db: Database) -> None:
    quiet = api.post("/customer-classes", {"name": "Quiet", "skip_idle_invoices": True}).json()
    idle = _customer(api, customer_class_id=quiet["id"])
    busy = _customer(api, customer_class_id=quiet["id"])
    fee_only = _customer(api, customer_class_id=quiet["id"])
    other = _customer(api)  # the Default class invoices every period
    posted = api.post(f"/customers/{busy}/transactions", {"type": "payment", "amount": "5"})
    assert posted.status_code == 201, posted.text
    post_fee(db, fee_only, "9.99", "Fibre 300")
    first_end = period_end(db, idle)

    _run_past(api, db, [idle, busy, fee_only, other])
    assert [_invoices(api, c) for c in (idle, busy, fee_only, other)] == [0, 1, 1, 1]
    # The idle customer's period closed all the same, without an invoice, and the next opened.
    assert _periods(db, idle) == [(None,)]
    assert period_end(db, idle) > first_end
    shown = api.get(f"/customers/{idle}").json()
    assert shown["next_billing_date"] > first_end.date().isoformat()

    # Activity in the next period is invoiced as usual.
    charged = api.post(
        f"/customers/{idle}/transactions", {"type": "manual_charge", "amount": "3.00"}
    )
    assert charged.status_code == 201, charged.text
    _run_past(api, db, [idle])
    assert _invoices(api, idle) == 1
    [invoice] = api.get(f"/customers/{idle}/invoices").json()["items"]
    assert invoice["total"] == "3.00"
    assert len(_periods(db, idle)) == 2 and _periods(db, idle)[0] == (None,)


def test_the_option_off_invoices_an_idle_period(api: Api, db: Database) -> None:
    loud = api.post("/customer-classes", {"name": "Loud", "skip_idle_invoices": False}).json()
    idle = _customer(api, customer_class_id=loud["id"])
    _run_past(api, db, [idle])
    assert _invoices(api, idle) == 1
