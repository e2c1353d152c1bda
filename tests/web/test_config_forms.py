"""Customer classes, custom fields, business models and currencies, without a browser: what
each page does beyond the CRUD that tests/web/test_config_crud.py declares for all of them."""

from __future__ import annotations

import html

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kassa.db.engine import Database
from kassa.db.models import BusinessModel, Currency, CustomerClass, CustomField
from tests.web.conftest import csrf_of
from tests.web.helpers import (
    add_class,
    add_customer,
    add_field,
    class_form,
    field_error,
    input_value,
)


def test_create_class_with_every_parameter(web: TestClient, db: Database) -> None:
    tax = add_field(db)
    page = web.get("/customer-classes/new").text
    assert 'name="notifications" value="funds_depleted"' in page
    data = {"csrf_token": csrf_of(page), **class_form(**{f"field_{tax}": "mandatory"})}
    answer = web.post("/customer-classes/new", data=data, follow_redirects=False)
    assert answer.status_code == 303
    listing = web.get("/customer-classes").text
    assert "Customer class &#39;Business&#39; was created." in listing
    assert "VAT 21%, City tax 1.5% (exclusive)" in listing
    with db.reading() as session:
        cls = session.scalar(select(CustomerClass).where(CustomerClass.name == "Business"))
        assert cls is not None
        assert cls.currency == "EUR"
        assert (cls.grace_period_days, cls.suspend_after_days) == (30, 10)
        assert cls.taxes == [{"name": "VAT", "rate": "21"}, {"name": "City tax", "rate": "1.5"}]
        assert cls.notifications == ["invoice_issued", "invoice_overdue"]
        assert cls.credit_limit_warnings == ["75", "90"]
        assert [(f.custom_field_id, f.mandatory) for f in cls.custom_fields] == [(tax, True)]
        class_id = cls.id
    edit = web.get(f"/customer-classes/{class_id}").text
    assert input_value(edit, "credit_limit_warnings") == "75, 90"
    assert '<option value="mandatory" selected>' in edit
    changed = class_form(
        csrf_token=csrf_of(edit),
        tax_inclusive="1",
        tax_name=["VAT"],
        tax_rate=["20"],
        suspend_after_days="",
        **{f"field_{tax}": "optional"},
    )
    assert web.post(f"/customer-classes/{class_id}", data=changed).status_code == 200
    with db.reading() as session:
        cls = session.get(CustomerClass, class_id)
        assert cls is not None
        assert cls.tax_inclusive and cls.taxes == [{"name": "VAT", "rate": "20"}]
        assert cls.suspend_after_days is None
        assert [f.mandatory for f in cls.custom_fields] == [False]


def test_protected_and_used_classes_are_not_deleted(web: TestClient, db: Database) -> None:
    page = web.get("/customer-classes/1").text
    assert "data-open-dialog" not in page
    token = csrf_of(page)
    refused = web.post("/customer-classes/1/delete", data={"csrf_token": token})
    assert "The Default customer class cannot be deleted" in refused.text
    retail = add_class(db, "Retail")
    add_customer(db, customer_class_id=retail)
    in_use = web.post(f"/customer-classes/{retail}/delete", data={"csrf_token": token})
    assert "has 1 customer(s)" in html.unescape(in_use.text)
    spare = add_class(db, "Spare")
    gone = web.post(f"/customer-classes/{spare}/delete", data={"csrf_token": token})
    assert "Customer class &#39;Spare&#39; was deleted." in gone.text
    assert web.get(f"/customer-classes/{spare}").status_code == 404


