"""Invoices and billing runs in the web UI."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from kassa.auth.actor import SYSTEM
from kassa.billing import runs
from kassa.billing.postings import post_transaction
from kassa.billing.runs import run_billing
from kassa.core.clock import as_utc, utcnow
from kassa.db.engine import Database
from kassa.db.models import BillingPeriod, BillingRun, Customer, Invoice
from kassa.ledger.schemas import TransactionIn
from kassa.web.ledger_view import period_label
from tests.web.conftest import USER_PASSWORD, csrf_of, make_user, web_login
from tests.web.helpers import add_customer, field_error, input_value

pytestmark = pytest.mark.calendar


def count(db: Database, model: type) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def invoiced_customer(db: Database, name: str = "Acme Ltd", charge: str = "30.00") -> int:
    """A customer with one issued invoice, for a charge of ``charge``."""
    customer = add_customer(db, name)
    with db.transaction() as session:
        post_transaction(
            session, SYSTEM, customer, TransactionIn(type="manual_charge", amount=charge)
        )
    run_billing(db, SYSTEM, period_end(db, customer), triggered_by="api")
    return customer


def period_end(db: Database, customer: int) -> datetime:
    """Just past the end of the customer's open period: a run then closes exactly that one."""
    with db.reading() as session:
        row = session.get(Customer, customer)
        assert row is not None and row.period_end_at is not None
        return as_utc(row.period_end_at) + timedelta(seconds=1)


def first_invoice(db: Database, customer: int) -> Invoice:
    with db.reading() as session:
        invoice = session.scalar(select(Invoice).where(Invoice.customer_id == customer))
        assert invoice is not None
        session.expunge(invoice)
        return invoice


def test_customer_page_lists_its_invoices(web: TestClient, db: Database) -> None:
    customer = invoiced_customer(db)
    invoice = first_invoice(db, customer)
    page = html.unescape(web.get(f"/customers/{customer}").text)
    section = page[page.index('id="invoices"') :]
    assert invoice.number in section
    assert f'href="/invoices/{invoice.id}"' in section
    assert f'href="/invoices/{invoice.id}/pdf"' in section
    assert "30.00" in section and "Issued" in section
    assert invoice.issue_date.isoformat() in section and invoice.due_date.isoformat() in section
    # A first period can be a single day (a customer created on a month's last day).
    period = period_label(invoice.period_start, invoice.period_end, invoice.billing_timezone)
    assert period in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", section))


def test_invoice_page_shows_the_document_in_the_ui(web: TestClient, db: Database) -> None:
    customer = invoiced_customer(db)
    invoice = first_invoice(db, customer)
    page = web.get(f"/invoices/{invoice.id}")
    assert page.status_code == 200
    assert f"Invoice {invoice.number}" in page.text
    assert 'class="badge badge-issued"' in page.text
    assert f'src="/invoices/{invoice.id}/document"' in page.text
    assert "Download PDF" in page.text and 'aria-current="page">Invoices' in page.text
    document = web.get(f"/invoices/{invoice.id}/document")
    assert document.status_code == 200
    assert invoice.number in document.text
    assert "sandbox" in document.headers["content-security-policy"]


def test_invoice_pdf_downloads(web: TestClient, db: Database) -> None:
    invoice = first_invoice(db, invoiced_customer(db))
    pdf = web.get(f"/invoices/{invoice.id}/pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"].startswith("attachment;")
    assert invoice.number in pdf.headers["content-disposition"]


def test_unknown_invoice_is_a_404_page(web: TestClient) -> None:
    for path in ("/invoices/999", "/invoices/999/document", "/invoices/999/pdf"):
        answer = web.get(path)
        assert answer.status_code == 404
        assert "invoice 999 does not exist" in answer.text.lower()


