"""Webhook endpoints: list, add (the secret shown once), edit, delete, and each one's
delivery log."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from kassa.auth.actor import Actor
from kassa.core.errors import FieldErrors, KassaError
from kassa.core.ids import Id
from kassa.core.vocabulary import DeliveryStatus
from kassa.events.types import EVENTS
from kassa.notifications import service
from kassa.notifications.schemas import WebhookEndpointIn, WebhookEndpointPatch
from kassa.web.class_form import EVENT_LABELS
from kassa.web.errors import WebProblem, problem_for, problem_for_validation
from kassa.web.forms import FormView, text, texts
from kassa.web.render import redirect, render
from kassa.web.routing import web_router
from kassa.web.session import CheckedForm, Configurer, Reader, database, flash

router = web_router()
PAGE_SIZE = 50
DELIVERY_PAGE = 25
SHOWN = {"url", "events", "active"}
# The secret of a just-created endpoint waits here for the one page that shows it.
SECRET_KEY = "new_webhook_secret"
DELIVERY_STATUSES = (
    (DeliveryStatus.PENDING, "Pending"),
    (DeliveryStatus.DELIVERED, "Delivered"),
    (DeliveryStatus.FAILED, "Failed"),
)


def _events() -> list[tuple[str, str]]:
    return [(e, EVENT_LABELS.get(e, e)) for e in EVENTS]


def _values(form: FormData) -> dict[str, Any]:
    return {
        "url": text(form, "url"),
        "events": [e for e in texts(form, "events") if e],
        "active": text(form, "active") == "1",
    }


def _problem(error: Exception) -> WebProblem:
    if isinstance(error, ValidationError):
        problem = problem_for_validation(error)
    else:
        assert isinstance(error, KassaError)
        problem = problem_for(error)
    # One message for the checkbox group, whichever box was wrong.
    fields: dict[str, str] = {}
    for name, message in problem.fields.items():
        key = "events" if name.startswith("events[") else name
        fields[key] = f"{fields[key]}; {message}" if key in fields else message
    problem.fields = fields
    return problem


def _checked(values: dict[str, Any]) -> None:
    errors = FieldErrors()
    if not values["url"]:
        errors.add("url", "URL is required")
    if not values["events"]:
        errors.add("events", "Choose at least one event")
    errors.raise_if_any()


@router.get("/webhooks", response_class=HTMLResponse)
def webhook_list(request: Request, cursor: str = "", _: Actor = Reader) -> Response:
    with database(request).reading() as session:
        endpoints, next_cursor = service.page_endpoints(
            session, limit=PAGE_SIZE, cursor=cursor or None
        )
        counts = service.delivery_counts(session, [e.id for e in endpoints])
    rows = [
        {
            "endpoint": e,
            "events": [EVENT_LABELS.get(ev, ev) for ev in e.events],
            "counts": {s: counts[e.id].get(s, 0) for s, _ in DELIVERY_STATUSES},
        }
        for e in endpoints
    ]
    return render(
        request,
        "webhooks/list.html",
        {"rows": rows, "cursor": cursor, "next_cursor": next_cursor, "all_events": len(EVENTS)},
    )


def _form_page(request: Request, form: FormView, status_code: int = 200) -> Response:
    return render(
        request,
        "webhooks/new.html",
        {"form": form, "events": _events()},
        status_code=status_code,
    )


@router.get("/webhooks/new", response_class=HTMLResponse)
def new_webhook(request: Request, _: Actor = Configurer) -> Response:
    return _form_page(request, FormView(values={"events": list(EVENTS), "active": True}))


@router.post("/webhooks/new", response_class=HTMLResponse)
def create_webhook(
    request: Request, actor: Actor = Configurer, form: FormData = CheckedForm
) -> Response:
    values = _values(form)
    values["active"] = True
    try:
        _checked(values)
        data = WebhookEndpointIn.model_validate(values)
        with database(request).transaction() as session:
            endpoint, secret = service.create_endpoint(session, actor, data)
            endpoint_id = endpoint.id
    except (ValidationError, KassaError) as exc:
        problem = _problem(exc)
        return _form_page(request, FormView.failed(values, problem, SHOWN), problem.status)
    request.session[SECRET_KEY] = {"id": endpoint_id, "secret": secret}
    flash(request, "Webhook endpoint added. Copy its signing secret now: it is not shown again.")
    return redirect(f"/webhooks/{endpoint_id}")


def _endpoint_page(
    request: Request,
    endpoint_id: int,
    form: FormView | None = None,
    *,
    status: str = "",
    cursor: str = "",
    status_code: int = 200,
) -> Response:
    with database(request).reading() as session:
        endpoint = service.get_endpoint(session, endpoint_id)
        deliveries, next_cursor = service.list_deliveries(
            session,
            endpoint_id,
            status=status or None,
            limit=DELIVERY_PAGE,
            cursor=cursor or None,
        )
        values = {"url": endpoint.url, "events": list(endpoint.events), "active": endpoint.active}
    secret = None
    pending = request.session.get(SECRET_KEY)
    if isinstance(pending, dict) and pending.get("id") == endpoint_id:
        secret = str(pending.get("secret", ""))
        del request.session[SECRET_KEY]
    return render(
        request,
        "webhooks/show.html",
        {
            "endpoint": endpoint,
            "form": form or FormView(values=values),
            "events": _events(),
            "event_labels": EVENT_LABELS,
            "deliveries": deliveries,
            "delivery_statuses": DELIVERY_STATUSES,
            "status": status,
            "cursor": cursor,
            "next_cursor": next_cursor,
            "secret": secret,
        },
        status_code=status_code,
    )


@router.get("/webhooks/{endpoint_id:id}", response_class=HTMLResponse)
def webhook_page(
    request: Request, endpoint_id: Id, status: str = "", cursor: str = "", _: Actor = Reader
) -> Response:
    return _endpoint_page(request, endpoint_id, status=status.strip(), cursor=cursor)


@router.post("/webhooks/{endpoint_id:id}", response_class=HTMLResponse)
def update_webhook(
    request: Request, endpoint_id: Id, actor: Actor = Configurer, form: FormData = CheckedForm
) -> Response:
    values = _values(form)
    try:
        _checked(values)
        patch = WebhookEndpointPatch.model_validate(values)
        with database(request).transaction() as session:
            service.update_endpoint(session, actor, endpoint_id, patch)
    except (ValidationError, KassaError) as exc:
        problem = _problem(exc)
        if problem.status == 404:
            raise
        view = FormView.failed(values, problem, SHOWN)
        return _endpoint_page(request, endpoint_id, view, status_code=problem.status)
    flash(request, "Changes saved.")
    return redirect(f"/webhooks/{endpoint_id}")


@router.post("/webhooks/{endpoint_id:id}/delete")
def delete_webhook(
    request: Request, endpoint_id: Id, actor: Actor = Configurer, form: FormData = CheckedForm
) -> Response:
    with database(request).transaction() as session:
        url = service.get_endpoint(session, endpoint_id).url
        service.delete_endpoint(session, actor, endpoint_id)
    flash(request, f"Webhook endpoint {url} was deleted, with its delivery log.")
    return redirect("/webhooks")
