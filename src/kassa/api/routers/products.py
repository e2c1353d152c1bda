"""Products: for each service an account uses, the tariff that rates it."""

from __future__ import annotations

from fastapi import Depends, Query, Response

from kassa.api.deps import RatingManager, Reader, database
from kassa.api.routing import api_router
from kassa.auth.actor import Actor
from kassa.core.ids import Id
from kassa.db.engine import Database
from kassa.rating import products
from kassa.rating.schemas import ProductIn, ProductOut, ProductPage, ProductPatch

router = api_router(tags=["products"])


@router.get("/products", response_model=ProductPage)
def list_products(
    limit: int | None = Query(default=None),
    cursor: str | None = Query(default=None),
    currency: str | None = Query(default=None, max_length=3),
    _: Actor = Reader,
    db: Database = Depends(database),
) -> ProductPage:
    with db.reading() as session:
        rows, next_cursor = products.page_products(
            session, limit=limit, cursor=cursor, currency=currency
        )
        return ProductPage(items=products.products_out(session, rows), next_cursor=next_cursor)


@router.post("/products", response_model=ProductOut, status_code=201)
def create_product(
    body: ProductIn, actor: Actor = RatingManager, db: Database = Depends(database)
) -> ProductOut:
    with db.transaction() as session:
        return products.product_out(session, products.create_product(session, actor, body))


@router.get("/products/{product_id}", response_model=ProductOut)
def get_product(product_id: Id, _: Actor = Reader, db: Database = Depends(database)) -> ProductOut:
    with db.reading() as session:
        return products.product_out(session, products.get_product(session, product_id))


@router.patch("/products/{product_id}", response_model=ProductOut)
def update_product(
    product_id: Id,
    body: ProductPatch,
    actor: Actor = RatingManager,
    db: Database = Depends(database),
) -> ProductOut:
    with db.transaction() as session:
        product = products.update_product(session, actor, product_id, body)
        return products.product_out(session, product)


@router.delete("/products/{product_id}", status_code=204)
def delete_product(
    product_id: Id, actor: Actor = RatingManager, db: Database = Depends(database)
) -> Response:
    with db.transaction() as session:
        products.delete_product(session, actor, product_id)
    return Response(status_code=204)
