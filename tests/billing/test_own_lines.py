"""Subscription fees, and charges and credits with a comment for the customer, are invoice
lines of their own, described by that comment; other entries are summed as before."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from weasyprint import HTML

from kassa.billing import documents
from kassa.billing.queries import get_invoice
from kassa.db.engine import Database
from tests.billing.fees import post_fee
from tests.conftest import Api, customer_body
from tests.when import period_end

pytestmark = pytest.mark.calendar

# The dates joined by an en dash, as the fee engine writes them.
FIBRE = "Fibre 300, 1\u201315 Mar 2027 (15/31 of the month)"
TV = "TV Basic, 1\u201331 Mar 2027"
ROUTER = "Router <b>rental</b> & setup"


def _customer(api: Api) -> int:
    response = api.post("/customers", customer_body(credit_limit="1000"))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _post(api: Api, customer: int, kind: str, amount: str, comment: str = "") -> None:
    body = {"type": kind, "amount": amount, "visible_comment": comment}
    response = api.post(f"/customers/{customer}/transactions", body)
    assert response.status_code == 201, response.text


def _invoice(api: Api, db: Database, customer: int) -> dict[str, Any]:
    # Just past the first period: a later as_of could close the next one too.
    as_of = period_end(db, customer) + timedelta(minutes=1)
    run = api.post("/billing-runs", {"as_of": as_of.isoformat()})
    assert run.status_code == 201, run.text
    [listed] = api.get(f"/customers/{customer}/invoices").json()["items"]
    invoice: dict[str, Any] = api.get(f"/invoices/{listed['id']}").json()
    return invoice


def _texts(box: Any) -> Iterator[str]:
    for child in box.descendants():
        text = getattr(child, "text", None)
        if isinstance(text, str):
            yield text


def test_fees_and_commented_entries_are_lines_of_their_own(api: Api, db: Database) -> None:
    customer = _customer(api)
    post_fee(db, customer, "14.51", FIBRE)
    post_fee(db, customer, "9.99", TV)
    _post(api, customer, "manual_charge", "20.00", ROUTER)
    _post(api, customer, "manual_charge", "5.00")
    _post(api, customer, "manual_charge", "7.00", "   ")
    _post(api, customer, "manual_credit", "2.00", "Goodwill credit for the outage")
    _post(api, customer, "manual_credit", "1.00")
    _post(api, customer, "promotional_credit", "3.00", "Spring promotion")
    _post(api, customer, "payment", "10.00", "Thank you")
    invoice = _invoice(api, db, customer)

    lines = [
        (line["description"], line["entry_type"], line["quantity"], line["amount"])
        for line in invoice["lines"]
    ]
    assert sorted(lines) == sorted(
        [
            (FIBRE, "subscription", 1, "14.51"),
            (TV, "subscription", 1, "9.99"),
            (ROUTER, "manual_charge", 1, "20.00"),
            # Without a comment (a blank one is none), summed as before.
            ("Charges", "manual_charge", 2, "12.00"),
            ("Goodwill credit for the outage", "manual_credit", 1, "-2.00"),
            ("Credits", "manual_credit", 1, "-1.00"),
            # Only charges and credits staff post are shown by their comment.
            ("Promotional credits", "promotional_credit", 1, "-3.00"),
        ]
    )
    # Fees in the order they were posted, each type's lines together.
    fees = [line["description"] for line in invoice["lines"]]
    assert fees.index(FIBRE) + 1 == fees.index(TV)
    assert invoice["subtotal"] == "50.50"
    assert invoice["payments"] == "10.00"

    html = api.get(f"/invoices/{invoice['id']}.html").text
    assert FIBRE in html and TV in html and "Goodwill credit for the outage" in html
    assert "Router &lt;b&gt;rental&lt;/b&gt; &amp; setup" in html and ROUTER not in html

    with db.reading() as session:
        stored = get_invoice(session, invoice["id"])
        rendered = documents.render_invoice_html(session, stored, None)
        base = documents.base_url(stored, None)
    shown = " ".join(
        text
        for page in HTML(string=rendered, base_url=base).render().pages
        for text in _texts(page._page_box)
    )
    for description in (FIBRE, TV, ROUTER, "Goodwill credit for the outage", "Charges"):
        assert all(word in shown for word in description.split()), description
    pdf = api.get(f"/invoices/{invoice['id']}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_a_long_comment_is_cut_to_the_line(api: Api, db: Database) -> None:
    customer = _customer(api)
    comment = "Installation " + "x" * 900
    _post(api, customer, "manual_charge", "1.00", comment)
    post_fee(db, customer, "2.00", "")
    invoice = _invoice(api, db, customer)
    by_type = {line["entry_type"]: line for line in invoice["lines"]}
    assert by_type["manual_charge"]["description"] == comment[:200]
    # A fee posted without a comment still is a line of its own, named by its type.
    assert by_type["subscription"]["description"] == "Subscription"
    assert by_type["subscription"]["amount"] == "2.00"
