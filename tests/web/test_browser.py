"""The web UI in Chromium: what staff do, by the labels they read."""

from __future__ import annotations

import re
from typing import Any

import pytest

from kassa.db.engine import Database
from tests.web.helpers import add_class, add_customer, add_field
from tests.web.test_access import count_customers

pytestmark = pytest.mark.browser
expect: Any = pytest.importorskip("playwright.sync_api").expect


def field_of(page: Any, label: str, exact: bool = False) -> Any:
    """The form field (label, help, control, error) around the control labelled ``label``."""
    return page.locator(".field", has=page.get_by_label(label, exact=exact))


def test_add_customer_by_its_labels(admin_page: Any, db: Database) -> None:
    page = admin_page
    page.get_by_role("link", name="Add customer").click()
    expect(page).to_have_url(re.compile(r"/customers/new$"))
    expect(page.get_by_role("heading", name="Add customer")).to_be_visible()

    page.get_by_label("Customer name").fill("Prague Fibre s.r.o.")
    page.get_by_label("Balance control").select_option("prepaid")
    expect(page.get_by_label("Credit limit")).to_be_hidden()
    expect(page.get_by_label("Available funds")).to_be_visible()
    page.get_by_label("Balance control").select_option("postpaid")
    expect(page.get_by_label("Available funds")).to_be_hidden()
    expect(page.get_by_label("Credit limit")).to_be_visible()
    page.get_by_label("Balance control").select_option("prepaid")
    expect(page.get_by_label("Credit limit")).to_be_hidden()

    # Help texts are the seed page's words, shown under their labels.
    expect(field_of(page, "Customer name")).to_contain_text("Type a unique name for the customer.")
    expect(field_of(page, "Available funds")).to_contain_text("This is an initial customer payment")
    page.get_by_label("Currency").select_option("USD")
    page.get_by_label("Available funds").fill("20.00")
    page.get_by_label("Business model").select_option(label="Internet access")
    page.get_by_label("Customer class").select_option(label="Default")
    page.get_by_label("Billing period", exact=True).select_option("monthly")
    page.get_by_label("Billing period timezone").fill("Europe/Prague")
    page.get_by_label("Email").fill("billing@praguefibre.example")
    expect(page.get_by_role("group", name="Custom data")).to_contain_text("no custom fields")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status")).to_contain_text("Prague Fibre s.r.o.' was created")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Prague Fibre s.r.o.")
    expect(page.locator(".stat").first).to_contain_text("Available funds")
    expect(page.locator(".stat").first).to_contain_text("20.00")
    expect(page.locator(".facts")).to_contain_text("Internet access")
    expect(page.locator(".facts")).to_contain_text("Europe/Prague")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    page.get_by_role("searchbox", name="Search customers").fill("fibre")
    page.get_by_role("button", name="Search").click()
    row = page.get_by_role("row", name=re.compile("Prague Fibre"))
    expect(row).to_contain_text("20.00")
    expect(row).to_contain_text("Prepaid")
    expect(row).to_contain_text("Active")
    expect(page.get_by_role("row")).to_have_count(2)
    assert count_customers(db) == 1


def test_bad_input_is_shown_at_each_field_and_creates_nothing(
    admin_page: Any, db: Database
) -> None:
    tax = add_field(db)
    add_class(db, "Business", {tax: True})
    page = admin_page
    page.goto("/customers/new")
    page.get_by_label("Balance control").select_option("postpaid")
    page.get_by_label("Credit limit").fill("10.123")
    page.get_by_label("Business model").select_option(label="SIP trunking")
    page.get_by_label("Customer class").select_option(label="Business")
    expect(page.get_by_label("Tax code")).to_be_visible()
    page.get_by_label("Email").fill("kept@example.com")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("alert").first).to_contain_text("Please correct")
    expect(field_of(page, "Customer name").locator(".field-error")).to_have_text(
        re.compile("Customer name is required")
    )
    expect(field_of(page, "Credit limit").locator(".field-error")).to_contain_text(
        "Must have at most 2 decimal places"
    )
    expect(field_of(page, "Tax code").locator(".field-error")).to_contain_text(
        "Tax code is required"
    )
    expect(page.get_by_label("Customer name")).to_have_attribute("aria-invalid", "true")
    expect(field_of(page, "Email").locator(".field-error")).to_have_count(0)
    # What the user typed is still there.
    expect(page.get_by_label("Credit limit")).to_have_value("10.123")
    expect(page.get_by_label("Email")).to_have_value("kept@example.com")
    expect(page.get_by_label("Customer class")).to_have_value(re.compile(r"\d+"))
    expect(page.get_by_label("Customer class").locator("option:checked")).to_have_text("Business")
    assert count_customers(db) == 0

    page.get_by_label("Customer name").fill("Fixed Ltd")
    page.get_by_label("Credit limit").fill("10.12")
    page.get_by_label("Tax code").fill("CZ699001")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("was created")
    expect(page.locator(".facts").nth(1)).to_contain_text("CZ699001")
    assert count_customers(db) == 1


