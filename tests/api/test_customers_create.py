"""POST /customers: every rule of the customer page, and every bad input refused cleanly."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kassa.db.engine import Database
from tests.api.support import assert_problem, balance_micros, ledger_of
from tests.conftest import Api, customer_body

Unchanged = Callable[[], AbstractContextManager[None]]
MakeCustomer = Callable[..., dict[str, Any]]

OUT_FIELDS = {
    "id",
    "name",
    "balance_control",
    "currency",
    "credit_limit",
    "balance",
    "reserved",
    "available_funds",
    "business_model_id",
    "customer_class_id",
    "billing_period",
    "billing_timezone",
    "email",
    "custom_data",
    "status",
    "created_at",
    "next_billing_date",
}

PERIODS = ("daily", "weekly", "semimonthly", "monthly", "monthly_anniversary", "thirty_days")
PREPAID = {"balance_control": "prepaid", "credit_limit": ...}

# (overrides of a valid postpaid body, the field the answer must name)
BAD_BODIES: list[tuple[str, dict[str, object], str]] = [
    ("name missing", {"name": ...}, "name"),
    ("name empty", {"name": ""}, "name"),
    ("name blank", {"name": "   \t "}, "name"),
    ("name not text", {"name": 42}, "name"),
    ("name too long", {"name": "x" * 201}, "name"),
    ("balance control missing", {"balance_control": ...}, "balance_control"),
    ("balance control unknown", {"balance_control": "credit"}, "balance_control"),
    ("currency missing", {"currency": ...}, "currency"),
    ("currency empty", {"currency": ""}, "currency"),
    ("currency unknown", {"currency": "ZZZ"}, "currency"),
    ("currency disabled", {"currency": "GBP"}, "currency"),
    ("currency not money", {"currency": "XAU"}, "currency"),
    ("currency not text", {"currency": 840}, "currency"),
    ("credit limit on prepaid", {**PREPAID, "credit_limit": "10.00"}, "credit_limit"),
    ("credit limit zero on prepaid", {**PREPAID, "credit_limit": "0"}, "credit_limit"),
    ("available funds on postpaid", {"available_funds": "5.00"}, "available_funds"),
    ("available funds zero on postpaid", {"available_funds": "0"}, "available_funds"),
    ("negative credit limit", {"credit_limit": "-1.00"}, "credit_limit"),
    ("negative available funds", {**PREPAID, "available_funds": "-0.01"}, "available_funds"),
    ("negative funds as number", {**PREPAID, "available_funds": -5}, "available_funds"),
    ("three decimals in USD", {"credit_limit": "10.001"}, "credit_limit"),
    ("three decimals funds", {**PREPAID, "available_funds": "1.005"}, "available_funds"),
    ("float with three decimals", {"credit_limit": 0.125}, "credit_limit"),
    ("tiny number", {"credit_limit": 1e-7}, "credit_limit"),
    ("huge amount", {"credit_limit": "1000000000000"}, "credit_limit"),
    ("huge number", {"credit_limit": 1e300}, "credit_limit"),
    ("amount not a number", {"credit_limit": "abc"}, "credit_limit"),
    ("amount empty", {"credit_limit": ""}, "credit_limit"),
    ("amount with comma", {"credit_limit": "1,50"}, "credit_limit"),
    ("amount NaN", {"credit_limit": "NaN"}, "credit_limit"),
    ("amount infinite", {"credit_limit": "Infinity"}, "credit_limit"),
    ("amount with underscores", {"credit_limit": "1_000"}, "credit_limit"),
    ("amount in other digits", {"credit_limit": "\u0661\u0662"}, "credit_limit"),
    ("amount huge exponent", {"credit_limit": "1e999999999"}, "credit_limit"),
    ("amount tiny exponent", {"credit_limit": "1e-999999999"}, "credit_limit"),
    ("zero with huge exponent", {"credit_limit": "0e999999999"}, "credit_limit"),
    ("amount boolean", {"credit_limit": True}, "credit_limit"),
    ("amount list", {"credit_limit": [1]}, "credit_limit"),
    ("amount object", {**PREPAID, "available_funds": {"value": 1}}, "available_funds"),
    ("business model missing", {"business_model_id": ...}, "business_model_id"),
    ("business model unknown", {"business_model_id": 9999}, "business_model_id"),
    ("business model zero", {"business_model_id": 0}, "business_model_id"),
    ("business model huge", {"business_model_id": 2**64}, "business_model_id"),
    ("business model text", {"business_model_id": "one"}, "business_model_id"),
    ("class unknown", {"customer_class_id": 9999}, "customer_class_id"),
    ("class huge", {"customer_class_id": 2**63}, "customer_class_id"),
    ("billing period unknown", {"billing_period": "yearly"}, "billing_period"),
    ("billing period empty", {"billing_period": ""}, "billing_period"),
    ("time zone unknown", {"billing_timezone": "Mars/Olympus_Mons"}, "billing_timezone"),
    ("time zone empty", {"billing_timezone": ""}, "billing_timezone"),
    ("time zone offset", {"billing_timezone": "+01:00"}, "billing_timezone"),
    ("email invalid", {"email": "not-an-address"}, "email"),
    ("unknown field", {"colour": "blue"}, "colour"),
    ("custom data unknown field", {"custom_data": {"tax_code": "X"}}, "custom_data.tax_code"),
    ("custom data not an object", {"custom_data": "tax_code=X"}, "custom_data"),
]


def test_bad_body_is_a_422_naming_the_field_and_changes_nothing(
    api: Api, nothing_changes: Unchanged, subtests: pytest.Subtests
) -> None:
    for case, overrides, field in BAD_BODIES:
        with subtests.test(case), nothing_changes():
            response = api.post("/customers", customer_body(**overrides))
            assert_problem(response, 422, field=field)


def test_every_error_of_a_body_is_reported_at_once(api: Api) -> None:
    response = api.post(
        "/customers",
        customer_body(
            name=" ", currency="ZZZ", business_model_id=9999, billing_timezone="Nowhere/City"
        ),
    )
    body = assert_problem(response, 422, code="validation_failed")
    assert {e["field"] for e in body["errors"]} >= {
        "name",
        "currency",
        "business_model_id",
        "billing_timezone",
    }


@pytest.mark.calendar
def test_created_customer_has_every_documented_field(api: Api) -> None:
    response = api.post(
        "/customers",
        customer_body(
            name="  Acme   Ltd ",
            billing_period="weekly",
            billing_timezone="Europe/Prague",
            email=" billing@acme.example ",
        ),
    )
    assert response.status_code == 201, response.text
    customer = response.json()
    assert customer.keys() >= OUT_FIELDS
    assert customer["name"] == "Acme Ltd"
    assert customer["email"] == "billing@acme.example"
    assert customer["currency"] == "USD"
    assert customer["credit_limit"] == "500.00"
    assert customer["balance"] == "0.00"
    assert customer["reserved"] == "0.00"
    assert customer["available_funds"] == "500.00"
    assert customer["status"] == "active"
    assert customer["billing_period"] == "weekly"
    assert customer["billing_timezone"] == "Europe/Prague"
    assert customer["custom_data"] == {}
    assert 1 <= _days_to_billing(customer) <= 7
    assert customer["created_at"].endswith(("Z", "+00:00"))
    assert api.get(f"/customers/{customer['id']}").json() == customer


def _days_to_billing(customer: dict[str, str]) -> int:
    """Days from the customer's creation, on its billing calendar, to its first billing date."""
    zone = ZoneInfo(customer["billing_timezone"])
    created = datetime.fromisoformat(customer["created_at"]).astimezone(zone).date()
    return (date.fromisoformat(customer["next_billing_date"]) - created).days


