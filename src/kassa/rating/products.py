"""Products: what an account is sold, the tariff that rates each of its services."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from kassa.auth import audit
from kassa.auth.actor import Actor
from kassa.core.clock import utcnow
from kassa.core.errors import Conflict, FieldErrors, NotFound
from kassa.core.names import name_key
from kassa.currencies.service import enabled_code
from kassa.db.models import Account, Product, ProductRating, Tariff
from kassa.db.pagination import paginate
from kassa.db.unique import check_free_name, flush_or_conflict
from kassa.rating.schemas import (
    ProductIn,
    ProductOut,
    ProductPatch,
    ProductRatingIn,
    ProductRatingOut,
)


def _ratings(session: Session, product_id: int) -> list[ProductRating]:
    return list(
        session.scalars(
            select(ProductRating)
            .where(ProductRating.product_id == product_id)
            .order_by(ProductRating.service)
        )
    )


def ratings_of(product: Product) -> list[ProductRating]:
    """The product's services and their tariffs, by service."""
    session = Session.object_session(product)
    assert session is not None
    return _ratings(session, product.id)


def snapshot(session: Session, product: Product) -> dict[str, Any]:
    return {
        "name": product.name,
        "currency": product.currency,
        "description": product.description,
        "rating": [
            {"service": r.service, "tariff_id": r.tariff_id} for r in _ratings(session, product.id)
        ],
    }


def _name_taken(name: str) -> Conflict:
    return Conflict(f"a product named '{name}' already exists", code="product_name_taken")


def _check_name(session: Session, name: str, exclude_id: int | None, errors: FieldErrors) -> str:
    return check_free_name(
        session,
        name,
        key=Product.name_key,
        row_id=Product.id,
        exclude_id=exclude_id,
        errors=errors,
        taken=_name_taken,
    )


def _check_rating(
    session: Session, entries: list[ProductRatingIn], currency: str | None, errors: FieldErrors
) -> list[tuple[str, int]]:
    """Each entry's tariff exists, rates the entry's service in the product's currency, and no
    service is listed twice."""
    ids = {entry.tariff_id for entry in entries}
    tariffs = (
        {t.id: t for t in session.scalars(select(Tariff).where(Tariff.id.in_(ids)))} if ids else {}
    )
    services: set[str] = set()
    rating: list[tuple[str, int]] = []
    for i, entry in enumerate(entries):
        service = entry.service.strip()
        tariff = tariffs.get(entry.tariff_id)
        if not service:
            errors.add(f"rating[{i}].service", "must not be empty")
        elif service in services:
            errors.add(f"rating[{i}].service", f"'{service}' is listed twice; one tariff each")
        services.add(service)
        if tariff is None:
            errors.add(f"rating[{i}].tariff_id", f"tariff {entry.tariff_id} does not exist")
            continue
        if currency is not None and tariff.currency != currency:
            errors.add(
                f"rating[{i}].tariff_id",
                f"tariff '{tariff.name}' is in {tariff.currency}, the product in {currency}",
            )
        if service and tariff.service != service:
            errors.add(
                f"rating[{i}].tariff_id",
                f"tariff '{tariff.name}' rates {tariff.service}, not {service}",
            )
        rating.append((service, tariff.id))
    return rating


def _set_rating(session: Session, product: Product, rating: list[tuple[str, int]]) -> None:
    session.execute(delete(ProductRating).where(ProductRating.product_id == product.id))
    session.add_all(
        ProductRating(product_id=product.id, service=service, tariff_id=tariff_id)
        for service, tariff_id in rating
    )


def create_product(session: Session, actor: Actor, data: ProductIn) -> Product:
    errors = FieldErrors()
    name = _check_name(session, data.name, None, errors)
    currency = enabled_code(session, data.currency, errors)
    rating = _check_rating(session, data.rating, currency, errors)
    errors.raise_if_any()
    assert currency is not None
    now = utcnow()
    product = Product(
        name=name,
        name_key=name_key(name),
        currency=currency,
        description=data.description.strip(),
        created_at=now,
        updated_at=now,
    )
    session.add(product)
    flush_or_conflict(session, _name_taken(name))
    _set_rating(session, product, rating)
    audit.record(session, actor, "create", "product", product.id, after=snapshot(session, product))
    return product


