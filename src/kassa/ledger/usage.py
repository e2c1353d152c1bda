"""Importing usage rated elsewhere: each record posts once, whatever the sender retries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kassa.auth.actor import Actor
from kassa.core.errors import KassaError
from kassa.core.money import RATED_DECIMALS, amount_micros
from kassa.core.vocabulary import EntryType
from kassa.db.models import BusinessModel, Customer, LedgerEntry
from kassa.ledger.authorizations import business_model_services
from kassa.ledger.entries import append_entry
from kassa.ledger.locks import lock_customer
from kassa.ledger.schemas import UsageBatchIn, UsageBatchOut, UsageRecordIn, UsageResult


def _post_one(session: Session, actor: Actor, index: int, record: UsageRecordIn) -> UsageResult:
    customer = lock_customer(session, record.customer_id)
    seen = session.scalar(
        select(LedgerEntry.id).where(
            LedgerEntry.customer_id == customer.id, LedgerEntry.external_id == record.external_id
        )
    )
    if seen is not None:
        return UsageResult(
            index=index, external_id=record.external_id, status="duplicate", transaction_id=seen
        )
    services = business_model_services(
        session.scalar(
            select(BusinessModel.services)
            .join(Customer, Customer.business_model_id == BusinessModel.id)
            .where(Customer.id == customer.id)
        )
    )
    if record.service not in services:
        return UsageResult(
            index=index,
            external_id=record.external_id,
            status="rejected",
            code="service_not_offered",
            errors=[
                {
                    "field": f"records[{index}].service",
                    "message": f"'{record.service}' is not a service of the customer's "
                    "business model",
                }
            ],
        )
    if record.occurred_at.tzinfo is None:
        return UsageResult(
            index=index,
            external_id=record.external_id,
            status="rejected",
            code="validation_failed",
            errors=[
                {
                    "field": f"records[{index}].occurred_at",
                    "message": "must include a time zone offset, e.g. Z",
                }
            ],
        )
    micros = amount_micros(
        record.amount, field=f"records[{index}].amount", max_decimals=RATED_DECIMALS
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
        field=f"records[{index}].amount",
    )
    return UsageResult(
        index=index, external_id=record.external_id, status="posted", transaction_id=posted.entry_id
    )


def import_usage(session: Session, actor: Actor, batch: UsageBatchIn) -> UsageBatchOut:
    """Post a batch in customer order (a fixed lock order, so concurrent batches never
    deadlock); a bad record is reported and skipped, the others still post."""
    results: dict[int, UsageResult] = {}
    order = sorted(range(len(batch.records)), key=lambda i: (batch.records[i].customer_id, i))
    for index in order:
        record = batch.records[index]
        try:
            with session.begin_nested():
                results[index] = _post_one(session, actor, index, record)
        except IntegrityError:
            # The same external id arrived twice at once; the other copy posted it.
            results[index] = UsageResult(
                index=index, external_id=record.external_id, status="duplicate"
            )
        except KassaError as exc:
            errors = [{"field": e.field, "message": e.message} for e in exc.errors] or [
                {"field": f"records[{index}].customer_id", "message": exc.detail}
            ]
            results[index] = UsageResult(
                index=index,
                external_id=record.external_id,
                status="rejected",
                code=exc.code,
                errors=errors,
            )
    ordered = [results[i] for i in range(len(batch.records))]
    return UsageBatchOut(
        posted=sum(1 for r in ordered if r.status == "posted"),
        duplicates=sum(1 for r in ordered if r.status == "duplicate"),
        rejected=sum(1 for r in ordered if r.status == "rejected"),
        results=ordered,
    )
