"""The subscription plan pages: a paged list, the form with errors beside their fields, the fee
history, delete, and who may change plans."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from kassa.auth.actor import SYSTEM
from kassa.db.engine import Database
from kassa.subscriptions import plans
from kassa.subscriptions.schemas import PlanIn
from tests.web.conftest import csrf_of, make_user, web_login
from tests.web.helpers import field_error, input_value

FORM = {
    "name": "Fibre 300",
    "currency": "USD",
    "periodic_fee": "29.99",
    "activation_fee": "49",
    "charged": "in_advance",
    "prorate": "1",
    "minimum_periods": "12",
    "cancellation_fee": "100",
    "description": "300 Mbit/s",
}


def add_plan(db: Database, name: str = "Fibre 300", **values: Any) -> int:
    body: dict[str, Any] = {"name": name, "currency": "USD", "periodic_fee": "29.99"}
    with db.transaction() as session:
        return plans.create_plan(session, SYSTEM, PlanIn(**{**body, **values})).id


def post(web: TestClient, page: str, url: str, data: dict[str, Any]) -> Any:
    token = csrf_of(web.get(page).text)
    return web.post(url, data={"csrf_token": token, **data}, follow_redirects=False)


def test_create_a_plan_and_see_it_listed(web: TestClient, db: Database) -> None:
    new = web.get("/plans/new")
    assert new.status_code == 200
    assert '<option value="in_advance" selected>' in new.text
    assert 'href="/plans" aria-current="page"' in new.text
    answer = post(web, "/plans/new", "/plans/new", FORM)
    assert answer.status_code == 303, answer.text
    listing = web.get("/plans").text
    assert "Plan &#39;Fibre 300&#39; was created." in listing
    assert "29.99" in listing and "300 Mbit/s" in listing
    with db.reading() as session:
        (plan,) = plans.plans_out(session, plans.list_plans(session))
    assert (plan.periodic_fee, plan.activation_fee, plan.cancellation_fee) == (
        "29.99",
        "49.00",
        "100.00",
    )
    assert plan.prorate and plan.minimum_periods == 12 and plan.charged == "in_advance"


def test_blank_one_time_fees_are_none_and_unticked_prorate_is_off(
    web: TestClient, db: Database
) -> None:
    form = {**FORM, "activation_fee": "", "cancellation_fee": "", "minimum_periods": ""}
    del form["prorate"]
    answer = post(web, "/plans/new", "/plans/new", {**form, "charged": "in_arrears"})
    assert answer.status_code == 303, answer.text
    with db.reading() as session:
        (plan,) = plans.plans_out(session, plans.list_plans(session))
    assert plan.activation_fee == "0.00" and plan.cancellation_fee == "0.00"
    assert plan.minimum_periods == 0 and not plan.prorate and plan.charged == "in_arrears"


def test_bad_plan_fields_are_shown_beside_them(web: TestClient, db: Database) -> None:
    add_plan(db, "Taken")
    taken = post(web, "/plans/new", "/plans/new", {**FORM, "name": "TAKEN"})
    assert taken.status_code == 409
    assert "already exists" in (field_error(taken.text, "name") or "")
    bad = post(
        web,
        "/plans/new",
        "/plans/new",
        {**FORM, "periodic_fee": "", "activation_fee": "abc", "minimum_periods": "-1"},
    )
    assert bad.status_code == 422
    assert field_error(bad.text, "periodic_fee") == "This field is required"
    assert field_error(bad.text, "activation_fee")
    assert field_error(bad.text, "minimum_periods")
    assert input_value(bad.text, "name") == "Fibre 300"
    decimals = post(
        web, "/plans/new", "/plans/new", {**FORM, "periodic_fee": "1.001", "currency": "XYZ"}
    )
    assert decimals.status_code == 422
    assert field_error(decimals.text, "currency")
    assert not plans_exist(db, "Fibre 300")
    cents = post(web, "/plans/new", "/plans/new", {**FORM, "periodic_fee": "1.001"})
    assert cents.status_code == 422
    assert "decimal" in (field_error(cents.text, "periodic_fee") or "")


def plans_exist(db: Database, name: str) -> bool:
    with db.reading() as session:
        return any(p.name == name for p in plans.list_plans(session))


def test_edit_a_plan_and_see_its_fee_history(web: TestClient, db: Database) -> None:
    plan_id = add_plan(db, activation_fee="5")
    page = web.get(f"/plans/{plan_id}").text
    assert input_value(page, "periodic_fee") == "29.99"
    assert input_value(page, "activation_fee") == "5.00"
    assert "Periodic fee history" in page
    answer = post(web, f"/plans/{plan_id}", f"/plans/{plan_id}", {**FORM, "periodic_fee": "31.50"})
    assert answer.status_code == 303, answer.text
    assert "Plan &#39;Fibre 300&#39; was saved." in web.get("/plans").text
    page = web.get(f"/plans/{plan_id}").text
    history = page.split("Periodic fee history")[1]
    assert re.findall(r'<td class="num">([\d.,]+) USD</td>', history) == ["31.50", "29.99"]
    blank = post(web, f"/plans/{plan_id}", f"/plans/{plan_id}", {**FORM, "periodic_fee": ""})
    assert blank.status_code == 422
    assert field_error(blank.text, "periodic_fee")
    assert web.get("/plans/999999").status_code == 404


def test_the_list_is_paged(web: TestClient, db: Database) -> None:
    for i in range(52):
        add_plan(db, f"Plan {i:02d}")
    first = web.get("/plans").text
    assert first.count('class="row-link"') == 50
    assert 'aria-label="Plan pages"' in first
    cursor = re.search(r'href="/plans\?cursor=([^"]+)"', first)
    assert cursor
    second = web.get(f"/plans?cursor={cursor.group(1)}").text
    assert second.count('class="row-link"') == 2 and "Plan 51" in second
    bad = web.get("/plans?cursor=nonsense")
    assert bad.status_code == 200 and 'class="flash flash-error"' in bad.text


def test_delete_a_plan(web: TestClient, db: Database) -> None:
    plan_id = add_plan(db)
    gone = post(web, f"/plans/{plan_id}", f"/plans/{plan_id}/delete", {})
    assert gone.status_code == 303 and gone.headers["location"] == "/plans"
    assert "Plan &#39;Fibre 300&#39; was deleted." in web.get("/plans").text
    assert not plans_exist(db, "Fibre 300")


def test_viewers_read_and_rating_managers_change(client: TestClient, db: Database) -> None:
    plan_id = add_plan(db)
    web_login(client, make_user(db, "viewer"), "password-123")
    assert "Add plan" not in client.get("/plans").text
    page = client.get(f"/plans/{plan_id}").text
    assert "Delete plan" not in page and '<fieldset class="plain" disabled>' in page
    token = csrf_of(page)
    refused = client.post(f"/plans/{plan_id}", data={"csrf_token": token, **FORM})
    assert refused.status_code == 403
    assert client.post(f"/plans/{plan_id}/delete", data={"csrf_token": token}).status_code == 403
    assert client.get("/plans/new").status_code == 403
    client.post("/logout", data={"csrf_token": token})
    web_login(client, make_user(db, "operator"), "password-123")
    assert client.get("/plans/new").status_code == 200
    assert "Delete plan" in client.get(f"/plans/{plan_id}").text


def test_a_form_without_its_csrf_token_is_refused(web: TestClient, db: Database) -> None:
    answer = web.post("/plans/new", data=FORM, follow_redirects=False)
    assert answer.status_code in (400, 403)
    assert not plans_exist(db, "Fibre 300")


def test_the_plan_pages_need_sign_in(client: TestClient, db: Database) -> None:
    plan_id = add_plan(db)
    for path in ("/plans", "/plans/new", f"/plans/{plan_id}"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/login?next=")
