"""Currencies, business models and custom fields: the reference data classes and customers use."""

from __future__ import annotations

from fastapi import Depends, Query, Response

from kassa.api.deps import Configurer, Reader, database
from kassa.api.routing import api_router
from kassa.auth.actor import Actor
from kassa.business_models import service as business_models
from kassa.business_models.service import (
    BusinessModelIn,
    BusinessModelOut,
    BusinessModelPage,
    BusinessModelPatch,
    business_model_out,
)
from kassa.core.ids import Id
from kassa.currencies import service as currencies
from kassa.currencies.service import CurrencyChange, CurrencyOut, CurrencyPage, currency_out
from kassa.custom_fields import service as custom_fields
from kassa.custom_fields.schemas import (
    CustomFieldIn,
    CustomFieldOut,
    CustomFieldPage,
    CustomFieldPatch,
)
from kassa.db.engine import Database

router = api_router()
Limit = Query(default=None, description="Page size, 1-500 (default 50)")
Cursor = Query(default=None, description="next_cursor of the previous page")


@router.get("/currencies", response_model=CurrencyPage, tags=["currencies"])
def list_currencies(
    enabled: bool | None = None,
    limit: int | None = Limit,
    cursor: str | None = Cursor,
    _: Actor = Reader,
    db: Database = Depends(database),
) -> CurrencyPage:
    with db.reading() as session:
        rows, next_cursor = currencies.page_currencies(
            session, enabled=enabled, limit=limit, cursor=cursor
        )
        return CurrencyPage(items=[currency_out(c) for c in rows], next_cursor=next_cursor)


@router.get("/currencies/{code}", response_model=CurrencyOut, tags=["currencies"])
def get_currency(code: str, _: Actor = Reader, db: Database = Depends(database)) -> CurrencyOut:
    with db.reading() as session:
        return currency_out(currencies.get_currency(session, code))


@router.put("/currencies/{code}", response_model=CurrencyOut, tags=["currencies"])
def set_currency(
    code: str, body: CurrencyChange, actor: Actor = Configurer, db: Database = Depends(database)
) -> CurrencyOut:
    with db.transaction() as session:
        return currency_out(currencies.set_enabled(session, actor, code, body.enabled))


@router.get("/business-models", response_model=BusinessModelPage, tags=["business models"])
def list_business_models(
    limit: int | None = Limit,
    cursor: str | None = Cursor,
    _: Actor = Reader,
    db: Database = Depends(database),
) -> BusinessModelPage:
    with db.reading() as session:
        rows, next_cursor = business_models.page_business_models(
            session, limit=limit, cursor=cursor
        )
        return BusinessModelPage(
            items=[business_model_out(m) for m in rows], next_cursor=next_cursor
        )


@router.post(
    "/business-models", response_model=BusinessModelOut, status_code=201, tags=["business models"]
)
def create_business_model(
    body: BusinessModelIn, actor: Actor = Configurer, db: Database = Depends(database)
) -> BusinessModelOut:
    with db.transaction() as session:
        return business_model_out(business_models.create_business_model(session, actor, body))


@router.get(
    "/business-models/{model_id}", response_model=BusinessModelOut, tags=["business models"]
)
def get_business_model(
    model_id: Id, _: Actor = Reader, db: Database = Depends(database)
) -> BusinessModelOut:
    with db.reading() as session:
        return business_model_out(business_models.get_business_model(session, model_id))


@router.patch(
    "/business-models/{model_id}", response_model=BusinessModelOut, tags=["business models"]
)
def update_business_model(
    model_id: Id,
    body: BusinessModelPatch,
    actor: Actor = Configurer,
    db: Database = Depends(database),
) -> BusinessModelOut:
    with db.transaction() as session:
        model = business_models.update_business_model(session, actor, model_id, body)
        return business_model_out(model)


@router.delete("/business-models/{model_id}", status_code=204, tags=["business models"])
def delete_business_model(
    model_id: Id, actor: Actor = Configurer, db: Database = Depends(database)
) -> Response:
    with db.transaction() as session:
        business_models.delete_business_model(session, actor, model_id)
    return Response(status_code=204)


@router.get("/custom-fields", response_model=CustomFieldPage, tags=["custom fields"])
def list_custom_fields(
    limit: int | None = Limit,
    cursor: str | None = Cursor,
    _: Actor = Reader,
    db: Database = Depends(database),
) -> CustomFieldPage:
    with db.reading() as session:
        rows, next_cursor = custom_fields.page_custom_fields(session, limit=limit, cursor=cursor)
        return CustomFieldPage(
            items=[custom_fields.custom_field_out(f) for f in rows], next_cursor=next_cursor
        )


@router.post(
    "/custom-fields", response_model=CustomFieldOut, status_code=201, tags=["custom fields"]
)
def create_custom_field(
    body: CustomFieldIn, actor: Actor = Configurer, db: Database = Depends(database)
) -> CustomFieldOut:
    with db.transaction() as session:
        return custom_fields.custom_field_out(
            custom_fields.create_custom_field(session, actor, body)
        )


@router.get("/custom-fields/{field_id}", response_model=CustomFieldOut, tags=["custom fields"])
def get_custom_field(
    field_id: Id, _: Actor = Reader, db: Database = Depends(database)
) -> CustomFieldOut:
    with db.reading() as session:
        return custom_fields.custom_field_out(custom_fields.get_custom_field(session, field_id))


@router.patch("/custom-fields/{field_id}", response_model=CustomFieldOut, tags=["custom fields"])
def update_custom_field(
    field_id: Id,
    body: CustomFieldPatch,
    actor: Actor = Configurer,
    db: Database = Depends(database),
) -> CustomFieldOut:
    with db.transaction() as session:
        field = custom_fields.update_custom_field(session, actor, field_id, body)
        return custom_fields.custom_field_out(field)


@router.delete("/custom-fields/{field_id}", status_code=204, tags=["custom fields"])
def delete_custom_field(
    field_id: Id, actor: Actor = Configurer, db: Database = Depends(database)
) -> Response:
    with db.transaction() as session:
        custom_fields.delete_custom_field(session, actor, field_id)
    return Response(status_code=204)