def test_defaults_are_the_default_class_monthly_and_utc(api: Api) -> None:
    classes = api.get("/customer-classes").json()["items"]
    default = next(c for c in classes if c["name"] == "Default")
    customer = api.post("/customers", customer_body()).json()
    assert customer["customer_class_id"] == default["id"]
    assert customer["billing_period"] == "monthly"
    assert customer["billing_timezone"] == "UTC"
    assert customer["email"] is None


@pytest.mark.calendar
def test_every_billing_period_is_accepted(api: Api) -> None:
    for period in PERIODS:
        response = api.post("/customers", customer_body(billing_period=period))
        assert response.status_code == 201, response.text
        assert response.json()["billing_period"] == period
        assert 1 <= _days_to_billing(response.json()) <= 31


def test_currency_code_is_read_case_insensitively(api: Api) -> None:
    response = api.post("/customers", customer_body(currency="usd"))
    assert response.status_code == 201, response.text
    assert response.json()["currency"] == "USD"


def test_duplicate_name_in_other_case_or_spacing_is_409(
    api: Api, nothing_changes: Unchanged, make_customer: MakeCustomer, subtests: pytest.Subtests
) -> None:
    make_customer(name="Acme Ltd")
    for variant in (
        "Acme Ltd",
        "ACME LTD",
        "  acme   ltd ",
        "Acme\tLtd",
        "aCmE lTd",
        "ACME\u00a0LTD",
    ):
        with subtests.test(variant), nothing_changes():
            response = api.post("/customers", customer_body(name=variant))
            assert_problem(response, 409, code="customer_name_taken", field="name")


def test_names_that_differ_only_inside_a_word_are_distinct(
    api: Api, make_customer: MakeCustomer
) -> None:
    make_customer(name="Acme Ltd")
    assert api.post("/customers", customer_body(name="Acme Ltd.")).status_code == 201
    assert api.post("/customers", customer_body(name="AcmeLtd")).status_code == 201


def test_json_numbers_are_read_exactly(api: Api) -> None:
    for number, shown in ((20.1, "20.10"), (20, "20.00"), (0.07, "0.07"), (1e3, "1000.00")):
        response = api.post("/customers", customer_body(credit_limit=number))
        assert response.status_code == 201, response.text
        assert response.json()["credit_limit"] == shown


