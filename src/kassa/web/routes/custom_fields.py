"""Custom fields: list, create, edit, delete."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import func, select
from starlette.datastructures import FormData

from kassa.auth.actor import Actor
from kassa.core.errors import KassaError
from kassa.core.ids import Id
from kassa.core.vocabulary import FieldType
from kassa.custom_fields import service
from kassa.custom_fields.schemas import CustomFieldIn, CustomFieldPatch
from kassa.db.models import CustomerClassField, CustomField
from kassa.web.errors import WebProblem, problem_for, problem_for_validation
from kassa.web.forms import FormView, text, texts
from kassa.web.render import redirect, render
from kassa.web.routing import web_router
from kassa.web.session import CheckedForm, Configurer, Reader, database, flash

router = web_router()
TYPE_LABELS: dict[str, str] = {
    FieldType.TEXT: "Text",
    FieldType.NUMBER: "Number",
    FieldType.DATE: "Date",
    FieldType.DATETIME: "Date and time",
    FieldType.LIST: "List",
}
LIMITED = ",".join((FieldType.NUMBER, FieldType.DATE, FieldType.DATETIME))


def _values_of(field: CustomField) -> dict[str, Any]:
    return {
        "name": field.name,
        "label": field.label,
        "type": field.type,
        "min_length": "" if field.min_length is None else str(field.min_length),
        "max_length": "" if field.max_length is None else str(field.max_length),
        "min": field.min_value or "",
        "max": field.max_value or "",
        "options": [(o["value"], o["label"]) for o in field.options or []],
        "default": "" if field.default_value is None else str(field.default_value),
        "personal_data": "1" if field.personal_data else "",
    }


def _values_from_form(form: FormData, field: CustomField | None) -> dict[str, Any]:
    options = zip(texts(form, "option_value"), texts(form, "option_label"), strict=False)
    return {
        "name": field.name if field else text(form, "name"),
        "label": text(form, "label"),
        "type": field.type if field else text(form, "type"),
        "min_length": text(form, "min_length"),
        "max_length": text(form, "max_length"),
        "min": text(form, "min"),
        "max": text(form, "max"),
        "options": [(value, label) for value, label in options if value or label],
        "default": text(form, "default"),
        "personal_data": "1" if text(form, "personal_data") else "",
    }


def _payload(values: dict[str, Any], creating: bool) -> dict[str, Any]:
    """Only the limits of the field's type: the others are hidden, and not what is meant."""
    kind = values["type"]
    data: dict[str, Any] = {
        "label": values["label"],
        "default": values["default"] or None,
        "personal_data": values["personal_data"] == "1",
    }
    if creating:
        data["name"] = values["name"]
        data["type"] = kind
    if kind == FieldType.TEXT:
        data["min_length"] = values["min_length"] or None
        data["max_length"] = values["max_length"] or None
    elif kind in LIMITED.split(","):
        data["min"] = values["min"] or None
        data["max"] = values["max"] or None
    elif kind == FieldType.LIST:
        data["options"] = [{"value": v, "label": lbl} for v, lbl in values["options"]]
    return data


def _shown(values: dict[str, Any]) -> set[str]:
    shown = {"name", "label", "type", "min_length", "max_length", "min", "max", "options"}
    shown |= {"default", "personal_data"}
    for i in range(len(values["options"])):
        shown |= {f"options[{i}].value", f"options[{i}].label"}
    return shown


@router.get("/custom-fields", response_class=HTMLResponse)
def field_list(request: Request, _: Actor = Reader) -> Response:
    with database(request).reading() as session:
        fields = service.list_custom_fields(session)
        used = dict(
            session.execute(
                select(CustomerClassField.custom_field_id, func.count()).group_by(
                    CustomerClassField.custom_field_id
                )
            ).all()
        )
    return render(
        request,
        "fields/list.html",
        {"fields": fields, "used": used, "type_labels": TYPE_LABELS},
    )


def _form_page(
    request: Request, form: FormView, field: CustomField | None, status_code: int = 200
) -> Response:
    context = {
        "form": form,
        "field": field,
        "types": [(t, TYPE_LABELS[t]) for t in FieldType],
        "limited": LIMITED,
    }
    return render(request, "fields/form.html", context, status_code=status_code)


@router.get("/custom-fields/new", response_class=HTMLResponse)
def new_field(request: Request, _: Actor = Configurer) -> Response:
    return _form_page(request, FormView(values={"type": FieldType.TEXT, "options": []}), None)


def _save(request: Request, actor: Actor, form: FormData, field_id: int | None) -> Response:
    db = database(request)
    field = None
    if field_id is not None:
        with db.reading() as session:
            field = service.get_custom_field(session, field_id)
    values = _values_from_form(form, field)
    problem: WebProblem
    try:
        with db.transaction() as session:
            if field_id is None:
                data = CustomFieldIn.model_validate(_payload(values, creating=True))
                saved = service.create_custom_field(session, actor, data)
            else:
                patch = CustomFieldPatch.model_validate(_payload(values, creating=False))
                saved = service.update_custom_field(session, actor, field_id, patch)
            label = saved.label
    except ValidationError as exc:
        problem = problem_for_validation(exc)
    except KassaError as exc:
        problem = problem_for(exc)
        if problem.status == 404:
            raise
    else:
        verb = "created" if field_id is None else "saved"
        flash(request, f"Custom field '{label}' was {verb}.")
        return redirect("/custom-fields")
    view = FormView.failed(values, problem, _shown(values))
    return _form_page(request, view, field, problem.status)


@router.post("/custom-fields/new", response_class=HTMLResponse)
def create_field(
    request: Request, actor: Actor = Configurer, form: FormData = CheckedForm
) -> Response:
    return _save(request, actor, form, None)


@router.get("/custom-fields/{field_id:id}", response_class=HTMLResponse)
def edit_field_page(request: Request, field_id: Id, _: Actor = Reader) -> Response:
    with database(request).reading() as session:
        field = service.get_custom_field(session, field_id)
    return _form_page(request, FormView(values=_values_of(field)), field)


@router.post("/custom-fields/{field_id:id}", response_class=HTMLResponse)
def update_field(
    request: Request, field_id: Id, actor: Actor = Configurer, form: FormData = CheckedForm
) -> Response:
    return _save(request, actor, form, field_id)


@router.post("/custom-fields/{field_id:id}/delete")
def delete_field(
    request: Request, field_id: Id, actor: Actor = Configurer, form: FormData = CheckedForm
) -> Response:
    try:
        with database(request).transaction() as session:
            label = service.get_custom_field(session, field_id).label
            service.delete_custom_field(session, actor, field_id)
    except KassaError as exc:
        problem = problem_for(exc)
        if problem.status == 404:
            raise
        flash(request, problem.message, "error")
        return redirect(f"/custom-fields/{field_id}")
    flash(request, f"Custom field '{label}' was deleted.")
    return redirect("/custom-fields")
