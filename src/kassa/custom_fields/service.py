"""Custom fields: defined once, enabled per customer class. A field's type never changes."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kassa.auth import audit
from kassa.auth.actor import Actor
from kassa.core.clock import utcnow
from kassa.core.errors import Conflict, FieldErrors, NotFound
from kassa.core.vocabulary import FieldType
from kassa.custom_fields.schemas import (
    CustomFieldIn,
    CustomFieldOut,
    CustomFieldPatch,
    ListOption,
)
from kassa.custom_fields.values import ValueProblem, check_value, limit_text
from kassa.db.models import CustomerClassField, CustomField
from kassa.db.pagination import paginate
from kassa.db.unique import flush_or_conflict

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


def snapshot(field: CustomField) -> dict[str, Any]:
    return {
        "name": field.name,
        "label": field.label,
        "type": field.type,
        "min_length": field.min_length,
        "max_length": field.max_length,
        "min": field.min_value,
        "max": field.max_value,
        "options": field.options,
        "default": field.default_value,
        "personal_data": field.personal_data,
    }


def _apply_definition(field: CustomField, values: dict[str, Any], errors: FieldErrors) -> None:
    """Set limits, options and default on ``field`` from ``values``, checked against its type."""
    if "label" in values:
        label = (values["label"] or "").strip()
        if not label:
            errors.add("label", "must not be empty")
        field.label = label
    for key in ("min_length", "max_length"):
        if key in values:
            if values[key] is not None and field.type != FieldType.TEXT:
                errors.add(key, "applies to text fields only")
            setattr(field, key, values[key])
    if (
        field.min_length is not None
        and field.max_length is not None
        and field.min_length > field.max_length
    ):
        errors.add("max_length", "must not be less than min_length")
    for key, attr in (("min", "min_value"), ("max", "max_value")):
        if key in values:
            if values[key] is None:
                setattr(field, attr, None)
            elif field.type not in (FieldType.NUMBER, FieldType.DATE, FieldType.DATETIME):
                errors.add(key, "applies to number, date and datetime fields only")
            else:
                try:
                    setattr(field, attr, limit_text(field.type, values[key]))
                except ValueProblem as exc:
                    errors.add(key, str(exc))
    if "options" in values:
        options = values["options"]
        if options is None:
            # Clearing is a change too: a list field left without options is refused below.
            field.options = None
        elif field.type != FieldType.LIST:
            errors.add("options", "apply to list fields only")
        else:
            seen: set[str] = set()
            cleaned = []
            for i, option in enumerate(options):
                value, label = option["value"].strip(), option["label"].strip()
                if not value:
                    errors.add(f"options[{i}].value", "must not be empty")
                elif value in seen:
                    errors.add(f"options[{i}].value", f"'{value}' is listed twice")
                seen.add(value)
                cleaned.append({"label": label or value, "value": value})
            field.options = cleaned
    if field.type == FieldType.LIST and not field.options:
        errors.add("options", "a list field needs at least one option")
    if not errors.items and "default" in values:
        default = values["default"]
        if default is None or (isinstance(default, str) and not default.strip()):
            field.default_value = None
        else:
            try:
                field.default_value = check_value(field, default)
            except ValueProblem as exc:
                errors.add("default", str(exc))
    elif not errors.items and field.default_value is not None:
        # New limits or options must still admit the default new customers would get.
        try:
            check_value(field, field.default_value)
        except ValueProblem as exc:
            errors.add("default", f"the current default no longer fits: {exc}")


def create_custom_field(session: Session, actor: Actor, data: CustomFieldIn) -> CustomField:
    errors = FieldErrors()
    name = data.name.strip()
    if not NAME_RE.match(name):
        errors.add("name", "must start with a lower-case letter and use only a-z, 0-9 and _")
    now = utcnow()
    field = CustomField(
        name=name, type=data.type, personal_data=data.personal_data, created_at=now, updated_at=now
    )
    values = data.model_dump()
    values["options"] = [o.model_dump() for o in data.options] if data.options is not None else None
    _apply_definition(field, values, errors)
    errors.raise_if_any()
    taken = Conflict(
        f"a custom field named '{name}' already exists", code="custom_field_name_taken"
    )
    if session.scalar(select(CustomField.id).where(CustomField.name == name)) is not None:
        raise taken
    session.add(field)
    flush_or_conflict(session, taken)
    audit.record(session, actor, "create", "custom_field", field.id, after=snapshot(field))
    return field


def list_custom_fields(session: Session) -> list[CustomField]:
    return list(session.scalars(select(CustomField).order_by(CustomField.id)))


def page_custom_fields(
    session: Session, *, limit: int | None, cursor: str | None
) -> tuple[list[CustomField], str | None]:
    return paginate(session, select(CustomField), CustomField.id, limit=limit, cursor=cursor)


def class_counts(session: Session) -> dict[int, int]:
    """In how many customer classes each custom field is enabled (unused fields are left out)."""
    rows = session.execute(
        select(CustomerClassField.custom_field_id, func.count()).group_by(
            CustomerClassField.custom_field_id
        )
    )
    return {field_id: count for field_id, count in rows}


def get_custom_field(session: Session, field_id: int) -> CustomField:
    field = session.get(CustomField, field_id)
    if field is None:
        raise NotFound(f"custom field {field_id} does not exist", code="custom_field_not_found")
    return field


def update_custom_field(
    session: Session, actor: Actor, field_id: int, patch: CustomFieldPatch
) -> CustomField:
    field = get_custom_field(session, field_id)
    before = snapshot(field)
    values = patch.model_dump(exclude_unset=True)
    errors = FieldErrors()
    if "type" in values and values.pop("type") != field.type:
        errors.add("type", f"a custom field's type never changes (it is '{field.type}')")
    if "name" in values and values.pop("name") != field.name:
        errors.add("name", "a custom field's name never changes; create a new field instead")
    if "personal_data" in values:
        flag = values.pop("personal_data")
        if flag is not None:
            field.personal_data = flag
    if "options" in values and patch.options is not None:
        values["options"] = [o.model_dump() for o in patch.options]
    errors.raise_if_any()
    with session.no_autoflush:
        _apply_definition(field, values, errors)
    if errors:
        session.expire(field)
        errors.raise_if_any()
    field.updated_at = utcnow()
    session.flush()
    audit.record(
        session, actor, "update", "custom_field", field.id, before=before, after=snapshot(field)
    )
    return field


def delete_custom_field(session: Session, actor: Actor, field_id: int) -> None:
    field = get_custom_field(session, field_id)
    in_use = session.scalar(
        select(func.count())
        .select_from(CustomerClassField)
        .where(CustomerClassField.custom_field_id == field.id)
    )
    if in_use:
        raise Conflict(
            f"custom field '{field.name}' is enabled in {in_use} customer class(es)",
            code="custom_field_in_use",
        )
    audit.record(session, actor, "delete", "custom_field", field.id, before=snapshot(field))
    session.delete(field)
    session.flush()


def custom_field_out(field: CustomField) -> CustomFieldOut:
    return CustomFieldOut(
        id=field.id,
        name=field.name,
        label=field.label,
        type=field.type,
        min_length=field.min_length,
        max_length=field.max_length,
        min=field.min_value,
        max=field.max_value,
        options=[ListOption(**o) for o in field.options] if field.options is not None else None,
        default=field.default_value,
        personal_data=field.personal_data,
        created_at=field.created_at,
        updated_at=field.updated_at,
    )
