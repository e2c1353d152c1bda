"""Signing in and out of the web UI."""

from __future__ import annotations

import asyncio

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from kassa.auth import password_flows
from kassa.core.errors import Forbidden, Overloaded, RetryLater, Unauthorized
from kassa.web.forms import FormView, text
from kassa.web.render import redirect, render
from kassa.web.routing import web_router
from kassa.web.session import (
    WEB_ROLES,
    CheckedForm,
    Signed,
    checked_form,
    client_address,
    flash,
    load_actor,
    passwords,
    safe_next,
    sign_in,
    sign_out,
)

router = web_router()


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/customers") -> Response:
    if load_actor(request) is not None:
        return redirect(safe_next(next))
    return render(request, "login.html", {"form": FormView(), "next_url": safe_next(next)})


def _refused(
    request: Request, username: str, next_url: str, message: str, status: int, **headers: str
) -> Response:
    view = FormView(values={"username": username}, message=message)
    return render(
        request,
        "login.html",
        {"form": view, "next_url": next_url},
        status_code=status,
        headers=headers,
    )


def _busy(request: Request, exc: Overloaded) -> Response:
    view = FormView(message="Kassa is busy checking other sign-ins. Try again in a moment.")
    headers = {"Retry-After": str(exc.retry_after)}
    return render(
        request, "login.html", {"form": view, "next_url": "/customers"}, 503, headers=headers
    )


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    # A coroutine: the password check waits on its own threads (kassa.auth.hashing), so a flood
    # of sign-ins holds none of the shared thread pool the money routes run on. Its place in
    # the hashing queue is taken first: past the queue a sign-in is refused before its form
    # is even read.
    work = passwords(request)
    refusal: Response
    try:
        slot = work.hashing.reserve()
    except Overloaded as exc:
        refusal = _busy(request, exc)
    else:
        with slot:
            form = await checked_form(request)
            username, password = text(form, "username"), form.get("password")
            next_url = safe_next(form.get("next"))
            if not username or not isinstance(password, str) or not password:
                message = "Enter your username and password."
                return _refused(request, username, next_url, message, 422)
            try:
                _actor, session_key = await password_flows.sign_in(
                    work,
                    slot,
                    username=username,
                    password=password,
                    address=client_address(request),
                    roles=WEB_ROLES,
                )
            except RetryLater as exc:
                retry = {"Retry-After": str(exc.retry_after)}
                refusal = _refused(
                    request, username, next_url, exc.detail, exc.http_status, **retry
                )
            except (Unauthorized, Forbidden) as exc:
                refusal = _refused(request, username, next_url, exc.detail, 401)
            else:
                sign_in(request, session_key)
                return redirect(next_url)
    # Out of the queue, the refusal waits a moment before it is sent: a client that tries
    # again at once is slowed to a few tries a second, whatever the server's speed.
    await asyncio.sleep(work.limits.refusal_delay_seconds)
    return refusal


@router.post("/logout")
def logout(request: Request, form: FormData = CheckedForm) -> Response:
    sign_out(request)
    flash(request, "You have signed out.")
    return redirect("/login")


@router.get("/")
def home(request: Request, _: object = Signed) -> Response:
    return redirect("/customers")
