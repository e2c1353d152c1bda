"""The signed-in user's own account: changing their password."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from kassa.auth import password_flows
from kassa.auth.actor import Actor
from kassa.core.errors import KassaError, ValidationFailed
from kassa.web.errors import problem_for
from kassa.web.forms import FormView
from kassa.web.render import redirect, render
from kassa.web.routing import web_router
from kassa.web.session import (
    CheckedForm,
    Signed,
    client_address,
    flash,
    passwords,
    sign_in,
)

router = web_router()
SHOWN = {"current_password", "password", "password_confirm"}


def new_password(form: FormData) -> str:
    """The new password, typed twice alike (else refused naming the second input)."""
    password, confirm = form.get("password"), form.get("password_confirm")
    password = password if isinstance(password, str) else ""
    if password != confirm:
        raise ValidationFailed.field("password_confirm", "does not match the new password")
    return password


def _page(request: Request, form: FormView, status_code: int = 200) -> Response:
    return render(request, "account/password.html", {"form": form}, status_code=status_code)


@router.get("/account/password", response_class=HTMLResponse)
def password_page(request: Request, _: Actor = Signed) -> Response:
    return _page(request, FormView())


@router.post("/account/password", response_class=HTMLResponse)
async def change_password(
    request: Request, actor: Actor = Signed, form: FormData = CheckedForm
) -> Response:
    current = form.get("current_password")
    assert actor.user_id is not None  # web sessions belong to users of the database
    try:
        _user, session_key = await password_flows.change_password(
            passwords(request),
            actor,
            actor.user_id,
            password=new_password(form),
            current_password=current if isinstance(current, str) else None,
            address=client_address(request),
            keep_signed_in=True,
        )
    except KassaError as exc:
        problem = problem_for(exc)
        if problem.status in (429, 503):
            raise
        # Passwords are never typed back into the form.
        return _page(request, FormView.failed({}, problem, SHOWN), problem.status)
    assert session_key is not None
    sign_in(request, session_key)
    flash(request, "Your password is changed. Every other session of yours was signed out.")
    return redirect("/account/password")
