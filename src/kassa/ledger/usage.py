"""Importing usage: each record posts once, whatever the sender retries.

This posts records rated elsewhere (a customer and an amount); ``kassa.charging.usage`` rates
the records that name an account and units, and runs both kinds through :func:`import_records`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kassa.auth.actor import Actor
from kassa.core.errors import KassaError, ValidationFailed
from kassa.core.money import RATED_DECIMALS, amount_micros
from kassa.core.vocabulary import EntryType
from kassa.db.models import BusinessModel, Customer, LedgerEntry
from kassa.ledger.authorizations import business_model_services
from kassa.ledger.entries import append_entry
from kassa.ledger.locks import LockedCustomer, lock_customer
from kassa.ledger.schemas import UsageBatchOut, UsageRecordIn, UsageResult

PostRecord = Callable[[Session, Actor, int, UsageRecordIn], UsageResult]


def field_of(index: int, name: str) -> str:
    return f"records[{index}].{name}"


def check_occurred_at(index: int, record: UsageRecordIn) -> None:
    if record.occurred_at.tzinfo is None:
        raise ValidationFailed.field(
            field_of(index, "occurred_at"), "must include a time zone offset, e.g. Z"
        )


def posted_before(
    session: Session, customer: LockedCustomer, index: int, record: UsageRecordIn
) -> UsageResult | None:
    """The answer for a record whose external id the customer's ledger has already."""
    seen = session.scalar(
        select(LedgerEntry.id).where(
            LedgerEntry.customer_id == customer.id, LedgerEntry.external_id == record.external_id
        )
    )
    if seen is None:
        return None
    return UsageResult(
        index=index, external_id=record.external_id, status="duplicate", transaction_id=seen
    )


def post_money_record(
    session: Session, actor: Actor, index: int, record: UsageRecordIn
) -> UsageResult:
    """Post a record rated elsewhere: its customer and amount."""
    for name in ("account", "destination", "units"):
        if getattr(record, name) is not None:
            raise ValidationFailed.field(
                field_of(index, name), "does not apply to a record with customer_id and amount"
            )
    if record.amount is None:
        raise ValidationFailed.field(field_of(index, "amount"), "is required with customer_id")
    assert record.customer_id is not None
    customer = lock_customer(session, record.customer_id)
    duplicate = posted_before(session, customer, index, record)
    if duplicate is not None:
        return duplicate
    services = business_model_services(
        session.scalar(
            select(BusinessModel.services)
            .join(Customer, Customer.business_model_id == BusinessModel.id)
            .where(Customer.id == customer.id)
        )
    )
    if record.service not in services:
        raise ValidationFailed.field(
            field_of(index, "service"),
            f"'{record.service}' is not a service of the customer's business model",
            code="service_not_offered",
        )
    check_occurred_at(index, record)
    micros = amount_micros(
        record.amount, field=field_of(index, "amount"), max_decimals=RATED_DECIMALS
    )
    posted = append_entry(
        session,
        actor,
        customer_id=customer.id,
        entry_type=EntryType.USAGE,
        amount_micros=micros,
        currency=customer.currency,
        exponent=customer.exponent,
        service=record.service,
        visible_comment=record.description or f"{record.service} usage",
        external_id=record.external_id,
        occurred_at=record.occurred_at,
        field=field_of(index, "amount"),
    )
    return UsageResult(
        index=index, external_id=record.external_id, status="posted", transaction_id=posted.entry_id
    )


def import_records(
    session: Session,
    actor: Actor,
    records: list[UsageRecordIn],
    post: PostRecord,
    order: Callable[[int], Any],
) -> UsageBatchOut:
    """Post each record with ``post``, in the order of ``order(index)`` (its customer first: a
    fixed lock order, so concurrent batches never deadlock); a bad record is reported and
    skipped, the others still post."""
    results: dict[int, UsageResult] = {}
    for index in sorted(range(len(records)), key=order):
        record = records[index]
        try:
            with session.begin_nested():
                results[index] = post(session, actor, index, record)
        except IntegrityError:
            # The same external id arrived twice at once; the other copy posted it.
            results[index] = UsageResult(
                index=index, external_id=record.external_id, status="duplicate"
            )
        except KassaError as exc:
            named = "account" if record.account is not None else "customer_id"
            errors = [{"field": e.field, "message": e.message} for e in exc.errors] or [
                {"field": field_of(index, named), "message": exc.detail}
            ]
            results[index] = UsageResult(
                index=index,
                external_id=record.external_id,
                status="rejected",
                code=exc.code,
                errors=errors,
            )
    ordered = [results[i] for i in range(len(records))]
    return UsageBatchOut(
        posted=sum(1 for r in ordered if r.status == "posted"),
        duplicates=sum(1 for r in ordered if r.status == "duplicate"),
        rejected=sum(1 for r in ordered if r.status == "rejected"),
        results=ordered,
    )
