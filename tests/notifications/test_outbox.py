"""Events keyed by what they report are stored once per key; events without a key always."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kassa.db.engine import Database
from kassa.db.models import OutboxEvent
from kassa.events.outbox import Event, emit, emit_many


def _stored(db: Database) -> list[tuple[str, str | None, dict[str, object]]]:
    with db.reading() as session:
        return [
            (e.event_type, e.dedupe_key, e.payload)
            for e in session.scalars(select(OutboxEvent).order_by(OutboxEvent.id))
        ]


def test_emitting_twice_with_one_key_stores_one_event(db: Database) -> None:
    with db.transaction() as session:
        assert emit(session, "invoice_overdue", None, {"try": 1}, dedupe_key="invoice_overdue:7")
        assert not emit(
            session, "invoice_overdue", None, {"try": 2}, dedupe_key="invoice_overdue:7"
        )
    with db.transaction() as session:
        # A later transaction, as an overlapping run's would be.
        assert not emit(
            session, "invoice_overdue", None, {"try": 3}, dedupe_key="invoice_overdue:7"
        )
        assert emit(session, "invoice_overdue", None, {"try": 4}, dedupe_key="invoice_overdue:8")
    assert _stored(db) == [
        ("invoice_overdue", "invoice_overdue:7", {"try": 1}),
        ("invoice_overdue", "invoice_overdue:8", {"try": 4}),
    ]


def test_events_without_a_key_are_all_stored(db: Database) -> None:
    with db.transaction() as session:
        assert emit(session, "payment_received", None, {"n": 1})
        assert emit(session, "payment_received", None, {"n": 1})
    with db.transaction() as session:
        assert emit(session.connection(), "payment_received", None, {"n": 2})
    assert _stored(db) == [
        ("payment_received", None, {"n": 1}),
        ("payment_received", None, {"n": 1}),
        ("payment_received", None, {"n": 2}),
    ]


def test_a_key_emitted_on_a_bare_connection_is_stored_once(db: Database) -> None:
    with db.core_transaction() as connection:
        assert emit(connection, "funds_depleted", 3, {}, dedupe_key="funds_depleted:3:11")
        assert not emit(connection, "funds_depleted", 3, {}, dedupe_key="funds_depleted:3:11")
    assert [key for _, key, _ in _stored(db)] == ["funds_depleted:3:11"]


def test_a_batch_of_events_stores_each_key_once_and_every_event_without_one(db: Database) -> None:
    with db.transaction() as session:
        assert emit(session, "invoice_overdue", None, {"n": 0}, dedupe_key="invoice_overdue:1")
    with db.transaction() as session:
        written = emit_many(
            session,
            [
                Event("invoice_overdue", None, {"n": 1}, "invoice_overdue:1"),
                Event("invoice_overdue", None, {"n": 2}, "invoice_overdue:2"),
                Event("invoice_issued", None, {"n": 3}),
                Event("invoice_overdue", None, {"n": 4}, "invoice_overdue:2"),
                Event("invoice_issued", None, {"n": 3}),
            ],
        )
    assert written == 3
    assert _stored(db) == [
        ("invoice_overdue", "invoice_overdue:1", {"n": 0}),
        ("invoice_issued", None, {"n": 3}),
        ("invoice_issued", None, {"n": 3}),
        ("invoice_overdue", "invoice_overdue:2", {"n": 2}),
    ]


def test_a_batch_with_an_unknown_event_type_writes_nothing(db: Database) -> None:
    with db.transaction() as session, pytest.raises(ValueError, match="unknown event type"):
        emit_many(session, [Event("invoice_issued", None, {}), Event("invoice_paid", None, {})])
    assert _stored(db) == []
