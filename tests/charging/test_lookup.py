"""The rate for a destination: longest prefix, already effective, latest version."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from kassa.core.errors import ValidationFailed
from kassa.db.engine import Database
from kassa.db.models import ProductRating
from kassa.rating.lookup import destination_digits, find_rate, lookup_statement
from tests.rating_rows import RateRow, TariffRows, make_product

T0 = datetime(2030, 1, 1, tzinfo=UTC)
LATER = datetime(2030, 6, 1, tzinfo=UTC)


def _tariff(db: Database, *rates: RateRow) -> int:
    product = make_product(db, "USD", TariffRows(rates=list(rates)))
    with db.reading() as session:
        return session.scalars(
            select(ProductRating.tariff_id).where(ProductRating.product_id == product)
        ).one()


def _prefix(db: Database, tariff: int, destination: str | None, at: datetime) -> str | None:
    with db.reading() as session:
        found = find_rate(session, tariff, destination_digits(destination), at)
        return None if found is None else found.prefix


def test_the_longest_prefix_wins_and_the_empty_one_catches_the_rest(db: Database) -> None:
    tariff = _tariff(
        db,
        RateRow("", price_micros=1),
        RateRow("44", price_micros=2),
        RateRow("4420", price_micros=3, description="London"),
        RateRow("442071", price_micros=4),
    )
    assert _prefix(db, tariff, "+442071234567", T0) == "442071"
    assert _prefix(db, tariff, "442081234567", T0) == "4420"
    assert _prefix(db, tariff, "+4412", T0) == "44"
    assert _prefix(db, tariff, "+1212", T0) == ""
    assert _prefix(db, tariff, None, T0) == ""
    with db.reading() as session:
        found = find_rate(session, tariff, "44201", T0)
        assert found is not None and found.description == "London"
        assert found.terms.price_micros == 3 and found.tariff_id == tariff


def test_rates_count_from_when_they_take_effect(db: Database) -> None:
    tariff = _tariff(
        db,
        RateRow("44", price_micros=10),
        RateRow("44", price_micros=20, effective_from=T0),
        RateRow("44", price_micros=30, effective_from=LATER),
        RateRow("4420", price_micros=99, effective_from=LATER),
    )
    with db.reading() as session:

        def price(at: datetime) -> int:
            found = find_rate(session, tariff, "442012", at)
            assert found is not None
            return found.terms.price_micros

        assert price(datetime(2029, 1, 1, tzinfo=UTC)) == 10
        assert price(T0) == 20
        # 4420 is not effective yet: the shorter prefix's latest rate prices it.
        assert price(datetime(2030, 5, 31, tzinfo=UTC)) == 20
        assert price(LATER) == 99


def test_no_prefix_matches_without_a_catch_all(db: Database) -> None:
    tariff = _tariff(db, RateRow("44"))
    assert _prefix(db, tariff, "+33123", T0) is None
    assert _prefix(db, tariff, None, T0) is None


def test_a_destination_longer_than_any_prefix(db: Database) -> None:
    tariff = _tariff(db, RateRow("1" * 32), RateRow(""))
    assert _prefix(db, tariff, "1" * 60, T0) == "1" * 32


@pytest.mark.parametrize("bad", ["", "+", "44 20", "sip:alice", "++44", "+4٤"])
def test_anything_but_digits_is_refused_naming_the_field(bad: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        destination_digits(bad)
    assert refused.value.errors[0].field == "destination"


def test_the_lookup_searches_the_index_not_the_table(db: Database) -> None:
    tariff = _tariff(db, RateRow(""), RateRow("44"))
    statement = lookup_statement(5).statement
    params = {f"p{i}": "44207"[:i] for i in range(5)} | {"tid": tariff, "at": T0}
    with db.engine.connect() as conn:
        compiled = statement.compile(dialect=conn.dialect)
        bound = compiled.construct_params(params)
        if db.is_sqlite:
            order = compiled.positiontup or []
            plan = conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + str(compiled), tuple(bound[n] for n in order)
            ).all()
            shown = " ".join(str(row[-1]) for row in plan)
            # The unique key's index (SQLite names it itself), searched, never scanned.
            assert "SEARCH rates USING INDEX" in shown and "prefix=?" in shown, shown
        else:
            # A tiny table is cheapest scanned whole; without that choice the index must serve.
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = conn.exec_driver_sql("EXPLAIN " + str(compiled), bound).all()
            shown = " ".join(str(row[0]) for row in plan)
            assert "uq_rates_tariff_id" in shown and "Seq Scan" not in shown, shown
