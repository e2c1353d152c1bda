"""Web sessions live in the database: signing out, a new password or a disabled user end them,
and a copied cookie is worth nothing afterwards. Also the pages that change passwords and
users, the cookie's Secure flag and the security headers on every page."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kassa.app import create_app
from kassa.auth import passwords, throttle, web_sessions
from kassa.auth.throttle import LoginLimits
from kassa.background import Housekeeper
from kassa.core.clock import utcnow
from kassa.core.settings import Settings
from kassa.db.engine import Database
from kassa.db.models import AuditLog, LedgerEntry, LoginThrottle, User, WebSession
from kassa.security_headers import DOCS_POLICY, PAGE_POLICY
from tests.conftest import ADMIN_PASSWORD
from tests.web.conftest import USER_PASSWORD, csrf_of, make_user, web_login
from tests.web.helpers import add_customer, field_error

COOKIE = "kassa_session"


@pytest.fixture(autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """These tests sign in many times; the hash's cost is not what they are about."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        )
        yield


def entries(db: Database) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(LedgerEntry)) or 0)


def sessions_of(db: Database, username: str) -> int:
    with db.reading() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(WebSession)
                .join(User, User.id == WebSession.user_id)
                .where(User.username == username)
            )
            or 0
        )


def user_id(db: Database, username: str) -> int:
    with db.reading() as session:
        found = session.scalar(select(User.id).where(User.username == username))
        assert found is not None
        return found


def flashes(page: str) -> list[str]:
    found = re.findall(r'class="flash flash-\w+" role="\w+">([^<]*)<', page)
    return [html.unescape(text) for text in found]


def replay(client: TestClient, cookie: str) -> TestClient:
    """Another browser holding a copy of the cookie."""
    other = TestClient(client.app)
    other.cookies.set(COOKIE, cookie)
    return other


def steal(web: TestClient, customer_id: int) -> tuple[str, str]:
    """The signed-in browser's cookie and a CSRF token of its session, as a thief copies them."""
    token = csrf_of(web.get(f"/customers/{customer_id}").text)
    cookie = web.cookies.get(COOKIE)
    assert cookie
    return cookie, token


def pay(client: TestClient, customer_id: int, token: str) -> int:
    answer = client.post(
        f"/customers/{customer_id}/transactions",
        data={"csrf_token": token, "type": "payment", "amount": "10.00"},
        follow_redirects=False,
    )
    return answer.status_code


