"""The customer list and the Add customer form."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from kassa.auth.actor import Actor
from kassa.core.errors import KassaError
from kassa.core.vocabulary import CustomerStatus
from kassa.customer_classes.service import list_customer_classes
from kassa.customers import queries
from kassa.customers.service import create_customer
from kassa.customers.views import customer_views
from kassa.web import customer_form as cf
from kassa.web.errors import WebProblem, problem_for, problem_for_validation
from kassa.web.forms import FormView, id_filter, typed_values
from kassa.web.render import STATUS_LABELS, redirect, render
from kassa.web.routing import web_router
from kassa.web.session import CheckedForm, CustomerManager, Reader, database, flash

router = web_router()
PAGE_SIZE = 25


@router.get("/customers", response_class=HTMLResponse)
def customer_list(
    request: Request,
    q: str = "",
    status: str = "",
    customer_class: str = "",
    cursor: str = "",
    _: Actor = Reader,
) -> Response:
    class_id = id_filter(customer_class, "customer_class", "must be a customer class id")
    with database(request).reading() as session:
        classes = list_customer_classes(session)
        rows, next_cursor = queries.list_customers(
            session,
            q=q.strip() or None,
            status=status or None,
            customer_class_id=class_id,
            limit=PAGE_SIZE,
            cursor=cursor or None,
        )
        customers = customer_views(session, rows)
    return render(
        request,
        "customers/list.html",
        {
            "customers": customers,
            "class_names": {c.id: c.name for c in classes},
            "classes": classes,
            "statuses": [(s, STATUS_LABELS[s]) for s in CustomerStatus],
            "q": q,
            "status": status,
            "customer_class": customer_class,
            "cursor": cursor,
            "next_cursor": next_cursor,
        },
    )


def _form_page(
    request: Request, form: FormView, status_code: int = 200, keep_currency: str | None = None
) -> Response:
    with database(request).reading() as session:
        choices = cf.load_choices(session, keep_currency)
        inputs = cf.custom_field_inputs(
            cf.class_fields(session, form.values.get("customer_class_id"))
        )
    return render(
        request,
        "customers/new.html",
        {
            "form": form,
            "choices": choices,
            "custom_inputs": inputs,
            "timezones": cf.timezones(),
        },
        status_code=status_code,
    )


@router.get("/customers/new", response_class=HTMLResponse)
def new_customer(request: Request, _: Actor = CustomerManager) -> Response:
    with database(request).reading() as session:
        values = cf.new_customer_values(session)
    return _form_page(request, FormView(values=values))


@router.post("/customers/new", response_class=HTMLResponse)
def add_customer(
    request: Request, actor: Actor = CustomerManager, form: FormData = CheckedForm
) -> Response:
    db = database(request)
    with db.reading() as session:
        fields = cf.class_fields(session, form.get("customer_class_id"))
    shown = set(cf.FIELDS) | {cf.CUSTOM_PREFIX + f.name for f, _ in fields}
    problem: WebProblem
    try:
        data = cf.customer_in(form, fields)
        with db.transaction() as session:
            customer = create_customer(session, actor, data)
            customer_id, name = customer.id, customer.name
    except ValidationError as exc:
        problem = problem_for_validation(exc)
    except KassaError as exc:
        problem = problem_for(exc)
    else:
        flash(request, f"Customer '{name}' was created.")
        return redirect(f"/customers/{customer_id}")
    view = FormView.failed(typed_values(form), problem, shown)
    return _form_page(request, view, problem.status, cf.optional(form, "currency"))


@router.get("/customers/custom-data", response_class=HTMLResponse)
def custom_data_fragment(
    request: Request, customer_class_id: str = "", _: Actor = Reader
) -> Response:
    """The Custom data inputs of a class: the form swaps them in when the class changes."""
    with database(request).reading() as session:
        fields = cf.class_fields(session, customer_class_id)
        inputs = cf.custom_field_inputs(fields)
    values = cf.custom_inputs(request.query_params, fields)
    return render(
        request,
        "customers/_custom_data.html",
        {"custom_inputs": inputs, "form": FormView(values=values)},
    )