def test_invoice_list_filters_by_status_and_customer(web: TestClient, db: Database) -> None:
    first = invoiced_customer(db, "First Ltd")
    second = add_customer(db, "Second Ltd")
    with db.transaction() as session:
        post_transaction(
            session, SYSTEM, second, TransactionIn(type="manual_charge", amount="5.00")
        )
    run_billing(db, SYSTEM, period_end(db, second), triggered_by="api")
    listing = web.get("/invoices").text
    assert "First Ltd" in listing and "Second Ltd" in listing
    assert web.get("/invoices?status=paid").text.count("badge-issued") == 0
    assert "No paid invoices" in web.get("/invoices?status=paid").text
    only = web.get(f"/invoices?customer_id={first}").text
    assert "Invoices of First Ltd" in only and "Second Ltd" not in only
    # A payment covering the invoice marks it paid.
    with db.transaction() as session:
        post_transaction(session, SYSTEM, first, TransactionIn(type="payment", amount="30.00"))
    paid = web.get("/invoices?status=paid").text
    assert "First Ltd" in paid and "Second Ltd" not in paid and "badge-paid" in paid
    assert web.get("/invoices?status=bogus").status_code == 422
    assert web.get("/invoices?customer_id=x").status_code == 422
    assert web.get("/invoices?customer_id=4242").status_code == 404


def test_invoice_list_pages(web: TestClient, db: Database) -> None:
    from kassa.web.routes import invoices as invoice_pages

    for n in range(3):
        invoiced_customer(db, f"Customer {n}")
    original = invoice_pages.PAGE_SIZE
    invoice_pages.PAGE_SIZE = 2
    try:
        first = web.get("/invoices").text
        assert ">Next</a>" in first and ">First</a>" not in first
        link = re.search(r'href="(/invoices\?[^"]*cursor=[^"]+)">Next', first)
        assert link
        second = web.get(html.unescape(link[1])).text
        assert ">First</a>" in second and ">Next</a>" not in second
        assert second.count('class="row-link"') == 1
    finally:
        invoice_pages.PAGE_SIZE = original


def post_run(web: TestClient, as_of: str):  # type: ignore[no-untyped-def]
    token = csrf_of(web.get("/billing-runs").text)
    return web.post(
        "/billing-runs", data={"csrf_token": token, "as_of": as_of}, follow_redirects=False
    )


