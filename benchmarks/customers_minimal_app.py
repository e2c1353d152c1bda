"""The floor for creating a customer over HTTP: FastAPI, one raw INSERT, JSON back.

Served by uvicorn exactly like Kassa (``--factory customers_minimal_app:create_app``), against
the same database (``KASSA_DATABASE_URL``) with the same driver and settings. No auth, no validation
beyond JSON parsing, no audit row: whatever Kassa spends above this is Kassa's own cost.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from customers_sql import connect, customer_row, default_class_id, insert_customer, is_sqlite
from fastapi import Body, FastAPI


def create_app() -> FastAPI:
    url = os.environ["KASSA_DATABASE_URL"]
    sqlite = is_sqlite(url)
    local = threading.local()
    probe = connect(url)
    class_id = default_class_id(probe)
    probe.close()

    def connection() -> Any:
        # One connection per worker thread, as a pool would hand out.
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = connect(url)
        return conn

    app = FastAPI()

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/api/v1/customers", status_code=201)
    def create_customer(body: dict[str, Any] = Body(...)) -> dict[str, Any]:
        row = customer_row(body, class_id, sqlite)
        new_id = insert_customer(connection(), row)
        return {
            "id": new_id,
            "name": row[0],
            "balance_control": row[2],
            "currency": row[3],
            "credit_limit": body.get("credit_limit"),
            "balance": "0.00",
            "business_model_id": row[7],
            "customer_class_id": row[8],
            "billing_period": row[9],
            "billing_timezone": row[10],
            "email": row[11],
            "custom_data": body.get("custom_data") or {},
            "status": "active",
            "created_at": str(row[14]),
        }

    return app
