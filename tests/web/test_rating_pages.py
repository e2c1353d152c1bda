"""The tariff and product pages: forms, rates by prefix, the CSV upload and its error report."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from kassa.auth.actor import SYSTEM
from kassa.db.engine import Database
from kassa.rating import products, rates, tariffs
from kassa.rating.schemas import ProductIn, RateIn, TariffIn
from tests.web.conftest import csrf_of, make_user, web_login
from tests.web.helpers import field_error, input_value

HEADER = "prefix,price,per,first_interval,next_interval,connect_fee,free_units,effective_from"


def add_tariff(db: Database, name: str = "Voice retail", **values: Any) -> int:
    body: dict[str, Any] = {"name": name, "currency": "USD", "service": "voice", "unit": "second"}
    with db.transaction() as session:
        return tariffs.create_tariff(session, SYSTEM, TariffIn(**{**body, **values})).id


def add_rates(db: Database, tariff_id: int, *prefixes: str) -> None:
    with db.transaction() as session:
        for prefix in prefixes:
            body = RateIn(prefix=prefix, price="0.01", per=60, description=f"To {prefix}")
            rates.add_rate(session, SYSTEM, tariff_id, body)


def rate_count(db: Database, tariff_id: int) -> int:
    with db.reading() as session:
        return tariffs.rate_counts(session).get(tariff_id, 0)


def post(web: TestClient, page: str, url: str, data: dict[str, Any], **kw: Any) -> Any:
    token = csrf_of(web.get(page).text)
    return web.post(url, data={"csrf_token": token, **data}, follow_redirects=False, **kw)


def test_create_a_tariff_and_see_it_listed(web: TestClient, db: Database) -> None:
    page = web.get("/tariffs/new")
    assert page.status_code == 200
    assert '<option value="voice" selected>' in page.text
    answer = post(
        web,
        "/tariffs/new",
        "/tariffs/new",
        {"name": "Voice retail", "currency": "USD", "service": "voice", "unit": "second"},
    )
    assert answer.status_code == 303, answer.text
    listing = web.get("/tariffs").text
    assert "Voice retail" in listing
    assert "Tariff &#39;Voice retail&#39; was created." in listing


def test_bad_tariff_fields_are_shown_beside_them(web: TestClient, db: Database) -> None:
    add_tariff(db, "Taken")
    answer = post(
        web,
        "/tariffs/new",
        "/tariffs/new",
        {"name": "TAKEN", "currency": "USD", "service": "voice", "unit": "second"},
    )
    assert answer.status_code == 409
    assert "already exists" in (field_error(answer.text, "name") or "")
    answer = post(
        web,
        "/tariffs/new",
        "/tariffs/new",
        {"name": "New", "currency": "XYZ", "service": "fax", "unit": "second"},
    )
    assert answer.status_code == 422
    assert field_error(answer.text, "currency")
    assert "business model" in (field_error(answer.text, "service") or "")
    assert input_value(answer.text, "name") == "New"


def test_the_tariff_page_lists_rates_by_prefix_a_page_at_a_time(
    web: TestClient, db: Database
) -> None:
    tariff_id = add_tariff(db)
    add_rates(db, tariff_id, *[f"44{i:02d}" for i in range(60)], "1", "")
    page = web.get(f"/tariffs/{tariff_id}").text
    assert "62 rates" in page
    assert page.count('/delete"><input') >= 50
    assert 'aria-label="Rate pages"' in page
    found = web.get(f"/tariffs/{tariff_id}", params={"prefix": "441"}).text
    shown = re.findall(r"<code>(\d+)</code>", found)
    assert shown == [f"441{i}" for i in range(10)]
    refused = web.get(f"/tariffs/{tariff_id}", params={"prefix": "4x"})
    assert refused.status_code == 200
    assert "digits only" in refused.text
    assert web.get("/tariffs/999999").status_code == 404


def test_add_and_delete_a_rate(web: TestClient, db: Database) -> None:
    tariff_id = add_tariff(db)
    page = f"/tariffs/{tariff_id}"
    form = {
        "prefix": "4420",
        "price": "0.0120",
        "per": "60",
        "first_interval": "60",
        "next_interval": "6",
        "connect_fee": "",
        "free_units": "",
        "effective_from": "2027-01-01",
        "description": "London",
    }
    answer = post(web, page, f"{page}/rates", form)
    assert answer.status_code == 303, answer.text
    shown = web.get(page).text
    assert "Rate for prefix &#39;4420&#39; was added." in shown
    assert "2027-01-01 00:00 UTC" in shown
    again = post(web, page, f"{page}/rates", form)
    assert again.status_code == 409
    assert "already has a rate" in (field_error(again.text, "prefix") or "")
    bad = post(web, page, f"{page}/rates", {**form, "price": "0.0000001", "prefix": "+1"})
    assert bad.status_code == 422
    assert "6 decimal" in (field_error(bad.text, "price") or "")
    assert "digits only" in (field_error(bad.text, "prefix") or "")
    assert input_value(bad.text, "description") == "London"
    bad = post(web, page, f"{page}/rates", {**form, "per": "0"})
    assert field_error(bad.text, "per")
    assert rate_count(db, tariff_id) == 1

    rate_id = re.search(rf"{page}/rates/(\d+)/delete", shown)
    assert rate_id
    gone = post(web, page, f"{page}/rates/{rate_id.group(1)}/delete", {})
    assert gone.status_code == 303
    assert rate_count(db, tariff_id) == 0


def test_upload_a_csv_file(web: TestClient, db: Database) -> None:
    tariff_id = add_tariff(db)
    page = f"/tariffs/{tariff_id}"
    csv = f"{HEADER}\n4420,0.012,60,60,6,0,0,\n44,0.02,60,60,6,0,0,\n"
    files = {"file": ("rates.csv", csv.encode(), "text/csv")}
    answer = post(web, page, f"{page}/rates/import", {}, files=files)
    assert answer.status_code == 303, answer.text
    assert "Imported 2 rates." in web.get(page).text
    # As kassa.js sends it: the answer names the page to go to.
    scripted = post(
        web, page, f"{page}/rates/import", {}, files=files, headers={"X-Kassa-Upload": "1"}
    )
    assert scripted.status_code == 200
    assert scripted.json() == {"imported": 2, "redirect": f"{page}#rates"}
    assert rate_count(db, tariff_id) == 2


def test_a_bad_file_shows_a_report_line_by_line_and_imports_nothing(
    web: TestClient, db: Database
) -> None:
    tariff_id = add_tariff(db)
    page = f"/tariffs/{tariff_id}"
    csv = f"{HEADER}\n4420,0.012,60,60,6,0,0,\n4421,abc,60,60,6,0,0,\n+44,0.1,0,60,6,0,0,\n"
    files = {"file": ("rates.csv", csv.encode(), "text/csv")}
    answer = post(web, page, f"{page}/rates/import", {}, files=files)
    assert answer.status_code == 422
    rows = re.findall(
        r'<tr><td class="num">(\d+)</td><td><code>(\w+)</code></td><td>([^<]+)</td></tr>',
        answer.text,
    )
    assert [(line, column) for line, column, _ in rows] == [
        ("3", "price"),
        ("4", "prefix"),
        ("4", "per"),
    ]
    assert "Nothing was imported" in answer.text
    scripted = post(
        web, page, f"{page}/rates/import", {}, files=files, headers={"X-Kassa-Upload": "1"}
    )
    assert scripted.status_code == 422
    assert scripted.text.lstrip().startswith("{#") is False
    assert 'id="import-report"' in scripted.text
    assert "<html" not in scripted.text
    assert rate_count(db, tariff_id) == 0
    missing = post(web, page, f"{page}/rates/import", {})
    assert missing.status_code == 422
    assert "choose a CSV file" in missing.text


def test_products_with_a_tariff_per_service(web: TestClient, db: Database) -> None:
    voice = add_tariff(db, "Voice")
    data = add_tariff(db, "Data", service="data", unit="byte")
    form = {
        "name": "Mobile",
        "currency": "USD",
        "description": "",
        "rating_service": ["voice", "data", "voice"],
        "rating_tariff": [str(voice), str(data), ""],
    }
    bad = post(web, "/products/new", "/products/new", form)
    assert bad.status_code == 422
    assert field_error(bad.text, "rating[2].tariff_id") == "This field is required"
    twice = post(web, "/products/new", "/products/new", {**form, "rating_tariff": [str(voice)] * 3})
    assert "listed twice" in (field_error(twice.text, "rating[2].service") or "")
    wrong = post(
        web,
        "/products/new",
        "/products/new",
        {**form, "rating_service": ["data"], "rating_tariff": [str(voice)]},
    )
    assert "rates voice, not data" in (field_error(wrong.text, "rating[0].tariff_id") or "")
    form["rating_service"], form["rating_tariff"] = ["voice", "data"], [str(voice), str(data)]
    answer = post(web, "/products/new", "/products/new", form)
    assert answer.status_code == 303, answer.text
    listing = web.get("/products").text
    assert "Mobile" in listing and f'href="/tariffs/{data}"' in listing
    with db.reading() as session:
        (product,) = products.list_products(session)
    edit = web.get(f"/products/{product.id}").text
    assert edit.count("selected>Voice (voice, USD)") == 1
    gone = post(web, f"/products/{product.id}", f"/products/{product.id}/delete", {})
    assert gone.status_code == 303
    # A tariff no product uses can go.
    assert post(web, f"/tariffs/{voice}", f"/tariffs/{voice}/delete", {}).status_code == 303


def test_a_tariff_in_use_is_not_deleted(web: TestClient, db: Database) -> None:
    voice = add_tariff(db)
    with db.transaction() as session:
        body = ProductIn(
            name="Retail", currency="USD", rating=[{"service": "voice", "tariff_id": voice}]
        )
        products.create_product(session, SYSTEM, body)
    answer = post(web, f"/tariffs/{voice}", f"/tariffs/{voice}/delete", {})
    assert answer.status_code == 303
    assert "used by 1 product" in web.get(answer.headers["location"]).text


def test_viewers_read_and_operators_change(client: TestClient, db: Database) -> None:
    tariff_id = add_tariff(db)
    web_login(client, make_user(db, "viewer"), "password-123")
    page = client.get(f"/tariffs/{tariff_id}").text
    assert "Upload rates" not in page and "Add tariff" not in client.get("/tariffs").text
    token = csrf_of(page)
    refused = client.post(
        f"/tariffs/{tariff_id}/rates",
        data={"csrf_token": token, "prefix": "1", "price": "1", "per": "1"},
    )
    assert refused.status_code == 403
    assert client.get("/products/new").status_code == 403
    client.post("/logout", data={"csrf_token": token})
    web_login(client, make_user(db, "operator"), "password-123")
    assert "Upload rates" in client.get(f"/tariffs/{tariff_id}").text
    assert client.get("/products/new").status_code == 200
