from __future__ import annotations

from kassa.api.routing import api_router

router = api_router(tags=["health"])


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
