"""Money and billing in Chromium: a payment by the form's labels, a billing run, the invoice."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from kassa.auth.actor import SYSTEM
from kassa.billing.postings import post_transaction
from kassa.db.engine import Database
from kassa.db.models import Invoice
from kassa.ledger.schemas import TransactionIn
from tests.web.helpers import add_customer
from tests.web.test_billing_pages import period_end

pytestmark = pytest.mark.browser
expect: Any = pytest.importorskip("playwright.sync_api").expect


def test_payment_then_billing_run_then_the_invoice(admin_page: Any, db: Database) -> None:
    customer = add_customer(db, "Prague Fibre s.r.o.")
    with db.transaction() as session:
        post_transaction(
            session, SYSTEM, customer, TransactionIn(type="manual_charge", amount="100.00")
        )
    page = admin_page
    page.reload()
    page.get_by_role("link", name="Prague Fibre s.r.o.").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Prague Fibre s.r.o.")
    owed = page.locator(".stat", has_text="Balance owed")
    expect(owed).to_contain_text("100.00")

    form = page.get_by_role("region", name="Make a transaction")
    form.get_by_label("Type").select_option(label="Payment — lowers what the customer owes")
    form.get_by_label("Amount").fill("25.00")
    form.get_by_label("Visible comment").fill("Thank you for your payment")
    form.get_by_label("Internal comment").fill("Bank transfer ref 4711")
    form.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status")).to_contain_text(
        "Payment of 25.00 USD saved. Balance owed is now 75.00 USD."
    )
    expect(owed).to_contain_text("75.00")
    history = page.get_by_role("region", name="Transaction history")
    newest = history.get_by_role("row").nth(1)
    expect(newest).to_contain_text("Payment")
    expect(newest).to_contain_text("-25.00")
    expect(newest).to_contain_text("75.00")
    expect(newest).to_contain_text("Thank you for your payment")
    expect(newest).to_contain_text("admin")
    expect(history.get_by_role("row").nth(2)).to_contain_text("+100.00")

    # Bad input stays on the page, next to the field, and changes nothing.
    form.get_by_label("Amount").fill("1.001")
    form.get_by_role("button", name="Save").click()
    amount_field = page.locator(".field", has=page.get_by_label("Amount"))
    expect(amount_field.locator(".field-error")).to_contain_text("at most 2 decimal places")
    expect(owed).to_contain_text("75.00")

    as_of = (period_end(db, customer) + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Billing runs").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Billing runs")
    page.get_by_label("As of (UTC)").fill(as_of)
    page.get_by_role("button", name="Run billing now").click()
    expect(page.get_by_role("status")).to_contain_text("1 period closed, 1 invoice issued")
    expect(page.locator("tr.row-highlight")).to_contain_text("Web UI")

    with db.reading() as session:
        number = session.scalar(select(Invoice.number).where(Invoice.customer_id == customer))
    assert number
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    page.get_by_role("link", name="Prague Fibre s.r.o.").click()
    invoices = page.get_by_role("region", name="Invoices")
    expect(invoices).to_contain_text(number)
    invoices.get_by_role("link", name=number, exact=True).click()
    expect(page).to_have_url(re.compile(r"/invoices/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)
    expect(page.get_by_role("link", name="Download PDF")).to_be_visible()
    document = page.frame_locator("iframe.invoice-frame")
    expect(document.locator("body")).to_contain_text(number)
