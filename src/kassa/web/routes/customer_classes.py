"""Customer classes: list, create, edit, delete."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from kassa.auth.actor import Actor
from kassa.core.errors import KassaError
from kassa.core.ids import Id
from kassa.currencies.service import list_currencies
from kassa.custom_fields.service import list_custom_fields
from kassa.customer_classes import service
from kassa.customer_classes.schemas import CustomerClassIn, CustomerClassPatch
from kassa.events.types import EVENTS
from kassa.web import class_form as kf
from kassa.web.errors import WebProblem, problem_for, problem_for_validation
from kassa.web.forms import FormView
from kassa.web.render import redirect, render
from kassa.web.routing import web_router
from kassa.web.session import CheckedForm, Configurer, Reader, database, flash

router = web_router()


def _templates_dir(request: Request) -> Path | None:
    directory: Path | None = request.app.state.settings.invoice_templates_dir
    return directory


@router.get("/customer-classes", response_class=HTMLResponse)
def class_list(request: Request, _: Actor = Reader) -> Response:
    with database(request).reading() as session:
        classes = service.list_customer_classes(session)
        counts = service.customer_counts(session)
        rows = [
            {"cls": c, "customers": counts.get(c.id, 0), "taxes": kf.describe_taxes(c)}
            for c in classes
        ]
    return render(request, "classes/list.html", {"rows": rows})


def _form_page(
    request: Request,
    form: FormView,
    class_id: int | None = None,
    status_code: int = 200,
) -> Response:
    with database(request).reading() as session:
        cls = service.get_customer_class(session, class_id) if class_id is not None else None
        currencies = [
            (c.code, f"{c.code} · {c.name}") for c in list_currencies(session, enabled=True)
        ]
        fields = list_custom_fields(session)
        customers = service.customer_counts(session).get(class_id, 0) if class_id else 0
    current_currency = form.value("currency")
    if current_currency and current_currency not in {c for c, _ in currencies}:
        currencies.append((current_currency, current_currency))
    context: dict[str, Any] = {
        "form": form,
        "cls": cls,
        "customers": customers,
        "currencies": currencies,
        "templates": kf.invoice_templates(_templates_dir(request), form.value("invoice_template")),
        "events": [(e, kf.EVENT_LABELS.get(e, e)) for e in EVENTS],
        "fields": fields,
        "modes": kf.FIELD_MODES,
        "field_key": kf.field_key,
    }
    return render(request, "classes/form.html", context, status_code=status_code)


@router.get("/customer-classes/new", response_class=HTMLResponse)
def new_class(request: Request, _: Actor = Configurer) -> Response:
    return _form_page(request, FormView(values=kf.new_values()))


def _save(request: Request, actor: Actor, form: FormData, class_id: int | None) -> Response:
    db = database(request)
    with db.reading() as session:
        fields = list_custom_fields(session)
    values = kf.values_from_form(form, fields)
    data, renames = kf.payload(values, fields)
    problem: WebProblem
    try:
        with db.transaction() as session:
            if class_id is None:
                cls = service.create_customer_class(
                    session,
                    actor,
                    CustomerClassIn.model_validate(data),
                    templates_dir=_templates_dir(request),
                )
            else:
                cls = service.update_customer_class(
                    session,
                    actor,
                    class_id,
                    CustomerClassPatch.model_validate(data),
                    templates_dir=_templates_dir(request),
                )
            name = cls.name
    except ValidationError as exc:
        problem = problem_for_validation(exc, renames)
    except KassaError as exc:
        problem = problem_for(exc, renames)
        if problem.status == 404:
            raise
    else:
        flash(request, f"Customer class '{name}' was {'created' if class_id is None else 'saved'}.")
        return redirect("/customer-classes")
    view = FormView.failed(values, problem, kf.shown_fields(values, fields))
    return _form_page(request, view, class_id, problem.status)


@router.post("/customer-classes/new", response_class=HTMLResponse)
def create_class(
    request: Request, actor: Actor = Configurer, form: FormData = CheckedForm
) -> Response:
    return _save(request, actor, form, None)


@router.get("/customer-classes/{class_id:id}", response_class=HTMLResponse)
def edit_class_page(request: Request, class_id: Id, _: Actor = Reader) -> Response:
    with database(request).reading() as session:
        values = kf.values_of(service.get_customer_class(session, class_id))
    return _form_page(request, FormView(values=values), class_id)


@router.post("/customer-classes/{class_id:id}", response_class=HTMLResponse)
def update_class(
    request: Request, class_id: Id, actor: Actor = Configurer, form: FormData = CheckedForm
) -> Response:
    return _save(request, actor, form, class_id)


@router.post("/customer-classes/{class_id:id}/delete")
def delete_class(
    request: Request, class_id: Id, actor: Actor = Configurer, form: FormData = CheckedForm
) -> Response:
    try:
        with database(request).transaction() as session:
            name = service.get_customer_class(session, class_id).name
            service.delete_customer_class(session, actor, class_id)
    except KassaError as exc:
        problem = problem_for(exc)
        if problem.status == 404:
            raise
        flash(request, problem.message, "error")
        return redirect(f"/customer-classes/{class_id}")
    flash(request, f"Customer class '{name}' was deleted.")
    return redirect("/customer-classes")
