"""The customer pages without a browser: the form's rules, edit, status, list."""

from __future__ import annotations

import html

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kassa.db.engine import Database
from kassa.db.models import Customer
from tests.web.conftest import csrf_of
from tests.web.helpers import add_class, add_customer, add_field, field_error, input_value
from tests.web.test_access import count_customers, customer_form


def post_new(web: TestClient, **overrides: str):  # type: ignore[no-untyped-def]
    token = csrf_of(web.get("/customers/new").text)
    return web.post(
        "/customers/new", data=customer_form(token, **overrides), follow_redirects=False
    )


def test_add_prepaid_customer_shows_available_funds_positive(web: TestClient, db: Database) -> None:
    answer = post_new(
        web,
        name="Prepaid Pete",
        balance_control="prepaid",
        credit_limit="",
        available_funds="20.00",
        email="pete@example.com",
    )
    assert answer.status_code == 303
    page = web.get(answer.headers["location"])
    assert "Customer &#39;Prepaid Pete&#39; was created." in page.text
    assert "Available funds" in page.text and "20.00" in page.text
    with db.reading() as session:
        customer = session.scalar(select(Customer))
        assert customer is not None
        assert customer.balance_micros == -20_000_000
        assert customer.email == "pete@example.com"
    listing = web.get("/customers", params={"q": "pete"})
    assert "Prepaid Pete" in listing.text
    assert "20.00" in listing.text and "available" in listing.text


def test_hidden_amount_of_the_other_balance_control_is_ignored(
    web: TestClient, db: Database
) -> None:
    # Without JavaScript both inputs post; only the one that fits the balance control counts.
    answer = post_new(web, balance_control="postpaid", credit_limit="100", available_funds="5")
    assert answer.status_code == 303
    with db.reading() as session:
        customer = session.scalar(select(Customer))
        assert customer is not None
        assert (customer.credit_limit_micros, customer.balance_micros) == (100_000_000, 0)


def test_every_error_is_shown_next_to_its_field_and_nothing_is_created(
    web: TestClient, db: Database
) -> None:
    field = add_field(db)
    business = add_class(db, "Business", {field: True})
    answer = post_new(
        web,
        name="   ",
        credit_limit="10.123",
        customer_class_id=str(business),
        email="typed@example.com",
        billing_timezone="Mars/Olympus",
    )
    assert answer.status_code == 422
    page = html.unescape(answer.text)
    assert field_error(page, "name") == "Customer name is required"
    assert "2 decimal places" in (field_error(page, "credit_limit") or "")
    assert field_error(page, "custom_data.tax_code") == "Tax code is required"
    assert "IANA" in (field_error(page, "billing_timezone") or "")
    assert input_value(page, "email") == "typed@example.com"
    assert input_value(page, "credit_limit") == "10.123"
    assert 'id="f-credit_limit" name="credit_limit"' in page
    assert 'aria-describedby="f-name-help f-name-error" aria-invalid="true"' in page
    assert count_customers(db) == 0


def test_value_that_does_not_parse_is_named(web: TestClient, db: Database) -> None:
    answer = post_new(web, credit_limit="lots", business_model_id="")
    assert answer.status_code == 422
    assert "not a decimal number" in html.unescape(field_error(answer.text, "credit_limit") or "")
    assert field_error(answer.text, "business_model_id") == "This field is required"
    assert count_customers(db) == 0


def test_duplicate_name_is_shown_next_to_the_name(web: TestClient, db: Database) -> None:
    add_customer(db, "Acme Ltd")
    answer = post_new(web, name="  acme   LTD ")
    assert answer.status_code == 409
    assert "already exists" in html.unescape(field_error(answer.text, "name") or "")
    assert count_customers(db) == 1


def test_custom_data_inputs_follow_the_class(web: TestClient, db: Database) -> None:
    tax = add_field(db)
    tier = add_field(
        db,
        name="tier",
        label="Tier",
        type="list",
        options=[{"label": "Gold", "value": "gold"}, {"label": "Silver", "value": "silver"}],
    )
    business = add_class(db, "Business", {tax: True, tier: False})
    fragment = web.get(
        "/customers/custom-data",
        params={"customer_class_id": business, "custom_data.tax_code": "CZ1"},
    )
    assert 'name="custom_data.tax_code" value="CZ1"' in fragment.text
    assert 'aria-required="true"' in fragment.text
    assert '<option value="gold">Gold</option>' in fragment.text
    default = web.get("/customers/custom-data", params={"customer_class_id": 1})
    assert "no custom fields" in default.text
    created = post_new(
        web,
        name="Business One",
        customer_class_id=str(business),
        **{"custom_data.tax_code": " CZ123 ", "custom_data.tier": "gold"},
    )
    assert created.status_code == 303
    page = web.get(created.headers["location"]).text
    assert "CZ123" in page and "<dd>Gold</dd>" in page


