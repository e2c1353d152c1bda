"""A randomized mix of every money-moving call, and a record of what the clients were told.

Each client thread runs `Client.run` until a deadline. Everything a server confirmed is kept
in `Record`, so that afterwards the database can be compared with the sum of the answers: a
confirmed posting missing from the ledger is a lost update, one posted twice is a broken key.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.concurrency.harness import SERVICE, Cluster, amount, micros, new_key

SIGNS = {
    "payment": -1,
    "refund": 1,
    "manual_charge": 1,
    "manual_credit": -1,
    "promotional_credit": -1,
}
GUARDED_TYPES = ("payment", "manual_credit", "promotional_credit")
LEAVE_OPEN_AT_MOST = 12
USAGE_IDS = 40  # per customer: small, so that the same ids come back often


@dataclass
class Customers:
    # Only reserve/extend/commit(unexpired)/release and money in: available funds can then
    # never fall below zero, which a monitor checks in the database throughout.
    guarded: list[int]
    # Everything else too: charges, refunds, usage import, reservations left to lapse.
    open: list[int]


@dataclass
class Expiring:
    auth_id: int
    customer_id: int
    amount: int
    expires_at: float  # time.monotonic() by which it has surely lapsed


@dataclass
class Record:
    """What the servers confirmed, guarded by one lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    expected_balance: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    entries: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    answers: dict[str, list[tuple[str, int, Any]]] = field(default_factory=dict)
    transaction_ids: set[int] = field(default_factory=set)
    auth_amount: dict[int, int] = field(default_factory=dict)
    committed: dict[int, int] = field(default_factory=dict)
    released: set[int] = field(default_factory=set)
    left_open: set[int] = field(default_factory=set)
    lapsed: set[int] = field(default_factory=set)
    committed_after_expiry: int = 0
    expiring: list[Expiring] = field(default_factory=list)
    usage_posted: dict[tuple[int, str], int] = field(default_factory=dict)
    usage_duplicates: int = 0
    grants: int = 0
    partial_grants: int = 0
    refusals: int = 0
    twin_races: int = 0
    retries: int = 0
    negative_grants: list[Any] = field(default_factory=list)

    def post(self, customer_id: int, delta: int) -> None:
        self.expected_balance[customer_id] += delta
        self.entries[customer_id] += 1


Call = Callable[[httpx.Client], httpx.Response]


