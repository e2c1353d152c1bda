"""A credit note's email, and an invoice's email sent again, through a real SMTP server."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from kassa.app import create_app
from kassa.auth.actor import SYSTEM
from kassa.billing import credit_note_documents, credit_notes, documents
from kassa.billing.credit_note_schemas import CreditNoteIn, CreditNoteLineIn
from kassa.billing.kept_pdfs import CREDIT_NOTE_PDFS
from kassa.core.errors import Conflict, NotFound
from kassa.core.settings import Settings
from kassa.db.engine import Database
from kassa.notifications.delivery import deliver_once
from kassa.notifications.resend import queue_invoice_email
from tests.api.support import assert_problem
from tests.billing.invoiced import invoiced_customer
from tests.conftest import Api
from tests.notifications.conftest import deliveries
from tests.notifications.servers import SmtpServer

pytestmark = pytest.mark.calendar


def test_a_credit_note_is_mailed_with_its_pdf(
    db: Database, mail_settings: Settings, smtp: SmtpServer
) -> None:
    customer, invoice = invoiced_customer(
        db, "20.00", email="ap@credited.example", notifications=["credit_note_issued"]
    )
    with db.transaction() as session:
        note = credit_notes.issue_credit_note(
            session,
            SYSTEM,
            invoice,
            CreditNoteIn(
                lines=[CreditNoteLineIn(description="Outage", amount=Decimal("5.00"))],
                reason="Outage on 3 Dec",
            ),
        )

    deliver_once(
        db,
        mail_settings,
        invoice_pdf=documents.invoice_pdf,
        credit_note_pdf=credit_note_documents.credit_note_pdf,
    )

    (mail,) = smtp.mails
    assert mail.rcpt_tos == ["ap@credited.example"]
    assert mail.message["Subject"] == f"Credit note {note.number} for invoice {note.invoice_number}"
    text = mail.part("text/plain")
    assert "Credited:   5.00 USD" in text
    assert "Reason:     Outage on 3 Dec" in text
    assert "15.00 USD owed" in text
    assert "attached as a PDF" in text
    (attachment,) = list(mail.message.iter_attachments())
    assert attachment.get_filename() == f"credit-note-{note.number}.pdf"
    pdf = attachment.get_content()
    assert pdf.startswith(b"%PDF")
    with db.reading() as session:
        assert CREDIT_NOTE_PDFS.kept(session, note.id) == pdf
    assert customer


def test_an_invoice_is_sent_again_on_request(
    db: Database, mail_settings: Settings, smtp: SmtpServer
) -> None:
    # The class mails nothing of itself: a resend goes all the same.
    _, invoice = invoiced_customer(db, "12.50", email="ap@again.example")
    deliver_once(db, mail_settings, invoice_pdf=documents.invoice_pdf)
    assert smtp.mails == []

    with db.transaction() as session:
        queued = queue_invoice_email(session, SYSTEM, invoice, email_enabled=True)
    assert queued.email == "ap@again.example"
    with db.transaction() as session:
        queue_invoice_email(session, SYSTEM, invoice, email_enabled=True)

    summary = deliver_once(db, mail_settings, invoice_pdf=documents.invoice_pdf)

    assert summary.delivered == 2 and summary.deliveries_created == 0
    assert len(smtp.mails) == 2
    mail = smtp.mails[0]
    assert mail.rcpt_tos == ["ap@again.example"]
    assert mail.message["Subject"].startswith(f"Invoice {queued.number} due ")
    assert f"here is your invoice {queued.number} again" in mail.part("text/plain")
    assert "Amount due: 12.50 USD" in mail.part("text/plain")
    (attachment,) = list(mail.message.iter_attachments())
    assert attachment.get_content().startswith(b"%PDF")
    rows = deliveries(db, channel="email")
    assert [(r.target, r.status) for r in rows] == [("ap@again.example", "delivered")] * 2


def test_resend_refusals(db: Database) -> None:
    _, invoice = invoiced_customer(db, "1.00")
    _, mailed = invoiced_customer(db, "1.00", email="ap@x.example")
    with db.transaction() as session:
        with pytest.raises(NotFound):
            queue_invoice_email(session, SYSTEM, 999_999, email_enabled=True)
        with pytest.raises(Conflict) as no_email:
            queue_invoice_email(session, SYSTEM, invoice, email_enabled=True)
        assert no_email.value.code == "customer_has_no_email"
        with pytest.raises(Conflict) as no_smtp:
            queue_invoice_email(session, SYSTEM, mailed, email_enabled=False)
        assert no_smtp.value.code == "email_not_configured"
    assert deliveries(db) == []


def test_send_through_the_api(db: Database, mail_settings: Settings, smtp: SmtpServer) -> None:
    _, invoice = invoiced_customer(db, "3.00", email="ap@api.example")
    with TestClient(create_app(mail_settings, db)) as client:
        api = Api(client)
        response = api.post(f"/invoices/{invoice}/send")
        assert response.status_code == 202, response.text
        assert response.json()["email"] == "ap@api.example"
        assert_problem(api.post("/invoices/999999/send"), 404, "invoice_not_found")
    with TestClient(create_app(replace(mail_settings, smtp_host=None), db)) as client:
        assert_problem(Api(client).post(f"/invoices/{invoice}/send"), 409, "email_not_configured")

    deliver_once(db, mail_settings, invoice_pdf=documents.invoice_pdf)
    (mail,) = smtp.mails
    assert mail.rcpt_tos == ["ap@api.example"]
