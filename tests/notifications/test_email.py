"""Email notifications through a real SMTP server, from events the ledger writes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from kassa.billing import documents
from kassa.core.clock import utcnow
from kassa.core.settings import Settings
from kassa.db.engine import Database
from kassa.events.outbox import emit
from kassa.notifications.delivery import deliver_once
from tests.conftest import Api
from tests.notifications.conftest import deliveries
from tests.notifications.servers import SmtpServer

# The test server takes a password over plain TCP; aiosmtpd warns of that, rightly elsewhere.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def test_only_events_of_the_class_list_are_mailed(
    db: Database,
    mail_settings: Settings,
    smtp: SmtpServer,
    make_class: Callable[..., int],
    make_customer: Callable[..., dict[str, Any]],
    post: Callable[[int, str, str], dict[str, Any]],
) -> None:
    payments_only = make_class(["payment_received"], credit_limit_warnings=["50"])
    invoices_only = make_class(["invoice_issued"])
    mailed = make_customer(
        name="Acme Ltd",
        customer_class_id=payments_only,
        credit_limit="10.00",
        email="billing@acme.example",
    )
    no_email = make_customer(customer_class_id=payments_only, credit_limit="10.00")
    other_class = make_customer(customer_class_id=invoices_only, email="ap@other.example")

    # 6.00 of a 10.00 limit crosses the 50% warning: an event the class does not list.
    post(mailed["id"], "manual_charge", "6.00")
    post(mailed["id"], "payment", "5.00")
    post(no_email["id"], "payment", "5.00")
    post(other_class["id"], "payment", "5.00")

    summary = deliver_once(db, mail_settings)

    # The warning and three payments (other events, such as customer_created, may come too).
    assert summary.events_fanned_out >= 4
    assert (summary.deliveries_created, summary.delivered) == (1, 1)
    assert len(smtp.mails) == 1
    mail = smtp.mails[0]
    assert mail.rcpt_tos == ["billing@acme.example"]
    assert mail.mail_from == "billing@telecom.example"
    assert mail.message["To"] == "billing@acme.example"
    assert mail.message["From"] == "Example Telecom Billing <billing@telecom.example>"
    assert mail.message["Subject"] == "Payment received: 5.00 USD"
    assert mail.message.get_content_type() == "multipart/alternative"
    text = mail.part("text/plain")
    html = mail.part("text/html")
    assert "Hello Acme Ltd," in text
    assert "payment of 5.00 USD" in text
    assert "1.00 USD owed" in text
    assert "<strong>5.00 USD</strong>" in html
    assert "1.00 USD owed" in html

    (row,) = deliveries(db, channel="email")
    assert (row.target, row.status, row.attempts) == ("billing@acme.example", "delivered", 1)
    assert row.delivered_at is not None

    # A second round finds nothing new: each event is mailed once.
    again = deliver_once(db, mail_settings)
    assert not again
    assert len(smtp.mails) == 1


def test_login_and_invoice_pdf_attachment(
    db: Database,
    settings: Settings,
    make_customer: Callable[..., dict[str, Any]],
) -> None:
    smtp = SmtpServer(user="mailer", password="s3cret").start()
    try:
        mail_settings = replace(
            settings,
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
            smtp_user="mailer",
            smtp_password="s3cret",
        )
        # The Default class lists invoice_issued.
        customer = make_customer(name="Invoice Receiver", email="ap@acme.example")
        asked: list[int] = []

        def invoice_pdf(session: Session, invoice_id: int) -> bytes:
            asked.append(invoice_id)
            return b"%PDF-1.4 invoice 2026-0007"

        with db.transaction() as session:
            emit(
                session,
                "invoice_issued",
                customer["id"],
                {
                    "customer_id": customer["id"],
                    "invoice_id": 7,
                    "number": "2026-0007",
                    "currency": "USD",
                    "amount_due": "12.50",
                    "due_date": "2026-12-15",
                },
            )

        summary = deliver_once(db, mail_settings, invoice_pdf=invoice_pdf)

        assert summary.delivered == 1
        assert smtp.logins == ["mailer"]
        assert asked == [7]
        (mail,) = smtp.mails
        assert mail.rcpt_tos == ["ap@acme.example"]
        assert mail.message["Subject"] == "Invoice 2026-0007 due 2026-12-15"
        assert mail.message.get_content_type() == "multipart/mixed"
        assert "Amount due: 12.50 USD" in mail.part("text/plain")
        assert "The invoice is attached as a PDF." in mail.part("text/plain")
        (attachment,) = list(mail.message.iter_attachments())
        assert attachment.get_filename() == "invoice-2026-0007.pdf"
        assert attachment.get_content_type() == "application/pdf"
        assert attachment.get_content() == b"%PDF-1.4 invoice 2026-0007"
    finally:
        smtp.stop()


def test_invoice_mailed_without_attachment_when_no_pdf_maker_is_given(
    db: Database,
    mail_settings: Settings,
    smtp: SmtpServer,
    make_customer: Callable[..., dict[str, Any]],
) -> None:
    customer = make_customer(email="ap@acme.example")
    with db.transaction() as session:
        emit(
            session,
            "invoice_issued",
            customer["id"],
            {"customer_id": customer["id"], "invoice_id": 3, "number": "2026-0003"},
        )

    assert deliver_once(db, mail_settings).delivered == 1

    (mail,) = smtp.mails
    assert mail.message["Subject"] == "Invoice 2026-0003"
    assert list(mail.message.iter_attachments()) == []
    assert "attached" not in mail.part("text/plain")


def test_mail_waits_while_the_smtp_server_is_down(
    db: Database,
    mail_settings: Settings,
    smtp: SmtpServer,
    make_customer: Callable[..., dict[str, Any]],
    post: Callable[[int, str, str], dict[str, Any]],
) -> None:
    customer = make_customer(email="billing@acme.example")
    post(customer["id"], "payment", "5.00")
    smtp.stop()

    first = deliver_once(db, mail_settings)

    assert (first.delivered, first.retrying) == (0, 1)
    (row,) = deliveries(db, channel="email")
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error

    restarted = SmtpServer(port=smtp.port).start()
    try:
        deadline = time.monotonic() + 30
        while not restarted.mails and time.monotonic() < deadline:
            time.sleep(0.1)
            deliver_once(db, mail_settings)
        (mail,) = restarted.mails
        assert mail.rcpt_tos == ["billing@acme.example"]
        (row,) = deliveries(db, channel="email")
        assert (row.status, row.attempts) == ("delivered", 2)
    finally:
        restarted.stop()


def test_refused_address_fails_at_once(
    db: Database,
    mail_settings: Settings,
    smtp: SmtpServer,
    make_customer: Callable[..., dict[str, Any]],
    post: Callable[[int, str, str], dict[str, Any]],
) -> None:
    customer = make_customer(email="gone@acme.example")
    smtp.refused.add("gone@acme.example")
    post(customer["id"], "payment", "5.00")

    summary = deliver_once(db, mail_settings)

    assert (summary.delivered, summary.failed) == (0, 1)
    (row,) = deliveries(db, channel="email")
    assert (row.status, row.attempts) == ("failed", 1)
    assert "550" in (row.last_error or "")
    assert smtp.mails == []


def test_without_an_smtp_host_no_email_is_queued(
    db: Database,
    settings: Settings,
    make_customer: Callable[..., dict[str, Any]],
    post: Callable[[int, str, str], dict[str, Any]],
) -> None:
    customer = make_customer(email="billing@acme.example")
    post(customer["id"], "payment", "5.00")

    summary = deliver_once(db, settings)

    assert summary.events_fanned_out >= 1
    assert summary.deliveries_created == 0
    assert deliveries(db) == []


@pytest.mark.calendar
def test_billing_run_mails_the_invoice_with_its_pdf(
    api: Api,
    db: Database,
    mail_settings: Settings,
    smtp: SmtpServer,
    make_customer: Callable[..., dict[str, Any]],
    post: Callable[[int, str, str], dict[str, Any]],
) -> None:
    customer = make_customer(
        name="Invoiced Ltd", email="ap@invoiced.example", billing_period="daily"
    )
    post(customer["id"], "manual_charge", "12.50")
    as_of = (utcnow() + timedelta(days=2)).isoformat()
    run = api.post("/billing-runs", {"as_of": as_of})
    assert run.status_code == 201, run.text
    assert run.json()["invoices_issued"] >= 1

    deliver_once(db, mail_settings, invoice_pdf=documents.invoice_pdf)

    invoices = [m for m in smtp.mails if m.message["Subject"].startswith("Invoice ")]
    assert invoices, [m.message["Subject"] for m in smtp.mails]
    mail = invoices[0]
    assert mail.rcpt_tos == ["ap@invoiced.example"]
    (attachment,) = list(mail.message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content().startswith(b"%PDF")
