"""The raw database floor for authorizations: the statements Kassa's reserve and commit send,
in the same transactions, through the same driver configured as Kassa configures it.

Read off ``kassa.ledger.authorizations`` / ``kassa.ledger.entries``: a reserve is one
transaction of SELECT customers ... FOR UPDATE, UPDATE customers, INSERT authorizations; a
commit is one transaction of SELECT authorizations FOR UPDATE, UPDATE customers RETURNING,
INSERT ledger_entries, UPDATE authorizations. On PostgreSQL each first SELECT also waits for
the customer's queue, as Kassa's does (kassa.ledger.queue).
No ORM, no validation beyond what choosing the parameters needs. Shared by the in-process
baseline and by the minimal HTTP app, so both floors do the same work.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from bench_db import connect_sqlite, is_sqlite, pg_conninfo

from kassa.ledger.queue import CUSTOMER_QUEUE_KEY, CUSTOMER_QUEUE_RANGE

MICROS = 1_000_000
SESSION_TTL = timedelta(seconds=900)


@dataclass
class Floor:
    """One connection and the statements, spelled for its database."""

    conn: Any
    sqlite: bool

    # --- transactions, opened as Kassa opens them -------------------------------------------

    def begin_write(self) -> None:
        if self.sqlite:
            self.conn.execute("BEGIN IMMEDIATE")
        # psycopg (not autocommit) opens the transaction with the first statement.

    def begin_read(self) -> None:
        if self.sqlite:
            self.conn.execute("BEGIN")

    def commit(self) -> None:
        if self.sqlite:
            self.conn.execute("COMMIT")
        else:
            self.conn.commit()

    def rollback(self) -> None:
        if self.sqlite:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
        else:
            self.conn.rollback()

    def q(self, sql: str) -> str:
        return sql if self.sqlite else sql.replace("?", "%s")

    def customer_queue(self, customer_id: str) -> str:
        """The column by which Kassa's calls wait their turn for a customer (kassa.ledger.queue):
        PostgreSQL's transaction-scoped advisory lock; nothing on SQLite."""
        if self.sqlite:
            return ""
        key, key_range = CUSTOMER_QUEUE_KEY, CUSTOMER_QUEUE_RANGE
        return f", pg_advisory_xact_lock({key}, CAST({customer_id} %% {key_range} AS INTEGER))"

    def stamp(self, value: datetime) -> Any:
        """How SQLAlchemy binds a UTC datetime: naive ISO text on SQLite, aware on PostgreSQL."""
        return value.replace(tzinfo=None) if self.sqlite else value

    # --- the statements -----------------------------------------------------------------------

    def authenticate(self, token: str) -> tuple[int, str, str] | None:
        """The bearer-token lookup, in its own read transaction."""
        self.begin_read()
        try:
            row = self.conn.execute(
                self.q(
                    "SELECT users.id, users.username, users.role FROM users "
                    "JOIN api_tokens ON api_tokens.user_id = users.id "
                    "WHERE api_tokens.token_hash = ? AND api_tokens.revoked_at IS NULL AND "
                    + ("users.active IS 1" if self.sqlite else "users.active IS true")
                ),
                (hashlib.sha256(token.encode()).hexdigest(),),
            ).fetchone()
            self.commit()
        except BaseException:
            self.rollback()
            raise
        return None if row is None else (int(row[0]), str(row[1]), str(row[2]))

    def reserve(
        self, user_id: int, customer_id: int, amount: int, service: str, session_id: str | None
    ) -> dict[str, Any] | None:
        """One reserve transaction; None when refused (the floor does not explain why)."""
        now = datetime.now(UTC)
        expires = now + SESSION_TTL
        self.begin_write()
        try:
            row = self.conn.execute(
                self.q(
                    "SELECT customers.status, customers.currency, customers.credit_limit_micros, "
                    "customers.balance_micros, customers.reserved_micros, business_models.services"
                    + self.customer_queue("customers.id")
                    + " "
                    "FROM customers JOIN business_models "
                    "ON business_models.id = customers.business_model_id WHERE customers.id = ?"
                    + ("" if self.sqlite else " FOR UPDATE OF customers")
                ),
                (customer_id,),
            ).fetchone()
            services = row[5] if row else []
            if isinstance(services, str):
                services = json.loads(services)
            available = None if row is None or row[2] is None else row[2] - row[3] - row[4]
            if (
                row is None
                or row[0] != "active"
                or service not in services
                or (available is not None and available < amount)
            ):
                self.rollback()
                return None
            self.conn.execute(
                self.q(
                    "UPDATE customers SET reserved_micros=(customers.reserved_micros + ?) "
                    "WHERE customers.id = ?"
                ),
                (amount, customer_id),
            )
            values = (
                customer_id, service, session_id, "reserved", row[1], amount, amount,
                None, None, user_id, self.stamp(now), self.stamp(now), self.stamp(expires),
            )  # fmt: skip
            (auth_id,) = self.conn.execute(
                self.q(
                    "INSERT INTO authorizations (customer_id, service, session_id, status, "
                    "currency, amount_micros, held_micros, committed_micros, entry_id, user_id, "
                    "created_at, updated_at, expires_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING authorizations.id"
                ),
                values,
            ).fetchone()
            self.commit()
        except BaseException:
            self.rollback()
            raise
        return {
            "id": int(auth_id),
            "customer_id": customer_id,
            "status": "reserved",
            "service": service,
            "session_id": session_id,
            "currency": row[1],
            "amount_micros": amount,
            "available_micros": None if available is None else available - amount,
            "created_at": now,
            "expires_at": expires,
        }

    def commit_authorization(
        self, user_id: int, authorization_id: int, used: int
    ) -> dict[str, Any] | None:
        """One commit transaction posting ``used`` as usage; None when refused."""
        now = datetime.now(UTC)
        self.begin_write()
        try:
            auth = self.conn.execute(
                self.q(
                    "SELECT authorizations.id, authorizations.customer_id, authorizations.service, "
                    "authorizations.session_id, authorizations.status, authorizations.currency, "
                    "authorizations.amount_micros, authorizations.held_micros, "
                    "authorizations.committed_micros, authorizations.entry_id, "
                    "authorizations.user_id, authorizations.created_at, authorizations.updated_at, "
                    "authorizations.expires_at"
                    + self.customer_queue("authorizations.customer_id")
                    + " FROM authorizations WHERE authorizations.id = ?"
                    + ("" if self.sqlite else " FOR UPDATE")
                ),
                (authorization_id,),
            ).fetchone()
            if auth is None or auth[4] not in ("reserved", "expired") or used > auth[6]:
                self.rollback()
                return None
            customer_id, service, session_id, currency = auth[1], auth[2], auth[3], auth[5]
            held = auth[7]
            balance = self.conn.execute(
                self.q(
                    "UPDATE customers SET balance_micros=(customers.balance_micros + ?), "
                    "reserved_micros=(customers.reserved_micros - ?) WHERE customers.id = ? "
                    "RETURNING customers.balance_micros, customers.reserved_micros, "
                    "customers.credit_limit_micros, customers.balance_control, "
                    "customers.alert_level, (SELECT customer_classes.credit_limit_warnings "
                    "FROM customer_classes WHERE customer_classes.id = customers.customer_class_id)"
                ),
                (used, held, customer_id),
            ).fetchone()
            comment = f"{service} usage" + (f" ({session_id})" if session_id else "")
            values = (
                customer_id, "usage", used, balance[0], currency, service, comment, "",
                user_id, authorization_id, None, None, self.stamp(now),
            )  # fmt: skip
            (entry_id,) = self.conn.execute(
                self.q(
                    "INSERT INTO ledger_entries (customer_id, type, amount_micros, "
                    "balance_after_micros, currency, service, visible_comment, internal_comment, "
                    "user_id, authorization_id, external_id, occurred_at, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ledger_entries.id"
                ),
                values,
            ).fetchone()
            self.conn.execute(
                self.q(
                    "UPDATE authorizations SET status=?, held_micros=?, committed_micros=?, "
                    "entry_id=?, updated_at=? WHERE authorizations.id = ?"
                ),
                ("committed", 0, used, entry_id, self.stamp(now), authorization_id),
            )
            self.commit()
        except BaseException:
            self.rollback()
            raise
        return {
            "id": authorization_id,
            "customer_id": customer_id,
            "status": "committed",
            "service": service,
            "session_id": session_id,
            "currency": currency,
            "amount_micros": auth[6],
            "committed_micros": used,
            "transaction_id": int(entry_id),
            "available_micros": None
            if balance[2] is None
            else balance[2] - balance[0] - balance[1],
            "created_at": auth[11],
            "updated_at": now,
            "expires_at": auth[13],
        }


def connect(url: str) -> Floor:
    """A connection with Kassa's settings: on SQLite WAL, ``synchronous=FULL``, foreign keys
    and a busy timeout, transactions opened explicitly; on PostgreSQL psycopg 3 as SQLAlchemy
    drives it (not autocommit: the first statement opens the transaction)."""
    if is_sqlite(url):
        return Floor(connect_sqlite(url), True)
    return Floor(psycopg.connect(pg_conninfo(url)), False)


def to_micros(text: str) -> int:
    whole, _, frac = text.strip().partition(".")
    return int(whole) * MICROS + int((frac + "000000")[:6] or 0)


def money(micros: int | None) -> str | None:
    """Micros as a two-decimal string (the benchmark charges in USD)."""
    if micros is None:
        return None
    sign = "-" if micros < 0 else ""
    cents = (abs(micros) + 5_000) // 10_000
    return f"{sign}{cents // 100}.{cents % 100:02d}"
