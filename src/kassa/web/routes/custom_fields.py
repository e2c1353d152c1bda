"""Custom fields: list, create, edit, delete."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.datastructures import FormData

from kassa.core.vocabulary import FieldType
from kassa.custom_fields import service
from kassa.custom_fields.schemas import CustomFieldIn, CustomFieldPatch
from kassa.db.models import CustomField
from kassa.web.config_pages import ConfigPages, Posted, Session, config_router
from kassa.web.forms import FormView, text, texts

TYPE_LABELS: dict[str, str] = {
    FieldType.TEXT: "Text",
    FieldType.NUMBER: "Number",
    FieldType.DATE: "Date",
    FieldType.DATETIME: "Date and time",
    FieldType.LIST: "List",
}
LIMITED = "number,date,datetime"


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


def _list_context(session: Session) -> dict[str, Any]:
    fields = service.list_custom_fields(session)
    return {"fields": fields, "used": service.class_counts(session), "type_labels": TYPE_LABELS}


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


def _read_form(session: Session, form: FormData, field: CustomField | None) -> Posted:
    values = _values_from_form(form, field)
    return Posted(values, _payload(values, creating=field is None), _shown(values))


def _form_context(
    request: Request, session: Session, form: FormView, field: CustomField | None
) -> dict[str, Any]:
    return {"types": [(t, TYPE_LABELS[t]) for t in FieldType], "limited": LIMITED}


router = config_router(
    ConfigPages(
        path="/custom-fields",
        noun="Custom field",
        templates="fields",
        item_name="field",
        get=service.get_custom_field,
        create=service.create_custom_field,
        update=service.update_custom_field,
        delete=service.delete_custom_field,
        create_schema=CustomFieldIn,
        patch_schema=CustomFieldPatch,
        title=lambda field: field.label,
        list_context=_list_context,
        values_of=_values_of,
        read_form=_read_form,
        new_values=lambda: {"type": FieldType.TEXT, "options": []},
        form_context=_form_context,
    )
)
