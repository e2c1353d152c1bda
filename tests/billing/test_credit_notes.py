"""Credit notes through the service: limits, taxes, numbering, the ledger, events, audit."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from kassa.auth.actor import SYSTEM
from kassa.billing import credit_note_documents, credit_notes
from kassa.billing.credit_note_schemas import CreditNoteIn, CreditNoteLineIn
from kassa.core.errors import KassaError, NotFound, ValidationFailed
from kassa.customers.service import change_status
from kassa.db.engine import Database
from kassa.db.models import (
    AuditLog,
    CreditNote,
    CreditNoteDocument,
    CreditNoteLine,
    Customer,
    Invoice,
    InvoiceCounter,
    LedgerEntry,
    OutboxEvent,
)
from tests.billing.invoiced import invoiced_customer, invoiced_customers

pytestmark = pytest.mark.calendar


def note_in(*amounts: str, reason: str = "Outage on 3 Dec") -> CreditNoteIn:
    return CreditNoteIn(
        lines=[
            CreditNoteLineIn(description=f"Line {i}", amount=Decimal(a))
            for i, a in enumerate(amounts, start=1)
        ],
        reason=reason,
    )


def issue(db: Database, invoice_id: int, data: CreditNoteIn, **kw: Any) -> Any:
    with db.transaction() as session:
        return credit_notes.issue_credit_note(session, SYSTEM, invoice_id, data, **kw)


def state(db: Database, customer_id: int) -> tuple[int, int, int, int, int]:
    """Balance, sum of the ledger, entries, notes and the audit trail's length: what a refused
    note must leave as it found."""
    with db.reading() as session:
        balance = session.scalar(select(Customer.balance_micros).where(Customer.id == customer_id))
        ledger = session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount_micros), 0)).where(
                LedgerEntry.customer_id == customer_id
            )
        )
        entries = session.scalar(select(func.count()).where(LedgerEntry.customer_id == customer_id))
        notes = session.scalar(select(func.count()).select_from(CreditNote))
        audit = session.scalar(select(func.count()).select_from(AuditLog))
    return int(balance or 0), int(ledger or 0), int(entries or 0), int(notes or 0), int(audit or 0)


def refused(db: Database, invoice_id: int, data: CreditNoteIn) -> KassaError:
    with pytest.raises(KassaError) as caught:
        issue(db, invoice_id, data)
    return caught.value


def fields(error: KassaError) -> list[str]:
    return [e.field for e in error.errors]


def test_a_note_credits_the_ledger_settles_and_is_recorded(db: Database) -> None:
    customer, invoice = invoiced_customer(db, "40.00")
    before = state(db, customer)

    out = issue(db, invoice, note_in("15.00", "25.00"))

    assert re.fullmatch(r"CN-\d{4}-000001", out.number)
    assert (out.total, out.currency, out.reason) == ("40.00", "USD", "Outage on 3 Dec")
    assert [(line.position, line.description, line.amount) for line in out.lines] == [
        (1, "Line 1", "15.00"),
        (2, "Line 2", "25.00"),
    ]
    assert out.taxes == []
    with db.reading() as session:
        entry = session.get_one(LedgerEntry, out.transaction_id)
        assert (entry.type, entry.amount_micros) == ("manual_credit", -40_000_000)
        assert entry.visible_comment == f"Credit note {out.number} for invoice {out.invoice_number}"
        assert entry.internal_comment == "Outage on 3 Dec"
        # The credit covers the invoice: it is paid, as by a payment.
        assert session.get_one(Invoice, invoice).status == "paid"
        event = session.scalars(
            select(OutboxEvent).where(OutboxEvent.event_type == "credit_note_issued")
        ).one()
        assert event.customer_id == customer
        assert event.payload["number"] == out.number
        assert event.payload["invoice_id"] == invoice
        assert event.payload["total"] == "40.00"
        assert event.payload["balance"] == "0.00"
        trail = session.scalars(select(AuditLog).where(AuditLog.entity_type == "credit_note")).one()
        assert trail.entity_id == str(out.id)
    balance, ledger, entries, notes, _ = state(db, customer)
    assert balance == ledger == before[0] - 40_000_000
    assert (entries, notes) == (before[2] + 1, before[3] + 1)


def test_notes_up_to_the_invoice_total_and_not_a_cent_more(db: Database) -> None:
    customer, invoice = invoiced_customer(db, "10.00")
    issue(db, invoice, note_in("4.00"))
    before = state(db, customer)

    over = refused(db, invoice, note_in("3.00", "3.01"))
    assert isinstance(over, ValidationFailed) and over.code == "credit_exceeds_invoice"
    assert fields(over) == ["lines"]
    assert "6.00 USD left to credit" in over.errors[0].message
    single = refused(db, invoice, note_in("1.00", "6.01"))
    assert fields(single) == ["lines[1].amount"]
    # A micro more than the currency's decimals is refused as such, before the limit.
    micro = refused(db, invoice, note_in("6.000001"))
    assert fields(micro) == ["lines[0].amount"]
    assert state(db, customer) == before

    exact = issue(db, invoice, note_in("2.50", "3.50"))
    assert exact.total == "6.00"
    after_exact = state(db, customer)
    nothing_left = refused(db, invoice, note_in("0.01"))
    assert fields(nothing_left) == ["lines[0].amount"]
    assert "0.00 USD left" in nothing_left.errors[0].message
    assert state(db, customer) == after_exact
    with db.reading() as session:
        assert credit_notes.credited_micros(session, invoice) == 10_000_000


def test_bad_lines_are_named(db: Database) -> None:
    customer, invoice = invoiced_customer(db, "10.00")
    before = state(db, customer)

    empty = refused(db, invoice, CreditNoteIn(lines=[], reason=""))
    assert fields(empty) == ["lines"]
    bad = refused(
        db,
        invoice,
        CreditNoteIn(
            lines=[
                CreditNoteLineIn(description="Fine", amount=Decimal("1.00")),
                CreditNoteLineIn(description="   ", amount=Decimal("0")),
                CreditNoteLineIn(description="Refund", amount=Decimal("-1")),
                CreditNoteLineIn(description="Refund", amount=Decimal("1.005")),
            ]
        ),
    )
    assert fields(bad) == [
        "lines[1].description",
        "lines[1].amount",
        "lines[2].amount",
        "lines[3].amount",
    ]
    assert bad.http_status == 422
    assert state(db, customer) == before


def test_unknown_invoice_and_closed_customer(db: Database) -> None:
    with pytest.raises(NotFound) as unknown:
        issue(db, 999_999, note_in("1.00"))
    assert unknown.value.code == "invoice_not_found"

    customer, invoice = invoiced_customer(db, "10.00")
    issue(db, invoice, note_in("10.00"))  # nothing owed: the customer may be closed
    with db.transaction() as session:
        change_status(session, SYSTEM, customer, "close")
    closed = refused(db, invoice, note_in("1.00"))
    assert closed.code == "customer_closed"


def test_taxes_are_credited_in_proportion_and_add_up_exactly(db: Database) -> None:
    _, invoice = invoiced_customer(db, "100.00", taxes={"VAT": "21", "Fee": "1.5"})
    with db.reading() as session:
        row = session.get_one(Invoice, invoice)
        assert row.total_micros == 122_500_000
        assert [t["amount_micros"] for t in row.taxes] == [21_000_000, 1_500_000]

    first = issue(db, invoice, note_in("33.33"))
    # 21 * 33.33 / 122.5 = 5.7139... and 1.5 * 33.33 / 122.5 = 0.4081...
    assert [(t.name, t.amount) for t in first.taxes] == [("VAT", "5.71"), ("Fee", "0.41")]
    second = issue(db, invoice, note_in("0.01"))
    assert [t.amount for t in second.taxes] == ["0.01", "0.00"]
    rest = issue(db, invoice, note_in("89.16"))
    assert [t.amount for t in rest.taxes] == ["15.28", "1.09"]
    totals = [sum(Decimal(n.taxes[i].amount) for n in (first, second, rest)) for i in range(2)]
    assert totals == [Decimal("21.00"), Decimal("1.50")]


def test_inclusive_taxes_are_shares_of_the_total() -> None:
    taxes = [{"name": "VAT", "rate": "20", "amount_micros": 20_000_000}]
    assert credit_notes.tax_shares(taxes, 120_000_000, 0, 60_000_000, 2) == [
        {"name": "VAT", "rate": "20", "amount_micros": 10_000_000}
    ]
    # Any split of the whole invoice credits exactly its taxes.
    parts = [1_010_000, 33_330_000, 7_770_000, 77_890_000]
    credited = 0
    total_tax = 0
    for part in parts:
        (share,) = credit_notes.tax_shares(taxes, 120_000_000, credited, part, 2)
        assert share["amount_micros"] % 10_000 == 0 and 0 <= share["amount_micros"] <= part
        total_tax += share["amount_micros"]
        credited += part
    assert credited == 120_000_000 and total_tax == 20_000_000


def test_numbers_are_gapless_per_series_and_follow_the_format(db: Database) -> None:
    pairs = invoiced_customers(db, ["5.00", "5.00"])
    numbers = [issue(db, invoice, note_in("1.00")).number for _, invoice in pairs]
    numbers.append(issue(db, pairs[0][1], note_in("1.00")).number)
    seqs = [int(n.rsplit("-", 1)[1]) for n in numbers]
    assert seqs == [1, 2, 3]
    # A refused note takes no number.
    refused(db, pairs[1][1], note_in("9.00"))
    custom = issue(db, pairs[1][1], note_in("1.00"), number_format="CRN/{seq}")
    assert custom.number == "CRN/1"
    with db.reading() as session:
        series = set(session.scalars(select(InvoiceCounter.series)))
    assert {s for s in series if s.startswith("credit_note:")} == {
        f"credit_note:{numbers[0].split('-')[1]}",
        "credit_note:all",
    }
    # Invoice numbers are untouched by credit notes.
    with db.reading() as session:
        assert all(n.startswith("INV-") for n in session.scalars(select(Invoice.number)))


def test_lists_per_invoice_and_customer_newest_first(db: Database) -> None:
    (a, invoice_a), (_, invoice_b) = invoiced_customers(db, ["9.00", "9.00"])
    ids = [issue(db, invoice_a, note_in("1.00")).id for _ in range(3)]
    other = issue(db, invoice_b, note_in("2.00")).id
    with db.reading() as session:
        page, cursor = credit_notes.list_credit_notes(session, invoice_id=invoice_a, limit=2)
        assert [n.id for n in page] == ids[::-1][:2] and cursor
        rest, end = credit_notes.list_credit_notes(
            session, invoice_id=invoice_a, limit=2, cursor=cursor
        )
        assert [n.id for n in rest] == [ids[0]] and end is None
        mine, _ = credit_notes.list_credit_notes(session, customer_id=a)
        assert [n.id for n in mine] == ids[::-1]
        everyone, _ = credit_notes.list_credit_notes(session)
        assert [n.id for n in everyone] == [other, *ids[::-1]]
        out = credit_notes.credit_note_out(session, credit_notes.get_credit_note(session, other))
        assert (out.invoice_id, out.total) == (invoice_b, "2.00")
        lines = session.scalars(
            select(CreditNoteLine).where(CreditNoteLine.credit_note_id == other)
        )
        assert [line.amount_micros for line in lines] == [2_000_000]
        with pytest.raises(NotFound):
            credit_notes.list_credit_notes(session, invoice_id=999_999)
        with pytest.raises(NotFound):
            credit_notes.list_credit_notes(session, customer_id=999_999)
        with pytest.raises(NotFound):
            credit_notes.get_credit_note(session, 999_999)


def test_documents_render_and_the_pdf_is_kept(db: Database) -> None:
    _, invoice = invoiced_customer(db, "100.00", taxes={"VAT": "21"})
    issue(db, invoice, note_in("21.00"))
    out = issue(
        db,
        invoice,
        CreditNoteIn(
            lines=[CreditNoteLineIn(description="Refund <b>twice</b>", amount=Decimal("12.10"))],
            reason="Billed twice & sorry",
        ),
    )
    with db.reading() as session:
        note = credit_notes.get_credit_note(session, out.id)
        html = credit_note_documents.render_credit_note_html(session, note, None)
    assert f"Credit note {out.number}" in html
    assert out.invoice_number in html
    assert "Refund &lt;b&gt;twice&lt;/b&gt;" in html
    assert "Billed twice &amp; sorry" in html
    assert "of which VAT 21%" in html and "2.10" in html
    # 121.00 less the earlier 21.00 and this 12.10.
    assert "87.90 USD" in html

    with db.transaction() as session:
        pdf = credit_note_documents.credit_note_pdf(session, out.id)
    assert pdf.startswith(b"%PDF")
    filename, again = credit_note_documents.document_pdf(db, out.id, None)
    assert again == pdf and filename == f"{out.number}.pdf"
    with db.reading() as session:
        assert session.get_one(CreditNoteDocument, out.id).pdf == pdf
    with db.transaction() as session, pytest.raises(NotFound):
        credit_note_documents.credit_note_pdf(session, 999_999)


def test_a_number_format_without_seq_is_refused(db: Database) -> None:
    customer, invoice = invoiced_customer(db, "5.00")
    before = state(db, customer)
    with pytest.raises(KassaError) as caught:
        issue(db, invoice, note_in("1.00"), number_format="CN-{year}")
    assert caught.value.code == "credit_note_number_format_invalid"
    assert state(db, customer) == before
