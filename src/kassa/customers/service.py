"""Creating and changing customers: every rule of the customer page, checked before a write."""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached

from kassa.auth import audit
from kassa.auth.actor import Actor
from kassa.core import periods
from kassa.core.clock import utcnow
from kassa.core.errors import Conflict, FieldError, FieldErrors, ValidationFailed
from kassa.core.money import AmountError, check_amount, to_micros
from kassa.core.names import MAX_KEY_LENGTH, clean_name, key_too_long, name_key
from kassa.core.vocabulary import BalanceControl, CustomerAction, CustomerStatus, EntryType
from kassa.currencies.service import get_currency, require_enabled
from kassa.custom_fields.values import validate_custom_data
from kassa.customer_classes.service import default_class, enabled_fields, get_customer_class
from kassa.customers import references
from kassa.customers.schemas import CustomerIn, CustomerPatch
from kassa.db.models import BusinessModel, Customer, CustomerClass, CustomField
from kassa.db.unique import check_free_name, flush_or_conflict
from kassa.ledger.entries import append_entry, initial_alert_level
from kassa.ledger.locks import lock_customer_to_edit

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
IMMUTABLE_FIELDS = ("currency", "balance_control", "available_funds")
_INSERT_CUSTOMER = insert(cast(Table, Customer.__table__)).returning(Customer.__table__.c.id)


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_timezone(value: str, errors: FieldErrors, field: str = "billing_timezone") -> str:
    value = (value or "").strip()
    if value not in _zones():
        errors.add(field, f"'{value}' is not an IANA time zone name (e.g. Europe/Prague)")
    return value


def _name_taken(name: str) -> Conflict:
    message = f"a customer named '{name}' already exists"
    return Conflict(message, code="customer_name_taken", errors=[FieldError("name", message)])


def _clean_name(name: str, errors: FieldErrors) -> str:
    clean = clean_name(name or "")
    if not clean:
        errors.add("name", "Customer name is required")
    elif key_too_long(clean):
        errors.add("name", f"is too long: it spells more than {MAX_KEY_LENGTH} letters")
    return clean


def _check_name(session: Session, name: str, errors: FieldErrors, exclude_id: int | None) -> str:
    return check_free_name(
        session,
        name,
        key=Customer.name_key,
        row_id=Customer.id,
        exclude_id=exclude_id,
        errors=errors,
        taken=_name_taken,
        empty_message="Customer name is required",
    )


def _check_amount(value: Decimal, exponent: int, field: str, errors: FieldErrors) -> int | None:
    try:
        return to_micros(check_amount(value, max_decimals=exponent))
    except AmountError as exc:
        errors.add(field, str(exc))
        return None


def _check_email(value: str | None, errors: FieldErrors) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if not EMAIL_RE.match(value):
        errors.add("email", f"'{value}' is not an email address")
    return value


def _business_model(session: Session, model_id: int | None, errors: FieldErrors) -> None:
    if model_id is None:
        errors.add("business_model_id", "Business model is required")
    elif session.get(BusinessModel, model_id) is None:
        errors.add("business_model_id", f"business model {model_id} does not exist")


def _customer_class(
    session: Session, class_id: int | None, errors: FieldErrors
) -> CustomerClass | None:
    if class_id is None:
        return default_class(session)
    cls = session.get(CustomerClass, class_id)
    if cls is None:
        errors.add("customer_class_id", f"customer class {class_id} does not exist")
    return cls


def _custom_data(
    session: Session,
    cls: CustomerClass | None,
    data: dict[str, Any],
    errors: FieldErrors,
    fields: list[tuple[CustomField, bool]] | None = None,
) -> dict[str, Any]:
    if cls is None:
        return data
    if fields is None:
        fields = enabled_fields(session, cls)
    clean, problems = validate_custom_data(fields, data)
    for field, message in problems:
        errors.add(field, message)
    return clean


def first_period(period: str, timezone: str, created_at: datetime) -> dict[str, Any]:
    """The partial first billing period, from creation to the first boundary."""
    anchor = periods.anchor_day(created_at, timezone)
    return {
        "billing_anchor_date": anchor,
        "period_start_at": created_at,
        "period_end_at": periods.boundary_after(period, timezone, anchor, created_at),
    }


def snapshot(customer: Customer) -> dict[str, Any]:
    return {
        "name": customer.name,
        "balance_control": customer.balance_control,
        "currency": customer.currency,
        "credit_limit_micros": customer.credit_limit_micros,
        "business_model_id": customer.business_model_id,
        "customer_class_id": customer.customer_class_id,
        "billing_period": customer.billing_period,
        "billing_timezone": customer.billing_timezone,
        "email": customer.email,
        "custom_data": customer.custom_data,
        "status": customer.status,
    }