def test_custom_field_of_each_kind(web: TestClient, db: Database) -> None:
    token = csrf_of(web.get("/custom-fields/new").text)
    listed = {
        "csrf_token": token,
        "name": "tier",
        "label": "Tier",
        "type": "list",
        "option_value": ["gold", "silver", ""],
        "option_label": ["Gold", "", ""],
        "default": "silver",
        "personal_data": "",
        # Limits of other types post too (hidden inputs without JavaScript) and are ignored.
        "max_length": "5",
    }
    assert web.post("/custom-fields/new", data=listed, follow_redirects=False).status_code == 303
    number = {"csrf_token": token, "name": "seats", "label": "Seats", "type": "number"}
    number |= {"min": "1", "max": "500", "personal_data": "1"}
    assert web.post("/custom-fields/new", data=number, follow_redirects=False).status_code == 303
    with db.reading() as session:
        tier = session.scalar(select(CustomField).where(CustomField.name == "tier"))
        seats = session.scalar(select(CustomField).where(CustomField.name == "seats"))
        assert tier is not None and seats is not None
        assert tier.options == [
            {"label": "Gold", "value": "gold"},
            {"label": "silver", "value": "silver"},
        ]
        assert tier.default_value == "silver" and tier.max_length is None
        assert (seats.min_value, seats.max_value, seats.personal_data) == ("1", "500", True)
    listing = web.get("/custom-fields").text
    assert "1 to 500" in listing and '<span class="chip">Gold</span>' in listing
    edit = web.get(f"/custom-fields/{seats.id}").text
    assert 'name="name"' not in edit and "never change" in edit
    changed = {"csrf_token": token, "label": "Seat count", "min": "", "max": "abc"}
    answer = web.post(f"/custom-fields/{seats.id}", data={**changed, "type": "number"})
    assert answer.status_code == 422
    assert field_error(answer.text, "max") == "Must be a number"
    ok = web.post(f"/custom-fields/{seats.id}", data={**changed, "max": "9"})
    assert "Custom field &#39;Seat count&#39; was saved." in ok.text


def test_custom_field_in_a_class_is_not_deleted(web: TestClient, db: Database) -> None:
    token = csrf_of(web.get("/custom-fields/new").text)
    used = add_field(db)
    add_class(db, "Business", {used: True})
    refused = web.post(f"/custom-fields/{used}/delete", data={"csrf_token": token})
    assert "is enabled in 1 customer class(es)" in html.unescape(refused.text)


def test_business_model_in_use_is_not_deleted(web: TestClient, db: Database) -> None:
    token = csrf_of(web.get("/business-models/new").text)
    data = {"csrf_token": token, "name": "IoT", "description": "Devices", "services": "data, sms"}
    assert web.post("/business-models/new", data=data, follow_redirects=False).status_code == 303
    with db.reading() as session:
        iot = session.scalar(select(BusinessModel).where(BusinessModel.name == "IoT"))
        assert iot is not None and iot.services == ["data", "sms"]
    add_customer(db, business_model_id=iot.id)
    refused = web.post(f"/business-models/{iot.id}/delete", data={"csrf_token": token})
    assert "is used by 1 customer(s)" in html.unescape(refused.text)


def test_currencies_search_and_toggle(web: TestClient, db: Database) -> None:
    page = web.get("/currencies", params={"q": "koruna"}).text
    assert "CZK" in page and "USD" not in page
    token = csrf_of(page)
    row = web.post(
        "/currencies/CZK", data={"csrf_token": token, "enabled": "1"}, headers={"HX-Request": "1"}
    )
    assert row.text.lstrip().startswith('<tr id="currency-CZK">')
    assert "Enabled" in row.text and ">Disable</button>" in row.text
    assert "CZK" in web.get("/customers/new").text
    enabled = web.get("/currencies", params={"show": "enabled"}).text
    assert enabled.count('<tr id="currency-') == 3
    web.post("/currencies/CZK", data={"csrf_token": token, "enabled": "0"})
    with db.reading() as session:
        czk = session.get(Currency, "CZK")
        assert czk is not None and not czk.enabled
    gold = web.post("/currencies/XAU", data={"csrf_token": token, "enabled": "1"})
    assert "not a money currency" in gold.text


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
@pytest.mark.parametrize("bad", ["a\x00b", "\x01", "x\x1fy"])
def test_control_characters_in_a_form_are_refused_naming_the_field(
    web: TestClient, db: Database, encoding: str, bad: str
) -> None:
    token = csrf_of(web.get("/business-models/new").text)
    fields = {"csrf_token": token, "name": bad, "description": "", "services": "voice"}
    if encoding == "multipart":
        sent = web.post("/business-models/new", files={k: (None, v) for k, v in fields.items()})
    else:
        sent = web.post("/business-models/new", data=fields)
    assert sent.status_code == 422
    assert sent.headers["content-type"].startswith("text/html")
    assert "<code>name</code>" in sent.text and "control characters" in sent.text
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(BusinessModel)) == 7


def test_line_breaks_in_a_text_area_are_kept(web: TestClient, db: Database) -> None:
    token = csrf_of(web.get("/business-models/new").text)
    fields = {"csrf_token": token, "name": "Lines", "description": "one\r\ntwo\tthree"}
    sent = web.post("/business-models/new", data=fields, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    with db.reading() as session:
        model = session.scalars(select(BusinessModel).where(BusinessModel.name == "Lines")).one()
        assert model.description.splitlines() == ["one", "two\tthree"]
