"""Accounts in the web UI: the customer page's list, the Add and Edit forms, Block / Unblock /
Close, and the accounts list with its identifier search."""

from __future__ import annotations

import html
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from kassa.accounts.queries import find_by_identifier
from kassa.accounts.schemas import AccountIn
from kassa.accounts.service import create_account
from kassa.auth import passwords
from kassa.auth.actor import SYSTEM
from kassa.db.engine import Database
from kassa.db.models import Account
from tests.rating_rows import make_product
from tests.web.conftest import USER_PASSWORD, csrf_of, make_user, web_login
from tests.web.helpers import add_customer, field_error, input_value


@pytest.fixture(autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        )
        yield


def add_account(db: Database, customer_id: int, identifier: str, product_id: int) -> int:
    with db.transaction() as session:
        data = AccountIn(identifier=identifier, product_id=product_id)
        return create_account(session, SYSTEM, customer_id, data).id


def stored(db: Database, identifier: str) -> Account | None:
    with db.reading() as session:
        account = find_by_identifier(session, identifier)
        if account is not None:
            session.expunge(account)
        return account


def test_customer_page_lists_accounts_and_links_to_add_one(web: TestClient, db: Database) -> None:
    customer = add_customer(db)
    product = make_product(db, "USD")
    add_account(db, customer, "+420601234567", product)
    page = web.get(f"/customers/{customer}")
    assert page.status_code == 200
    assert "+420601234567" in page.text
    assert f'href="/customers/{customer}/accounts/new"' in page.text
    assert "Product " in page.text


