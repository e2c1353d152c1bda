"""Who may see and change what in the web UI: sign-in, CSRF, roles."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kassa.db.engine import Database
from kassa.db.models import BusinessModel, Customer
from tests.web.conftest import USER_PASSWORD, csrf_of, make_user, web_login

PAGES = (
    "/",
    "/customers",
    "/customers/new",
    "/customers/1",
    "/customer-classes",
    "/customer-classes/new",
    "/custom-fields",
    "/business-models",
    "/currencies",
)


def customer_form(token: str, **overrides: str) -> dict[str, str]:
    data = {
        "csrf_token": token,
        "name": "Acme Ltd",
        "balance_control": "postpaid",
        "currency": "USD",
        "credit_limit": "500.00",
        "business_model_id": "1",
        "customer_class_id": "1",
        "billing_period": "monthly",
        "billing_timezone": "Europe/Prague",
    }
    data.update(overrides)
    return data


def count_customers(db: Database) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(Customer)) or 0)


@pytest.mark.parametrize("path", PAGES)
def test_pages_need_sign_in(client: TestClient, path: str) -> None:
    answer = client.get(path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=")


def test_redirect_keeps_the_page_and_its_query(client: TestClient) -> None:
    answer = client.get("/customers?q=acme&status=active", follow_redirects=False)
    assert answer.headers["location"] == "/login?next=%2Fcustomers%3Fq%3Dacme%26status%3Dactive"


def test_login_health_and_static_are_public(client: TestClient) -> None:
    assert client.get("/login").status_code == 200
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/static/kassa.css").status_code == 200
    assert client.get("/static/htmx.min.js").status_code == 200


def test_sign_in_goes_to_next_page_and_sign_out_ends_the_session(client: TestClient) -> None:
    token = csrf_of(client.get("/login?next=/currencies").text)
    answer = client.post(
        "/login",
        data={
            "csrf_token": token,
            "username": "admin",
            "password": "test-admin-password",
            "next": "/currencies",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/currencies"
    page = client.get("/currencies")
    assert page.status_code == 200
    client.post("/logout", data={"csrf_token": csrf_of(page.text)})
    assert client.get("/customers", follow_redirects=False).status_code == 303


def test_wrong_password_is_refused_without_saying_which_part(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login", data={"csrf_token": token, "username": "admin", "password": "nope"}
    )
    assert answer.status_code == 401
    assert "Unknown username or wrong password" in answer.text
    assert client.get("/customers", follow_redirects=False).status_code == 303


def test_next_cannot_leave_the_site(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login",
        data={
            "csrf_token": token,
            "username": "admin",
            "password": "test-admin-password",
            "next": "//evil.example/phish",
        },
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/customers"


def test_service_role_cannot_sign_in(client: TestClient, db: Database) -> None:
    make_user(db, "service", "softswitch")
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login", data={"csrf_token": token, "username": "softswitch", "password": USER_PASSWORD}
    )
    assert answer.status_code == 401
    assert "API access only" in answer.text
    assert client.get("/customers", follow_redirects=False).status_code == 303


def test_post_without_or_with_a_wrong_csrf_token_is_refused(web: TestClient, db: Database) -> None:
    missing = web.post("/customers/new", data=customer_form(""))
    assert missing.status_code == 403
    assert "Form expired" in missing.text
    forged = web.post("/customers/new", data=customer_form("forged-token"))
    assert forged.status_code == 403
    assert count_customers(db) == 0
    real = csrf_of(web.get("/customers/new").text)
    created = web.post("/customers/new", data=customer_form(real), follow_redirects=False)
    assert created.status_code == 303
    assert count_customers(db) == 1


def test_csrf_token_of_another_session_is_refused(web: TestClient, client: TestClient) -> None:
    # The token is bound to the session: a page fetched by one browser is no use to another.
    stolen = csrf_of(web.get("/customers/new").text)
    with TestClient(client.app) as other:
        web_login(other)
        assert other.post("/customers/new", data=customer_form(stolen)).status_code == 403


def test_login_form_itself_needs_the_csrf_token(client: TestClient) -> None:
    answer = client.post("/login", data={"username": "admin", "password": "test-admin-password"})
    assert answer.status_code == 403


def test_viewer_reads_but_cannot_post(client: TestClient, db: Database) -> None:
    make_user(db, "viewer", "auditor")
    web_login(client, "auditor", USER_PASSWORD)
    listing = client.get("/customers")
    assert listing.status_code == 200
    assert "Add customer" not in listing.text
    token = csrf_of(listing.text)
    refused = client.post("/customers/new", data=customer_form(token))
    assert refused.status_code == 403
    assert "may not do this" in refused.text
    assert count_customers(db) == 0
    models = client.post("/business-models/new", data={"csrf_token": token, "name": "Radio"})
    assert models.status_code == 403
    with db.reading() as session:
        assert session.scalar(select(BusinessModel).where(BusinessModel.name == "Radio")) is None
    # Configuration pages are readable, with every control disabled.
    page = client.get("/customer-classes/1")
    assert page.status_code == 200
    assert "disabled>" in page.text
    assert ">Save</button>" not in page.text


def test_operator_manages_customers_but_not_configuration(client: TestClient, db: Database) -> None:
    make_user(db, "operator", "clerk")
    web_login(client, "clerk", USER_PASSWORD)
    token = csrf_of(client.get("/customers/new").text)
    created = client.post("/customers/new", data=customer_form(token), follow_redirects=False)
    assert created.status_code == 303
    refused = client.post("/currencies/CZK", data={"csrf_token": token, "enabled": "1"})
    assert refused.status_code == 403


def test_deactivated_user_is_signed_out(web: TestClient, db: Database) -> None:
    from kassa.db.models import User

    with db.transaction() as session:
        admin = session.scalar(select(User).where(User.username == "admin"))
        assert admin is not None
        admin.active = False
    assert web.get("/customers", follow_redirects=False).status_code == 303


def test_unknown_customer_is_a_404_page(web: TestClient) -> None:
    answer = web.get("/customers/424242")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "customer 424242 does not exist" in answer.text.lower()


def test_htmx_request_without_session_is_sent_to_login(client: TestClient) -> None:
    answer = client.get(
        "/customers/custom-data?customer_class_id=1",
        headers={"HX-Request": "true"},
        follow_redirects=False,
    )
    assert answer.headers["HX-Redirect"].startswith("/login")
