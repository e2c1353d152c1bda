"""Customer classes: the parameters a category of customers shares."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kassa.auth import audit
from kassa.auth.actor import Actor
from kassa.core.clock import utcnow
from kassa.core.errors import Conflict, FieldErrors, NotFound, ValidationFailed
from kassa.core.names import name_key
from kassa.currencies.service import require_enabled
from kassa.customer_classes.schemas import (
    ClassFieldIn,
    ClassFieldOut,
    CustomerClassIn,
    CustomerClassOut,
    CustomerClassPatch,
    TaxationIn,
    TaxationOut,
    TaxOut,
)
from kassa.db.models import Customer, CustomerClass, CustomerClassField, CustomField
from kassa.db.pagination import paginate
from kassa.db.unique import check_free_name, flush_or_conflict
from kassa.events.types import EVENTS

DEFAULT_CLASS_NAME = "Default"
BUILT_IN_TEMPLATES = ("standard", "none")
TEMPLATE_NAME_RE = re.compile(r"^[a-zA-Z0-9_-]{1,100}$")
MAX_RATE = Decimal(100)
RATE_STEP = Decimal("0.0001")


def snapshot(cls: CustomerClass) -> dict[str, Any]:
    return {
        "name": cls.name,
        "currency": cls.currency,
        "grace_period_days": cls.grace_period_days,
        "suspend_after_days": cls.suspend_after_days,
        "invoice_template": cls.invoice_template,
        "taxation": {"inclusive": cls.tax_inclusive, "taxes": list(cls.taxes)},
        "notifications": list(cls.notifications),
        "credit_limit_warnings": list(cls.credit_limit_warnings),
        "custom_fields": [
            {"custom_field_id": f.custom_field_id, "mandatory": f.mandatory}
            for f in cls.custom_fields
        ],
        "suspend_when_fees_unpaid": cls.suspend_when_fees_unpaid,
        "skip_idle_invoices": cls.skip_idle_invoices,
    }


def seed_default_class(session: Session) -> CustomerClass | None:
    if session.scalar(select(CustomerClass.id).where(CustomerClass.is_default.is_(True))):
        return None
    now = utcnow()
    cls = CustomerClass(
        name=DEFAULT_CLASS_NAME,
        name_key=name_key(DEFAULT_CLASS_NAME),
        is_default=True,
        currency=None,
        grace_period_days=14,
        suspend_after_days=None,
        invoice_template="standard",
        tax_inclusive=False,
        taxes=[],
        notifications=[
            "invoice_issued",
            "payment_received",
            "credit_limit_warning",
            "credit_note_issued",
        ],
        credit_limit_warnings=["80", "90"],
        created_at=now,
        updated_at=now,
    )
    session.add(cls)
    session.flush()
    return cls


def default_class(session: Session) -> CustomerClass:
    cls = session.scalar(select(CustomerClass).where(CustomerClass.is_default.is_(True)))
    if cls is None:
        raise NotFound(
            "the Default customer class is missing; run 'kassa db upgrade'",
            code="customer_class_not_found",
        )
    return cls


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _has_rate_decimals(value: Decimal) -> bool:
    """At most four decimals. Checked without normalize(), which overflows or underflows
    (to a zero with a million decimals) on exponents like 1e-999999999."""
    return value == value.quantize(RATE_STEP)


def _check_template(name: str, templates_dir: Path | None, errors: FieldErrors) -> None:
    if name in BUILT_IN_TEMPLATES:
        return
    if not TEMPLATE_NAME_RE.match(name):
        errors.add("invoice_template", "use 'standard', 'none' or the name of an operator template")
        return
    if templates_dir is None or not (templates_dir / f"{name}.html").is_file():
        errors.add("invoice_template", f"no invoice template named '{name}' is installed")


def _check_taxation(taxation: TaxationIn, errors: FieldErrors) -> list[dict[str, str]]:
    taxes: list[dict[str, str]] = []
    names: set[str] = set()
    for i, tax in enumerate(taxation.taxes):
        name = tax.name.strip()
        if not name:
            errors.add(f"taxation.taxes[{i}].name", "must not be empty")
        elif name.lower() in names:
            errors.add(f"taxation.taxes[{i}].name", f"'{name}' is listed twice")
        names.add(name.lower())
        if tax.rate < 0 or tax.rate > MAX_RATE:
            errors.add(f"taxation.taxes[{i}].rate", "must be a percentage from 0 to 100")
        elif not _has_rate_decimals(tax.rate):
            errors.add(f"taxation.taxes[{i}].rate", "must have at most 4 decimal places")
        else:
            taxes.append({"name": name, "rate": _percent(tax.rate)})
    return taxes


def _check_warnings(values: list[Decimal], errors: FieldErrors) -> list[str]:
    result: list[str] = []
    for i, value in enumerate(values):
        if value <= 0 or value > MAX_RATE:
            errors.add(f"credit_limit_warnings[{i}]", "must be a percentage above 0 and up to 100")
        elif not _has_rate_decimals(value):
            errors.add(f"credit_limit_warnings[{i}]", "must have at most 4 decimal places")
        else:
            result.append(_percent(value))
    if len(set(result)) != len(result):
        errors.add("credit_limit_warnings", "must not repeat a threshold")
    return sorted(result, key=Decimal)


def _check_notifications(values: list[str], errors: FieldErrors) -> list[str]:
    for i, event in enumerate(values):
        if event not in EVENTS:
            errors.add(
                f"notifications[{i}]", f"'{event}' is not an event; use one of {', '.join(EVENTS)}"
            )
    return sorted(set(values), key=EVENTS.index) if not errors else values


def _check_fields(
    session: Session, fields: list[ClassFieldIn], errors: FieldErrors
) -> list[CustomerClassField]:
    ids = [f.custom_field_id for f in fields]
    known = (
        set(session.scalars(select(CustomField.id).where(CustomField.id.in_(ids))))
        if ids
        else set()
    )
    seen: set[int] = set()
    rows = []
    for i, f in enumerate(fields):
        if f.custom_field_id not in known:
            errors.add(
                f"custom_fields[{i}].custom_field_id",
                f"custom field {f.custom_field_id} does not exist",
            )
        elif f.custom_field_id in seen:
            errors.add(f"custom_fields[{i}].custom_field_id", "is listed twice")
        seen.add(f.custom_field_id)
        rows.append(CustomerClassField(custom_field_id=f.custom_field_id, mandatory=f.mandatory))
    return rows


def _name_taken(name: str) -> Conflict:
    return Conflict(f"a customer class named '{name}' already exists", code="class_name_taken")


def _flush_name(session: Session, name: str) -> None:
    flush_or_conflict(session, _name_taken(name))


def _check_name(session: Session, name: str, exclude_id: int | None, errors: FieldErrors) -> str:
    return check_free_name(
        session,
        name,
        key=CustomerClass.name_key,
        row_id=CustomerClass.id,
        exclude_id=exclude_id,
        errors=errors,
        taken=_name_taken,
    )


def create_customer_class(
    session: Session, actor: Actor, data: CustomerClassIn, *, templates_dir: Path | None = None
) -> CustomerClass:
    errors = FieldErrors()
    name = _check_name(session, data.name, None, errors)
    currency = None
    if data.currency is not None:
        try:
            currency = require_enabled(session, data.currency).code
        except ValidationFailed as exc:
            errors.items.extend(exc.errors)
    _check_template(data.invoice_template, templates_dir, errors)
    taxes = _check_taxation(data.taxation, errors)
    notifications = _check_notifications(data.notifications, errors)
    warnings = _check_warnings(data.credit_limit_warnings, errors)
    fields = _check_fields(session, data.custom_fields, errors)
    errors.raise_if_any()
    now = utcnow()
    cls = CustomerClass(
        name=name,
        name_key=name_key(name),
        is_default=False,
        currency=currency,
        grace_period_days=data.grace_period_days,
        suspend_after_days=data.suspend_after_days,
        invoice_template=data.invoice_template,
        tax_inclusive=data.taxation.inclusive,
        taxes=taxes,
        notifications=notifications,
        credit_limit_warnings=warnings,
        custom_fields=fields,
        suspend_when_fees_unpaid=data.suspend_when_fees_unpaid,
        skip_idle_invoices=data.skip_idle_invoices,
        created_at=now,
        updated_at=now,
    )
    session.add(cls)
    _flush_name(session, name)
    audit.record(session, actor, "create", "customer_class", cls.id, after=snapshot(cls))
    return cls


def list_customer_classes(session: Session) -> list[CustomerClass]:
    return list(session.scalars(select(CustomerClass).order_by(CustomerClass.id)))


def page_customer_classes(
    session: Session, *, limit: int | None, cursor: str | None
) -> tuple[list[CustomerClass], str | None]:
    return paginate(session, select(CustomerClass), CustomerClass.id, limit=limit, cursor=cursor)


def get_customer_class(session: Session, class_id: int) -> CustomerClass:
    cls = session.get(CustomerClass, class_id)
    if cls is None:
        raise NotFound(f"customer class {class_id} does not exist", code="customer_class_not_found")
    return cls


def customer_counts(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(Customer.customer_class_id, func.count()).group_by(Customer.customer_class_id)
    )
    return {class_id: count for class_id, count in rows}


def update_customer_class(
    session: Session,
    actor: Actor,
    class_id: int,
    patch: CustomerClassPatch,
    *,
    templates_dir: Path | None = None,
) -> CustomerClass:
    cls = get_customer_class(session, class_id)
    before = snapshot(cls)
    values = patch.model_dump(exclude_unset=True)
    errors = FieldErrors()
    changes: dict[str, Any] = {}
    if "name" in values:
        if values["name"] is None:
            errors.add("name", "must not be empty")
        else:
            name = _check_name(session, values["name"], cls.id, errors)
            if cls.is_default and name != cls.name:
                errors.add("name", "the Default class cannot be renamed")
            changes["name"] = name
            changes["name_key"] = name_key(name)
    if "currency" in values:
        currency = None
        if values["currency"] is not None:
            try:
                currency = require_enabled(session, values["currency"]).code
            except ValidationFailed as exc:
                errors.items.extend(exc.errors)
        if currency is not None:
            other = session.scalar(
                select(func.count())
                .select_from(Customer)
                .where(Customer.customer_class_id == cls.id, Customer.currency != currency)
            )
            if other:
                raise Conflict(
                    f"{other} customer(s) of this class are charged in another currency",
                    code="class_currency_conflict",
                )
        changes["currency"] = currency
    for key in (
        "grace_period_days",
        "invoice_template",
        "suspend_when_fees_unpaid",
        "skip_idle_invoices",
    ):
        if key in values:
            if values[key] is None:
                errors.add(key, "must not be null")
            else:
                changes[key] = values[key]
    if "invoice_template" in changes:
        _check_template(changes["invoice_template"], templates_dir, errors)
    if "suspend_after_days" in values:
        changes["suspend_after_days"] = values["suspend_after_days"]
    if patch.taxation is not None:
        changes["taxes"] = _check_taxation(patch.taxation, errors)
        changes["tax_inclusive"] = patch.taxation.inclusive
    if patch.notifications is not None:
        changes["notifications"] = _check_notifications(patch.notifications, errors)
    if patch.credit_limit_warnings is not None:
        changes["credit_limit_warnings"] = _check_warnings(patch.credit_limit_warnings, errors)
    fields = (
        _check_fields(session, patch.custom_fields, errors)
        if patch.custom_fields is not None
        else None
    )
    errors.raise_if_any()
    for key, value in changes.items():
        setattr(cls, key, value)
    if fields is not None:
        cls.custom_fields = []
        session.flush()
        cls.custom_fields = fields
    cls.updated_at = utcnow()
    _flush_name(session, cls.name)
    audit.record(
        session, actor, "update", "customer_class", cls.id, before=before, after=snapshot(cls)
    )
    return cls


def delete_customer_class(session: Session, actor: Actor, class_id: int) -> None:
    cls = get_customer_class(session, class_id)
    if cls.is_default:
        raise Conflict("the Default customer class cannot be deleted", code="class_protected")
    in_use = session.scalar(
        select(func.count()).select_from(Customer).where(Customer.customer_class_id == cls.id)
    )
    if in_use:
        raise Conflict(f"customer class '{cls.name}' has {in_use} customer(s)", code="class_in_use")
    audit.record(session, actor, "delete", "customer_class", cls.id, before=snapshot(cls))
    session.delete(cls)
    session.flush()


def enabled_fields(session: Session, cls: CustomerClass) -> list[tuple[CustomField, bool]]:
    if not cls.custom_fields:
        return []
    ids = [f.custom_field_id for f in cls.custom_fields]
    fields = {f.id: f for f in session.scalars(select(CustomField).where(CustomField.id.in_(ids)))}
    return [(fields[f.custom_field_id], f.mandatory) for f in cls.custom_fields]


def customer_class_out(cls: CustomerClass) -> CustomerClassOut:
    return CustomerClassOut(
        id=cls.id,
        name=cls.name,
        is_default=cls.is_default,
        currency=cls.currency,
        grace_period_days=cls.grace_period_days,
        suspend_after_days=cls.suspend_after_days,
        invoice_template=cls.invoice_template,
        taxation=TaxationOut(inclusive=cls.tax_inclusive, taxes=[TaxOut(**t) for t in cls.taxes]),
        notifications=list(cls.notifications),
        credit_limit_warnings=list(cls.credit_limit_warnings),
        custom_fields=[
            ClassFieldOut(custom_field_id=f.custom_field_id, mandatory=f.mandatory)
            for f in cls.custom_fields
        ],
        suspend_when_fees_unpaid=cls.suspend_when_fees_unpaid,
        skip_idle_invoices=cls.skip_idle_invoices,
        created_at=cls.created_at,
        updated_at=cls.updated_at,
    )
