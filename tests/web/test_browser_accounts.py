"""Accounts in Chromium: add one from its customer's page by the labels staff read, find it by
its identifier, block it and close it through the confirmation dialog."""

from __future__ import annotations

import re
from typing import Any

import pytest

from kassa.db.engine import Database
from tests.rating_rows import make_product
from tests.web.helpers import add_customer

pytestmark = pytest.mark.browser
expect: Any = pytest.importorskip("playwright.sync_api").expect


def test_add_find_block_and_close_an_account(admin_page: Any, db: Database) -> None:
    page = admin_page
    customer = add_customer(db, "Prague Fibre s.r.o.")
    make_product(db, "USD")
    page.goto(f"/customers/{customer}")
    page.get_by_role("link", name="Add account").click()
    expect(page).to_have_url(re.compile(rf"/customers/{customer}/accounts/new$"))

    page.get_by_label("Identifier").fill("+420 601")
    page.get_by_label("Product").select_option(index=1)
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".field", has=page.get_by_label("Identifier"))).to_contain_text(
        "phone number"
    )
    page.get_by_label("Identifier").fill("+420601234567")
    page.get_by_label("Max sessions").fill("2")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Account +420601234567 added")
    expect(page.get_by_role("heading", level=1)).to_contain_text("+420601234567")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Accounts").click()
    page.get_by_role("searchbox", name="Identifier").fill("+420601234567")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="+420601234567").click()

    page.get_by_role("button", name="Block").click()
    expect(page.get_by_role("status")).to_contain_text("Account blocked")
    page.get_by_role("button", name="Close", exact=True).click()
    page.get_by_role("dialog").get_by_role("button", name="Close account").click()
    expect(page.get_by_role("status")).to_contain_text("Account closed")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Closed")
    expect(page.get_by_role("button", name="Save")).to_have_count(0)
