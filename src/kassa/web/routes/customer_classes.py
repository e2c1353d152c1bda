"""Customer classes: list, create, edit, delete."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from starlette.datastructures import FormData

from kassa.currencies.service import list_currencies
from kassa.custom_fields.service import list_custom_fields
from kassa.customer_classes import service
from kassa.customer_classes.schemas import CustomerClassIn, CustomerClassPatch
from kassa.db.models import CustomerClass
from kassa.events.types import EVENTS
from kassa.web import class_form as kf
from kassa.web.config_pages import ConfigPages, Posted, Session, config_router
from kassa.web.forms import FormView


def _templates_dir(request: Request) -> Path | None:
    directory: Path | None = request.app.state.settings.invoice_templates_dir
    return directory


def _list_context(session: Session) -> dict[str, Any]:
    counts = service.customer_counts(session)
    rows = [
        {"cls": c, "customers": counts.get(c.id, 0), "taxes": kf.describe_taxes(c)}
        for c in service.list_customer_classes(session)
    ]
    return {"rows": rows}


def _read_form(session: Session, form: FormData, cls: CustomerClass | None) -> Posted:
    fields = list_custom_fields(session)
    values = kf.values_from_form(form, fields)
    data, renames = kf.payload(values, fields)
    return Posted(values, data, kf.shown_fields(values, fields), renames)


def _form_context(
    request: Request, session: Session, form: FormView, cls: CustomerClass | None
) -> dict[str, Any]:
    currencies = [(c.code, f"{c.code} · {c.name}") for c in list_currencies(session, enabled=True)]
    current_currency = form.value("currency")
    if current_currency and current_currency not in {c for c, _ in currencies}:
        currencies.append((current_currency, current_currency))
    return {
        "customers": service.customer_counts(session).get(cls.id, 0) if cls else 0,
        "currencies": currencies,
        "templates": kf.invoice_templates(_templates_dir(request), form.value("invoice_template")),
        "events": [(e, kf.EVENT_LABELS.get(e, e)) for e in EVENTS],
        "fields": list_custom_fields(session),
        "modes": kf.FIELD_MODES,
        "options": kf.OPTIONS,
        "field_key": kf.field_key,
    }


router = config_router(
    ConfigPages(
        path="/customer-classes",
        noun="Customer class",
        templates="classes",
        item_name="cls",
        get=service.get_customer_class,
        create=service.create_customer_class,
        update=service.update_customer_class,
        delete=service.delete_customer_class,
        create_schema=CustomerClassIn,
        patch_schema=CustomerClassPatch,
        title=lambda cls: cls.name,
        list_context=_list_context,
        values_of=kf.values_of,
        read_form=_read_form,
        new_values=kf.new_values,
        form_context=_form_context,
        service_options=lambda request: {"templates_dir": _templates_dir(request)},
    )
)
