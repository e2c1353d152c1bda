"""Tariffs: the prices of one service in one currency, a set of rates matched by prefix."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from kassa.auth import audit
from kassa.auth.actor import Actor
from kassa.core.clock import utcnow
from kassa.core.errors import Conflict, FieldErrors, NotFound
from kassa.core.names import name_key
from kassa.currencies.service import enabled_code
from kassa.db.models import BusinessModel, ProductRating, Rate, Tariff
from kassa.db.pagination import paginate
from kassa.db.unique import check_free_name, flush_or_conflict
from kassa.rating.schemas import TariffIn, TariffOut, TariffPatch


def snapshot(tariff: Tariff) -> dict[str, Any]:
    return {
        "name": tariff.name,
        "currency": tariff.currency,
        "service": tariff.service,
        "unit": tariff.unit,
    }


def offered_services(session: Session) -> list[str]:
    """Every service some business model offers, in the order the models list them."""
    services: list[str] = []
    for listed in session.scalars(select(BusinessModel.services).order_by(BusinessModel.id)):
        for service in listed if isinstance(listed, list) else []:
            if isinstance(service, str) and service not in services:
                services.append(service)
    return services


def check_service(session: Session, service: str, errors: FieldErrors, field: str) -> str:
    """A tariff rates a service the network can ask for: one a business model offers (an
    authorization is refused for any other)."""
    service = service.strip()
    offered = offered_services(session)
    if service not in offered:
        errors.add(
            field,
            f"'{service}' is not a service of any business model "
            f"(offered: {', '.join(offered) or 'none'}); add it to a business model first",
        )
    return service


def _name_taken(name: str) -> Conflict:
    return Conflict(f"a tariff named '{name}' already exists", code="tariff_name_taken")


def _check_name(session: Session, name: str, exclude_id: int | None, errors: FieldErrors) -> str:
    return check_free_name(
        session,
        name,
        key=Tariff.name_key,
        row_id=Tariff.id,
        exclude_id=exclude_id,
        errors=errors,
        taken=_name_taken,
    )


def create_tariff(session: Session, actor: Actor, data: TariffIn) -> Tariff:
    errors = FieldErrors()
    name = _check_name(session, data.name, None, errors)
    currency = enabled_code(session, data.currency, errors) or data.currency
    service = check_service(session, data.service, errors, "service")
    errors.raise_if_any()
    now = utcnow()
    tariff = Tariff(
        name=name,
        name_key=name_key(name),
        currency=currency,
        service=service,
        unit=data.unit,
        created_at=now,
        updated_at=now,
    )
    session.add(tariff)
    flush_or_conflict(session, _name_taken(name))
    audit.record(session, actor, "create", "tariff", tariff.id, after=snapshot(tariff))
    return tariff


def get_tariff(session: Session, tariff_id: int, *, for_update: bool = False) -> Tariff:
    """The tariff; ``for_update`` holds its row until the transaction ends, so that changes to
    its rates (an import, a rate added) take turns rather than collide on the unique key."""
    tariff = session.get(
        Tariff, tariff_id, with_for_update=for_update, populate_existing=for_update
    )
    if tariff is None:
        raise NotFound(f"tariff {tariff_id} does not exist", code="tariff_not_found")
    return tariff


def page_tariffs(
    session: Session,
    *,
    limit: int | None,
    cursor: str | None,
    currency: str | None = None,
    service: str | None = None,
) -> tuple[list[Tariff], str | None]:
    stmt = select(Tariff)
    if currency:
        stmt = stmt.where(Tariff.currency == currency.strip().upper())
    if service:
        stmt = stmt.where(Tariff.service == service.strip())
    return paginate(session, stmt, Tariff.id, limit=limit, cursor=cursor)


def list_tariffs(session: Session) -> list[Tariff]:
    return list(session.scalars(select(Tariff).order_by(Tariff.name_key)))


def rate_counts(session: Session) -> dict[int, int]:
    rows = session.execute(select(Rate.tariff_id, func.count()).group_by(Rate.tariff_id))
    return {tariff_id: count for tariff_id, count in rows}


def product_counts(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(ProductRating.tariff_id, func.count()).group_by(ProductRating.tariff_id)
    )
    return {tariff_id: count for tariff_id, count in rows}


def products_using(session: Session, tariff_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(ProductRating)
            .where(ProductRating.tariff_id == tariff_id)
        )
        or 0
    )


def _in_use(tariff: Tariff, count: int, what: str) -> Conflict:
    return Conflict(
        f"tariff '{tariff.name}' is used by {count} product(s); {what}", code="tariff_in_use"
    )


def update_tariff(session: Session, actor: Actor, tariff_id: int, patch: TariffPatch) -> Tariff:
    tariff = get_tariff(session, tariff_id)
    before = snapshot(tariff)
    values = patch.model_dump(exclude_unset=True)
    errors = FieldErrors()
    changes: dict[str, Any] = {}
    for key in ("name", "currency", "service", "unit"):
        if key in values and values[key] is None:
            errors.add(key, "must not be null")
    if values.get("name") is not None:
        changes["name"] = _check_name(session, values["name"], tariff.id, errors)
        changes["name_key"] = name_key(changes["name"])
    if values.get("currency") is not None:
        changes["currency"] = (
            enabled_code(session, values["currency"], errors) or values["currency"]
        )
    if values.get("service") is not None:
        changes["service"] = check_service(session, values["service"], errors, "service")
    if values.get("unit") is not None:
        changes["unit"] = values["unit"]
    errors.raise_if_any()
    rated = [k for k in ("currency", "service", "unit") if k in changes and changes[k] != before[k]]
    if rated:
        used = products_using(session, tariff.id)
        if used:
            raise _in_use(tariff, used, f"its {' and '.join(rated)} cannot change")
    for key, value in changes.items():
        setattr(tariff, key, value)
    tariff.updated_at = utcnow()
    flush_or_conflict(session, _name_taken(tariff.name))
    audit.record(
        session, actor, "update", "tariff", tariff.id, before=before, after=snapshot(tariff)
    )
    return tariff


def delete_tariff(session: Session, actor: Actor, tariff_id: int) -> None:
    """The tariff and its rates; refused while a product rates a service with it."""
    tariff = get_tariff(session, tariff_id)
    used = products_using(session, tariff.id)
    if used:
        raise _in_use(tariff, used, "take it out of them first")
    audit.record(session, actor, "delete", "tariff", tariff.id, before=snapshot(tariff))
    session.execute(delete(Rate).where(Rate.tariff_id == tariff.id))
    session.delete(tariff)
    session.flush()


def tariff_out(tariff: Tariff) -> TariffOut:
    return TariffOut(
        id=tariff.id,
        name=tariff.name,
        currency=tariff.currency,
        service=tariff.service,
        unit=tariff.unit,
        created_at=tariff.created_at,
        updated_at=tariff.updated_at,
    )
