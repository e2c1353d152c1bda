"""Business models: list, create, edit, delete."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData

from kassa.business_models import service
from kassa.business_models.service import BusinessModelIn, BusinessModelPatch
from kassa.db.models import BusinessModel
from kassa.web.config_pages import ConfigPages, Posted, Session, config_router
from kassa.web.forms import split_list, text

SHOWN = {"name", "description", "services"}


def _list_context(session: Session) -> dict[str, Any]:
    models = service.list_business_models(session)
    return {"models": models, "used": service.customer_counts(session)}


def _values_of(model: BusinessModel) -> dict[str, Any]:
    return {
        "name": model.name,
        "description": model.description,
        "services": ", ".join(model.services),
    }


def _read_form(session: Session, form: FormData, model: BusinessModel | None) -> Posted:
    values = {name: text(form, name) for name in SHOWN}
    data = {**values, "services": split_list(values["services"])}
    return Posted(values, data, SHOWN)


router = config_router(
    ConfigPages(
        path="/business-models",
        noun="Business model",
        templates="models",
        item_name="model",
        get=service.get_business_model,
        create=service.create_business_model,
        update=service.update_business_model,
        delete=service.delete_business_model,
        create_schema=BusinessModelIn,
        patch_schema=BusinessModelPatch,
        title=lambda model: model.name,
        list_context=_list_context,
        values_of=_values_of,
        read_form=_read_form,
    )
)