def test_edit_customer(web: TestClient, db: Database) -> None:
    customer = add_customer(db, "Acme Ltd")
    form = web.get(f"/customers/{customer}/edit").text
    assert input_value(form, "name") == "Acme Ltd"
    assert input_value(form, "credit_limit") == "500.00"
    assert 'name="currency"' not in form and 'name="balance_control"' not in form
    data = customer_form(csrf_of(form), name="Acme Group", credit_limit="", email="ap@acme.example")
    saved = web.post(f"/customers/{customer}/edit", data=data, follow_redirects=False)
    assert saved.status_code == 303
    page = web.get(f"/customers/{customer}").text
    assert "Acme Group" in page and "No limit" in page and "ap@acme.example" in page
    assert "Changes saved." in page
    # The audit trail shows the change, money in the currency's units.
    assert "Credit limit:</span> 500.00 → —" in page
    bad = web.post(
        f"/customers/{customer}/edit",
        data=customer_form(csrf_of(page), name="", credit_limit="1.001"),
    )
    assert bad.status_code == 422
    assert field_error(bad.text, "name") == "Customer name is required"
    assert field_error(bad.text, "credit_limit")
    with db.reading() as session:
        row = session.get(Customer, customer)
        assert row is not None and row.name == "Acme Group"


def test_block_unblock_close(web: TestClient, db: Database) -> None:
    customer = add_customer(db)
    page = web.get(f"/customers/{customer}").text
    token = csrf_of(page)
    assert ">Block</button>" in page and ">Unblock</button>" not in page
    web.post(f"/customers/{customer}/status", data={"csrf_token": token, "action": "block"})
    page = web.get(f"/customers/{customer}").text
    assert "badge-blocked" in page and ">Unblock</button>" in page
    again = web.post(f"/customers/{customer}/status", data={"csrf_token": token, "action": "block"})
    assert "cannot block a customer who is blocked" in html.unescape(again.text).lower()
    web.post(f"/customers/{customer}/status", data={"csrf_token": token, "action": "close"})
    page = web.get(f"/customers/{customer}").text
    assert "badge-closed" in page and ">Edit</a>" not in page and "data-open-dialog" not in page
    refused = web.post(f"/customers/{customer}/edit", data=customer_form(token))
    assert refused.status_code == 409
    assert "is closed" in refused.text


def test_list_filters_and_keyset_paging(web: TestClient, db: Database) -> None:
    retail = add_class(db, "Retail")
    for i in range(27):
        add_customer(db, f"Customer {i:02d}", customer_class_id=retail if i % 2 else None)
    blocked = add_customer(db, "Blocky")
    token = csrf_of(web.get("/customers").text)
    web.post(f"/customers/{blocked}/status", data={"csrf_token": token, "action": "block"})
    first = web.get("/customers").text
    assert first.count('class="row-link"') == 25
    assert ">Next</a>" in first and ">First</a>" not in first
    next_url = html.unescape(first.split('<a class="button" href="')[-1].split('"')[0])
    second = web.get(next_url).text
    assert second.count('class="row-link"') == 3
    assert ">First</a>" in second and ">Next</a>" not in second
    only_blocked = web.get("/customers", params={"status": "blocked"}).text
    assert only_blocked.count('class="row-link"') == 1 and "Blocky" in only_blocked
    retail_rows = web.get("/customers", params={"customer_class": retail}).text
    assert retail_rows.count('class="row-link"') == 13
    by_id = web.get("/customers", params={"q": str(blocked)}).text
    assert "Blocky" in by_id
    assert "No customers match" in web.get("/customers", params={"q": "zzzz"}).text
    assert web.get("/customers", params={"status": "sleepy"}).status_code == 422


@pytest.mark.parametrize("bad_id", ["²", "0", "x1", "9223372036854775808", "1" * 30])
def test_ids_that_are_not_ids_are_refused_without_a_crash(
    web: TestClient, db: Database, bad_id: str
) -> None:
    # Superscript digits pass str.isdigit() but not int(); huge numbers pass int() but not
    # the database. Either must be bad input, never a 500.
    listing = web.get("/customers", params={"customer_class": bad_id})
    assert listing.status_code == 422 and "customer class id" in listing.text
    invoices = web.get("/invoices", params={"customer_id": bad_id})
    assert invoices.status_code == 422 and "customer id" in invoices.text
    token = csrf_of(web.get("/customers/new").text)
    saved = web.post("/customers/new", data=customer_form(token, customer_class_id=bad_id))
    assert saved.status_code == 422
    assert field_error(saved.text, "customer_class_id")
    with db.reading() as session:
        assert session.scalars(select(Customer)).first() is None


@pytest.mark.parametrize(
    "q", ["²²²", "12³", '"', "abc*", "NEAR(a b)", "' OR 1=1 --", "\U0001f600" * 3, "x" * 200]
)
def test_odd_searches_list_without_a_crash(web: TestClient, db: Database, q: str) -> None:
    add_customer(db, "Room 222")
    listing = web.get("/customers", params={"q": q})
    assert listing.status_code == 200
    assert ("Room 222" in listing.text) == (q == "²²²")


def test_search_longer_than_the_limit_is_shown_as_an_error(web: TestClient) -> None:
    listing = web.get("/customers", params={"q": "x" * 201})
    assert listing.status_code == 422
    assert "at most 200 characters" in listing.text
