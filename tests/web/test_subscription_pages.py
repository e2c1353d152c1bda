"""A customer's subscriptions in the web UI: the customer page's list and Subscribe form, a
subscription's page with the fees it posted, cancelling now or at a time, and a plan in use."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kassa.auth.actor import SYSTEM
from kassa.core.clock import utcnow
from kassa.db.engine import Database
from kassa.subscriptions import queries, service
from kassa.subscriptions.schemas import SubscriptionIn
from tests.web.conftest import csrf_of, make_user, web_login
from tests.web.helpers import add_customer, field_error
from tests.web.test_plan_pages import add_plan
from tests.when import period_end

# Subscriptions follow the customer's billing calendar from the moment it was created.
pytestmark = pytest.mark.calendar


def post(web: TestClient, page: str, url: str, data: dict[str, Any]) -> Any:
    token = csrf_of(web.get(page).text)
    return web.post(url, data={"csrf_token": token, **data}, follow_redirects=False)


def subscribe(db: Database, customer: int, plan: int) -> int:
    with db.transaction() as session:
        return service.subscribe(session, SYSTEM, customer, SubscriptionIn(plan_id=plan)).id


def local(moment: Any) -> str:
    """As a datetime-local input sends it (read as UTC)."""
    return str(moment.strftime("%Y-%m-%dT%H:%M"))


def test_subscribe_from_the_customer_page_and_see_the_fees(web: TestClient, db: Database) -> None:
    customer = add_customer(db)
    plan = add_plan(db, activation_fee="49", description="300 Mbit/s")
    add_plan(db, "Euro fibre", currency="EUR")
    page = web.get(f"/customers/{customer}").text
    assert "No subscriptions." in page
    assert "Fibre 300 · 29.99 USD" in page and "Euro fibre" not in page
    answer = post(
        web,
        f"/customers/{customer}",
        f"/customers/{customer}/subscriptions",
        {"plan_id": str(plan), "account_id": "", "starts_at": ""},
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"/customers/{customer}#subscriptions"
    page = web.get(f"/customers/{customer}").text
    assert "Subscribed to &#39;Fibre 300&#39;" in page
    assert '<span class="badge badge-active">Active</span>' in page.split('id="subscriptions"')[1]
    link = re.search(rf'href="(/customers/{customer}/subscriptions/(\d+))"', page)
    assert link
    shown = web.get(link.group(1)).text
    assert "Fees charged" in shown
    fees = shown.split('id="fees"')[1]
    assert "Activation fee" in fees and "49.00 USD" in fees
    assert "Periodic fee" in fees and "29.99 USD" in fees
    assert "Cancel subscription" in shown


def test_refused_subscriptions_show_beside_their_fields(web: TestClient, db: Database) -> None:
    customer = add_customer(db)
    euro, usd = add_plan(db, "Euro fibre", currency="EUR"), add_plan(db)
    url, page = f"/customers/{customer}/subscriptions", f"/customers/{customer}"
    none = post(web, page, url, {"plan_id": "", "account_id": "", "starts_at": ""})
    assert none.status_code == 422
    assert field_error(none.text, "plan_id") == "Choose a plan"
    wrong = post(web, page, url, {"plan_id": str(euro), "starts_at": "soon"})
    assert wrong.status_code == 422
    assert field_error(wrong.text, "starts_at")
    wrong = post(web, page, url, {"plan_id": str(euro), "account_id": "999999"})
    assert "EUR" in (field_error(wrong.text, "plan_id") or "")
    assert field_error(wrong.text, "account_id")
    early = local(utcnow() - timedelta(days=400))
    before = post(web, page, url, {"plan_id": str(usd), "starts_at": early})
    assert before.status_code == 422
    assert "open billing period" in (field_error(before.text, "starts_at") or "")
    assert 'id="subscriptions"' in before.text
    with db.reading() as session:
        assert queries.page_subscriptions(session, customer, limit=10, cursor=None)[0] == []


def test_cancel_at_a_time_then_now(web: TestClient, db: Database) -> None:
    customer = add_customer(db)
    sub = subscribe(db, customer, add_plan(db))
    page = f"/customers/{customer}/subscriptions/{sub}"
    blank = post(web, page, f"{page}/cancel", {"when": "at", "at": ""})
    assert blank.status_code == 422
    assert field_error(blank.text, "at")
    later = period_end(db, customer) + timedelta(days=3)
    answer = post(web, page, f"{page}/cancel", {"when": "at", "at": local(later)})
    assert answer.status_code == 303, answer.text
    shown = web.get(page).text
    assert f"will end at {later.strftime('%Y-%m-%d %H:%M')} UTC" in shown
    assert "Cancel subscription" in shown
    now = post(web, page, f"{page}/cancel", {"when": "now", "at": ""})
    assert now.status_code == 303
    shown = web.get(page).text
    assert "was cancelled: it has ended" in shown
    assert '<span class="badge badge-ended">Ended</span>' in shown
    assert "Cancel subscription" not in shown
    again = post(web, f"/customers/{customer}", f"{page}/cancel", {"when": "now"})
    assert again.status_code == 303
    assert "ended at" in web.get(again.headers["location"]).text


def test_a_plan_with_subscriptions_is_not_deleted(web: TestClient, db: Database) -> None:
    customer = add_customer(db)
    plan = add_plan(db)
    subscribe(db, customer, plan)
    page = web.get(f"/plans/{plan}").text
    assert "Used by 1 subscription." in page
    answer = post(web, f"/plans/{plan}", f"/plans/{plan}/delete", {})
    assert answer.status_code == 303 and answer.headers["location"] == f"/plans/{plan}"
    shown = web.get(f"/plans/{plan}").text
    assert (
        "Subscription plan &#39;Fibre 300&#39; has 1 subscription(s); a plan with subscriptions "
        "cannot be deleted" in shown
    )
    currency = post(
        web,
        f"/plans/{plan}",
        f"/plans/{plan}",
        {"name": "Fibre 300", "currency": "EUR", "periodic_fee": "29.99", "charged": "in_advance"},
    )
    assert currency.status_code == 409
    assert "its currency cannot change" in currency.text


def test_subscriptions_belong_to_their_customer_and_viewers_only_read(
    client: TestClient, db: Database
) -> None:
    customer, other = add_customer(db), add_customer(db, "Other Ltd")
    sub = subscribe(db, customer, add_plan(db))
    web_login(client, make_user(db, "viewer"), "password-123")
    assert client.get(f"/customers/{other}/subscriptions/{sub}").status_code == 404
    assert client.get(f"/customers/{customer}/subscriptions/999999").status_code == 404
    page = client.get(f"/customers/{customer}").text
    assert "Fibre 300" in page and ">Subscribe</button>" not in page
    shown = client.get(f"/customers/{customer}/subscriptions/{sub}").text
    assert "Fees charged" in shown and "Cancel subscription" not in shown
    token = csrf_of(shown)
    refused = client.post(
        f"/customers/{customer}/subscriptions/{sub}/cancel", data={"csrf_token": token}
    )
    assert refused.status_code == 403
