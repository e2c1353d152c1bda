"""GET /health answers load balancers and monitors without a token; its copy under /api/v1
needs one, like everything else there."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from kassa.api.deps import current_actor

router = APIRouter(tags=["health"])
api_router = APIRouter(tags=["health"], dependencies=[Depends(current_actor)])


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


api_router.add_api_route("/health", health, methods=["GET"], operation_id="api_health")