def assert_refused(client: TestClient, customer_id: int, token: str) -> None:
    answer = client.post(
        f"/customers/{customer_id}/transactions",
        data={"csrf_token": token, "type": "payment", "amount": "10.00"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].startswith("/login")
    assert client.get("/customers", follow_redirects=False).headers["location"].startswith("/login")


def test_a_copied_cookie_works_only_until_sign_out(web: TestClient, db: Database) -> None:
    customer = add_customer(db)
    cookie, token = steal(web, customer)
    # While the session lasts the copy is as good as the original: that is what a cookie is.
    assert pay(replay(web, cookie), customer, token) == 303
    assert entries(db) == 1
    web.post("/logout", data={"csrf_token": token})
    assert sessions_of(db, "admin") == 0
    assert_refused(replay(web, cookie), customer, token)
    assert entries(db) == 1


def test_a_new_password_ends_every_other_session(client: TestClient, db: Database) -> None:
    customer = add_customer(db)
    make_user(db, "operator", "clerk")
    web_login(client, "clerk", USER_PASSWORD)
    cookie, stolen_token = steal(client, customer)
    with TestClient(client.app) as laptop:
        web_login(laptop, "clerk", USER_PASSWORD)
        assert sessions_of(db, "clerk") == 2
        page = laptop.get("/account/password")
        changed = laptop.post(
            "/account/password",
            data={
                "csrf_token": csrf_of(page.text),
                "current_password": USER_PASSWORD,
                "password": "a-new-secret",
                "password_confirm": "a-new-secret",
            },
        )
        assert changed.status_code == 200
        assert "Your password is changed" in " ".join(flashes(changed.text))
        # The browser that changed it stays signed in, on a new session.
        assert laptop.get("/customers").status_code == 200
        assert sessions_of(db, "clerk") == 1
    assert_refused(replay(client, cookie), customer, stolen_token)
    assert_refused(client, customer, stolen_token)
    assert entries(db) == 0
    with TestClient(client.app) as fresh:
        web_login(fresh, "clerk", "a-new-secret")


def test_disabling_a_user_ends_their_sessions(client: TestClient, db: Database) -> None:
    customer = add_customer(db)
    make_user(db, "operator", "clerk")
    web_login(client, "clerk", USER_PASSWORD)
    cookie, token = steal(client, customer)
    with TestClient(client.app) as admin:
        web_login(admin)
        page = admin.get("/users")
        answer = admin.post(
            f"/users/{user_id(db, 'clerk')}/active",
            data={"csrf_token": csrf_of(page.text), "active": "0"},
        )
        assert "'clerk' is disabled" in " ".join(flashes(answer.text))
    assert sessions_of(db, "clerk") == 0
    assert_refused(replay(client, cookie), customer, token)
    assert entries(db) == 0
    # Re-enabled, the old cookie stays dead: it named a session that no longer exists.
    with db.transaction() as session:
        clerk = session.scalar(select(User).where(User.username == "clerk"))
        assert clerk is not None
        clerk.active = True
    assert_refused(replay(client, cookie), customer, token)


def test_a_disabled_user_cannot_sign_in(client: TestClient, db: Database) -> None:
    make_user(db, "viewer", "auditor")
    with db.transaction() as session:
        auditor = session.scalar(select(User).where(User.username == "auditor"))
        assert auditor is not None
        auditor.active = False
    answer = client.post(
        "/login",
        data={
            "csrf_token": csrf_of(client.get("/login").text),
            "username": "auditor",
            "password": USER_PASSWORD,
        },
    )
    assert answer.status_code == 401
    assert "disabled" in answer.text
    assert sessions_of(db, "auditor") == 0


def test_password_page_names_each_mistake_and_changes_nothing(
    web: TestClient, db: Database
) -> None:
    def change(current: str, new: str, again: str) -> str:
        token = csrf_of(web.get("/account/password").text)
        data = {
            "csrf_token": token,
            "current_password": current,
            "password": new,
            "password_confirm": again,
        }
        answer = web.post("/account/password", data=data)
        assert answer.status_code == 422, answer.text
        assert "a-new-secret" not in answer.text and ADMIN_PASSWORD not in answer.text
        return answer.text

    wrong = change("not-my-password", "a-new-secret", "a-new-secret")
    assert field_error(wrong, "current_password") == "Is not your current password"
    typo = change(ADMIN_PASSWORD, "a-new-secret", "a-new-secreT")
    assert field_error(typo, "password_confirm") == "Does not match the new password"
    short = change(ADMIN_PASSWORD, "short", "short")
    assert "at least 8 characters" in (field_error(short, "password") or "")
    with db.reading() as session:
        assert session.scalar(select(func.count()).where(AuditLog.action == "change_password")) == 0
    web_login(TestClient(web.app))


def test_admin_resets_a_password_on_the_users_page(web: TestClient, db: Database) -> None:
    make_user(db, "viewer", "auditor")
    auditor = user_id(db, "auditor")
    listing = web.get("/users")
    assert listing.status_code == 200
    assert "auditor" in listing.text and f"/users/{auditor}/password" in listing.text
    form = web.get(f"/users/{auditor}/password")
    answer = web.post(
        f"/users/{auditor}/password",
        data={
            "csrf_token": csrf_of(form.text),
            "password": "from-the-admin",
            "password_confirm": "from-the-admin",
        },
    )
    assert "password of 'auditor' is reset" in " ".join(flashes(answer.text))
    with TestClient(web.app) as other:
        web_login(other, "auditor", "from-the-admin")
    # The admin's own password is changed on their own page, with the current one.
    admin = user_id(db, "admin")
    own = web.get(f"/users/{admin}/password", follow_redirects=False)
    assert own.headers["location"] == "/account/password"


def test_only_admins_see_the_users_pages(client: TestClient, db: Database) -> None:
    make_user(db, "operator", "clerk")
    web_login(client, "clerk", USER_PASSWORD)
    assert 'href="/users"' not in client.get("/customers").text
    assert client.get("/users").status_code == 403
    token = csrf_of(client.get("/account/password").text)
    admin = user_id(db, "admin")
    refused = client.post(f"/users/{admin}/active", data={"csrf_token": token, "active": "0"})
    assert refused.status_code == 403
    with db.reading() as session:
        assert session.scalar(select(User.active).where(User.id == admin)) is True


def test_an_admin_cannot_disable_themselves(web: TestClient, db: Database) -> None:
    token = csrf_of(web.get("/users").text)
    answer = web.post(
        f"/users/{user_id(db, 'admin')}/active", data={"csrf_token": token, "active": "0"}
    )
    assert "cannot disable your own user" in " ".join(flashes(answer.text))
    assert web.get("/customers").status_code == 200


def _cookie_of(answer_headers: list[tuple[str, str]]) -> str:
    (cookie,) = [v for k, v in answer_headers if k.lower() == "set-cookie"]
    return cookie.lower()


def _login_cookie(client: TestClient, **headers: str) -> str:
    page = client.get("/login", headers=headers)
    answer = client.post(
        "/login",
        data={"csrf_token": csrf_of(page.text), "username": "admin", "password": ADMIN_PASSWORD},
        headers=headers,
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return _cookie_of(answer.headers.multi_items())


def test_the_cookie_is_secure_over_https(settings: Settings, db: Database) -> None:
    with TestClient(create_app(settings, db), base_url="https://kassa.example") as https:
        assert "; secure" in _login_cookie(https)
    with TestClient(create_app(settings, db)) as http:
        cookie = _login_cookie(http)
        assert "; secure" not in cookie and "httponly" in cookie and "samesite=lax" in cookie
    forced = replace(settings, cookie_secure="true")
    with TestClient(create_app(forced, db), base_url="https://kassa.example") as always:
        assert "; secure" in _login_cookie(always)
    never = replace(settings, cookie_secure="false")
    with TestClient(create_app(never, db), base_url="https://kassa.example") as plain:
        assert "; secure" not in _login_cookie(plain)


def _page_cookie(client: TestClient, **headers: str) -> str:
    # A Secure cookie is not sent back over plain HTTP, so the cookie of the sign-in page is
    # read: it is made by the same code as the signed-in one.
    return _cookie_of(client.get("/login", headers=headers).headers.multi_items())


def test_the_proxys_scheme_counts_only_when_it_is_trusted(settings: Settings, db: Database) -> None:
    https = {"X-Forwarded-Proto": "https"}
    # The test client connects from "testclient"; by default only 127.0.0.1 is trusted.
    assert "; secure" not in _page_cookie(TestClient(create_app(settings, db)), **https)
    trusted = replace(settings, trusted_proxies="testclient")
    assert "; secure" in _page_cookie(TestClient(create_app(trusted, db)), **https)
    assert "; secure" not in _page_cookie(TestClient(create_app(trusted, db)))
    nobody = replace(settings, trusted_proxies="none")
    assert "; secure" not in _page_cookie(TestClient(create_app(nobody, db)), **https)


def assert_page_headers(headers: dict[str, str], policy: str = PAGE_POLICY) -> None:
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-security-policy"] == policy
    assert "frame-ancestors 'none'" in policy


def test_every_page_carries_the_security_headers(web: TestClient, db: Database) -> None:
    customer = add_customer(db)
    for path in (
        "/login",
        "/customers",
        f"/customers/{customer}",
        "/users",
        "/account/password",
        "/currencies",
        "/customers/424242",
        "/static/kassa.css",
        "/health",
        "/api/v1/customers",
    ):
        answer = web.get(path)
        assert_page_headers(dict(answer.headers))
    signed_out = TestClient(web.app).get("/customers", follow_redirects=False)
    assert_page_headers(dict(signed_out.headers))


def test_pages_load_no_inline_script_or_style(web: TestClient, db: Database) -> None:
    page = web.get(f"/customers/{add_customer(db)}").text
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []
    assert "<style" not in page and " style=" not in page
    assert re.search(r"\son[a-z]+=", page) is None and "javascript:" not in page
    error = web.get("/customers/424242").text
    assert "javascript:" not in error


def test_the_api_docs_get_a_policy_that_lets_them_load(client: TestClient) -> None:
    for path in ("/docs", "/redoc"):
        answer = client.get(path)
        assert answer.status_code == 200
        assert_page_headers(dict(answer.headers), DOCS_POLICY)
        for url in re.findall(r'(?:src|href)="(https://[^/"]+)', answer.text):
            assert url in DOCS_POLICY, url


def test_housekeeping_forgets_ended_sessions_and_old_failures(db: Database) -> None:
    limits = LoginLimits()
    now = utcnow()
    with db.transaction() as session:
        admin = session.scalar(select(User.id).where(User.username == "admin"))
        assert admin is not None
        web_sessions.start(session, admin, now=now - web_sessions.LIFETIME - timedelta(minutes=1))
        live = web_sessions.start(session, admin, now=now)
        throttle.record_failure(
            session, limits, "old-guess", "192.0.2.1", now=now - timedelta(hours=2)
        )
        throttle.record_failure(session, limits, "new-guess", "192.0.2.2", now=now)
    _swept, purged = Housekeeper(db, 0, limits.window_seconds).run_once()
    assert purged == 3
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(WebSession)) == 1
        assert web_sessions.find(session, live) is not None
        kept = set(session.scalars(select(LoginThrottle.key)))
    assert kept == {"new-guess", "192.0.2.2"}
