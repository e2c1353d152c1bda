"""Signing in and out of the web UI."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from kassa.auth.service import authenticate_password
from kassa.web.forms import FormView, text
from kassa.web.render import redirect, render
from kassa.web.routing import web_router
from kassa.web.session import (
    WEB_ROLES,
    CheckedForm,
    Signed,
    database,
    flash,
    load_actor,
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


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, form: FormData = CheckedForm) -> Response:
    username, password = text(form, "username"), form.get("password")
    next_url = safe_next(form.get("next"))
    actor = None
    if username and isinstance(password, str) and password:
        with database(request).reading() as session:
            actor = authenticate_password(session, username, password)
    if actor is None or actor.role not in WEB_ROLES:
        message = (
            "This account is for API access only and cannot sign in to the web."
            if actor is not None
            else "Unknown username or wrong password."
        )
        view = FormView(values={"username": username}, message=message)
        return render(request, "login.html", {"form": view, "next_url": next_url}, status_code=401)
    sign_in(request, actor)
    return redirect(next_url)


@router.post("/logout")
def logout(request: Request, form: FormData = CheckedForm) -> Response:
    sign_out(request)
    flash(request, "You have signed out.")
    return redirect("/login")


@router.get("/")
def home(request: Request, _: object = Signed) -> Response:
    return redirect("/customers")
