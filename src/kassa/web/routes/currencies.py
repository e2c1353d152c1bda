"""Currencies: the ISO 4217 table, searchable, each enabled or not for charging."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from kassa.auth.actor import Actor
from kassa.core.errors import KassaError
from kassa.currencies import service
from kassa.db.models import Currency
from kassa.web.errors import problem_for
from kassa.web.forms import text
from kassa.web.render import redirect, render
from kassa.web.routing import web_router
from kassa.web.session import CheckedForm, Configurer, Reader, database, flash

router = web_router()


def _matches(currency: Currency, q: str) -> bool:
    key = q.casefold()
    return key in currency.code.casefold() or key in currency.name.casefold()


@router.get("/currencies", response_class=HTMLResponse)
def currency_list(request: Request, q: str = "", show: str = "", _: Actor = Reader) -> Response:
    with database(request).reading() as session:
        currencies = service.list_currencies(session, enabled=True if show == "enabled" else None)
    q = q.strip()
    rows = [c for c in currencies if _matches(c, q)] if q else currencies
    # Enabled currencies first: they are the ones an operator looks for most.
    rows.sort(key=lambda c: (not c.enabled, c.code))
    return render(
        request,
        "currencies/list.html",
        {"rows": rows, "q": q, "show": show, "enabled_count": sum(c.enabled for c in currencies)},
    )


@router.post("/currencies/{code}", response_class=HTMLResponse)
def set_currency(
    request: Request, code: str, actor: Actor = Configurer, form: FormData = CheckedForm
) -> Response:
    enabled = text(form, "enabled") == "1"
    error = None
    try:
        with database(request).transaction() as session:
            currency = service.set_enabled(session, actor, code, enabled)
            currency_code = currency.code
    except KassaError as exc:
        problem = problem_for(exc)
        if problem.status == 404:
            raise
        error = problem.message
    with database(request).reading() as session:
        row = service.get_currency(session, code)
    if request.headers.get("hx-request"):
        return render(request, "currencies/_row.html", {"c": row, "row_error": error})
    if error:
        flash(request, error, "error")
    else:
        flash(request, f"{currency_code} is {'enabled' if enabled else 'disabled'}.")
    return redirect(f"/currencies?q={code}")
