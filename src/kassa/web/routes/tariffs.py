"""Tariffs: list, create, edit, delete; a tariff's page lists its rates, by prefix, a page at
a time, with the forms that add one rate or a CSV file of them (kassa.web.routes.rates)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from kassa.core.errors import KassaError
from kassa.core.vocabulary import RatingUnit
from kassa.currencies.service import list_currencies
from kassa.db.models import Tariff
from kassa.rating import rate_import, rates, tariffs
from kassa.rating.schemas import TariffIn, TariffPatch
from kassa.web.config_pages import ConfigPages, Posted, Session, config_router
from kassa.web.errors import problem_for
from kassa.web.forms import FormView, text
from kassa.web.render import render
from kassa.web.session import RatingManager, database

SHOWN = {"name", "currency", "service", "unit"}
RATE_FIELDS = (
    "prefix",
    "price",
    "per",
    "first_interval",
    "next_interval",
    "connect_fee",
    "free_units",
    "effective_from",
    "description",
)
UNIT_LABELS = {
    RatingUnit.SECOND: "Seconds (calls)",
    RatingUnit.BYTE: "Bytes (data)",
    RatingUnit.MESSAGE: "Messages",
    RatingUnit.UNIT: "Units (anything counted)",
}
RATES_PER_PAGE = 50


def _list_context(session: Session) -> dict[str, Any]:
    return {
        "tariffs": tariffs.list_tariffs(session),
        "rate_counts": tariffs.rate_counts(session),
        "product_counts": tariffs.product_counts(session),
        "unit_labels": UNIT_LABELS,
    }


def _values_of(tariff: Tariff) -> dict[str, Any]:
    return {
        "name": tariff.name,
        "currency": tariff.currency,
        "service": tariff.service,
        "unit": tariff.unit,
    }


def _read_form(session: Session, form: FormData, tariff: Tariff | None) -> Posted:
    values = {name: text(form, name) for name in SHOWN}
    return Posted(values, dict(values), SHOWN)


def new_rate_values() -> dict[str, Any]:
    return {"per": "60", "first_interval": "60", "next_interval": "6", "connect_fee": "0"}


def rates_context(request: Request, session: Session, tariff: Tariff) -> dict[str, Any]:
    """The tariff's rates page: those whose prefix starts with ``?prefix=``, from ``?cursor=``.
    A bad search shows beside the search box instead of the rates."""
    prefix = request.query_params.get("prefix", "").strip()
    cursor = request.query_params.get("cursor") or None
    search = FormView(values={"prefix": prefix})
    try:
        rows, next_cursor = rates.page_rates(
            session, tariff.id, prefix=prefix, limit=RATES_PER_PAGE, cursor=cursor
        )
    except KassaError as exc:
        problem = problem_for(exc)
        if problem.status == 404:
            raise
        search = FormView(
            values={"prefix": prefix}, errors=problem.fields or {"prefix": problem.message}
        )
        rows, next_cursor = [], None
    return {
        "rates": rates.rates_out(session, tariff.currency, rows),
        "search": search,
        "cursor": cursor,
        "next_cursor": next_cursor,
        "keep": {"prefix": prefix} if prefix else {},
        "rate_total": tariffs.rate_counts(session).get(tariff.id, 0),
        "products_using": tariffs.products_using(session, tariff.id),
    }


def _form_context(
    request: Request, session: Session, form: FormView, tariff: Tariff | None
) -> dict[str, Any]:
    currencies = [(c.code, f"{c.code} · {c.name}") for c in list_currencies(session, enabled=True)]
    services = [(s, s) for s in tariffs.offered_services(session)]
    for options, name in ((currencies, "currency"), (services, "service")):
        current = form.value(name)
        if current and current not in {value for value, _ in options}:
            options.append((current, current))
    context: dict[str, Any] = {
        "currencies": currencies,
        "services": services,
        "units": [(u.value, UNIT_LABELS[u]) for u in RatingUnit],
        "header": f"{rate_import.HEADER},{rate_import.DESCRIPTION}",
    }
    if tariff is not None:
        context |= rates_context(request, session, tariff)
        context.setdefault("rate_form", FormView(values=new_rate_values()))
        context.setdefault("import_errors", None)
    return context


def tariff_page(
    request: Request,
    tariff_id: int,
    *,
    status_code: int = 200,
    rate_form: FormView | None = None,
    import_errors: list[dict[str, Any]] | None = None,
    import_message: str | None = None,
) -> Response:
    """The tariff's page with a refused rate or file shown on it."""
    with database(request).reading() as session:
        tariff = tariffs.get_tariff(session, tariff_id)
        form = FormView(values=_values_of(tariff))
        context: dict[str, Any] = {"form": form, "tariff": tariff}
        context |= _form_context(request, session, form, tariff)
        if rate_form is not None:
            context["rate_form"] = rate_form
        context["import_errors"] = import_errors
        context["import_message"] = import_message
    return render(request, "tariffs/form.html", context, status_code=status_code)


router = config_router(
    ConfigPages(
        path="/tariffs",
        noun="Tariff",
        templates="tariffs",
        item_name="tariff",
        get=tariffs.get_tariff,
        create=tariffs.create_tariff,
        update=tariffs.update_tariff,
        delete=tariffs.delete_tariff,
        create_schema=TariffIn,
        patch_schema=TariffPatch,
        title=lambda tariff: tariff.name,
        list_context=_list_context,
        values_of=_values_of,
        read_form=_read_form,
        new_values=lambda: {"currency": "USD", "service": "voice", "unit": RatingUnit.SECOND},
        form_context=_form_context,
        changer=RatingManager,
    )
)
