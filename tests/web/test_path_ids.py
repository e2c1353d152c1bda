"""Every web route with a row id in its path refuses ids no row can have with a 404 page.

The API refuses them through its ``Id`` type; the web routes read them through the ``id`` path
convertor and the same type. Numbers past 64 bits must never reach the database driver.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Mount, Route

from tests.web.conftest import csrf_of

ID_PARAM = re.compile(r"\{(\w*id)(?::\w+)?\}")
ANY_PARAM = re.compile(r"\{[^}]+\}")
# Digits beyond what BIGINT holds, zero, and text no route takes for digits.
DIGIT_IDS = (str(2**63), str(2**64), "9" * 30, "0")
OTHER_IDS = ("-1", "²", "1²")


def _flattened(routes: Sequence[BaseRoute]) -> list[Any]:
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:
        return list(routes)
    return list(iter_route_contexts(routes))


def web_routes_with_ids(routes: Sequence[BaseRoute]) -> list[tuple[str, str]]:
    """(method, path template) of every web route with a path parameter that is an id."""
    found: list[tuple[str, str]] = []
    for route in _flattened(routes):
        original = getattr(route, "original_route", route)
        if isinstance(original, Mount) or not isinstance(original, Route):
            continue
        path = route.path
        if path is None or path.startswith("/api/") or not ID_PARAM.search(path):
            continue
        found += [(method, path) for method in sorted(route.methods or {"GET"}) if method != "HEAD"]
    return found


def concrete(path: str, bad_param: str, bad_value: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = ID_PARAM.fullmatch(match.group(0))
        return bad_value if name and name.group(1) == bad_param else "1"

    return ANY_PARAM.sub(value, path)


def test_every_web_id_past_64_bits_is_a_404_page(web: TestClient) -> None:
    routes = web_routes_with_ids(web.app.routes)  # type: ignore[attr-defined]
    assert len(routes) >= 20, routes
    token = csrf_of(web.get("/customers/new").text)
    wrong: list[str] = []
    for method, template in routes:
        for param in ID_PARAM.findall(template):
            for bad in DIGIT_IDS + OTHER_IDS:
                path = concrete(template, param, bad)
                data = {"csrf_token": token} if method == "POST" else None
                answer = web.request(method, path, data=data, follow_redirects=False)
                ok = answer.status_code in (404, 422)
                if bad in DIGIT_IDS:
                    # The route matched: the answer is the web UI's own error page.
                    ok = ok and answer.headers["content-type"].startswith("text/html")
                if not ok:
                    wrong.append(f"{method} {path} -> {answer.status_code}")
    assert not wrong, "\n".join(wrong)


def test_a_real_id_still_reaches_its_page(web: TestClient) -> None:
    assert web.get("/customer-classes/1").status_code == 200
    assert web.get("/business-models/1").status_code == 200
    assert "does not exist" in web.get("/customers/9223372036854775807").text
