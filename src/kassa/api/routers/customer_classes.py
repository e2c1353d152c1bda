from __future__ import annotations

from fastapi import Depends, Query, Request, Response

from kassa.api.deps import Configurer, Reader, database
from kassa.api.routing import api_router
from kassa.auth.actor import Actor
from kassa.core.ids import Id
from kassa.customer_classes import service
from kassa.customer_classes.schemas import (
    CustomerClassIn,
    CustomerClassOut,
    CustomerClassPage,
    CustomerClassPatch,
)
from kassa.db.engine import Database

router = api_router(tags=["customer classes"])


@router.get("/customer-classes", response_model=CustomerClassPage)
def list_customer_classes(
    limit: int | None = Query(default=None),
    cursor: str | None = Query(default=None),
    _: Actor = Reader,
    db: Database = Depends(database),
) -> CustomerClassPage:
    with db.reading() as session:
        rows, next_cursor = service.page_customer_classes(session, limit=limit, cursor=cursor)
        return CustomerClassPage(
            items=[service.customer_class_out(c) for c in rows], next_cursor=next_cursor
        )


@router.post("/customer-classes", response_model=CustomerClassOut, status_code=201)
def create_customer_class(
    body: CustomerClassIn,
    request: Request,
    actor: Actor = Configurer,
    db: Database = Depends(database),
) -> CustomerClassOut:
    with db.transaction() as session:
        cls = service.create_customer_class(
            session, actor, body, templates_dir=request.app.state.settings.invoice_templates_dir
        )
        return service.customer_class_out(cls)


@router.get("/customer-classes/{class_id}", response_model=CustomerClassOut)
def get_customer_class(
    class_id: Id, _: Actor = Reader, db: Database = Depends(database)
) -> CustomerClassOut:
    with db.reading() as session:
        return service.customer_class_out(service.get_customer_class(session, class_id))


@router.patch("/customer-classes/{class_id}", response_model=CustomerClassOut)
def update_customer_class(
    class_id: Id,
    body: CustomerClassPatch,
    request: Request,
    actor: Actor = Configurer,
    db: Database = Depends(database),
) -> CustomerClassOut:
    with db.transaction() as session:
        cls = service.update_customer_class(
            session,
            actor,
            class_id,
            body,
            templates_dir=request.app.state.settings.invoice_templates_dir,
        )
        return service.customer_class_out(cls)


@router.delete("/customer-classes/{class_id}", status_code=204)
def delete_customer_class(
    class_id: Id, actor: Actor = Configurer, db: Database = Depends(database)
) -> Response:
    with db.transaction() as session:
        service.delete_customer_class(session, actor, class_id)
    return Response(status_code=204)
