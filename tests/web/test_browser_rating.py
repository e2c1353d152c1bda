"""Rates uploaded in Chromium: the progress bar, the per-line report of a bad file, and the
rates of a good one on the tariff's page."""

from __future__ import annotations

import re
from typing import Any

import pytest

from kassa.db.engine import Database
from tests.web.test_rating_pages import HEADER, add_tariff, rate_count

pytestmark = pytest.mark.browser
expect: Any = pytest.importorskip("playwright.sync_api").expect


def csv_file(text: str) -> dict[str, Any]:
    return {"name": "rates.csv", "mimeType": "text/csv", "buffer": text.encode()}


def test_upload_rates_with_progress_and_a_report_of_bad_lines(
    admin_page: Any, db: Database
) -> None:
    page = admin_page
    tariff_id = add_tariff(db, "Voice retail")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tariffs").click()
    page.get_by_role("link", name="Voice retail").click()
    expect(page).to_have_url(re.compile(rf"/tariffs/{tariff_id}$"))
    expect(page.locator("#rate-table")).to_contain_text("No rates yet")

    bad = f"{HEADER}\n4420,0.012,60,60,6,0,0,\n4421,abc,60,60,6,0,0,\n+44,0.1,60,60,6,0,0,\n"
    page.get_by_label("CSV file").set_input_files(csv_file(bad))
    page.get_by_role("button", name="Upload").click()
    report = page.locator("#import-report")
    expect(report).to_contain_text("Nothing was imported")
    rows = report.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("3")
    expect(rows.nth(0)).to_contain_text("price")
    expect(rows.nth(1)).to_contain_text("prefix")
    # The upload went through the script (the page stayed), its progress bar full.
    expect(page).to_have_url(re.compile(rf"/tariffs/{tariff_id}$"))
    expect(page.locator("[data-upload-progress] progress")).to_have_attribute("value", "100")
    expect(page.locator("[data-upload-status]")).to_have_text("Uploaded; nothing was imported.")
    assert rate_count(db, tariff_id) == 0

    lines = [f"{HEADER},description"]
    lines += [f"44{i:05d},0.01,60,60,6,0,0,,Line {i}" for i in range(20_000)]
    page.get_by_label("CSV file").set_input_files(csv_file("\n".join(lines) + "\n"))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("status")).to_contain_text("Imported 20,000 rates.")
    expect(page.locator("#rate-table")).to_contain_text("Line 0")
    assert rate_count(db, tariff_id) == 20_000

    page.get_by_role("searchbox", name="Prefix starts with").fill("4401234")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#rate-table tbody tr")).to_have_count(1)
    expect(page.locator("#rate-table")).to_contain_text("Line 1234")
