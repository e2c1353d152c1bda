"""Every money-moving call at once, at random, from 32 clients over two server processes;
afterwards the database must agree with every answer the clients were given."""

from __future__ import annotations

import json
import os
import random
import threading
import time
from typing import Any

from sqlalchemy import create_engine, text

from kassa.db.engine import Database
from kassa.ledger.sweeper import sweep_expired
from tests.concurrency.harness import Cluster, Snapshot, check_ledger, micros, snapshot
from tests.concurrency.mix import SIGNS, Client, Customers, Record, answers_by_key

CLIENTS = 32
SECONDS = float(os.environ.get("KASSA_MIX_SECONDS", "15"))

# One statement, so one consistent snapshot on both databases.
WATCH = text(
    """
    SELECT c.id, c.credit_limit_micros, c.balance_micros, c.reserved_micros,
      (SELECT COALESCE(SUM(e.amount_micros), 0) FROM ledger_entries e
        WHERE e.customer_id = c.id) AS ledger,
      (SELECT COALESCE(SUM(a.held_micros), 0) FROM authorizations a
        WHERE a.customer_id = c.id AND a.status = 'reserved') AS held
    FROM customers c
    """
)


class Monitor(threading.Thread):
    """Reads the database while the clients work: the invariants hold at every moment, not
    only at the end, and a guarded customer's available funds never drop below zero."""

    def __init__(self, database_url: str, guarded: list[int]) -> None:
        super().__init__(daemon=True)
        self.engine = create_engine(database_url)
        self.guarded = set(guarded)
        self.done = threading.Event()
        self.polls = 0
        self.violations: list[Any] = []

    def run(self) -> None:
        try:
            while not self.done.wait(0.2):
                with self.engine.connect() as conn:
                    rows = conn.execute(WATCH).all()
                    conn.rollback()
                self.polls += 1
                for row in rows:
                    if row.ledger != row.balance_micros or row.held != row.reserved_micros:
                        self.violations.append(("ledger or holds", tuple(row)))
                    limit = row.credit_limit_micros
                    if (
                        row.id in self.guarded
                        and limit - row.balance_micros - row.reserved_micros < 0
                    ):
                        self.violations.append(("available below zero", tuple(row)))
        finally:
            self.engine.dispose()


def _setup(cluster: Cluster, record: Record) -> Customers:
    def prepaid(funds: str) -> int:
        customer = cluster.create_customer(funds=funds)
        record.post(customer, -micros(funds))  # the initial available funds: a payment
        return customer

    guarded = [prepaid("2.00"), prepaid("2.00")]
    guarded.append(cluster.create_customer(postpaid=True, credit_limit="1.50"))
    open_ = [
        prepaid("30.00"),
        cluster.create_customer(postpaid=True, credit_limit="40.00"),
        cluster.create_customer(postpaid=True, credit_limit=None),
    ]
    return Customers(guarded=guarded, open=open_)


