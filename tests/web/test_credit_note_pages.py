"""Credit notes in the web UI: the form on the invoice page, the lists, documents, Send again."""

from __future__ import annotations

import html
import re
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kassa.core.settings import Settings
from kassa.db.engine import Database
from kassa.db.models import CreditNote, NotificationDelivery
from tests.billing.invoiced import invoiced_customer
from tests.web.conftest import USER_PASSWORD, csrf_of, make_user, web_login
from tests.web.helpers import field_error, input_value

pytestmark = pytest.mark.calendar


def notes(db: Database) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(CreditNote)) or 0)


def form_of(page: str, **fields: str) -> dict[str, str]:
    key = re.search(r'name="form_key" value="([^"]+)"', page)
    assert key
    return {"csrf_token": csrf_of(page), "form_key": key[1], **fields}


def test_issue_from_the_invoice_page(web: TestClient, db: Database) -> None:
    customer, invoice = invoiced_customer(db, "30.00")
    page = web.get(f"/invoices/{invoice}").text
    assert "Issue credit note" in page and "30.00 USD of 30.00 left to credit" in page
    assert "No credit notes for this invoice." in page

    # The second row is left blank: the third is the note's second line.
    data = form_of(
        page,
        **{
            "lines[0].description": "Outage",
            "lines[0].amount": "10.00",
            "lines[2].description": "Goodwill",
            "lines[2].amount": "2.50",
            "reason": "Outage on 3 Dec",
        },
    )
    answer = web.post(f"/invoices/{invoice}/credit-notes", data=data, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    # Sent twice (a double click): one note.
    again = web.post(f"/invoices/{invoice}/credit-notes", data=data, follow_redirects=False)
    assert again.status_code == 303
    assert notes(db) == 1

    shown = html.unescape(web.get(answer.headers["location"]).text)
    assert re.search(r"Credit note CN-\d{4}-000001 issued: 12.50 USD credited", shown)
    section = shown[shown.index('id="credit-notes"') :]
    number = re.search(r"CN-\d{4}-000001", section)
    assert number and "Outage, Goodwill" in section and "Outage on 3 Dec" in section
    assert "17.50 USD of 30.00 left to credit" in section
    with db.reading() as session:
        note_id = session.scalar(select(CreditNote.id))
    assert f'href="/credit-notes/{note_id}/document"' in section
    assert f'href="/credit-notes/{note_id}/pdf"' in section

    document = web.get(f"/credit-notes/{note_id}/document")
    assert document.status_code == 200 and number[0] in document.text
    pdf = web.get(f"/credit-notes/{note_id}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"].startswith("attachment;")

    customer_page = html.unescape(web.get(f"/customers/{customer}").text)
    listed = customer_page[customer_page.index('id="credit-notes"') :]
    assert number[0] in listed and f'href="/invoices/{invoice}"' in listed


def test_errors_show_beside_their_row(web: TestClient, db: Database) -> None:
    _, invoice = invoiced_customer(db, "10.00")
    page = web.get(f"/invoices/{invoice}").text

    bad = web.post(
        f"/invoices/{invoice}/credit-notes",
        data=form_of(
            page,
            **{
                "lines[1].description": "",
                "lines[1].amount": "3.00",
                "lines[3].description": "Refund",
                "lines[3].amount": "0.001",
            },
        ),
    )
    assert bad.status_code == 422
    assert field_error(bad.text, "lines[1].description") == "Must not be empty"
    assert "decimal places" in (field_error(bad.text, "lines[3].amount") or "")
    assert input_value(bad.text, "lines[3].amount") == "0.001"

    word = web.post(
        f"/invoices/{invoice}/credit-notes",
        data=form_of(page, **{"lines[4].description": "x", "lines[4].amount": "ten"}),
    )
    assert word.status_code == 422
    assert field_error(word.text, "lines[4].amount")

    over = web.post(
        f"/invoices/{invoice}/credit-notes",
        data=form_of(
            page,
            **{
                "lines[0].description": "A",
                "lines[0].amount": "6.00",
                "lines[1].description": "B",
                "lines[1].amount": "4.01",
            },
        ),
    )
    assert over.status_code == 422
    assert "left to credit" in html.unescape(over.text)

    empty = web.post(f"/invoices/{invoice}/credit-notes", data=form_of(page))
    assert empty.status_code == 422
    assert "Must have at least one line" in empty.text
    assert notes(db) == 0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """An SMTP host, so that Send again queues; no round ever delivers here."""
    return replace(settings, smtp_host="127.0.0.1", notify_interval_seconds=0)


def test_send_again_and_who_may(client: TestClient, db: Database) -> None:
    _, invoice = invoiced_customer(db, "5.00")
    _, mailed = invoiced_customer(db, "5.00", email="ap@web.example")
    make_user(db, "viewer")
    web_login(client, "viewer-user", USER_PASSWORD)
    page = client.get(f"/invoices/{invoice}").text
    assert "Issue credit note" not in page and "Send again" not in page
    token = csrf_of(page)
    refused = client.post(
        f"/invoices/{invoice}/credit-notes",
        data={"csrf_token": token, "lines[0].description": "x", "lines[0].amount": "1"},
    )
    assert refused.status_code == 403
    assert client.post(f"/invoices/{invoice}/send", data={"csrf_token": token}).status_code == 403

    web_login(client)
    page = client.get(f"/invoices/{mailed}").text
    assert "Send again" in page
    answer = client.post(
        f"/invoices/{mailed}/send", data={"csrf_token": csrf_of(page)}, follow_redirects=False
    )
    assert answer.status_code == 303
    shown = html.unescape(client.get(answer.headers["location"]).text)
    assert "will be emailed to ap@web.example again" in shown
    with db.reading() as session:
        queued = session.scalars(select(NotificationDelivery)).all()
    assert [(d.channel, d.target, d.status) for d in queued] == [
        ("email", "ap@web.example", "pending")
    ]
    no_email = client.post(
        f"/invoices/{invoice}/send", data={"csrf_token": csrf_of(page)}, follow_redirects=False
    )
    assert no_email.status_code == 303
    assert "has no email address" in html.unescape(client.get(no_email.headers["location"]).text)
    missing = client.post("/invoices/999999/send", data={"csrf_token": csrf_of(page)})
    assert missing.status_code == 404
    for path in ("/credit-notes/999999/document", "/credit-notes/999999/pdf"):
        assert client.get(path).status_code == 404
