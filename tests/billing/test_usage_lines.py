"""Invoice lines of rated usage: voice by destination group, other usage by service and unit,
each with the units its entries add up to; money usage as it always was."""

from __future__ import annotations

from typing import Any

import pytest

from kassa.auth.actor import SYSTEM
from kassa.core.vocabulary import EntryType
from kassa.db.engine import Database
from kassa.ledger.entries import RatedUsage, append_entry
from kassa.ledger.locks import lock_customer
from tests.conftest import Api, customer_body
from tests.when import after_first_periods

pytestmark = pytest.mark.calendar

MB = 1_048_576


def _customer(api: Api) -> int:
    response = api.post("/customers", customer_body(credit_limit="1000.00", business_model_id=7))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _rated(
    db: Database,
    customer_id: int,
    service: str,
    micros: int,
    units: int,
    unit: str,
    prefix: str = "",
    description: str | None = None,
    destination: str | None = None,
) -> None:
    """A rated usage entry, posted as a committed rated authorization posts it."""
    with db.transaction() as session:
        customer = lock_customer(session, customer_id)
        append_entry(
            session,
            SYSTEM,
            customer_id=customer.id,
            entry_type=EntryType.USAGE,
            amount_micros=micros,
            currency=customer.currency,
            exponent=customer.exponent,
            service=service,
            rated=RatedUsage(
                account_id=1,
                units=units,
                unit=unit,
                destination=destination,
                rate_prefix=prefix,
                rate_description=description,
            ),
        )


def _money_usage(api: Api, customer: int, service: str, amount: str) -> None:
    auth = api.post(f"/customers/{customer}/authorizations", {"amount": amount, "service": service})
    assert auth.status_code == 201, auth.text
    commit = api.post(f"/authorizations/{auth.json()['id']}/commit", {"amount": amount})
    assert commit.status_code == 200, commit.text


def _invoice(api: Api, customer: int) -> dict[str, Any]:
    run = api.post("/billing-runs", {"as_of": after_first_periods()})
    assert run.status_code == 201, run.text
    listed = api.get(f"/customers/{customer}/invoices").json()["items"]
    first = min(listed, key=lambda i: i["id"])
    response = api.get(f"/invoices/{first['id']}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def _shown(line: dict[str, Any]) -> tuple[object, ...]:
    return (
        line["description"],
        line["service"],
        line["quantity"],
        line["amount"],
        line["units"],
        line["unit"],
        line["units_display"],
        line["destination_prefix"],
    )


def test_voice_by_destination_data_and_messages_with_units(api: Api, db: Database) -> None:
    customer = _customer(api)
    # Two calls to London under a rate without a description: the geocoder names it.
    _rated(db, customer, "voice", 1_320_000, 61, "second", "4420", destination="+442071234567")
    _rated(db, customer, "voice", 2_400_000, 120, "second", "4420", destination="+442079876543")
    # The UK's other numbers: the country of the calling code.
    _rated(db, customer, "voice", 600_000, 30, "second", "44", destination="+441234567890")
    # A rate with a description is shown by it.
    _rated(db, customer, "voice", 3_000_000, 750, "second", "420", "Czechia, fixed")
    # Toronto's area code, a non-geographic prefix, and the rate for everything else.
    _rated(db, customer, "voice", 1_000_000, 60, "second", "1416", destination="+14165550100")
    _rated(db, customer, "voice", 5_000_000, 45, "second", "882", destination="+8822345")
    _rated(db, customer, "voice", 900_000, 90, "second", "", destination="+999123")
    # Data in bytes and messages: a line per service and unit, never per destination.
    _rated(db, customer, "data", 2_000_000, 3 * MB, "byte")
    _rated(db, customer, "data", 1_500_000, 2 * MB + MB // 2, "byte")
    _rated(db, customer, "messaging", 50_000, 1, "message", "44", destination="+447700900123")
    _rated(db, customer, "messaging", 50_000, 1, "message", "420", destination="+420601234567")
    # Money usage and a charge keep their lines as they were.
    _money_usage(api, customer, "voice", "2.50")
    charge = api.post(
        f"/customers/{customer}/transactions", {"type": "manual_charge", "amount": "4.00"}
    )
    assert charge.status_code == 201, charge.text

    invoice = _invoice(api, customer)

    assert [_shown(line) for line in invoice["lines"]] == [
        ("Charges", None, 1, "4.00", None, None, None, None),
        ("Data usage", "data", 2, "3.50", 5_767_168, "byte", "5.5 MB", None),
        ("Messaging usage", "messaging", 2, "0.10", 2, "message", "2 messages", None),
        ("Voice usage", "voice", 1, "2.50", None, None, None, None),
        ("Voice usage: Other destinations", "voice", 1, "0.90", 90, "second", "1.5 min", ""),
        ("Voice usage: Ontario", "voice", 1, "1.00", 60, "second", "1 min", "1416"),
        ("Voice usage: Czechia, fixed", "voice", 1, "3.00", 750, "second", "12.5 min", "420"),
        ("Voice usage: United Kingdom", "voice", 1, "0.60", 30, "second", "0.5 min", "44"),
        ("Voice usage: London", "voice", 2, "3.72", 181, "second", "3.02 min", "4420"),
        ("Voice usage: +882", "voice", 1, "5.00", 45, "second", "0.75 min", "882"),
    ]
    assert invoice["subtotal"] == "24.32"
    assert invoice["total"] == "24.32"

    html = api.get(f"/invoices/{invoice['id']}.html")
    assert html.status_code == 200, html.text
    page = html.text
    assert ">Units</th>" in page
    for shown in ("Voice usage: London", "+4420", "3.02 min", "12.5 min", "5.5 MB", "2 messages"):
        assert shown in page, shown
    assert "Voice usage: Czechia, fixed" in page
    # The PDF is made from that page.
    pdf = api.get(f"/invoices/{invoice['id']}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_a_period_of_money_only_keeps_its_lines(api: Api) -> None:
    customer = _customer(api)
    _money_usage(api, customer, "voice", "1.25")
    _money_usage(api, customer, "voice", "0.75")
    _money_usage(api, customer, "data", "3.00")

    invoice = _invoice(api, customer)

    assert [_shown(line) for line in invoice["lines"]] == [
        ("Data usage", "data", 1, "3.00", None, None, None, None),
        ("Voice usage", "voice", 2, "2.00", None, None, None, None),
    ]


def test_usage_in_seconds_groups_by_destination_whatever_the_service(
    api: Api, db: Database
) -> None:
    customer = _customer(api)
    _rated(db, customer, "sip_trunk", 1_000_000, 600, "second", "4930", destination="+4930123")
    _rated(db, customer, "sip_trunk", 2_000_000, 1200, "second", "4930", destination="+4930456")
    _rated(db, customer, "sip_trunk", 1_000_000, 60, "second", "49", "Germany, mobile")
    # A destination the description of one of its rates names, the other not: still one line.
    _rated(db, customer, "sip_trunk", 500_000, 6, "second", "7495", destination="+74951234567")
    _rated(db, customer, "sip_trunk", 500_000, 6, "second", "7495", "Moscow, fixed")

    invoice = _invoice(api, customer)

    assert [_shown(line) for line in invoice["lines"]] == [
        ("Sip trunk usage: Germany, mobile", "sip_trunk", 1, "1.00", 60, "second", "1 min", "49"),
        ("Sip trunk usage: Berlin", "sip_trunk", 2, "3.00", 1800, "second", "30 min", "4930"),
        ("Sip trunk usage: Moscow, fixed", "sip_trunk", 2, "1.00", 12, "second", "0.2 min", "7495"),
    ]