def create_customer(session: Session, actor: Actor, data: CustomerIn) -> Customer:
    errors = FieldErrors()
    # No query for a clash first: the unique index on name_key refuses one at the INSERT below.
    name = _clean_name(data.name, errors)
    # The process's copy of the reference data answers the common case; a miss asks the database.
    refs = references.current(session)
    exponent = 0
    currency_code = (data.currency or "").strip().upper()
    currency = refs.enabled_currency(data.currency) if refs else None
    try:
        currency = currency or require_enabled(session, data.currency)
        exponent = currency.exponent or 0
    except ValidationFailed as exc:
        errors.items.extend(exc.errors)
        currency = None
    cls = refs.customer_class(data.customer_class_id) if refs else None
    fields = refs.fields.get(cls.id) if refs and cls else None
    cls = cls or _customer_class(session, data.customer_class_id, errors)
    if cls is not None and cls.currency and currency is not None and cls.currency != currency.code:
        errors.add("currency", f"customers of class '{cls.name}' are charged in {cls.currency}")
    credit_limit: int | None
    funds = 0
    if data.balance_control == BalanceControl.PREPAID:
        if data.credit_limit is not None:
            errors.add("credit_limit", "a prepaid customer has no credit limit; leave it empty")
        credit_limit = 0
        if data.available_funds is not None:
            funds = _check_amount(data.available_funds, exponent, "available_funds", errors) or 0
    else:
        if data.available_funds is not None:
            errors.add("available_funds", "only prepaid customers have initial available funds")
        credit_limit = None
        if data.credit_limit is not None:
            credit_limit = _check_amount(data.credit_limit, exponent, "credit_limit", errors)
    if refs is None or data.business_model_id not in refs.business_models:
        _business_model(session, data.business_model_id, errors)
    timezone = check_timezone(data.billing_timezone, errors)
    email = _check_email(data.email, errors)
    custom_data = _custom_data(session, cls, data.custom_data, errors, fields)
    errors.raise_if_any()
    assert cls is not None
    now = utcnow()
    values: dict[str, Any] = {
        "name": name,
        "name_key": name_key(name),
        "balance_control": data.balance_control,
        "currency": currency_code,
        "credit_limit_micros": credit_limit,
        "balance_micros": 0,
        "reserved_micros": 0,
        "business_model_id": data.business_model_id,
        "customer_class_id": cls.id,
        "billing_period": data.billing_period,
        "billing_timezone": timezone,
        "email": email,
        "custom_data": custom_data,
        "status": CustomerStatus.ACTIVE,
        # Where the balance already stands, so no event fires for it. Initial funds start at
        # level 0 and the payment below moves the balance there.
        "alert_level": 0
        if funds
        else initial_alert_level(
            data.balance_control, 0, credit_limit, list(cls.credit_limit_warnings)
        ),
        "created_at": now,
        "updated_at": now,
        **first_period(data.billing_period, timezone, now),
    }
    try:
        # One INSERT, no savepoint: a clash ends the unit of work, and the edge that owns it
        # rolls it back. (A unit-of-work flush of the new object costs several times as much.)
        customer_id = session.connection().execute(_INSERT_CUSTOMER, values).scalar_one()
    except IntegrityError as exc:
        raise _name_taken(name) from exc
    if funds:
        posted = append_entry(
            session,
            actor,
            customer_id=customer_id,
            entry_type=EntryType.PAYMENT,
            amount_micros=funds,
            currency=currency_code,
            exponent=exponent,
            visible_comment="Initial available funds",
            field="available_funds",
        )
        values["balance_micros"] = posted.balance_after_micros
    customer = _as_loaded(session, Customer(id=customer_id, **values))
    audit.record(session, actor, "create", "customer", customer.id, after=snapshot(customer))
    return customer


def _as_loaded(session: Session, customer: Customer) -> Customer:
    """``customer``, whose row the statements above wrote, in the session as if read back: it
    is neither inserted again at the next flush nor selected to be returned."""
    make_transient_to_detached(customer)
    session.add(customer)
    return customer