def _run(cluster: Cluster, customers: Customers, record: Record, seed: int) -> None:
    stop = threading.Event()
    deadline = time.monotonic() + SECONDS
    clients = [Client(cluster, i, customers, record, seed + i) for i in range(CLIENTS)]
    errors: list[BaseException] = []

    def work(client: Client) -> None:
        try:
            client.run(deadline, stop)
        except BaseException as exc:
            errors.append(exc)
            stop.set()

    threads = [threading.Thread(target=work, args=(c,), daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SECONDS + 240)
        assert not thread.is_alive(), "a client hung"
    if errors:
        raise errors[0]
    # The reservations still lapsing: wait for them, then commit some and leave the rest.
    if record.expiring:
        time.sleep(max(0.0, max(e.expires_at for e in record.expiring) - time.monotonic()))
    # At least one of them is committed after expiry and one is left alone.
    for n, item in enumerate(list(record.expiring)):
        record.expiring.remove(item)
        clients[0].finish_lapsed(item, commit={0: True, 1: False}.get(n))
    for client in clients:
        client.close()


def _check_authorizations(snap: Snapshot, record: Record) -> None:
    rows = snap.authorizations
    assert set(rows) == set(record.auth_amount)
    for auth_id, expected in record.auth_amount.items():
        assert rows[auth_id]["amount_micros"] == expected, rows[auth_id]
    by_status: dict[str, set[int]] = {}
    for auth_id, row in rows.items():
        by_status.setdefault(row["status"], set()).add(auth_id)
    assert by_status.get("committed", set()) == set(record.committed)
    for auth_id, used in record.committed.items():
        assert rows[auth_id]["committed_micros"] == used, rows[auth_id]
    assert by_status.get("released", set()) == record.released
    # Lapsed rows are still "reserved" until something sweeps them, then "expired".
    open_now = by_status.get("reserved", set()) | by_status.get("expired", set())
    assert open_now == record.left_open | record.lapsed
    assert by_status.get("expired", set()) <= record.lapsed
    for auth_id in record.left_open:
        assert rows[auth_id]["held_micros"] == rows[auth_id]["amount_micros"], rows[auth_id]


def _check_against_answers(snap: Snapshot, record: Record, customers: Customers) -> None:
    for customer in customers.guarded + customers.open:
        assert snap.customers[customer].balance == record.expected_balance[customer], customer
        assert len(snap.entries[customer]) == record.entries[customer], customer
    # A prepaid customer's first entry is its initial available funds.
    initial = {
        entries[0]["id"]
        for customer, entries in snap.entries.items()
        if snap.customers[customer].balance_control == "prepaid"
    }
    posted = {e["id"] for es in snap.entries.values() for e in es if e["type"] in SIGNS}
    assert posted - initial == record.transaction_ids
    usage = {
        (e["customer_id"], e["external_id"]): e["id"]
        for entries in snap.entries.values()
        for e in entries
        if e["external_id"] is not None
    }
    assert usage == record.usage_posted
    _check_authorizations(snap, record)
    # Every key that succeeded is stored once, with the answer every client of it was given;
    # no key is stored for a request that did nothing.
    stored = {k["key"]: json.loads(k["response_body"]) for k in snap.idempotency_keys}
    assert len(stored) == len(snap.idempotency_keys)
    assert stored == answers_by_key(record)


def _sweep(database_url: str) -> None:
    db = Database(database_url)
    try:
        while True:
            with db.transaction() as session:
                if not sweep_expired(session):
                    break
    finally:
        db.dispose()


def test_random_mix_keeps_every_invariant(cluster: Cluster) -> None:
    seed = int(os.environ.get("KASSA_MIX_SEED", random.randrange(10**9)))
    print(f"KASSA_MIX_SEED={seed}")
    record = Record()
    customers = _setup(cluster, record)
    monitor = Monitor(cluster.database_url, customers.guarded)
    monitor.start()
    try:
        _run(cluster, customers, record, seed)
    finally:
        monitor.done.set()
        monitor.join(timeout=30)
    stats = {
        name: getattr(record, name)
        for name in (
            "grants",
            "partial_grants",
            "refusals",
            "twin_races",
            "retries",
            "committed_after_expiry",
            "usage_duplicates",
        )
    }
    stats.update(
        committed=len(record.committed),
        released=len(record.released),
        lapsed=len(record.lapsed),
        left_open=len(record.left_open),
        usage_posted=len(record.usage_posted),
        transactions=len(record.transaction_ids),
        polls=monitor.polls,
    )
    print(stats)
    assert not monitor.violations, monitor.violations[:10]
    assert not record.negative_grants, record.negative_grants[:10]

    snap = snapshot(cluster.database_url)
    check_ledger(snap)
    _check_against_answers(snap, record, customers)

    # The sweeper frees what lapsed; what stays held is exactly what was left open.
    _sweep(cluster.database_url)
    swept = snapshot(cluster.database_url)
    check_ledger(swept)
    for auth_id, row in swept.authorizations.items():
        if auth_id in record.lapsed:
            assert row["status"] == "expired" and row["held_micros"] == 0, row
    for customer in customers.guarded + customers.open:
        still_open = sorted(
            a for a in record.left_open if swept.authorizations[a]["customer_id"] == customer
        )
        assert swept.customers[customer].reserved == sum(record.auth_amount[a] for a in still_open)
        with cluster.client(customer) as api:
            listed = api.get(f"/customers/{customer}/authorizations", params={"status": "reserved"})
        assert sorted(a["id"] for a in listed.json()["items"]) == still_open

    # The paths the invariants are about were all taken.
    for name in ("grants", "refusals", "twin_races", "retries", "committed_after_expiry"):
        assert stats[name] > 0, stats
    for name in ("committed", "released", "usage_posted", "transactions", "lapsed"):
        assert stats[name] > 0, stats
    assert monitor.polls >= 5, stats
    assert not cluster.server_errors(), cluster.server_errors()
