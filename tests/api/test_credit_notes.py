"""Credit notes through the API: issue, refusals, idempotency, lists, documents, roles."""

from __future__ import annotations

import re

import pytest

from kassa.db.engine import Database
from tests.api.support import assert_problem, balance_micros, ledger_of, unchanged
from tests.billing.invoiced import invoiced_customer, invoiced_customers
from tests.conftest import Api

pytestmark = pytest.mark.calendar

BODY = {
    "lines": [
        {"description": "Outage credit", "amount": "3.00"},
        {"description": "Goodwill", "amount": "1.50"},
    ],
    "reason": "Outage on 3 Dec",
}


def test_issue_and_read_back(api: Api, db: Database) -> None:
    customer, invoice = invoiced_customer(db, "10.00")
    before = balance_micros(db, customer)

    response = api.post(f"/invoices/{invoice}/credit-notes", BODY)

    assert response.status_code == 201, response.text
    note = response.json()
    assert re.fullmatch(r"CN-\d{4}-000001", note["number"])
    assert note["invoice_id"] == invoice and note["customer_id"] == customer
    assert (note["total"], note["currency"], note["reason"]) == ("4.50", "USD", "Outage on 3 Dec")
    assert [(line["description"], line["amount"]) for line in note["lines"]] == [
        ("Outage credit", "3.00"),
        ("Goodwill", "1.50"),
    ]
    assert balance_micros(db, customer) == before - 4_500_000
    assert ledger_of(db, customer)[-1] == ("manual_credit", -4_500_000)
    transaction = api.get(f"/customers/{customer}/transactions").json()["items"][0]
    assert transaction["id"] == note["transaction_id"]
    assert transaction["visible_comment"] == (
        f"Credit note {note['number']} for invoice {note['invoice_number']}"
    )

    assert api.get(f"/credit-notes/{note['id']}").json() == note
    assert api.get(f"/invoices/{invoice}/credit-notes").json() == {
        "items": [note],
        "next_cursor": None,
    }
    assert api.get(f"/customers/{customer}/credit-notes").json()["items"] == [note]

    html = api.get(f"/credit-notes/{note['id']}.html")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert note["number"] in html.text and "Outage credit" in html.text
    pdf = api.get(f"/credit-notes/{note['id']}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert f'filename="{note["number"]}.pdf"' in pdf.headers["content-disposition"]


def test_limits_and_bad_lines_change_nothing(api: Api, db: Database) -> None:
    _, invoice = invoiced_customer(db, "10.00")
    path = f"/invoices/{invoice}/credit-notes"
    assert api.post(path, {"lines": [{"description": "Part", "amount": "6.00"}]}).status_code == 201

    with unchanged(db):
        over = api.post(
            path,
            {
                "lines": [
                    {"description": "A", "amount": "2.00"},
                    {"description": "B", "amount": "2.01"},
                ]
            },
        )
        assert_problem(over, 422, "credit_exceeds_invoice", "lines")
        single = api.post(path, {"lines": [{"description": "A", "amount": "4.01"}]})
        assert_problem(single, 422, "credit_exceeds_invoice", "lines[0].amount")
        assert_problem(api.post(path, {"lines": []}), 422, field="lines")
        assert_problem(
            api.post(path, {"lines": [{"description": " ", "amount": "1.00"}]}),
            422,
            field="lines[0].description",
        )
        assert_problem(
            api.post(
                path,
                {
                    "lines": [
                        {"description": "ok", "amount": "1.00"},
                        {"description": "x", "amount": "0.001"},
                    ]
                },
            ),
            422,
            field="lines[1].amount",
        )
        assert_problem(
            api.post(path, {"lines": [{"description": "x", "amount": "abc"}]}),
            422,
            field="lines[0].amount",
        )
        assert_problem(api.post(path, {"lines": [{"amount": "1.00"}]}), 422)
        assert_problem(api.post("/invoices/999999/credit-notes", BODY), 404, "invoice_not_found")
    exact = api.post(path, {"lines": [{"description": "Rest", "amount": "4.00"}]})
    assert exact.status_code == 201, exact.text
    listed = api.get(f"{path}?limit=1").json()
    assert [n["total"] for n in listed["items"]] == ["4.00"] and listed["next_cursor"]


def test_idempotency_key_issues_once(api: Api, db: Database) -> None:
    customer, invoice = invoiced_customer(db, "10.00")
    path = f"/invoices/{invoice}/credit-notes"
    headers = {"Idempotency-Key": "cn-1"}
    # The admin token is not a user's: money_call keys are per user.
    operator = api.as_token(api.token_for("operator"))

    first = operator.post(path, BODY, headers=headers)
    again = operator.post(path, BODY, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len(api.get(f"/customers/{customer}/credit-notes").json()["items"]) == 1
    other = operator.post(path, {**BODY, "reason": "other"}, headers=headers)
    assert_problem(other, 409, "idempotency_key_reused")


def test_roles_and_unknown_ids(api: Api, db: Database) -> None:
    (customer, invoice), _ = invoiced_customers(db, ["10.00", "1.00"])
    viewer = api.as_token(api.token_for("viewer"))
    assert_problem(viewer.post(f"/invoices/{invoice}/credit-notes", BODY), 403)
    assert viewer.get(f"/invoices/{invoice}/credit-notes").status_code == 200
    assert_problem(viewer.post(f"/invoices/{invoice}/send"), 403)
    for path in (
        "/credit-notes/999999",
        "/credit-notes/999999.html",
        "/credit-notes/999999.pdf",
        "/invoices/999999/credit-notes",
        "/customers/999999/credit-notes",
    ):
        assert_problem(api.get(path), 404)
    assert_problem(api.post("/invoices/999999/send"), 404, "invoice_not_found")
    # The customer has no email address.
    assert_problem(api.post(f"/invoices/{invoice}/send"), 409, "customer_has_no_email")
    assert customer


def test_openapi_names_the_credit_note_schemas(api: Api) -> None:
    document = api.client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    for name in ("CreditNoteIn", "CreditNoteLineIn", "CreditNoteOut", "CreditNotePage"):
        assert name in schemas
    paths = document["paths"]
    assert "post" in paths["/api/v1/invoices/{invoice_id}/credit-notes"]
    assert "202" in paths["/api/v1/invoices/{invoice_id}/send"]["post"]["responses"]