def test_trailing_zeros_are_not_extra_decimals(api: Api) -> None:
    response = api.post("/customers", customer_body(credit_limit="12.5000"))
    assert response.status_code == 201, response.text
    assert response.json()["credit_limit"] == "12.50"


def test_currency_must_match_the_class_currency(
    api: Api, nothing_changes: Unchanged, enable_currency: Callable[[str], None]
) -> None:
    euro_class = api.post("/customer-classes", {"name": "Euro", "currency": "EUR"}).json()
    with nothing_changes():
        response = api.post(
            "/customers", customer_body(currency="USD", customer_class_id=euro_class["id"])
        )
    assert_problem(response, 422, field="currency")
    ok = api.post("/customers", customer_body(currency="EUR", customer_class_id=euro_class["id"]))
    assert ok.status_code == 201, ok.text
    assert ok.json()["customer_class_id"] == euro_class["id"]


# (currency, an amount with its exponent's decimals, one with one decimal too many, zero shown)
EXPONENTS = (
    ("USD", "10.25", "10.255", "0.00"),
    ("JPY", "1000", "1000.5", "0"),
    ("BHD", "1.125", "1.1255", "0.000"),
)


def test_decimals_follow_the_currency_exponent(
    api: Api,
    nothing_changes: Unchanged,
    enable_currency: Callable[[str], None],
    subtests: pytest.Subtests,
) -> None:
    for currency, good, bad, zero in EXPONENTS:
        with subtests.test(currency):
            enable_currency(currency)
            with nothing_changes():
                refused = api.post("/customers", customer_body(currency=currency, credit_limit=bad))
                assert_problem(refused, 422, field="credit_limit")
                refused = api.post(
                    "/customers", customer_body(currency=currency, available_funds=bad, **PREPAID)
                )
                assert_problem(refused, 422, field="available_funds")
            created = api.post("/customers", customer_body(currency=currency, credit_limit=good))
            assert created.status_code == 201, created.text
            assert created.json()["credit_limit"] == good
            assert created.json()["balance"] == zero
            prepaid = api.post(
                "/customers", customer_body(currency=currency, available_funds=good, **PREPAID)
            )
            assert prepaid.status_code == 201, prepaid.text
            assert prepaid.json()["available_funds"] == good
            assert prepaid.json()["balance"] == "-" + good


def test_prepaid_initial_funds_are_one_payment(api: Api, db: Database) -> None:
    response = api.post("/customers", customer_body(available_funds="20.00", **PREPAID))
    assert response.status_code == 201, response.text
    customer = response.json()
    assert customer["balance"] == "-20.00"
    assert customer["available_funds"] == "20.00"
    assert customer["credit_limit"] == "0.00"
    assert customer["status"] == "active"
    entries = ledger_of(db, customer["id"])
    assert entries == [("payment", -20_000_000)]
    assert sum(amount for _, amount in entries) == balance_micros(db, customer["id"])


def test_prepaid_funds_as_a_json_number(api: Api, db: Database) -> None:
    response = api.post("/customers", customer_body(available_funds=20.1, **PREPAID))
    assert response.status_code == 201, response.text
    assert response.json()["available_funds"] == "20.10"
    assert ledger_of(db, response.json()["id"]) == [("payment", -20_100_000)]


def test_prepaid_without_funds_has_no_entry_and_no_available_funds(
    api: Api, db: Database, subtests: pytest.Subtests
) -> None:
    for funds in (..., "0", "0.00", 0, None):
        with subtests.test(repr(funds)):
            response = api.post("/customers", customer_body(available_funds=funds, **PREPAID))
            assert response.status_code == 201, response.text
            customer = response.json()
            assert customer["balance"] == "0.00"
            assert customer["available_funds"] == "0.00"
            assert customer["status"] == "no_available_funds"
            assert ledger_of(db, customer["id"]) == []


def test_postpaid_without_limit_has_no_available_funds_figure(api: Api) -> None:
    customer = api.post("/customers", customer_body(credit_limit=None)).json()
    assert customer["credit_limit"] is None
    assert customer["available_funds"] is None
    assert customer["status"] == "active"


def test_postpaid_with_zero_limit_is_credit_exceeded(api: Api) -> None:
    customer = api.post("/customers", customer_body(credit_limit="0")).json()
    assert customer["credit_limit"] == "0.00"
    assert customer["status"] == "credit_exceeded"


def test_unknown_customer_is_404(api: Api) -> None:
    assert_problem(api.get("/customers/999999"), 404, code="customer_not_found")
    assert_problem(api.patch("/customers/999999", {"name": "X"}), 404, code="customer_not_found")
    assert_problem(
        api.post("/customers/999999/status", {"action": "block"}), 404, code="customer_not_found"
    )


def test_malformed_customer_id_is_a_4xx(api: Api) -> None:
    for path in ("/customers/abc", "/customers/0", "/customers/-1", f"/customers/{2**64}"):
        response = api.get(path)
        assert response.status_code in (404, 422), response.text
        assert_problem(response, response.status_code)