def test_add_an_account(web: TestClient, db: Database) -> None:
    customer = add_customer(db)
    product = make_product(db, "USD")
    form = web.get(f"/customers/{customer}/accounts/new")
    assert form.status_code == 200
    assert f'<option value="{product}"' in form.text
    answer = web.post(
        f"/customers/{customer}/accounts/new",
        data={
            "csrf_token": csrf_of(form.text),
            "identifier": "  alice@sip.example ",
            "product_id": str(product),
            "max_sessions": "2",
            "password": "secret-pass",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    account = stored(db, "alice@sip.example")
    assert account is not None
    assert answer.headers["location"] == f"/accounts/{account.id}"
    assert account.max_sessions == 2 and account.password_hash is not None
    page = web.get(f"/accounts/{account.id}")
    assert "alice@sip.example" in page.text and "added" in page.text


def test_refused_form_shows_errors_beside_the_fields(web: TestClient, db: Database) -> None:
    customer = add_customer(db)
    product = make_product(db, "USD")
    add_account(db, customer, "taken", product)
    euro = make_product(db, "EUR")
    token = csrf_of(web.get(f"/customers/{customer}/accounts/new").text)
    cases = [
        ({"identifier": "bad id", "product_id": str(product)}, "identifier", 422),
        ({"identifier": "ok", "product_id": ""}, "product_id", 422),
        ({"identifier": "ok", "product_id": str(euro)}, "product_id", 422),
        (
            {"identifier": "ok", "product_id": str(product), "max_sessions": "0"},
            "max_sessions",
            422,
        ),
        (
            {"identifier": "ok", "product_id": str(product), "max_sessions": "x"},
            "max_sessions",
            422,
        ),
        ({"identifier": "ok", "product_id": str(product), "password": "abc"}, "password", 422),
        ({"identifier": " taken ", "product_id": str(product)}, "identifier", 409),
    ]
    for data, field, status in cases:
        answer = web.post(f"/customers/{customer}/accounts/new", data={"csrf_token": token, **data})
        assert answer.status_code == status, (data, answer.text)
        assert field_error(answer.text, field), (data, field)
        # What was typed is shown again, the password never.
        assert input_value(answer.text, "identifier") == html.escape(data["identifier"].strip())
        assert 'value="abc"' not in answer.text
    assert stored(db, "ok") is None


def test_form_needs_the_csrf_token(web: TestClient, db: Database) -> None:
    customer = add_customer(db)
    product = make_product(db, "USD")
    answer = web.post(
        f"/customers/{customer}/accounts/new",
        data={"identifier": "alice", "product_id": str(product)},
    )
    assert answer.status_code == 403
    assert stored(db, "alice") is None


def test_edit_an_account(web: TestClient, db: Database) -> None:
    customer = add_customer(db)
    product, other = make_product(db, "USD"), make_product(db, "USD")
    account_id = add_account(db, customer, "alice", product)
    page = web.get(f"/accounts/{account_id}")
    assert input_value(page.text, "identifier") == "alice"
    answer = web.post(
        f"/accounts/{account_id}",
        data={
            "csrf_token": csrf_of(page.text),
            "identifier": "alice2",
            "product_id": str(other),
            "max_sessions": "",
            "password": "new-secret",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    account = stored(db, "alice2")
    assert account is not None and account.product_id == other
    assert account.password_hash is not None
    cleared = web.post(
        f"/accounts/{account_id}",
        data={
            "csrf_token": csrf_of(page.text),
            "identifier": "alice2",
            "product_id": str(other),
            "max_sessions": "5",
            "clear_password": "1",
        },
        follow_redirects=False,
    )
    assert cleared.status_code == 303
    account = stored(db, "alice2")
    assert account is not None and account.password_hash is None and account.max_sessions == 5
    refused = web.post(
        f"/accounts/{account_id}",
        data={"csrf_token": csrf_of(page.text), "identifier": "", "product_id": str(other)},
    )
    assert refused.status_code == 422
    assert field_error(refused.text, "identifier")


def test_block_unblock_close(web: TestClient, db: Database) -> None:
    customer = add_customer(db)
    account_id = add_account(db, customer, "alice", make_product(db, "USD"))
    token = csrf_of(web.get(f"/accounts/{account_id}").text)

    def act(action: str) -> str:
        answer = web.post(
            f"/accounts/{account_id}/status", data={"csrf_token": token, "action": action}
        )
        assert answer.status_code == 200
        return answer.text

    assert "Account blocked" in act("block")
    assert "Unblock</button>" in web.get(f"/accounts/{account_id}").text
    assert "Cannot block account" in act("block")
    assert "Account unblocked" in act("unblock")
    assert "Account closed" in act("close")
    page = web.get(f"/accounts/{account_id}")
    assert ">Save</button>" not in page.text and "Block</button>" not in page.text
    assert "Recent changes" in page.text and "Active → Closed" in page.text
    assert "Cannot unblock account" in act("unblock")


def test_accounts_list_and_identifier_search(web: TestClient, db: Database) -> None:
    first, second = add_customer(db, "First"), add_customer(db, "Second")
    product = make_product(db, "USD")
    add_account(db, first, "alice", product)
    add_account(db, second, "+420601234567", product)
    listing = web.get("/accounts")
    assert listing.status_code == 200
    assert 'href="/accounts" aria-current="page"' in listing.text
    assert "alice" in listing.text and "+420601234567" in listing.text
    found = web.get("/accounts", params={"identifier": " +420601234567 "})
    assert "+420601234567" in found.text and "alice" not in found.text
    assert "Second" in found.text
    missing = web.get("/accounts", params={"identifier": "nobody"})
    assert "No account has the identifier nobody" in missing.text
    own = web.get("/accounts", params={"customer_id": str(first)})
    assert "alice" in own.text and "+420601234567" not in own.text
    assert web.get("/accounts", params={"status": "gone"}).status_code == 422
    assert web.get("/accounts/999999").status_code == 404


def test_viewer_reads_but_cannot_change(client: TestClient, db: Database) -> None:
    customer = add_customer(db)
    product = make_product(db, "USD")
    account_id = add_account(db, customer, "alice", product)
    make_user(db, "viewer", "auditor")
    web_login(client, "auditor", USER_PASSWORD)
    page = client.get(f"/accounts/{account_id}")
    assert page.status_code == 200
    assert ">Save</button>" not in page.text and "Block</button>" not in page.text
    assert "Add account" not in client.get(f"/customers/{customer}").text
    token = csrf_of(page.text)
    assert client.get(f"/customers/{customer}/accounts/new").status_code == 403
    refused = client.post(
        f"/customers/{customer}/accounts/new",
        data={"csrf_token": token, "identifier": "bob", "product_id": str(product)},
    )
    assert refused.status_code == 403
    blocked = client.post(
        f"/accounts/{account_id}/status", data={"csrf_token": token, "action": "block"}
    )
    assert blocked.status_code == 403
    account = stored(db, "alice")
    assert account is not None and account.status == "active"
    assert stored(db, "bob") is None
