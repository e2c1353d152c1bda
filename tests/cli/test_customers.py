from __future__ import annotations

from typing import Any, get_args, get_type_hints

from kassa.auth.actor import SYSTEM
from kassa.cli import customers as cli
from kassa.core.vocabulary import CustomerStatus
from kassa.custom_fields.schemas import CustomFieldIn
from kassa.custom_fields.service import create_custom_field
from kassa.customer_classes.schemas import ClassFieldIn, CustomerClassIn
from kassa.customer_classes.service import create_customer_class
from kassa.customers.schemas import CustomerIn
from kassa.db.engine import Database
from kassa.db.models import Customer, LedgerEntry
from tests.cli.conftest import Kassa

PREPAID = (
    "customers",
    "add",
    "--balance-control",
    "prepaid",
    "--currency",
    "USD",
    "--business-model",
    "1",
)


def _created_id(output: str) -> str:
    return output.split("Created customer ")[1].split(".")[0]


def _business_class(url: str) -> None:
    db = Database(url)
    try:
        with db.transaction() as session:
            field = create_custom_field(
                session,
                SYSTEM,
                CustomFieldIn(name="tax_code", label="Tax code", type="text", max_length=10),
            )
            create_customer_class(
                session,
                SYSTEM,
                CustomerClassIn(
                    name="Business",
                    custom_fields=[ClassFieldIn(custom_field_id=field.id, mandatory=True)],
                ),
            )
    finally:
        db.dispose()


def _choices(command: Any, option: str) -> tuple[str, ...]:
    """The values an option offers: its enum's, also when the option may be left out."""
    hint = get_type_hints(command)[option]
    enum = next((a for a in get_args(hint) if a is not type(None)), hint)
    return tuple(c.value for c in enum)


def _schema_enum(field: str) -> tuple[str, ...]:
    return tuple(CustomerIn.model_json_schema()["properties"][field]["enum"])


def test_choices_match_the_schema() -> None:
    assert _choices(cli.add, "balance_control") == _schema_enum("balance_control")
    assert _choices(cli.add, "billing_period") == _schema_enum("billing_period")
    assert _choices(cli.list_customers, "status") == tuple(CustomerStatus)


def test_add_prepaid_customer_and_show_it(kassa: Kassa) -> None:
    result = kassa.ok(
        "customers",
        "add",
        "--name",
        "Acme [Ltd]",
        "--balance-control",
        "prepaid",
        "--currency",
        "usd",
        "--available-funds",
        "20.00",
        "--business-model",
        "sip TRUNKING",
    )
    customer_id = _created_id(result.output)
    shown = kassa.ok("customers", "show", customer_id).output
    for expected in (
        "Acme [Ltd]",
        "prepaid",
        "Available funds    20.00 USD",
        "-20.00 USD",
        "SIP trunking",
        "Default",
        "monthly",
        "Next billing date",
    ):
        assert expected in shown, expected
    assert kassa.count(LedgerEntry) == 1


def test_add_postpaid_customer_with_every_option(kassa: Kassa) -> None:
    _business_class(kassa.url)
    result = kassa.ok(
        "customers",
        "add",
        "--name",
        "Globex",
        "--balance-control",
        "postpaid",
        "--currency",
        "EUR",
        "--credit-limit",
        "500",
        "--business-model",
        "Internet access",
        "--class",
        "business",
        "--billing-period",
        "semimonthly",
        "--timezone",
        "Europe/Prague",
        "--email",
        "billing@globex.example",
        "--custom",
        "tax_code=CZ123",
    )
    for expected in (
        "Globex",
        "500.00 EUR",
        "Internet access",
        "Business",
        "semimonthly",
        "Europe/Prague",
        "billing@globex.example",
        "tax_code=CZ123",
    ):
        assert expected in result.output, expected