def update_customer(
    session: Session, actor: Actor, customer_id: int, patch: CustomerPatch
) -> Customer:
    values = patch.model_dump(exclude_unset=True)
    if "credit_limit" in values:
        # model_dump serializes amounts to strings; the checks need the Decimal.
        values["credit_limit"] = patch.credit_limit
    errors = FieldErrors()
    for field in IMMUTABLE_FIELDS:
        if field in values:
            errors.add(field, "cannot be changed after the customer is created")
    errors.raise_if_any(code="immutable_field")
    customer = lock_customer_to_edit(session, customer_id)
    if customer.status == CustomerStatus.CLOSED:
        raise Conflict(f"customer {customer.id} is closed", code="customer_closed")
    before = snapshot(customer)
    # The customer's currency may have been disabled since; that only stops new customers.
    exponent = get_currency(session, customer.currency).exponent or 0
    with session.no_autoflush:
        _apply_patch(session, customer, values, exponent, errors)
    errors.raise_if_any()
    customer.updated_at = utcnow()
    flush_or_conflict(session, _name_taken(customer.name))
    audit.record(
        session, actor, "update", "customer", customer.id, before=before, after=snapshot(customer)
    )
    return customer


def _apply_patch(
    session: Session, customer: Customer, values: dict[str, Any], exponent: int, errors: FieldErrors
) -> None:
    for key in (
        "name",
        "business_model_id",
        "customer_class_id",
        "billing_period",
        "billing_timezone",
    ):
        if key in values and values[key] is None:
            errors.add(key, "must not be empty")
    if values.get("name") is not None:
        customer.name = _check_name(session, values["name"], errors, customer.id)
        customer.name_key = name_key(customer.name)
    if "credit_limit" in values:
        if customer.balance_control == BalanceControl.PREPAID:
            if values["credit_limit"] is not None:
                errors.add("credit_limit", "a prepaid customer has no credit limit")
        elif values["credit_limit"] is None:
            customer.credit_limit_micros = None
        else:
            customer.credit_limit_micros = _check_amount(
                values["credit_limit"], exponent, "credit_limit", errors
            )
    if values.get("business_model_id") is not None:
        _business_model(session, values["business_model_id"], errors)
        customer.business_model_id = values["business_model_id"]
    cls: CustomerClass | None = None
    class_changed = False
    if (
        values.get("customer_class_id") is not None
        and values["customer_class_id"] != customer.customer_class_id
    ):
        cls = _customer_class(session, values["customer_class_id"], errors)
        class_changed = cls is not None
        if cls is not None and cls.currency and cls.currency != customer.currency:
            errors.add(
                "customer_class_id",
                f"class '{cls.name}' charges in {cls.currency}, "
                f"the customer in {customer.currency}",
            )
    if values.get("billing_period") is not None:
        customer.billing_period = values["billing_period"]
    if values.get("billing_timezone") is not None:
        customer.billing_timezone = check_timezone(values["billing_timezone"], errors)
    if "email" in values:
        customer.email = _check_email(values["email"], errors)
    if class_changed or "custom_data" in values:
        target = cls or get_customer_class(session, customer.customer_class_id)
        data = (
            values["custom_data"] if values.get("custom_data") is not None else customer.custom_data
        )
        customer.custom_data = _custom_data(session, target, data or {}, errors)
        if class_changed:
            customer.customer_class_id = target.id


TRANSITIONS: dict[str, tuple[tuple[CustomerStatus, ...], CustomerStatus]] = {
    CustomerAction.BLOCK: (
        (CustomerStatus.ACTIVE, CustomerStatus.SUSPENDED),
        CustomerStatus.BLOCKED,
    ),
    CustomerAction.UNBLOCK: ((CustomerStatus.BLOCKED,), CustomerStatus.ACTIVE),
    CustomerAction.CLOSE: (
        (CustomerStatus.ACTIVE, CustomerStatus.BLOCKED, CustomerStatus.SUSPENDED),
        CustomerStatus.CLOSED,
    ),
}


def change_status(session: Session, actor: Actor, customer_id: int, action: str) -> Customer:
    customer = lock_customer_to_edit(session, customer_id)
    if action not in TRANSITIONS:
        raise ValidationFailed.field("action", "must be block, unblock or close")
    allowed_from, target = TRANSITIONS[action]
    if customer.status == CustomerStatus.CLOSED:
        raise Conflict(f"customer {customer.id} is closed", code="customer_closed")
    if customer.status not in allowed_from:
        raise Conflict(
            f"cannot {action} a customer who is {customer.status}", code="invalid_status_transition"
        )
    before = {"status": customer.status}
    customer.status = target
    # No transition leads to suspended: whatever the customer was suspended for is over.
    customer.suspended_for = None
    customer.updated_at = utcnow()
    session.flush()
    audit.record(
        session, actor, action, "customer", customer.id, before=before, after={"status": target}
    )
    return customer
