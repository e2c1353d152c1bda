"""A plan made, a customer subscribed to it, its fees seen and the subscription cancelled, in
Chromium."""

from __future__ import annotations

import re
from typing import Any

import pytest

from kassa.db.engine import Database
from tests.web.helpers import add_customer

pytestmark = pytest.mark.browser
expect: Any = pytest.importorskip("playwright.sync_api").expect


def test_make_a_plan_subscribe_see_the_fee_and_cancel(admin_page: Any, db: Database) -> None:
    page = admin_page
    customer = add_customer(db, "Acme Ltd")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Plans").click()
    page.get_by_role("link", name="Add plan").click()
    page.get_by_label("Name").fill("Fibre 300")
    page.get_by_label("Currency").select_option("USD")
    page.get_by_label("Periodic fee").fill("29.99")
    page.get_by_label("Activation fee").fill("49")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert").or_(page.locator(".flash"))).to_contain_text(
        "Plan 'Fibre 300' was created."
    )
    expect(page.locator("table")).to_contain_text("29.99")

    page.goto(f"/customers/{customer}")
    section = page.locator("#subscriptions")
    expect(section).to_contain_text("No subscriptions.")
    section.get_by_label("Plan").select_option(label="Fibre 300 · 29.99 USD")
    section.get_by_role("button", name="Subscribe").click()
    expect(page.locator(".flash").first).to_contain_text("Subscribed to 'Fibre 300'")
    expect(section.locator("tbody tr")).to_have_count(1)
    expect(section.locator("tbody tr")).to_contain_text("Active")

    section.get_by_role("link", name="Fibre 300").click()
    expect(page).to_have_url(re.compile(rf"/customers/{customer}/subscriptions/\d+$"))
    fees = page.locator("#fees")
    expect(fees).to_contain_text("Activation fee")
    expect(fees).to_contain_text("49.00 USD")
    expect(fees).to_contain_text("Periodic fee")

    page.get_by_label("Now").check()
    page.get_by_role("button", name="Cancel subscription").click()
    expect(page.locator(".flash").first).to_contain_text("was cancelled: it has ended")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ended")
    expect(page.get_by_role("button", name="Cancel subscription")).to_have_count(0)
