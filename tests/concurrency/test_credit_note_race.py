"""Credit notes issued at once by many clients over two server processes, more than the
invoices' totals allow.

Whatever interleaves, the notes of an invoice never credit more than its total, every refusal
is a 422 that left nothing behind, the numbers are unique and gapless, each note posted
exactly one manual credit of its total, and ``sum(ledger) == balance`` for everyone.
"""

from __future__ import annotations

import random
import re
import threading
from collections import Counter, defaultdict

import httpx
from sqlalchemy import select

from kassa.db.engine import Database
from kassa.db.models import CreditNote, Invoice
from tests.billing.invoiced import invoiced_customers
from tests.concurrency.harness import Cluster, check_ledger, connect, run_clients, snapshot

INVOICES = 3
CHARGE = "10.00"
CLIENTS = 12
NOTES_PER_CLIENT = 8
AMOUNTS = ("0.50", "1.00", "1.50", "2.00", "0.01")


def test_notes_at_once_stay_within_the_invoices_and_number_gaplessly(cluster: Cluster) -> None:
    db = Database(cluster.database_url)
    try:
        pairs = invoiced_customers(db, [CHARGE] * INVOICES)
        invoices = [invoice for _, invoice in pairs]

        def issuer(index: int, barrier: threading.Barrier) -> list[tuple[int, int, str, str]]:
            rng = random.Random(index)
            answers = []
            with cluster.client(index) as api:
                connect(api)
                barrier.wait()
                for _ in range(NOTES_PER_CLIENT):
                    invoice = rng.choice(invoices)
                    amount = rng.choice(AMOUNTS)
                    try:
                        response = api.post(
                            f"/invoices/{invoice}/credit-notes",
                            json={
                                "lines": [{"description": f"Credit {index}", "amount": amount}],
                                "reason": "race",
                            },
                        )
                    except httpx.TransportError as exc:
                        answers.append((invoice, 0, amount, repr(exc)))
                        continue
                    answers.append((invoice, response.status_code, amount, response.text))
            return answers

        answers = [a for per_client in run_clients(CLIENTS, issuer) for a in per_client]

        assert not cluster.server_errors(), cluster.server_errors()
        statuses = Counter(status for _, status, _, _ in answers)
        assert set(statuses) <= {201, 422}, [a for a in answers if a[1] not in (201, 422)][:5]
        # Far more was asked than the invoices hold: some notes were refused.
        assert statuses[201] and statuses[422]
        for _, status, _, text in answers:
            if status == 422:
                assert '"credit_exceeds_invoice"' in text, text

        with db.reading() as session:
            notes = session.execute(
                select(
                    CreditNote.id,
                    CreditNote.number,
                    CreditNote.invoice_id,
                    CreditNote.customer_id,
                    CreditNote.total_micros,
                    CreditNote.ledger_entry_id,
                )
            ).all()
            totals = dict(session.execute(select(Invoice.id, Invoice.total_micros)).all())
        assert len(notes) == statuses[201]

        credited: dict[int, int] = defaultdict(int)
        for note in notes:
            credited[note.invoice_id] += note.total_micros
        for invoice in invoices:
            assert credited[invoice] <= totals[invoice], (invoice, credited[invoice])

        # Unique and gapless: one series (the year), numbered 1..n.
        seqs = sorted(int(re.fullmatch(r"CN-\d{4}-(\d{6})", n.number)[1]) for n in notes)  # type: ignore[index]
        assert seqs == list(range(1, len(notes) + 1))
        assert len({n.number for n in notes}) == len(notes)

        snap = snapshot(cluster.database_url)
        check_ledger(snap)
        entries = {e["id"]: e for per in snap.entries.values() for e in per}
        for note in notes:
            entry = entries[note.ledger_entry_id]
            assert (entry["type"], entry["amount_micros"]) == ("manual_credit", -note.total_micros)
            assert entry["customer_id"] == note.customer_id
            assert entry["visible_comment"].startswith(f"Credit note {note.number} ")
        for customer, _ in pairs:
            credits = [e for e in snap.entries[customer] if e["type"] == "manual_credit"]
            mine = [n for n in notes if n.customer_id == customer]
            assert len(credits) == len(mine)
    finally:
        db.dispose()