def test_run_billing_now_as_of_a_future_date(web: TestClient, db: Database) -> None:
    customer = add_customer(db)
    with db.transaction() as session:
        post_transaction(session, SYSTEM, customer, TransactionIn(type="refund", amount="2.00"))
    as_of = (period_end(db, customer) + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    answer = post_run(web, as_of)
    assert answer.status_code == 303
    assert re.fullmatch(r"/billing-runs\?run=\d+", answer.headers["location"])
    page = html.unescape(web.get(answer.headers["location"]).text)
    assert re.search(
        r"Billing run #\d+ finished as of .* UTC: 1 period closed, 1 invoice issued", page
    )
    assert "row-highlight" in page and "Web UI" in page and "admin" in page
    assert as_of.replace("T", " ") + " UTC" in page
    assert count(db, Invoice) == 1
    assert first_invoice(db, customer).status == "issued"
    # Running again closes nothing twice.
    again = html.unescape(web.get(post_run(web, as_of).headers["location"]).text)
    assert "0 periods closed, 0 invoices issued" in again
    assert count(db, Invoice) == 1


def test_a_run_far_ahead_asks_first_and_runs_once_confirmed(web: TestClient, db: Database) -> None:
    customer = add_customer(db)
    as_of = (utcnow() + timedelta(days=200)).strftime("%Y-%m-%dT%H:%M")
    asked = post_run(web, as_of)
    assert asked.status_code == 422
    page = html.unescape(asked.text)
    message = field_error(page, "as_of") or ""
    assert re.search(r"is (199|200) days ahead", message)
    assert "1 customer has a period ending by then" in message
    assert 'name="bill_ahead"' in page
    assert input_value(page, "as_of") == as_of
    assert count(db, BillingRun) == 0

    token = csrf_of(page)
    confirmed = web.post(
        "/billing-runs",
        data={"csrf_token": token, "as_of": as_of, "bill_ahead": "yes"},
        follow_redirects=False,
    )
    assert confirmed.status_code == 303
    assert count(db, BillingRun) == 1
    with db.reading() as session:
        closed = session.scalar(
            select(func.count())
            .select_from(BillingPeriod)
            .where(BillingPeriod.customer_id == customer)
        )
    assert closed and closed >= 6  # half a year and more of monthly periods, closed at once


def test_run_billing_as_of_now_when_left_empty(web: TestClient, db: Database) -> None:
    add_customer(db)
    assert post_run(web, "").status_code == 303
    with db.reading() as session:
        run = session.scalar(select(BillingRun))
        assert run is not None and run.triggered_by == "web" and run.periods_closed == 0
    assert count(db, Invoice) == 0


@pytest.mark.parametrize("as_of", ["tomorrow", "2026-13-01T00:00", "2026-02-30T10:00"])
def test_bad_as_of_is_shown_next_to_it_and_runs_nothing(
    web: TestClient, db: Database, as_of: str
) -> None:
    answer = post_run(web, as_of)
    assert answer.status_code == 422
    page = html.unescape(answer.text)
    assert field_error(page, "as_of")
    assert input_value(page, "as_of") == as_of
    assert count(db, BillingRun) == 0


def test_viewer_reads_runs_and_invoices_but_cannot_run(client: TestClient, db: Database) -> None:
    customer = invoiced_customer(db)
    invoice = first_invoice(db, customer)
    make_user(db, "viewer", "auditor")
    web_login(client, "auditor", USER_PASSWORD)
    page = client.get("/billing-runs")
    assert page.status_code == 200
    assert "Run billing now" not in page.text and "API" in page.text
    assert client.get("/invoices").status_code == 200
    assert client.get(f"/invoices/{invoice.id}").status_code == 200
    refused = client.post("/billing-runs", data={"csrf_token": csrf_of(page.text), "as_of": ""})
    assert refused.status_code == 403
    assert count(db, BillingRun) == 1


def test_operator_runs_billing(client: TestClient, db: Database) -> None:
    make_user(db, "operator", "clerk")
    web_login(client, "clerk", USER_PASSWORD)
    assert post_run(client, "").status_code == 303
    assert "clerk" in client.get("/billing-runs").text


@pytest.mark.parametrize("path", ["/invoices", "/invoices/1", "/billing-runs", "/webhooks"])
def test_new_pages_need_sign_in(client: TestClient, path: str) -> None:
    answer = client.get(path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("bill_ahead", ["", "yes"])
def test_a_run_past_the_horizon_is_refused_beside_the_field(
    web: TestClient, db: Database, bill_ahead: str
) -> None:
    add_customer(db, billing_period="daily")
    token = csrf_of(web.get("/billing-runs").text)
    answer = web.post(
        "/billing-runs",
        data={"csrf_token": token, "as_of": "9999-12-31T23:59", "bill_ahead": bill_ahead},
        follow_redirects=False,
    )
    assert answer.status_code == 422
    page = html.unescape(answer.text)
    message = field_error(page, "as_of") or ""
    assert "at most 366 days ahead" in message, message
    assert 'name="bill_ahead"' not in page  # nothing to confirm: it cannot run at all
    assert input_value(page, "as_of") == "9999-12-31T23:59"
    assert count(db, BillingRun) == count(db, BillingPeriod) == 0


def test_the_runs_page_shows_progress_and_interrupted_runs(web: TestClient, db: Database) -> None:
    for index in range(3):
        add_customer(db, f"Daily {index}", billing_period="daily")
    as_of = utcnow() + timedelta(days=3)
    running = runs.start_run(db, SYSTEM, as_of, triggered_by="api")
    page = html.unescape(web.get("/billing-runs").text)
    row = page[page.index(f"#{running.id}") :]
    assert "badge-running" in row and "0 of 3 customers" in row
    with db.transaction() as session:
        session.execute(
            update(BillingRun)
            .where(BillingRun.id == running.id)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
    page = html.unescape(web.get("/billing-runs").text)
    row = page[page.index(f"#{running.id}") :]
    assert "badge-interrupted" in row and "Interrupted" in row
    assert "the next run completes its work" in row and "of 3 customers" not in row
