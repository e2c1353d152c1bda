"""GET /health answers load balancers and monitors without a token; its copy under /api/v1
needs one, like everything else there."""

from __future__ import annotations

from fastapi import Depends

from kassa.api.deps import current_actor
from kassa.api.routing import api_router

router = api_router(tags=["health"])
authenticated_router = api_router(tags=["health"], dependencies=[Depends(current_actor)])


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


authenticated_router.add_api_route("/health", health, methods=["GET"], operation_id="api_health")
