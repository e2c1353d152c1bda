"""Users, for admins: disable and enable them, reset passwords, lift sign-in locks."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from kassa.auth import password_flows, service, throttle, web_sessions
from kassa.auth.actor import Actor
from kassa.core.errors import KassaError
from kassa.core.ids import Id
from kassa.core.vocabulary import ThrottleScope
from kassa.db.models import User
from kassa.web.errors import problem_for
from kassa.web.forms import FormView, text
from kassa.web.render import redirect, render
from kassa.web.routes.account import new_password
from kassa.web.routing import web_router
from kassa.web.session import (
    CheckedForm,
    UserManager,
    client_address,
    database,
    flash,
    flash_refusal,
    passwords,
)

router = web_router()
SHOWN = {"password", "password_confirm"}


@router.get("/users", response_class=HTMLResponse)
def user_list(request: Request, _: Actor = UserManager) -> Response:
    with database(request).reading() as session:
        users = service.list_users(session)
        locked = throttle.locked_until(session, [u.username for u in users])
        seen = web_sessions.last_seen(session, [u.id for u in users])
        addresses = [
            lock for lock in throttle.lockouts(session) if lock.scope == ThrottleScope.ADDRESS
        ]
    return render(
        request,
        "users/list.html",
        {"users": users, "locked": locked, "seen": seen, "addresses": addresses},
    )


def _refused(request: Request, exc: KassaError) -> Response:
    flash_refusal(request, exc)
    return redirect("/users")


@router.post("/users/{user_id:id}/active")
def set_active(
    request: Request, user_id: Id, actor: Actor = UserManager, form: FormData = CheckedForm
) -> Response:
    active = text(form, "active") == "1"
    try:
        with database(request).transaction() as session:
            name = service.set_active(session, actor, user_id, active).username
    except KassaError as exc:
        return _refused(request, exc)
    if active:
        flash(request, f"'{name}' is enabled and may sign in again.")
    else:
        flash(request, f"'{name}' is disabled: signed out everywhere, API tokens refused.")
    return redirect("/users")


@router.post("/users/{user_id:id}/unlock")
def unlock_user(
    request: Request, user_id: Id, actor: Actor = UserManager, form: FormData = CheckedForm
) -> Response:
    with database(request).transaction() as session:
        name = service.get_user(session, user_id).username
        throttle.lift(session, actor, ThrottleScope.USER, name)
    flash(request, f"'{name}' may sign in again; their failed sign-ins are forgotten.")
    return redirect("/users")


@router.post("/users/lockouts/lift")
def lift_address(
    request: Request, actor: Actor = UserManager, form: FormData = CheckedForm
) -> Response:
    address = text(form, "address")
    with database(request).transaction() as session:
        lifted = throttle.lift(session, actor, ThrottleScope.ADDRESS, address)
    if lifted:
        flash(request, f"Sign-ins from {address} are allowed again.")
    else:
        flash(request, f"{address} was not locked.", "error")
    return redirect("/users")


def _reset_page(request: Request, user: User, form: FormView, status_code: int = 200) -> Response:
    return render(
        request, "users/password.html", {"user": user, "form": form}, status_code=status_code
    )


@router.get("/users/{user_id:id}/password", response_class=HTMLResponse)
def reset_page(request: Request, user_id: Id, actor: Actor = UserManager) -> Response:
    if user_id == actor.user_id:
        return redirect("/account/password")
    with database(request).reading() as session:
        user = service.get_user(session, user_id)
    return _reset_page(request, user, FormView())


@router.post("/users/{user_id:id}/password", response_class=HTMLResponse)
async def reset_password(
    request: Request, user_id: Id, actor: Actor = UserManager, form: FormData = CheckedForm
) -> Response:
    try:
        user, _key = await password_flows.change_password(
            passwords(request),
            actor,
            user_id,
            password=new_password(form),
            current_password=None,
            address=client_address(request),
        )
    except KassaError as exc:
        problem = problem_for(exc)
        if problem.status in (404, 429, 503):
            raise
        user = await passwords(request).read(lambda s: service.get_user(s, user_id))
        return _reset_page(request, user, FormView.failed({}, problem, SHOWN), problem.status)
    flash(request, f"The password of '{user.username}' is reset; their sessions have ended.")
    return redirect("/users")