def get_product(session: Session, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(f"product {product_id} does not exist", code="product_not_found")
    return product


def page_products(
    session: Session, *, limit: int | None, cursor: str | None, currency: str | None = None
) -> tuple[list[Product], str | None]:
    stmt = select(Product)
    if currency:
        stmt = stmt.where(Product.currency == currency.strip().upper())
    return paginate(session, stmt, Product.id, limit=limit, cursor=cursor)


def list_products(session: Session) -> list[Product]:
    return list(session.scalars(select(Product).order_by(Product.name_key)))


def accounts_using(session: Session, product_id: int) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(Account).where(Account.product_id == product_id)
        )
        or 0
    )


def account_counts(session: Session) -> dict[int, int]:
    rows = session.execute(select(Account.product_id, func.count()).group_by(Account.product_id))
    return {product_id: count for product_id, count in rows}


def _in_use(product: Product, count: int, what: str) -> Conflict:
    return Conflict(
        f"product '{product.name}' is used by {count} account(s); {what}", code="product_in_use"
    )


def update_product(session: Session, actor: Actor, product_id: int, patch: ProductPatch) -> Product:
    product = get_product(session, product_id)
    before = snapshot(session, product)
    values = patch.model_dump(exclude_unset=True)
    errors = FieldErrors()
    for key in ("name", "currency", "description", "rating"):
        if key in values and values[key] is None:
            errors.add(key, "must not be null")
    name = (
        _check_name(session, values["name"], product.id, errors)
        if values.get("name") is not None
        else None
    )
    currency: str | None = product.currency
    if values.get("currency") is not None:
        currency = enabled_code(session, values["currency"], errors)
    entries = patch.rating
    if entries is None and currency != product.currency:
        # The product's tariffs must follow it into the new currency.
        entries = [
            ProductRatingIn(service=r.service, tariff_id=r.tariff_id)
            for r in _ratings(session, product.id)
        ]
    rating = _check_rating(session, entries, currency, errors) if entries is not None else None
    errors.raise_if_any()
    assert currency is not None
    if currency != product.currency:
        used = accounts_using(session, product.id)
        if used:
            raise _in_use(product, used, "its currency cannot change")
    if name is not None:
        product.name = name
        product.name_key = name_key(name)
    product.currency = currency
    if patch.description is not None:
        product.description = patch.description.strip()
    if rating is not None and patch.rating is not None:
        _set_rating(session, product, rating)
    product.updated_at = utcnow()
    flush_or_conflict(session, _name_taken(product.name))
    audit.record(
        session,
        actor,
        "update",
        "product",
        product.id,
        before=before,
        after=snapshot(session, product),
    )
    return product


def delete_product(session: Session, actor: Actor, product_id: int) -> None:
    product = get_product(session, product_id)
    used = accounts_using(session, product.id)
    if used:
        raise _in_use(product, used, "move them to another product first")
    audit.record(session, actor, "delete", "product", product.id, before=snapshot(session, product))
    session.execute(delete(ProductRating).where(ProductRating.product_id == product.id))
    session.delete(product)
    session.flush()


def products_out(session: Session, products: list[Product]) -> list[ProductOut]:
    ids = [p.id for p in products]
    rows = (
        session.execute(
            select(ProductRating.product_id, ProductRating.service, Tariff.id, Tariff.name)
            .join(Tariff, Tariff.id == ProductRating.tariff_id)
            .where(ProductRating.product_id.in_(ids))
            .order_by(ProductRating.product_id, ProductRating.service)
        ).all()
        if ids
        else []
    )
    rating: dict[int, list[ProductRatingOut]] = {}
    for product_id, service, tariff_id, tariff_name in rows:
        rating.setdefault(product_id, []).append(
            ProductRatingOut(service=service, tariff_id=tariff_id, tariff_name=tariff_name)
        )
    return [
        ProductOut(
            id=p.id,
            name=p.name,
            currency=p.currency,
            description=p.description,
            rating=rating.get(p.id, []),
            created_at=p.created_at,
            updated_at=p.updated_at,
        )
        for p in products
    ]


def product_out(session: Session, product: Product) -> ProductOut:
    return products_out(session, [product])[0]


def product_names(session: Session, product_ids: set[int]) -> dict[int, str]:
    if not product_ids:
        return {}
    rows = session.execute(select(Product.id, Product.name).where(Product.id.in_(product_ids)))
    return {row.id: row.name for row in rows}


def product_choices(session: Session, currency: str) -> Sequence[tuple[int, str]]:
    """The products an account of a customer charged in ``currency`` may have, by name."""
    rows = session.execute(
        select(Product.id, Product.name).where(Product.currency == currency).order_by(Product.name)
    )
    return [(row.id, row.name) for row in rows]
