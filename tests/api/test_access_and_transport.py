"""Who may call what (401/403), and requests that are broken before any rule is checked."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest

from tests.api.support import assert_problem
from tests.conftest import Api, customer_body

Unchanged = Callable[[], AbstractContextManager[None]]
MIB = 1024 * 1024
BAD_AUTHORIZATION = (
    None,
    "",
    "Bearer",
    "Bearer ",
    "Basic YWRtaW46cGFzc3dvcmQ=",
    "Bearer not-a-token",
    "Token kassa_test_admin_token",
    "Bearer kassa_test_admin_token_",
)


class TestAuthentication:
    def test_no_or_bad_token_is_401(
        self, api: Api, nothing_changes: Unchanged, subtests: pytest.Subtests
    ) -> None:
        anonymous = api.as_token(None)
        for header in BAD_AUTHORIZATION:
            headers = {} if header is None else {"Authorization": header}
            with subtests.test(repr(header)), nothing_changes():
                for response in (
                    anonymous.get("/customers", headers=headers),
                    anonymous.post("/customers", customer_body(), headers=headers),
                    anonymous.get("/currencies", headers=headers),
                ):
                    assert_problem(response, 401)
                    assert response.headers["www-authenticate"].lower().startswith("bearer")

    def test_bearer_scheme_is_case_insensitive(self, api: Api) -> None:
        headers = {"Authorization": "bearer kassa_test_admin_token"}
        assert api.as_token(None).get("/customers", headers=headers).status_code == 200

    def test_revoked_token_is_401(self, api: Api, nothing_changes: Unchanged) -> None:
        users = api.get("/users").json()["items"]
        admin = next(u for u in users if u["username"] == "admin")
        issued = api.post(f"/users/{admin['id']}/tokens", {"name": "short-lived"}).json()
        assert issued["token"]
        short = api.as_token(issued["token"])
        assert short.get("/customers").status_code == 200
        assert api.delete(f"/tokens/{issued['id']}").json()["revoked_at"]
        with nothing_changes():
            assert_problem(short.get("/customers"), 401, code="invalid_token")

    def test_token_is_shown_once(self, api: Api) -> None:
        users = api.get("/users").json()["items"]
        admin = next(u for u in users if u["username"] == "admin")
        issued = api.post(f"/users/{admin['id']}/tokens", {"name": "once"}).json()
        listed = api.get(f"/users/{admin['id']}/tokens").json()
        shown = next(t for t in listed if t["id"] == issued["id"])
        assert shown["token"] is None
        assert issued["token"].startswith(shown["prefix"])

    def test_health_needs_no_token(self, api: Api) -> None:
        response = api.client.get("/health")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}

    def test_health_under_the_api_needs_a_token_of_any_role(
        self, api: Api, subtests: pytest.Subtests
    ) -> None:
        for header in BAD_AUTHORIZATION:
            headers = {} if header is None else {"Authorization": header}
            with subtests.test(repr(header)):
                response = api.as_token(None).get("/health", headers=headers)
                assert_problem(response, 401)
                assert response.headers["www-authenticate"].lower().startswith("bearer")
        for role in ("service", "viewer"):
            with subtests.test(role):
                response = api.as_token(api.token_for(role)).get("/health")
                assert response.status_code == 200, response.text
                assert response.json() == {"status": "ok"}


# (role, method, path, body): each must be a 403 that changes nothing.
FORBIDDEN: list[tuple[str, str, str, object]] = [
    ("viewer", "POST", "/customers", customer_body()),
    ("viewer", "PATCH", "/customers/{id}", {"name": "Nope"}),
    ("viewer", "POST", "/customers/{id}/status", {"action": "block"}),
    ("viewer", "PUT", "/currencies/JPY", {"enabled": True}),
    ("service", "GET", "/customers", None),
    ("service", "GET", "/customers/{id}", None),
    ("service", "POST", "/customers", customer_body()),
    ("service", "GET", "/customer-classes", None),
    ("operator", "POST", "/customer-classes", {"name": "Operators may not"}),
    ("operator", "POST", "/custom-fields", {"name": "x", "label": "X", "type": "text"}),
    ("operator", "POST", "/business-models", {"name": "Nope"}),
    ("operator", "GET", "/users", None),
    ("operator", "POST", "/users", {"username": "x", "role": "admin", "password": "p" * 10}),
    ("operator", "GET", "/audit-log", None),
    ("viewer", "GET", "/audit-log", None),
]


def test_roles_that_may_not_get_403(
    api: Api, nothing_changes: Unchanged, subtests: pytest.Subtests
) -> None:
    customer = api.post("/customers", customer_body()).json()
    tokens = {role: api.token_for(role) for role in ("viewer", "service", "operator")}
    for role, method, path, body in FORBIDDEN:
        url = "/api/v1" + path.format(id=customer["id"])
        headers = {"Authorization": f"Bearer {tokens[role]}"}
        with subtests.test(f"{role} {method} {path}"), nothing_changes():
            kwargs = {} if body is None else {"json": body}
            response = api.client.request(method, url, headers=headers, **kwargs)
            assert_problem(response, 403, code="forbidden")


def test_roles_that_may(api: Api) -> None:
    viewer = api.as_token(api.token_for("viewer"))
    operator = api.as_token(api.token_for("operator"))
    created = operator.post("/customers", customer_body())
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    assert operator.patch(f"/customers/{cid}", {"email": "x@y.example"}).status_code == 200
    assert operator.post(f"/customers/{cid}/status", {"action": "block"}).status_code == 200
    assert viewer.get(f"/customers/{cid}").json()["status"] == "blocked"
    assert viewer.get("/customers").status_code == 200
    for path in ("/customer-classes", "/custom-fields", "/business-models", "/currencies"):
        assert viewer.get(path).status_code == 200, path


class TestMalformedRequests:
    def test_body_that_is_not_a_json_object_is_422(
        self, api: Api, nothing_changes: Unchanged, subtests: pytest.Subtests
    ) -> None:
        for raw in (b'{"name": ', b"{name: 'x'}", b"", b"null", b"[]", b'"text"', b"\xff\xfe"):
            with subtests.test(repr(raw)), nothing_changes():
                response = api.post(
                    "/customers", content=raw, headers={"Content-Type": "application/json"}
                )
                assert_problem(response, 422, field="body")

    def test_malformed_json_says_so(self, api: Api) -> None:
        response = api.post(
            "/customers", content=b'{"name": "x",', headers={"Content-Type": "application/json"}
        )
        assert_problem(response, 422, code="malformed_json", field="body")

    def test_body_over_one_mib_is_413(self, api: Api, nothing_changes: Unchanged) -> None:
        body = json.dumps(customer_body(email="a@b.example", name="x" * (MIB + 10))).encode()
        with nothing_changes():
            response = api.post(
                "/customers", content=body, headers={"Content-Type": "application/json"}
            )
        assert_problem(response, 413, code="payload_too_large", field="body")

    def test_streamed_body_over_one_mib_is_413(self, api: Api, nothing_changes: Unchanged) -> None:
        def chunks() -> Iterator[bytes]:
            yield b'{"name": "'
            for _ in range(20):
                yield b"x" * (64 * 1024)
            yield b'"}'

        with nothing_changes():
            response = api.post(
                "/customers", content=chunks(), headers={"Content-Type": "application/json"}
            )
        assert_problem(response, 413, code="payload_too_large")

    def test_body_just_under_the_limit_is_read(self, api: Api) -> None:
        body = json.dumps({**customer_body(), "custom_data": {"pad": "y" * (MIB - 500)}})
        assert len(body) < MIB
        response = api.post(
            "/customers", content=body.encode(), headers={"Content-Type": "application/json"}
        )
        assert_problem(response, 422, field="custom_data.pad")

    def test_nul_characters_are_refused_everywhere(
        self, api: Api, nothing_changes: Unchanged, subtests: pytest.Subtests
    ) -> None:
        # PostgreSQL text cannot hold NUL: without the guard these reach the driver as a 500.
        customer = api.post("/customers", customer_body()).json()
        requests: list[tuple[str, str, str, dict[str, Any]]] = [
            ("name", "POST", "/customers", {"content": b'{"name": "a\\u0000b"}'}),
            (
                "email",
                "PATCH",
                f"/customers/{customer['id']}",
                {"content": b'{"email": "\\u0000"}'},
            ),
            ("name", "POST", "/business-models", {"content": b'{"name": "\\u0000"}'}),
            ("q", "GET", "/customers", {"params": {"q": "a\x00b"}}),
            ("entity_id", "GET", "/audit-log", {"params": {"entity_id": "\x00"}}),
            ("path", "GET", "/currencies/U%00D", {}),
        ]
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {api.token}"}
        for where, method, path, kwargs in requests:
            with subtests.test(f"{method} {path}"), nothing_changes():
                response = api.client.request(method, "/api/v1" + path, headers=headers, **kwargs)
                assert_problem(response, 422, code="invalid_character", field=where)

    def test_other_control_characters_are_refused_naming_the_field(
        self, api: Api, nothing_changes: Unchanged, subtests: pytest.Subtests
    ) -> None:
        body = json.dumps
        requests: list[tuple[str, str, str, bytes]] = [
            ("name", "POST", "/customers", body(customer_body(name="a\x01b")).encode()),
            ("email", "POST", "/customers", body(customer_body(email="a\x1f@b.cz")).encode()),
            (
                "custom_data.note",
                "POST",
                "/customers",
                body(customer_body(custom_data={"note": "\x07"})).encode(),
            ),
            (
                "services[1]",
                "POST",
                "/business-models",
                body({"name": "M", "services": ["voice", "\x0b"]}).encode(),
            ),
            (
                "description",
                "POST",
                "/business-models",
                body({"name": "M", "description": "\x00"}).encode(),
            ),
        ]
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {api.token}"}
        for where, method, path, content in requests:
            with subtests.test(where), nothing_changes():
                response = api.client.request(
                    method, "/api/v1" + path, headers=headers, content=content
                )
                assert_problem(response, 422, code="invalid_character", field=where)
        for query in ("q=a%01b", "q=%1F", "status=%0A"):
            with subtests.test(query):
                field = query.split("=")[0]
                assert_problem(
                    api.get(f"/customers?{query}"), 422, code="invalid_character", field=field
                )

    def test_tabs_and_line_breaks_may_stand_in_text(self, api: Api) -> None:
        created = api.post(
            "/business-models", {"name": "Lines", "description": "one\r\ntwo\tthree"}
        )
        assert created.status_code == 201, created.text
        assert created.json()["description"] == "one\r\ntwo\tthree"

    def test_an_escaped_backslash_before_u0000_is_just_text(self, api: Api) -> None:
        name = "C:\\u0000dir"
        response = api.post("/customers", customer_body(name=name))
        assert response.status_code == 201, response.text
        assert response.json()["name"] == name

    def test_unknown_route_and_method_are_problems(self, api: Api) -> None:
        assert_problem(api.get("/no-such-thing"), 404)
        assert_problem(api.delete("/customers"), 405)
