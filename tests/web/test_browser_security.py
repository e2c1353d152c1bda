"""In Chromium: the Content-Security-Policy blocks nothing the UI uses (htmx, kassa.js, the
invoice frame), a user changes their password by its labels, and signing out ends the
session for good."""

from __future__ import annotations

import re
from typing import Any

import pytest

from kassa.db.engine import Database
from tests.conftest import ADMIN_PASSWORD
from tests.web.conftest import browser_login
from tests.web.test_billing_pages import first_invoice, invoiced_customer

pytestmark = pytest.mark.browser
expect: Any = pytest.importorskip("playwright.sync_api").expect


def watch_policy(page: Any) -> list[str]:
    """Everything the browser refused or failed to run, as it reports it."""
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type in ("error", "warning") and "Content Security Policy" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def an_invoice(db: Database) -> int:
    return first_invoice(db, invoiced_customer(db, "Framed Ltd", "9.00")).id


def test_the_policy_blocks_nothing_the_ui_uses(page: Any, db: Database) -> None:
    problems = watch_policy(page)
    invoice = an_invoice(db)
    browser_login(page)
    page.get_by_role("link", name="Currencies").click()
    page.get_by_role("searchbox", name="Search currencies").fill("czech")
    # htmx narrows the list as the user types: its script ran under the policy.
    expect(page.get_by_role("row")).to_have_count(2)
    page.goto(f"/invoices/{invoice}")
    frame = page.frame_locator("iframe.invoice-frame")
    expect(frame.locator("body")).to_contain_text("Framed Ltd")
    # kassa.js fitted the frame to its document.
    expect(page.locator("iframe.invoice-frame")).to_have_attribute("style", re.compile("height"))
    page.goto("/customers/424242")
    page.get_by_role("link", name="Go back").click()
    expect(page).to_have_url(re.compile(f"/invoices/{invoice}$"))
    page.goto("/users")
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    assert problems == []


def test_change_password_by_its_labels_then_sign_out(page: Any) -> None:
    problems = watch_policy(page)
    browser_login(page)
    page.get_by_role("link", name="Change password").click()
    page.get_by_label("Current password").fill(ADMIN_PASSWORD)
    page.get_by_label("New password", exact=True).fill("a-brand-new-one")
    page.get_by_label("New password again").fill("a-brand-new-one")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password is changed")
    cookie = next(c for c in page.context.cookies() if c["name"] == "kassa_session")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    # The copy of the cookie from before signing out opens nothing.
    page.context.add_cookies([cookie])
    page.goto("/customers")
    expect(page).to_have_url(re.compile("/login"))
    browser_login(page, password="a-brand-new-one")
    assert problems == []