def test_bad_customer_input_names_the_field_and_creates_nothing(kassa: Kassa) -> None:
    cases = [
        (["--name", "A", "--credit-limit", "10"], "credit_limit (--credit-limit)"),
        (["--name", "A", "--available-funds", "1.001"], "available_funds (--available-funds)"),
        (["--name", "A", "--available-funds", "lots"], "available_funds (--available-funds)"),
        (["--name", "A", "--currency", "XXQ"], "currency (--currency)"),
        (["--name", "A", "--timezone", "Mars/Olympus"], "billing_timezone (--timezone)"),
        (["--name", "A", "--email", "nope"], "email (--email)"),
        (["--name", "A", "--custom", "colour=red"], "custom_data.colour (--custom colour=...)"),
        (["--name", "A", "--class", "Nonexistent"], "customer_class_id (--class)"),
        (["--name", "A", "--class", "999"], "customer_class_id (--class)"),
        (["--name", "   "], "name (--name)"),
    ]
    for extra, named in cases:
        # Later options win in Click, so each case overrides the valid defaults above.
        result = kassa(*PREPAID, *extra)
        assert result.exit_code == 1, (extra, result.output)
        assert named in result.output, (extra, result.output)
        assert "Traceback" not in result.output
    unknown_model = kassa(*PREPAID, "--name", "A", "--business-model", "Space travel")
    assert unknown_model.exit_code == 1
    assert "business_model_id (--business-model)" in unknown_model.output
    for extra, option in (
        (["--name", "A", "--balance-control", "barter"], "--balance-control"),
        (["--name", "A", "--billing-period", "hourly"], "--billing-period"),
        (["--name", "A", "--custom", "no-equals-sign"], "--custom"),
    ):
        result = kassa(*PREPAID, *extra)
        assert result.exit_code == 2, (extra, result.output)
        assert option in result.output
    assert kassa.count(Customer) == 0
    assert kassa.count(LedgerEntry) == 0


def test_missing_mandatory_custom_field(kassa: Kassa) -> None:
    _business_class(kassa.url)
    result = kassa(*PREPAID, "--name", "Initech", "--class", "Business")
    assert result.exit_code == 1
    assert "custom_data.tax_code (--custom tax_code=...): Tax code is required" in result.output
    assert kassa.count(Customer) == 0


def test_duplicate_name_is_refused(kassa: Kassa) -> None:
    kassa.ok(*PREPAID, "--name", "Umbrella", "--available-funds", "5")
    again = kassa(*PREPAID, "--name", "  umbrella ", "--available-funds", "5")
    assert again.exit_code == 1
    assert "customer_name_taken" in again.output
    assert "name (--name)" in again.output
    assert kassa.count(Customer) == 1
    assert kassa.count(LedgerEntry) == 1


def test_list_filters_and_pages(kassa: Kassa) -> None:
    _business_class(kassa.url)
    kassa.ok(*PREPAID, "--name", "Alpha Telecom", "--available-funds", "10")
    kassa.ok(*PREPAID, "--name", "Beta Networks")
    kassa.ok(*PREPAID, "--name", "Gamma Telecom", "--class", "2", "--custom", "tax_code=X1")
    listing = kassa.ok("customers", "list").output
    for name in ("Alpha Telecom", "Beta Networks", "Gamma Telecom", "Business", "10.00 USD"):
        assert name in listing
    assert "Next cursor" not in listing

    first = kassa.ok("customers", "list", "--limit", "2").output
    assert "Alpha Telecom" in first
    assert "Gamma Telecom" not in first
    cursor = first.split("Next cursor: ")[1].split()[0]
    second = kassa.ok("customers", "list", "--limit", "2", "--cursor", cursor).output
    assert "Gamma Telecom" in second
    assert "Alpha Telecom" not in second
    assert "Next cursor" not in second

    search = kassa.ok("customers", "list", "--q", "telecom").output
    assert "Alpha Telecom" in search
    assert "Beta Networks" not in search
    broke = kassa.ok("customers", "list", "--status", "no_available_funds").output
    assert "Beta Networks" in broke
    assert "Alpha Telecom" not in broke
    business = kassa.ok("customers", "list", "--class", "Business").output
    assert "Gamma Telecom" in business
    assert "Beta Networks" not in business
    assert "No customers match" in kassa.ok("customers", "list", "--q", "zzz").output


def test_bad_list_input(kassa: Kassa) -> None:
    limit = kassa("customers", "list", "--limit", "0")
    assert limit.exit_code == 1
    assert "limit (--limit)" in limit.output
    cursor = kassa("customers", "list", "--cursor", "!!!")
    assert cursor.exit_code == 1
    assert "cursor (--cursor)" in cursor.output
    status = kassa("customers", "list", "--status", "happy")
    assert status.exit_code == 2
    assert "--status" in status.output


def test_show_unknown_customer(kassa: Kassa) -> None:
    missing = kassa("customers", "show", "424242")
    assert missing.exit_code == 1
    assert "customer 424242 does not exist" in missing.output
    assert kassa("customers", "show", "first").exit_code == 2
    assert kassa("customers", "show", str(2**64)).exit_code == 2
