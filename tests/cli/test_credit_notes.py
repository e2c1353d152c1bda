"""``kassa credit-notes issue | list | show`` and ``kassa invoices send`` on the real database."""

from __future__ import annotations

import re

import pytest

from kassa.db.engine import Database
from kassa.db.models import CreditNote, NotificationDelivery
from tests.billing.invoiced import invoiced_customer
from tests.cli.conftest import Kassa

pytestmark = pytest.mark.calendar


def test_issue_list_and_show(kassa: Kassa, db: Database) -> None:
    customer, invoice = invoiced_customer(db, "20.00", taxes={"VAT": "25"})

    issued = kassa.ok(
        "credit-notes",
        "issue",
        "--invoice",
        str(invoice),
        "--line",
        "Outage on 3 Dec=5.00",
        "--line",
        "Fee a=b=2.50",
        "--reason",
        "Outage",
    )

    number = re.search(r"Issued credit note (CN-\d{4}-000001) \(id (\d+)\)", issued.output)
    assert number, issued.output
    assert "7.50 USD" in issued.output and "of which VAT 25%" in issued.output
    assert "Fee a=b" in issued.output
    listed = kassa.ok("credit-notes", "list", "--customer", str(customer))
    assert number[1] in listed.output and "Outage" in listed.output
    assert number[1] in kassa.ok("credit-notes", "list", "--invoice", str(invoice)).output
    shown = kassa.ok("credit-notes", "show", number[2])
    assert "Outage on 3 Dec" in shown.output and "5.00 USD" in shown.output


def test_refusals_name_the_option_and_change_nothing(kassa: Kassa, db: Database) -> None:
    _, invoice = invoiced_customer(db, "10.00")
    cases = [
        (["--line", "no amount"], "--line"),
        (["--line", "x=0"], "lines[0].amount (--line)"),
        (["--line", "a=6", "--line", "b=4.01"], "lines (--line)"),
        (["--line", "=1.00"], "lines[0].description (--line)"),
    ]
    for args, named in cases:
        result = kassa("credit-notes", "issue", "--invoice", str(invoice), *args)
        assert result.exit_code == 1, result.output
        assert named in result.output, result.output
    missing = kassa("credit-notes", "issue", "--invoice", "987654", "--line", "x=1")
    assert missing.exit_code == 1 and "987654" in missing.output
    assert kassa.count(CreditNote) == 0


def test_invoices_send(kassa: Kassa, db: Database) -> None:
    _, invoice = invoiced_customer(db, "1.00", email="ap@cli.example")
    refused = kassa("invoices", "send", str(invoice))
    assert refused.exit_code == 1 and "KASSA_SMTP_HOST" in refused.output
    queued = kassa("invoices", "send", str(invoice), env={"KASSA_SMTP_HOST": "127.0.0.1"})
    assert queued.exit_code == 0, queued.output
    assert "queued to ap@cli.example" in queued.output
    assert kassa.count(NotificationDelivery) == 1
    assert kassa("invoices", "send", "987654").exit_code == 1
    assert "send" in kassa.ok("invoices", "--help").output
