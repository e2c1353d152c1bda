"""Tariffs and their rates: one by one, and a whole CSV file at once."""

from __future__ import annotations

from fastapi import Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from kassa.api.deps import RatingManager, Reader, database
from kassa.api.routing import api_router
from kassa.auth.actor import Actor
from kassa.core.errors import KassaError
from kassa.core.ids import Id
from kassa.db.engine import Database
from kassa.rating import rate_import, rates, tariffs
from kassa.rating.schemas import (
    RateImportOut,
    RateIn,
    RateOut,
    RatePage,
    TariffIn,
    TariffOut,
    TariffPage,
    TariffPatch,
)

router = api_router(tags=["tariffs"])

CSV_TYPES = ("text/csv", "application/csv", "text/plain")


class UnsupportedMediaType(KassaError):
    code = "unsupported_media_type"
    title = "Unsupported media type"
    http_status = 415


@router.get("/tariffs", response_model=TariffPage)
def list_tariffs(
    limit: int | None = Query(default=None),
    cursor: str | None = Query(default=None),
    currency: str | None = Query(default=None, max_length=3),
    service: str | None = Query(default=None, max_length=64),
    _: Actor = Reader,
    db: Database = Depends(database),
) -> TariffPage:
    with db.reading() as session:
        rows, next_cursor = tariffs.page_tariffs(
            session, limit=limit, cursor=cursor, currency=currency, service=service
        )
        return TariffPage(items=[tariffs.tariff_out(t) for t in rows], next_cursor=next_cursor)


@router.post("/tariffs", response_model=TariffOut, status_code=201)
def create_tariff(
    body: TariffIn, actor: Actor = RatingManager, db: Database = Depends(database)
) -> TariffOut:
    with db.transaction() as session:
        return tariffs.tariff_out(tariffs.create_tariff(session, actor, body))


@router.get("/tariffs/{tariff_id}", response_model=TariffOut)
def get_tariff(tariff_id: Id, _: Actor = Reader, db: Database = Depends(database)) -> TariffOut:
    with db.reading() as session:
        return tariffs.tariff_out(tariffs.get_tariff(session, tariff_id))


@router.patch("/tariffs/{tariff_id}", response_model=TariffOut)
def update_tariff(
    tariff_id: Id,
    body: TariffPatch,
    actor: Actor = RatingManager,
    db: Database = Depends(database),
) -> TariffOut:
    with db.transaction() as session:
        return tariffs.tariff_out(tariffs.update_tariff(session, actor, tariff_id, body))


@router.delete("/tariffs/{tariff_id}", status_code=204)
def delete_tariff(
    tariff_id: Id, actor: Actor = RatingManager, db: Database = Depends(database)
) -> Response:
    with db.transaction() as session:
        tariffs.delete_tariff(session, actor, tariff_id)
    return Response(status_code=204)


@router.get("/tariffs/{tariff_id}/rates", response_model=RatePage)
def list_rates(
    tariff_id: Id,
    prefix: str | None = Query(default=None, max_length=32),
    limit: int | None = Query(default=None),
    cursor: str | None = Query(default=None),
    _: Actor = Reader,
    db: Database = Depends(database),
) -> RatePage:
    with db.reading() as session:
        rows, next_cursor = rates.page_rates(
            session, tariff_id, prefix=prefix, limit=limit, cursor=cursor
        )
        tariff = tariffs.get_tariff(session, tariff_id)
        return RatePage(
            items=rates.rates_out(session, tariff.currency, rows), next_cursor=next_cursor
        )


@router.post("/tariffs/{tariff_id}/rates", response_model=RateOut, status_code=201)
def add_rate(
    tariff_id: Id, body: RateIn, actor: Actor = RatingManager, db: Database = Depends(database)
) -> RateOut:
    with db.transaction() as session:
        rate = rates.add_rate(session, actor, tariff_id, body)
        tariff = tariffs.get_tariff(session, tariff_id)
        return rates.rates_out(session, tariff.currency, [rate])[0]


def _import(db: Database, actor: Actor, tariff_id: int, data: bytes) -> RateImportOut:
    with db.transaction() as session:
        return RateImportOut(imported=rate_import.import_rates(session, actor, tariff_id, data))


@router.put(
    "/tariffs/{tariff_id}/rates",
    response_model=RateImportOut,
    responses={415: {"description": "The body is not sent as text/csv"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": (
                f"A CSV file: the header `{rate_import.HEADER}` (optionally "
                f"`,{rate_import.DESCRIPTION}`), then one rate a line. A rate with the prefix "
                "and effective_from of one the tariff has replaces it. All or nothing: a bad "
                "line is a 422 whose `errors` give each bad line and column."
            ),
            "content": {
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": f"{rate_import.HEADER},{rate_import.DESCRIPTION}\n"
                    "4420,0.0120,60,60,6,0,0,,United Kingdom London\n",
                }
            },
        }
    },
)
async def import_rates(
    tariff_id: Id,
    request: Request,
    actor: Actor = RatingManager,
    db: Database = Depends(database),
) -> RateImportOut:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in CSV_TYPES:
        raise UnsupportedMediaType(
            f"send the rates as 'Content-Type: text/csv', not '{media_type or 'nothing'}'"
        )
    data = await request.body()
    return await run_in_threadpool(_import, db, actor, tariff_id, data)


@router.get("/tariffs/{tariff_id}/rates/{rate_id}", response_model=RateOut)
def get_rate(
    tariff_id: Id, rate_id: Id, _: Actor = Reader, db: Database = Depends(database)
) -> RateOut:
    with db.reading() as session:
        rate = rates.get_rate(session, tariff_id, rate_id)
        tariff = tariffs.get_tariff(session, tariff_id)
        return rates.rates_out(session, tariff.currency, [rate])[0]


@router.delete("/tariffs/{tariff_id}/rates/{rate_id}", status_code=204)
def delete_rate(
    tariff_id: Id, rate_id: Id, actor: Actor = RatingManager, db: Database = Depends(database)
) -> Response:
    with db.transaction() as session:
        rates.delete_rate(session, actor, tariff_id, rate_id)
    return Response(status_code=204)
