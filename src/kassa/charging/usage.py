"""Usage import with rating: a record naming an account and units (a CDR) is priced by the
account's product at the rate effective when it occurred; records rated elsewhere post as
they are (kassa.ledger.usage)."""

from __future__ import annotations

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from kassa.auth.actor import Actor
from kassa.charging.authorizations import account_not_found, service_not_rated
from kassa.core.errors import ValidationFailed
from kassa.core.vocabulary import EntryType
from kassa.db.models import Account, ProductRating, Tariff
from kassa.ledger.entries import RatedUsage, append_entry
from kassa.ledger.locks import lock_customer
from kassa.ledger.schemas import UsageBatchIn, UsageBatchOut, UsageRecordIn, UsageResult
from kassa.ledger.usage import (
    check_occurred_at,
    field_of,
    import_records,
    post_money_record,
    posted_before,
)
from kassa.rating.cost import cost_micros
from kassa.rating.lookup import destination_digits, find_rate, no_rate


def import_usage(session: Session, actor: Actor, batch: UsageBatchIn) -> UsageBatchOut:
    records = batch.records
    named = {r.account for r in records if r.account is not None}
    owners: dict[str, int] = {}
    if named:
        owners = {
            identifier: customer_id
            for identifier, customer_id in session.execute(
                select(Account.identifier, Account.customer_id).where(Account.identifier.in_(named))
            )
        }

    def customer_of(index: int) -> tuple[int, int]:
        record = records[index]
        if record.account is not None:
            return owners.get(record.account, 0), index
        return record.customer_id or 0, index

    return import_records(session, actor, records, _post, customer_of)


def _post(session: Session, actor: Actor, index: int, record: UsageRecordIn) -> UsageResult:
    if record.account is None:
        if record.customer_id is None:
            raise ValidationFailed.field(
                field_of(index, "customer_id"), "is required unless the record names an account"
            )
        return post_money_record(session, actor, index, record)
    return _post_rated(session, actor, index, record)


def _post_rated(session: Session, actor: Actor, index: int, record: UsageRecordIn) -> UsageResult:
    for name in ("customer_id", "amount"):
        if getattr(record, name) is not None:
            raise ValidationFailed.field(
                field_of(index, name), "does not apply to a record rated by its account"
            )
    if record.units is None:
        raise ValidationFailed.field(field_of(index, "units"), "is required with account")
    digits = destination_digits(record.destination, field=field_of(index, "destination"))
    assert record.account is not None
    row = session.execute(
        select(Account.id, Account.customer_id, Tariff.id, Tariff.unit)
        .outerjoin(
            ProductRating,
            and_(
                ProductRating.product_id == Account.product_id,
                ProductRating.service == record.service,
            ),
        )
        .outerjoin(Tariff, Tariff.id == ProductRating.tariff_id)
        .where(Account.identifier == record.account)
    ).first()
    if row is None:
        raise account_not_found(record.account)
    account_id, customer_id, tariff_id, unit = row
    customer = lock_customer(session, customer_id)
    duplicate = posted_before(session, customer, index, record)
    if duplicate is not None:
        return duplicate
    if tariff_id is None:
        raise service_not_rated(record.service, field_of(index, "service"))
    check_occurred_at(index, record)
    rate = find_rate(session, tariff_id, digits, record.occurred_at)
    if rate is None:
        raise no_rate(tariff_id, digits, field=field_of(index, "destination"))
    cost = cost_micros(rate.terms, record.units)
    posted = append_entry(
        session,
        actor,
        customer_id=customer.id,
        entry_type=EntryType.USAGE,
        amount_micros=cost,
        currency=customer.currency,
        exponent=customer.exponent,
        service=record.service,
        visible_comment=record.description or f"{record.service} usage",
        external_id=record.external_id,
        occurred_at=record.occurred_at,
        rated=RatedUsage(
            account_id=account_id,
            units=record.units,
            unit=unit,
            destination=record.destination,
            rate_prefix=rate.prefix,
            rate_description=rate.description,
        ),
        field=field_of(index, "units"),
    )
    return UsageResult(
        index=index, external_id=record.external_id, status="posted", transaction_id=posted.entry_id
    )