class Client:
    """One simulated integration: its own connections to both servers and its own dice."""

    def __init__(
        self, cluster: Cluster, index: int, customers: Customers, record: Record, seed: int
    ) -> None:
        self.index = index
        self.rng = random.Random(seed)
        self.customers = customers
        self.record = record
        self.apis = (cluster.client(index), cluster.client(index + 1))
        self.twin = ThreadPoolExecutor(max_workers=1)

    def close(self) -> None:
        self.twin.shutdown()
        for api in self.apis:
            api.close()

    def run(self, deadline: float, stop: threading.Event) -> None:
        actions = [
            (self.money, 30),
            (self.session, 35),
            (self.short_reservation, 8),
            (self.lapsed_reservation, 10),
            (self.usage, 10),
            (self.read, 7),
        ]
        work, weights = zip(*actions, strict=True)
        while time.monotonic() < deadline and not stop.is_set():
            self.rng.choices(work, weights)[0]()

    # Sending: once, retried with the same key, or two twins racing with one key -----------

    def send(self, key: str, call: Call) -> list[httpx.Response]:
        mode = self.rng.random()
        if mode < 0.6:
            responses = [call(self.apis[0])]
        elif mode < 0.8:
            responses = [call(self.apis[0]), call(self.apis[1])]
            with self.record.lock:
                self.record.retries += 1
        else:
            twin = self.twin.submit(call, self.apis[1])
            responses = [call(self.apis[0]), twin.result()]
            with self.record.lock:
                self.record.twin_races += 1
        with self.record.lock:
            answers = self.record.answers.setdefault(key, [])
            for response in responses:
                assert response.status_code < 500, response.text
                answers.append((call.__name__, response.status_code, response.json()))
        return responses

    def keyed(self, method_path: str, body: dict[str, Any] | None) -> tuple[str, Call]:
        key = new_key()

        def call(api: httpx.Client) -> httpx.Response:
            return api.post(method_path, json=body, headers={"Idempotency-Key": key})

        call.__name__ = method_path
        return key, call

    @staticmethod
    def success(responses: list[httpx.Response]) -> dict[str, Any] | None:
        """The one answer of a key's successful calls (they must all be the same)."""
        bodies = [r.json() for r in responses if r.status_code < 300]
        if not bodies:
            return None
        assert all(b == bodies[0] for b in bodies), bodies
        return bodies[0]

    @staticmethod
    def refused(responses: list[httpx.Response], *codes: str) -> None:
        for response in responses:
            if response.status_code >= 300:
                assert response.json().get("code") in codes, response.text

    # The actions ----------------------------------------------------------------------------

    def money(self) -> None:
        guarded = self.rng.random() < 0.5
        customer = self.rng.choice(self.customers.guarded if guarded else self.customers.open)
        kind = self.rng.choice(GUARDED_TYPES if guarded else tuple(SIGNS))
        # Guarded customers get little money in, so that their funds often run out.
        cents = self.rng.randint(1, 100 if guarded else 600 if kind == "payment" else 250)
        body = {"type": kind, "amount": amount(cents * 10_000, 2), "visible_comment": "mix"}
        key, call = self.keyed(f"/customers/{customer}/transactions", body)
        answer = self.success(self.send(key, call))
        assert answer is not None, "a transaction was refused"
        with self.record.lock:
            self.record.post(customer, SIGNS[kind] * cents * 10_000)
            self.record.transaction_ids.add(answer["id"])

    def reserve(self, customer: int, ttl: int) -> tuple[int, int] | None:
        wanted = self.rng.randint(1, 2_000_000)
        body: dict[str, Any] = {
            "amount": amount(wanted),
            "service": SERVICE,
            "session_id": f"c{self.index}-{self.rng.randrange(10**6)}",
            "ttl_seconds": ttl,
        }
        least = wanted
        if self.rng.random() < 0.3:
            least = self.rng.randint(1, wanted)
            body["min_amount"] = amount(least)
        key, call = self.keyed(f"/customers/{customer}/authorizations", body)
        responses = self.send(key, call)
        self.refused(responses, "insufficient_funds")
        for response in responses:
            if response.status_code == 402:
                assert micros(response.json()["available_funds"]) < least, response.text
        answer = self.success(responses)
        with self.record.lock:
            if answer is None:
                self.record.refusals += 1
                return None
            granted = micros(answer["amount"])
            assert least <= granted <= wanted, (answer, least, wanted)
            left = answer["available_funds"]
            if left is not None and micros(left) < 0:
                self.record.negative_grants.append(answer)
            if granted < wanted:
                assert micros(left) == 0, answer
                self.record.partial_grants += 1
            assert answer["id"] not in self.record.auth_amount, answer
            self.record.auth_amount[answer["id"]] = granted
            self.record.grants += 1
        return answer["id"], granted

    def extend(self, auth_id: int) -> None:
        more = self.rng.randint(1, 1_000_000)
        key, call = self.keyed(f"/authorizations/{auth_id}/extend", {"amount": amount(more)})
        responses = self.send(key, call)
        self.refused(responses, "insufficient_funds")
        answer = self.success(responses)
        if answer is not None:
            with self.record.lock:
                self.record.auth_amount[auth_id] += more
                assert micros(answer["amount"]) == self.record.auth_amount[auth_id], answer
                if micros(answer["available_funds"] or "0") < 0:
                    self.record.negative_grants.append(answer)

    def commit(self, auth_id: int, customer: int) -> None:
        with self.record.lock:
            held = self.record.auth_amount[auth_id]
        used = self.rng.randint(1, held)
        key, call = self.keyed(f"/authorizations/{auth_id}/commit", {"amount": amount(used)})
        answer = self.success(self.send(key, call))
        assert answer is not None and answer["status"] == "committed", answer
        with self.record.lock:
            self.record.post(customer, used)
            self.record.committed[auth_id] = used

    def release(self, auth_id: int) -> None:
        key, call = self.keyed(f"/authorizations/{auth_id}/release", None)
        answer = self.success(self.send(key, call))
        assert answer is not None and answer["status"] == "released", answer
        with self.record.lock:
            self.record.released.add(auth_id)

    def session(self) -> None:
        """A call: reserve, re-authorize now and then, commit what was used or release."""
        guarded = self.rng.random() < 0.6
        customer = self.rng.choice(self.customers.guarded if guarded else self.customers.open)
        granted = self.reserve(customer, ttl=600)
        if granted is None:
            return
        auth_id = granted[0]
        for _ in range(self.rng.choice((0, 0, 1, 2))):
            self.extend(auth_id)
        if not guarded:
            with self.record.lock:
                if len(self.record.left_open) < LEAVE_OPEN_AT_MOST and self.rng.random() < 0.05:
                    self.record.left_open.add(auth_id)
                    return
        if self.rng.random() < 0.7:
            self.commit(auth_id, customer)
        else:
            self.release(auth_id)

    def short_reservation(self) -> None:
        """A reservation nobody finishes in time: it lapses after 1-2 s."""
        customer = self.rng.choice(self.customers.open)
        ttl = self.rng.choice((1, 2))
        granted = self.reserve(customer, ttl=ttl)
        if granted is not None:
            with self.record.lock:
                self.record.expiring.append(
                    Expiring(granted[0], customer, granted[1], time.monotonic() + ttl + 0.3)
                )

    def lapsed_reservation(self) -> None:
        """Finish a reservation that has lapsed: commit (it must still post) or leave it."""
        with self.record.lock:
            now = time.monotonic()
            ready = [e for e in self.record.expiring if e.expires_at <= now]
            if not ready:
                return
            item = self.rng.choice(ready)
            self.record.expiring.remove(item)
        self.finish_lapsed(item)

    def finish_lapsed(self, item: Expiring, *, commit: bool | None = None) -> None:
        if self.rng.random() < 0.3:
            key, call = self.keyed(f"/authorizations/{item.auth_id}/extend", {"amount": "0.01"})
            responses = self.send(key, call)
            assert all(r.status_code == 409 for r in responses), [r.text for r in responses]
            # Lapsed, and perhaps already swept by a reservation that needed the funds.
            self.refused(responses, "authorization_expired", "authorization_not_open")
        if commit if commit is not None else self.rng.random() < 0.6:
            self.commit(item.auth_id, item.customer_id)
            with self.record.lock:
                self.record.committed_after_expiry += 1
        else:
            with self.record.lock:
                self.record.lapsed.add(item.auth_id)

    def usage(self) -> None:
        """A batch of rated usage; the sender resends ids it is unsure of."""
        records: list[dict[str, Any]] = []
        for _ in range(self.rng.randint(1, 4)):
            customer = self.rng.choice(self.customers.open)
            records.append(
                {
                    "customer_id": customer,
                    "service": SERVICE,
                    "amount": amount(self.rng.randint(1, 300_000)),
                    "occurred_at": datetime.now(UTC).isoformat(),
                    "external_id": f"cdr-{self.rng.randrange(USAGE_IDS)}",
                }
            )
        response = self.apis[self.rng.randrange(2)].post("/usage", json={"records": records})
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        with self.record.lock:
            for sent, result in zip(records, results, strict=True):
                key = (sent["customer_id"], sent["external_id"])
                if result["status"] == "posted":
                    assert key not in self.record.usage_posted, (key, result)
                    self.record.usage_posted[key] = result["transaction_id"]
                    self.record.post(sent["customer_id"], micros(sent["amount"]))
                else:
                    assert result["status"] == "duplicate", result
                    self.record.usage_duplicates += 1

    def read(self) -> None:
        api = self.apis[self.rng.randrange(2)]
        with self.record.lock:
            known = list(self.record.auth_amount)
        if known and self.rng.random() < 0.5:
            response = api.get(f"/authorizations/{self.rng.choice(known)}")
        else:
            customer = self.rng.choice(self.customers.guarded + self.customers.open)
            response = api.get(
                f"/customers/{customer}/authorizations", params={"status": "reserved"}
            )
        assert response.status_code == 200, response.text


def answers_by_key(record: Record) -> dict[str, dict[str, Any]]:
    """Each key's one successful answer; asserts that every success of a key said the same."""
    found = {}
    for key, answers in record.answers.items():
        bodies = [json.dumps(body, sort_keys=True) for _, status, body in answers if status < 300]
        assert len(set(bodies)) <= 1, (key, answers)
        if bodies:
            found[key] = json.loads(bodies[0])
    return found
