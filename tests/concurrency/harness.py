"""What the concurrency tests share: the running cluster, client threads, and the money
invariants read straight from the database."""

from __future__ import annotations

import json
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import create_engine, text

MICROS = 1_000_000
SERVICE = "voice"
T = TypeVar("T")


def micros(amount: str) -> int:
    value = Decimal(amount) * MICROS
    assert value == value.to_integral_value(), amount
    return int(value)


def amount(value: int, decimals: int = 6) -> str:
    """Micros as a decimal string with ``decimals`` places (the value must fit them)."""
    step = 10 ** (6 - decimals)
    assert value % step == 0, (value, decimals)
    return f"{Decimal(value) / MICROS:.{decimals}f}"


def new_key() -> str:
    return uuid.uuid4().hex


def answer_of(response: httpx.Response) -> Any:
    """The JSON answer, or the raw text when there is none (a 500 says why in its text)."""
    try:
        return response.json()
    except ValueError:
        return response.text


def parse(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


@dataclass
class Cluster:
    """The servers of one test, all on one database."""

    urls: list[str]
    token: str
    database_url: str
    logs: list[Path]
    _universal: int | None = field(default=None, repr=False)

    def client(self, index: int = 0) -> httpx.Client:
        """A keep-alive client of server ``index`` (modulo the number of servers)."""
        return httpx.Client(
            base_url=self.urls[index % len(self.urls)] + "/api/v1",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=httpx.Timeout(90.0),
        )

    def universal_model(self) -> int:
        if self._universal is None:
            with self.client() as api:
                response = api.get("/business-models", params={"limit": 100})
                assert response.status_code == 200, response.text
                page = response.json()
            self._universal = next(m["id"] for m in page["items"] if m["name"] == "Universal")
        return self._universal

    def create_customer(
        self, *, funds: str | None = None, credit_limit: str | None = None, postpaid: bool = False
    ) -> int:
        """A prepaid customer with ``funds``, or a postpaid one (``credit_limit`` None: none)."""
        body: dict[str, Any] = {
            "name": f"Load {new_key()[:12]}",
            "currency": "USD",
            "business_model_id": self.universal_model(),
        }
        if postpaid:
            body.update(balance_control="postpaid", credit_limit=credit_limit)
        else:
            body.update(balance_control="prepaid", available_funds=funds or "0")
        with self.client() as api:
            response = api.post("/customers", json=body)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def server_errors(self) -> list[str]:
        """Tracebacks the servers logged: a 500 somewhere, even one no client noticed."""
        found = []
        for log in self.logs:
            content = log.read_text(errors="replace")
            if "Traceback" in content or "ERROR" in content:
                found.append(f"{log.name}:\n{content[-6000:]}")
        return found


def run_clients(count: int, work: Callable[[int, threading.Barrier], T]) -> list[T]:
    """Run ``work(index, barrier)`` in ``count`` threads at once; re-raise the first failure.

    ``barrier`` (for ``count`` parties) lets each client connect first and then start together."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            results[index] = work(index, barrier)
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
        assert not thread.is_alive(), "a client thread hung"
    if errors:
        raise errors[0]
    return results


def connect(api: httpx.Client) -> None:
    """Open the keep-alive connection before the start signal."""
    assert api.get("/currencies", params={"limit": 1}).status_code == 200


# Invariants read from the database -----------------------------------------------------------


@dataclass
class CustomerRow:
    id: int
    balance_control: str
    credit_limit: int | None
    balance: int
    reserved: int

    @property
    def available(self) -> int | None:
        if self.credit_limit is None:
            return None
        return self.credit_limit - self.balance - self.reserved


@dataclass
class Snapshot:
    customers: dict[int, CustomerRow]
    entries: dict[int, list[dict[str, Any]]]
    authorizations: dict[int, dict[str, Any]]
    idempotency_keys: list[dict[str, Any]]


def snapshot(database_url: str) -> Snapshot:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            customers = {
                row.id: CustomerRow(
                    row.id,
                    row.balance_control,
                    row.credit_limit_micros,
                    row.balance_micros,
                    row.reserved_micros,
                )
                for row in conn.execute(
                    text(
                        "SELECT id, balance_control, credit_limit_micros, balance_micros, "
                        "reserved_micros FROM customers"
                    )
                )
            }
            entries: dict[int, list[dict[str, Any]]] = defaultdict(list)
            for row in conn.execute(text("SELECT * FROM ledger_entries ORDER BY id")):
                entries[row.customer_id].append(dict(row._mapping))
            authorizations = {
                row.id: dict(row._mapping)
                for row in conn.execute(text("SELECT * FROM authorizations ORDER BY id"))
            }
            keys = [
                dict(row._mapping)
                for row in conn.execute(text("SELECT * FROM idempotency_keys ORDER BY id"))
            ]
    finally:
        engine.dispose()
    return Snapshot(customers, dict(entries), authorizations, keys)


def check_ledger(snap: Snapshot) -> None:
    """The invariants that hold at every quiet moment, whatever the clients did.

    - the cached balance is the sum of the ledger, and every entry's ``balance_after`` is the
      running sum up to it in id order (the per-customer lock orders inserts, so a lost or
      reordered update shows here);
    - ``reserved`` is the sum of ``held_micros`` of the customer's open (``reserved``) rows, and
      a committed, released or swept (``expired``) row holds nothing;
    - a committed authorization posted exactly one usage entry, of its committed amount, and no
      other authorization posted any;
    - a sender's usage ``external_id`` posted at most once per customer."""
    usage_by_auth: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for customer in snap.customers.values():
        running = 0
        external: set[str] = set()
        for entry in snap.entries.get(customer.id, []):
            running += entry["amount_micros"]
            assert entry["balance_after_micros"] == running, (customer.id, entry)
            if entry["authorization_id"] is not None:
                assert entry["type"] == "usage", entry
                usage_by_auth[entry["authorization_id"]].append(entry)
            if entry["external_id"] is not None:
                assert entry["external_id"] not in external, entry
                external.add(entry["external_id"])
        assert running == customer.balance, (customer.id, running, customer.balance)
        held = sum(
            a["held_micros"]
            for a in snap.authorizations.values()
            if a["customer_id"] == customer.id and a["status"] == "reserved"
        )
        assert customer.reserved == held, (customer.id, customer.reserved, held)
        assert customer.reserved >= 0, customer
    for auth in snap.authorizations.values():
        assert auth["held_micros"] >= 0, auth
        assert auth["held_micros"] <= auth["amount_micros"], auth
        posted = usage_by_auth.pop(auth["id"], [])
        if auth["status"] == "committed":
            assert auth["held_micros"] == 0, auth
            assert len(posted) == 1, (auth, posted)
            assert posted[0]["id"] == auth["entry_id"], (auth, posted)
            assert posted[0]["amount_micros"] == auth["committed_micros"], (auth, posted)
            assert posted[0]["customer_id"] == auth["customer_id"], (auth, posted)
            assert 0 < auth["committed_micros"] <= auth["amount_micros"], auth
        else:
            assert not posted, (auth, posted)
            assert auth["entry_id"] is None, auth
            if auth["status"] != "reserved":
                assert auth["held_micros"] == 0, auth
    assert not usage_by_auth, f"usage posted for unknown authorizations: {usage_by_auth}"
