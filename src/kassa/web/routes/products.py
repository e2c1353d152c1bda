"""Products: list, create, edit (a row per service and the tariff that rates it), delete."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.datastructures import FormData

from kassa.core.ids import id_from_text
from kassa.currencies.service import list_currencies
from kassa.db.models import Product
from kassa.rating import products, tariffs
from kassa.rating.schemas import ProductIn, ProductPatch
from kassa.web.config_pages import ConfigPages, Posted, Session, config_router
from kassa.web.forms import FormView, text, texts
from kassa.web.session import RatingManager

SHOWN = {"name", "currency", "description", "rating"}


def _list_context(session: Session) -> dict[str, Any]:
    rows = products.list_products(session)
    return {
        "products": products.products_out(session, rows),
        "accounts": products.account_counts(session),
    }


def _values_of(product: Product) -> dict[str, Any]:
    return {
        "name": product.name,
        "currency": product.currency,
        "description": product.description,
        "rating": [(r.service, str(r.tariff_id)) for r in products.ratings_of(product)],
    }


def _read_form(session: Session, form: FormData, product: Product | None) -> Posted:
    values: dict[str, Any] = {
        name: text(form, name) for name in ("name", "currency", "description")
    }
    pairs = zip(texts(form, "rating_service"), texts(form, "rating_tariff"), strict=False)
    values["rating"] = [(service, tariff) for service, tariff in pairs if service or tariff]
    rating: list[dict[str, Any]] = []
    for service, tariff in values["rating"]:
        entry: dict[str, Any] = {"service": service}
        if tariff:
            entry["tariff_id"] = id_from_text(tariff) or tariff
        rating.append(entry)
    shown = set(SHOWN)
    for i in range(len(rating)):
        shown |= {f"rating[{i}].service", f"rating[{i}].tariff_id"}
    return Posted(values, {**values, "rating": rating}, shown)


def _form_context(
    request: Request, session: Session, form: FormView, product: Product | None
) -> dict[str, Any]:
    currencies = [(c.code, f"{c.code} · {c.name}") for c in list_currencies(session, enabled=True)]
    current = form.value("currency")
    if current and current not in {code for code, _ in currencies}:
        currencies.append((current, current))
    return {
        "currencies": currencies,
        "services": tariffs.offered_services(session),
        "tariffs": [
            (str(t.id), f"{t.name} ({t.service}, {t.currency})")
            for t in tariffs.list_tariffs(session)
        ],
        "accounts": products.accounts_using(session, product.id) if product else 0,
    }


router = config_router(
    ConfigPages(
        path="/products",
        noun="Product",
        templates="products",
        item_name="product",
        get=products.get_product,
        create=products.create_product,
        update=products.update_product,
        delete=products.delete_product,
        create_schema=ProductIn,
        patch_schema=ProductPatch,
        title=lambda product: product.name,
        list_context=_list_context,
        values_of=_values_of,
        read_form=_read_form,
        new_values=lambda: {"currency": "USD", "rating": [("voice", "")]},
        form_context=_form_context,
        changer=RatingManager,
    )
)
