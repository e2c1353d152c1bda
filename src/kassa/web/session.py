"""Who is signed in, the CSRF token that guards every form, and one-time flash messages.

The session cookie is signed (:mod:`kassa.web.cookie`) and holds the key of a web session
kept in the database, the CSRF token and pending flashes. The session and its user are read on
every request, so signing out, a new password, a disabled user or a changed role take effect at
once, and a copy of the cookie is worth nothing after any of them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.datastructures import FormData

from kassa.auth import web_sessions
from kassa.auth.actor import Actor, Permission
from kassa.auth.password_flows import Passwords
from kassa.core.clock import utcnow
from kassa.core.errors import FieldErrors, KassaError
from kassa.core.text import control_character_message
from kassa.core.vocabulary import Role
from kassa.db.engine import Database
from kassa.web.errors import problem_for

SESSION_KEY = "sid"
CSRF_KEY = "csrf"
FLASH_KEY = "flash"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
# The service role is the operator's network speaking to the API; it has no web pages.
WEB_ROLES = frozenset({Role.ADMIN, Role.OPERATOR, Role.VIEWER})


class LoginRequired(Exception):
    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class CsrfRejected(Exception):
    pass


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def passwords(request: Request) -> Passwords:
    work: Passwords = request.app.state.passwords
    return work


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def csrf_token(request: Request) -> str:
    token = request.session.get(CSRF_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[CSRF_KEY] = token
    return token


def flash(request: Request, message: str, kind: str = "success") -> None:
    pending = list(request.session.get(FLASH_KEY) or [])
    pending.append({"kind": kind, "message": message})
    request.session[FLASH_KEY] = pending


def flash_refusal(request: Request, error: KassaError) -> None:
    """A refused action, told on the page the browser is sent back to; an unknown row is
    raised again, for the 404 page."""
    problem = problem_for(error)
    if problem.status == 404:
        raise error
    flash(request, problem.message, "error")


def take_flashes(request: Request) -> list[dict[str, str]]:
    return list(request.session.pop(FLASH_KEY, None) or [])


def sign_in(request: Request, session_key: str) -> None:
    """The browser now holds this web session (and a fresh CSRF token)."""
    request.session.clear()
    request.session[SESSION_KEY] = session_key
    request.session[CSRF_KEY] = secrets.token_urlsafe(32)


def sign_out(request: Request) -> None:
    key = request.session.get(SESSION_KEY)
    if isinstance(key, str):
        with database(request).transaction() as session:
            web_sessions.end(session, key)
    request.session.clear()


def safe_next(value: Any) -> str:
    """Only a path on this site: never an absolute or scheme-relative URL (open redirect)."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        return "/customers"
    if "\\" in value or any(ord(c) < 32 for c in value):
        return "/customers"
    return value


def login_url(request: Request) -> str:
    if request.method != "GET":
        return "/login"
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/login?next=" + quote(target, safe="")


def load_actor(request: Request) -> Actor | None:
    key = request.session.get(SESSION_KEY)
    if not isinstance(key, str):
        return None
    db = database(request)
    now = utcnow()
    with db.reading() as session:
        signed_in = web_sessions.find(session, key, now=now)
    if signed_in is None or signed_in.actor.role not in WEB_ROLES:
        return None
    if signed_in.seen_long_ago(now):
        with db.transaction() as session:
            web_sessions.seen(session, key, now=now)
    return signed_in.actor


def current_actor(request: Request) -> Actor:
    actor = load_actor(request)
    if actor is None:
        request.session.pop(SESSION_KEY, None)
        raise LoginRequired(login_url(request))
    request.state.actor = actor
    return actor


def require(permission: Permission) -> Callable[..., Actor]:
    def _check(actor: Actor = Depends(current_actor)) -> Actor:
        actor.require(permission)
        return actor

    return _check


def _check_text(form: FormData) -> None:
    """Every typed value free of control characters (a tab or line break may stand in a text
    area); uploaded files are bytes and not looked at. PostgreSQL text cannot hold NUL."""
    errors = FieldErrors()
    for name, value in form.multi_items():
        if control_character_message(name, multiline=False):
            errors.add("form", "a field name must not contain control characters")
        elif isinstance(value, str):
            message = control_character_message(value, multiline=True)
            if message:
                errors.add(name, message)
    errors.raise_if_any(code="invalid_character")


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token matches the session's (else 403) and its text
    holds no control character (else 422, naming the field)."""
    form = await request.form()
    sent = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    expected = request.session.get(CSRF_KEY)
    if (
        not isinstance(sent, str)
        or not isinstance(expected, str)
        or not secrets.compare_digest(sent.encode(), expected.encode())
    ):
        raise CsrfRejected()
    _check_text(form)
    return form


Signed = Depends(current_actor)
Reader = Depends(require(Permission.READ))
CustomerManager = Depends(require(Permission.MANAGE_CUSTOMERS))
Configurer = Depends(require(Permission.CONFIGURE))
RatingManager = Depends(require(Permission.MANAGE_RATING))
UserManager = Depends(require(Permission.MANAGE_USERS))
CheckedForm = Depends(checked_form)
