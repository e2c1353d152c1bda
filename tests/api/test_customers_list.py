"""GET /customers: search, filters and keyset paging."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest

from tests.api.support import assert_problem
from tests.conftest import Api

MakeCustomer = Callable[..., dict[str, Any]]
PREPAID = {"balance_control": "prepaid", "credit_limit": ...}


def names(api: Api, **params: object) -> list[str]:
    response = api.get("/customers", params=params)
    assert response.status_code == 200, response.text
    return [c["name"] for c in response.json()["items"]]


@pytest.fixture
def directory(make_customer: MakeCustomer) -> dict[str, dict[str, Any]]:
    return {
        name: make_customer(name=name)
        for name in ("Acme Ltd", "Acme Holdings", "Globex Corporation", "Initech", "Umbrella 100%")
    }


SEARCHES: list[tuple[str, list[str]]] = [
    ("Acme", ["Acme Ltd", "Acme Holdings"]),
    ("acme", ["Acme Ltd", "Acme Holdings"]),
    ("ACME LTD", ["Acme Ltd"]),
    ("  acme   ltd  ", ["Acme Ltd"]),
    ("me L", ["Acme Ltd"]),
    ("oldin", ["Acme Holdings"]),
    ("bex", ["Globex Corporation"]),
    ("ni", ["Initech"]),
    ("h", ["Acme Holdings", "Initech"]),
    ("100%", ["Umbrella 100%"]),
    ("%", ["Umbrella 100%"]),
    ("_", []),
    ("nobody", []),
]


def test_search_by_prefix_and_substring(
    api: Api, directory: dict[str, dict[str, Any]], subtests: pytest.Subtests
) -> None:
    for q, expected in SEARCHES:
        with subtests.test(q):
            assert sorted(names(api, q=q)) == sorted(expected)


def test_search_by_id(api: Api, directory: dict[str, dict[str, Any]]) -> None:
    initech = directory["Initech"]
    assert "Initech" in names(api, q=str(initech["id"]))


def test_search_with_syntax_characters_is_safe(
    api: Api, directory: dict[str, dict[str, Any]]
) -> None:
    for q in (
        '"',
        "'",
        "\\",
        "a\"b'c",
        "*",
        "(",
        "NEAR",
        "a OR b",
        "-x",
        "^",
        "\u00e9",
        "\U0001f600",
    ):
        response = api.get("/customers", params={"q": q})
        assert response.status_code == 200, (q, response.text)
        assert response.json()["items"] == []


def test_blank_search_lists_everyone(api: Api, directory: dict[str, dict[str, Any]]) -> None:
    assert len(names(api, q="   ")) == len(directory)


def test_search_follows_a_rename(api: Api, directory: dict[str, dict[str, Any]]) -> None:
    api.patch(f"/customers/{directory['Initech']['id']}", {"name": "Initrode"})
    assert names(api, q="initech") == []
    assert names(api, q="trode") == ["Initrode"]


def test_status_filter(api: Api, make_customer: MakeCustomer) -> None:
    active = make_customer(name="Active One")
    no_funds = make_customer(name="Empty Prepaid", **PREPAID)
    funded = make_customer(name="Funded Prepaid", available_funds="5.00", **PREPAID)
    exceeded = make_customer(name="Zero Limit", credit_limit="0")
    blocked = make_customer(name="Blocked One")
    closed = make_customer(name="Closed One")
    api.post(f"/customers/{blocked['id']}/status", {"action": "block"})
    api.post(f"/customers/{closed['id']}/status", {"action": "close"})
    assert sorted(names(api, status="active")) == sorted([active["name"], funded["name"]])
    assert names(api, status="no_available_funds") == [no_funds["name"]]
    assert names(api, status="credit_exceeded") == [exceeded["name"]]
    assert names(api, status="blocked") == [blocked["name"]]
    assert names(api, status="closed") == [closed["name"]]
    assert names(api, status="suspended") == []
    assert names(api, status="blocked", q="Blocked") == [blocked["name"]]


def test_unknown_status_filter_is_422(api: Api) -> None:
    assert_problem(api.get("/customers", params={"status": "happy"}), 422, field="status")


def test_class_filter(api: Api, make_customer: MakeCustomer) -> None:
    vip = api.post("/customer-classes", {"name": "VIP"}).json()
    make_customer(name="Ordinary")
    make_customer(name="Special", customer_class_id=vip["id"])
    assert names(api, customer_class_id=vip["id"]) == ["Special"]
    assert names(api, customer_class_id=987654) == []


def test_paging_has_no_duplicates_or_omissions(
    api: Api, make_customer: MakeCustomer, subtests: pytest.Subtests
) -> None:
    created = [make_customer()["id"] for _ in range(7)]
    for limit in (1, 2, 3, 6, 7, 8, 500):
        with subtests.test(limit=limit):
            seen: list[int] = []
            cursor: str | None = None
            pages = 0
            while True:
                params: dict[str, object] = {"limit": limit}
                if cursor:
                    params["cursor"] = cursor
                page = api.get("/customers", params=params).json()
                assert len(page["items"]) <= limit
                seen += [c["id"] for c in page["items"]]
                pages += 1
                cursor = page["next_cursor"]
                if cursor is None:
                    break
                assert pages < 20
            assert seen == sorted(created)
            assert pages == -(-7 // limit)


def test_paging_a_search(api: Api, make_customer: MakeCustomer) -> None:
    wanted = [make_customer(name=f"Paged {i}")["id"] for i in range(5)]
    make_customer(name="Other")
    first = api.get("/customers", params={"q": "paged", "limit": 2}).json()
    second = api.get(
        "/customers", params={"q": "paged", "limit": 2, "cursor": first["next_cursor"]}
    ).json()
    third = api.get(
        "/customers", params={"q": "paged", "limit": 2, "cursor": second["next_cursor"]}
    ).json()
    got = [c["id"] for page in (first, second, third) for c in page["items"]]
    assert got == wanted
    assert third["next_cursor"] is None


def test_default_page_is_fifty(api: Api, make_customer: MakeCustomer) -> None:
    for _ in range(51):
        make_customer()
    page = api.get("/customers").json()
    assert len(page["items"]) == 50
    assert page["next_cursor"]


def test_bad_limit_is_422(api: Api) -> None:
    for limit in ("0", "501", "-1", "abc", "1.5", str(2**70)):
        assert_problem(api.get("/customers", params={"limit": limit}), 422, field="limit")


def test_bad_cursor_is_422(api: Api, make_customer: MakeCustomer) -> None:
    make_customer()
    for cursor in (
        "!!!",
        "not-a-cursor",
        "YWJj",
        "%%%",
        "====",
        "\u00e9",
        "OTk5OTk5OTk5OTk5OTk5OTk5OTk5",
    ):
        response = api.get("/customers", params={"cursor": cursor})
        assert_problem(response, 422, field="cursor")


def test_list_items_are_full_customers(api: Api, make_customer: MakeCustomer) -> None:
    customer = make_customer(available_funds="3.50", **PREPAID)
    (item,) = api.get("/customers").json()["items"]
    assert item == customer


ODD_SEARCHES = (
    "²²²",
    "²",
    "١٢٣",
    "12³",
    '"',
    '""',
    '"abc"',
    "abc*",
    "***",
    "NEAR(a b)",
    "a NEAR b",
    "NOT",
    "a AND OR NOT b",
    "{name}: x",
    "col:abc",
    "' OR 1=1 --",
    "%_%",
    "x" * 200,
    "\U0001f600\U0001f600\U0001f600",
    "\ufdfa" * 20,
    "\ud800",
    "a\udfffb",
)


def test_odd_searches_answer_without_a_crash(
    api: Api, directory: dict[str, dict[str, Any]], subtests: pytest.Subtests
) -> None:
    for q in ODD_SEARCHES:
        with subtests.test(q=q):
            # A lone surrogate cannot travel as UTF-8: sent as the bytes that would spell it.
            query = quote(q.encode("utf-8", "surrogatepass"), safe="")
            response = api.get(f"/customers?q={query}")
            assert response.status_code == 200, (q, response.text)
            assert response.json()["items"] == []


def test_superscript_digits_find_names_not_ids(api: Api, make_customer: MakeCustomer) -> None:
    room = make_customer(name="Room 222")
    assert names(api, q="²²²") == ["Room 222"]
    superscript_id = str(room["id"]).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
    assert names(api, q=superscript_id) == []
    assert [c["id"] for c in api.get("/customers", params={"q": "222"}).json()["items"]] == [
        room["id"]
    ]


def test_search_longer_than_the_limit_is_422(api: Api) -> None:
    assert_problem(api.get("/customers", params={"q": "x" * 201}), 422, field="q")
