"""The cost of units and the units money buys, against the formula read literally."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from kassa.rating.cost import RateTerms, cost_micros, most_units_within


def reference_cost(terms: RateTerms, n: int) -> Decimal:
    """The cost of ``n`` units in money, as API.md says it, with Decimal."""
    if n == 0:
        return Decimal(0)
    b = max(n - terms.free_units, 0)
    if b == 0:
        billed = 0
    else:
        rest = Decimal(max(b - terms.first_interval, 0)) / Decimal(terms.next_interval)
        billed = terms.first_interval + int(rest.to_integral_value(ROUND_CEILING)) * (
            terms.next_interval
        )
    price = Decimal(terms.price_micros) / 1_000_000
    fee = Decimal(terms.connect_fee_micros) / 1_000_000
    cost = fee + Decimal(billed) * price / Decimal(terms.per)
    return cost.quantize(Decimal("0.000001"), rounding=ROUND_CEILING)


def reference_most(terms: RateTerms, units: int, funds_micros: int) -> int:
    funds = Decimal(funds_micros) / 1_000_000
    return max((n for n in range(units + 1) if reference_cost(terms, n) <= funds), default=0)


terms_strategy = st.builds(
    RateTerms,
    price_micros=st.integers(0, 50_000_000),
    per=st.sampled_from([1, 7, 60, 1000, 1_048_576]) | st.integers(1, 5000),
    first_interval=st.integers(1, 120),
    next_interval=st.integers(1, 61),
    connect_fee_micros=st.sampled_from([0, 0, 1, 150_000]) | st.integers(0, 2_000_000),
    free_units=st.sampled_from([0, 0, 0, 1, 30]) | st.integers(0, 200),
)


def test_the_example_of_the_contract() -> None:
    terms = RateTerms(price_micros=12_000, per=60, first_interval=60, next_interval=6)
    assert cost_micros(terms, 61) == 13_200
    assert cost_micros(terms, 0) == 0
    assert cost_micros(terms, 1) == 12_000
    assert most_units_within(terms, 3600, 13_200) == 66
    assert most_units_within(terms, 3600, 13_199) == 60


@settings(max_examples=400, deadline=None)
@given(terms=terms_strategy, n=st.integers(0, 3000))
def test_cost_is_the_formula(terms: RateTerms, n: int) -> None:
    expected = reference_cost(terms, n) * 1_000_000
    assert cost_micros(terms, n) == int(expected)


@settings(max_examples=300, deadline=None)
@given(
    terms=terms_strategy,
    units=st.integers(0, 600),
    funds=st.integers(-1000, 3_000_000),
)
def test_most_units_within_is_the_largest_that_fits(
    terms: RateTerms, units: int, funds: int
) -> None:
    assert most_units_within(terms, units, funds) == reference_most(terms, units, funds)


@settings(max_examples=200, deadline=None)
@given(terms=terms_strategy, units=st.integers(1, 10**12), funds=st.integers(0, 10**12))
def test_most_units_within_on_large_numbers(terms: RateTerms, units: int, funds: int) -> None:
    most = most_units_within(terms, units, funds)
    assert 0 <= most <= units
    assert most == 0 or cost_micros(terms, most) <= funds
    if most < units:
        assert cost_micros(terms, most + 1) > funds
