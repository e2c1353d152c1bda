"""Rules about the shape of the application, checked over all of it rather than route by route.

- Every route needs a user, except the few that must work signed out.
- Domain packages never import a web framework (the import-linter contract in pyproject.toml).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Mount, Route

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_PATHS = {"/health", "/login", "/docs", "/openapi.json", "/redoc"}
PUBLIC_PREFIXES = ("/static", "/docs/")
PARAM = re.compile(r"\{[^}]+\}")


def _is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def _flattened(routes: Sequence[BaseRoute]) -> list[Any]:
    """The routes as served: newer FastAPI keeps included routers lazily, as one entry each."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:
        return list(routes)
    return list(iter_route_contexts(routes))


def _routes(routes: Sequence[BaseRoute], prefix: str = "") -> list[tuple[str, str]]:
    """(method, concrete path) for every route, with a dummy value for each path parameter."""
    found: list[tuple[str, str]] = []
    for route in _flattened(routes):
        original = getattr(route, "original_route", route)
        if isinstance(original, Mount):
            if not _is_public(prefix + original.path):
                found += _routes(original.routes, prefix + original.path)
        elif isinstance(original, Route) and route.path is not None:
            path = PARAM.sub("1", prefix + route.path)
            found += [(method, path) for method in sorted(route.methods or {"GET"})]
    return found


def test_every_route_needs_a_user(client: TestClient) -> None:
    routes = _routes(client.app.routes)  # type: ignore[attr-defined]
    assert len(routes) > 20, routes
    # The API's copy of /health is walked like any other API route.
    assert ("GET", "/api/v1/health") in routes, routes
    client.cookies.clear()
    open_routes: list[str] = []
    for method, path in routes:
        if _is_public(path):
            continue
        response = client.request(method, path, follow_redirects=False)
        if path.startswith("/api/"):
            ok = response.status_code == 401
        else:
            location = response.headers.get("location", "")
            # Pages send the visitor to sign in; a form post may instead be refused outright
            # (its CSRF token cannot match a session that does not exist).
            ok = (response.status_code in (302, 303, 307) and location.startswith("/login")) or (
                method != "GET" and response.status_code in (401, 403)
            )
        if not ok:
            open_routes.append(f"{method} {path} -> {response.status_code}")
    assert not open_routes, "answer without a signed-in user:\n" + "\n".join(open_routes)


@pytest.mark.parametrize("path", sorted(PUBLIC_PATHS))
def test_public_routes_answer_signed_out(client: TestClient, path: str) -> None:
    client.cookies.clear()
    assert client.get(path, follow_redirects=False).status_code == 200


def _lint_imports() -> str | None:
    found = shutil.which("lint-imports")
    beside = Path(sys.executable).with_name("lint-imports")
    return str(beside) if beside.exists() else found


@pytest.mark.skipif(_lint_imports() is None, reason="import-linter is not installed")
def test_domain_packages_do_not_import_web_frameworks() -> None:
    linter = _lint_imports()
    assert linter is not None
    result = subprocess.run(
        [linter, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" in result.stdout and " 0 broken" in result.stdout, result.stdout