def test_block_unblock_and_close_on_the_customer_page(admin_page: Any, db: Database) -> None:
    customer = add_customer(db, "Blockable Ltd")
    page = admin_page
    page.goto(f"/customers/{customer}")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Active")

    page.get_by_role("button", name="Block").click()
    expect(page.get_by_role("status")).to_contain_text("Customer blocked")
    expect(heading).to_contain_text("Blocked")
    expect(page.get_by_role("button", name="Block", exact=True)).to_have_count(0)
    expect(page.locator("table").last).to_contain_text("Block")

    page.get_by_role("button", name="Unblock").click()
    expect(page.get_by_role("status")).to_contain_text("Customer unblocked")
    expect(heading).to_contain_text("Active")

    # Close asks first; cancelling changes nothing.
    page.get_by_role("button", name="Close", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("can no longer use services")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(heading).to_contain_text("Active")
    page.get_by_role("button", name="Close", exact=True).click()
    page.get_by_role("dialog").get_by_role("button", name="Close customer").click()
    expect(heading).to_contain_text("Closed")
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)

    page.goto("/customers?status=closed")
    expect(page.get_by_role("row", name=re.compile("Blockable Ltd"))).to_contain_text("Closed")


def test_class_with_a_mandatory_custom_field_shapes_the_customer_form(admin_page: Any) -> None:
    page = admin_page
    page.get_by_role("link", name="Custom fields").click()
    page.get_by_role("link", name="Add custom field").click()
    page.get_by_label("Name", exact=True).fill("vat_id")
    page.get_by_label("Label", exact=True).fill("VAT ID")
    page.get_by_label("Type").select_option("text")
    expect(page.get_by_label("Minimum", exact=True)).to_be_hidden()
    page.get_by_label("Maximum length").fill("20")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Custom field 'VAT ID' was created")

    page.get_by_role("link", name="Customer classes").click()
    page.get_by_role("link", name="Add customer class").click()
    page.get_by_label("Name", exact=True).fill("Business")
    page.get_by_label("Currency").select_option("EUR")
    page.get_by_label("Grace period (days)").fill("30")
    page.get_by_role("button", name="Add tax").click()
    page.get_by_label("Tax name").last.fill("VAT")
    page.get_by_label("Tax rate").last.fill("21")
    page.get_by_label("Invoice overdue").check()
    page.get_by_label("VAT ID").select_option("mandatory")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Customer class 'Business' was created")
    row = page.get_by_role("row", name=re.compile("Business"))
    expect(row).to_contain_text("VAT 21% (exclusive)")
    expect(row).to_contain_text("30 days after invoice")

    page.goto("/customers/new")
    expect(page.get_by_label("VAT ID")).to_have_count(0)
    page.get_by_label("Customer class").select_option(label="Business (EUR)")
    vat_id = page.get_by_label("VAT ID")
    expect(vat_id).to_be_visible()
    expect(vat_id).to_have_attribute("aria-required", "true")
    expect(field_of(page, "VAT ID")).to_contain_text("*")
    page.get_by_label("Customer class").select_option(label="Default")
    expect(page.get_by_label("VAT ID")).to_have_count(0)
    page.get_by_label("Customer class").select_option(label="Business (EUR)")

    page.get_by_label("Customer name").fill("Euro Business GmbH")
    page.get_by_label("Balance control").select_option("postpaid")
    page.get_by_label("Currency").select_option("EUR")
    page.get_by_label("Credit limit").fill("1000")
    page.get_by_label("Business model").select_option(label="Cloud PBX")
    page.get_by_label("VAT ID").fill("DE123456789")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("was created")
    custom = page.get_by_role("heading", name="Custom data").locator("..")
    expect(custom).to_contain_text("VAT ID")
    expect(custom).to_contain_text("DE123456789")


def test_enable_a_currency_in_place(admin_page: Any) -> None:
    page = admin_page
    page.get_by_role("link", name="Currencies").click()
    page.get_by_role("searchbox", name="Search currencies").fill("czech")
    # The list narrows as the user types (htmx), with no Search click.
    expect(page.get_by_role("row")).to_have_count(2)
    page.get_by_role("button", name="Enable CZK").click()
    row = page.get_by_role("row", name=re.compile("CZK"))
    expect(row).to_contain_text("Enabled")
    expect(page.get_by_role("button", name="Disable CZK")).to_be_visible()
    page.goto("/customers/new")
    expect(page.get_by_label("Currency").locator("option[value=CZK]")).to_have_count(1)
