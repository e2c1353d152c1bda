"""kassa.core.money: exact parsing, the currency's decimals, micros, display and rounding."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kassa.core.money import (
    MAX_AMOUNT,
    MICROS_PER_UNIT,
    AmountError,
    check_amount,
    decimals_of,
    format_micros,
    from_micros,
    parse_amount,
    round_micros,
    round_to_currency,
    to_micros,
)

MAX_MICROS = int(MAX_AMOUNT) * MICROS_PER_UNIT - 1


class TestParseAmount:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("12.50", Decimal("12.50")),
            (" 12.5 ", Decimal("12.5")),
            ("0", Decimal(0)),
            ("-3", Decimal(-3)),
            ("+3", Decimal(3)),
            (".5", Decimal("0.5")),
            ("5.", Decimal(5)),
            ("1e3", Decimal(1000)),
            ("1E-2", Decimal("0.01")),
            (20, Decimal(20)),
            (-7, Decimal(-7)),
            (20.1, Decimal("20.1")),
            (0.1, Decimal("0.1")),
            (1e-7, Decimal("1E-7")),
            (Decimal("9.99"), Decimal("9.99")),
        ],
    )
    def test_reads_exactly(self, value: object, expected: Decimal) -> None:
        parsed = parse_amount(value)
        assert parsed == expected
        assert isinstance(parsed, Decimal)

    def test_a_float_is_read_as_its_json_text_not_its_binary_value(self) -> None:
        assert parse_amount(0.1) == Decimal("0.1")
        assert parse_amount(0.1) != Decimal(0.1)  # noqa: RUF032  (the binary value, on purpose)
        assert parse_amount(20.1 + 0.2) == Decimal(repr(20.1 + 0.2))

    @pytest.mark.parametrize(
        "value",
        [
            "",
            "   ",
            "abc",
            "1,50",
            "1_000",
            "\u0661\u0662",
            "12 50",
            "$12",
            "12.5.0",
            "e3",
            ".",
            "1e",
            "NaN",
            "nan",
            "sNaN",
            "Infinity",
            "-Infinity",
            "inf",
            float("nan"),
            float("inf"),
            Decimal("NaN"),
            Decimal("Infinity"),
            True,
            False,
            None,
            [1],
            {"amount": 1},
            b"12",
        ],
    )
    def test_refuses_what_is_not_a_finite_decimal(self, value: object) -> None:
        with pytest.raises(AmountError):
            parse_amount(value)

    @pytest.mark.parametrize(
        "value", ["1e999999999", "1e-999999999", "0e999999999", "1e31", "1e-31", 1e300, 10**40]
    )
    def test_refuses_magnitudes_decimal_arithmetic_cannot_hold(self, value: object) -> None:
        with pytest.raises(AmountError, match="out of range"):
            parse_amount(value)

    def test_messages_are_fit_to_show(self) -> None:
        with pytest.raises(AmountError, match="not a decimal number"):
            parse_amount("abc")
        with pytest.raises(AmountError, match="empty"):
            parse_amount(" ")


class TestCheckAmount:
    @pytest.mark.parametrize(
        ("text", "exponent"),
        [("10.25", 2), ("10.2", 2), ("10", 2), ("10.250000", 2), ("1000", 0), ("1E+3", 0)],
    )
    def test_accepts_up_to_the_exponent(self, text: str, exponent: int) -> None:
        amount = Decimal(text)
        assert check_amount(amount, max_decimals=exponent) is amount

    @pytest.mark.parametrize(
        ("text", "exponent", "message"),
        [
            ("10.255", 2, "at most 2 decimal places"),
            ("1.0001", 3, "at most 3 decimal places"),
            ("10.5", 0, "whole number"),
            ("0.0000001", 6, "at most 6 decimal places"),
        ],
    )
    def test_refuses_more_decimals_never_rounds(
        self, text: str, exponent: int, message: str
    ) -> None:
        with pytest.raises(AmountError, match=message):
            check_amount(Decimal(text), max_decimals=exponent)

    def test_sign_and_zero(self) -> None:
        with pytest.raises(AmountError, match="negative"):
            check_amount(Decimal("-0.01"), max_decimals=2)
        assert check_amount(Decimal("-0.01"), max_decimals=2, allow_negative=True) == Decimal(
            "-0.01"
        )
        assert check_amount(Decimal(0), max_decimals=2) == 0
        with pytest.raises(AmountError, match="greater than zero"):
            check_amount(Decimal(0), max_decimals=2, allow_zero=False)
        assert check_amount(Decimal("-0"), max_decimals=2) == 0

    def test_upper_bound(self) -> None:
        assert check_amount(MAX_AMOUNT - Decimal("0.01"), max_decimals=2)
        for too_big in (MAX_AMOUNT, -MAX_AMOUNT, MAX_AMOUNT * 10):
            with pytest.raises(AmountError, match="less than"):
                check_amount(too_big, max_decimals=2, allow_negative=True)

    def test_decimals_of(self) -> None:
        assert decimals_of(Decimal("1.50")) == 1
        assert decimals_of(Decimal("100")) == 0
        assert decimals_of(Decimal("1E+2")) == 0
        assert decimals_of(Decimal("0.000001")) == 6
        assert decimals_of(Decimal("123456789012345678901234567890.123456789")) == 9


class TestMicros:
    @pytest.mark.parametrize(
        ("text", "micros"),
        [
            ("1", 1_000_000),
            ("12.50", 12_500_000),
            ("0.000001", 1),
            ("-20", -20_000_000),
            ("0", 0),
            ("1E+3", 1_000_000_000),
            ("999999999999.999999", 999_999_999_999_999_999),
        ],
    )
    def test_to_micros(self, text: str, micros: int) -> None:
        result = to_micros(Decimal(text))
        assert result == micros
        assert type(result) is int

    def test_to_micros_refuses_a_seventh_decimal(self) -> None:
        with pytest.raises(AmountError, match="6 decimal places"):
            to_micros(Decimal("0.0000001"))

    def test_from_micros(self) -> None:
        assert from_micros(12_500_000) == Decimal("12.5")
        assert from_micros(-1) == Decimal("-0.000001")


class TestFormatMicros:
    @pytest.mark.parametrize(
        ("micros", "exponent", "shown"),
        [
            (12_500_000, 2, "12.50"),
            (0, 2, "0.00"),
            (0, 0, "0"),
            (0, 3, "0.000"),
            (-20_000_000, 2, "-20.00"),
            (1_000_000_000, 0, "1000"),
            (1_234_500_000, 3, "1234.500"),
            (12_345_678, 2, "12.345678"),
            (1, 2, "0.000001"),
            (-1, 0, "-0.000001"),
            (10_000_000, 2, "10.00"),
            (999_999_999_999_990_000, 2, "999999999999.99"),
        ],
    )
    def test_shows_the_currency_decimals_and_more_only_when_not_zero(
        self, micros: int, exponent: int, shown: str
    ) -> None:
        assert format_micros(micros, exponent) == shown

    @given(
        micros=st.integers(min_value=-MAX_MICROS, max_value=MAX_MICROS),
        exponent=st.sampled_from([0, 2, 3]),
    )
    def test_round_trips_exactly(self, micros: int, exponent: int) -> None:
        shown = format_micros(micros, exponent)
        assert "e" not in shown.lower()
        if exponent:
            assert len(shown.split(".")[1]) >= exponent
        assert to_micros(parse_amount(shown)) == micros

    @given(
        micros=st.integers(min_value=-MAX_MICROS, max_value=MAX_MICROS),
        exponent=st.integers(min_value=0, max_value=8),
    )
    def test_agrees_with_decimal_formatting(self, micros: int, exponent: int) -> None:
        value = from_micros(micros)
        shown = max(exponent, decimals_of(value))
        assert format_micros(micros, exponent) == f"{value.quantize(Decimal(1).scaleb(-shown)):f}"

    @given(
        units=st.integers(min_value=0, max_value=10**11),
        cents=st.integers(min_value=0, max_value=99),
    )
    def test_a_typed_amount_comes_back_as_typed(self, units: int, cents: int) -> None:
        typed = f"{units}.{cents:02d}"
        amount = check_amount(parse_amount(typed), max_decimals=2)
        assert format_micros(to_micros(amount), 2) == typed


class TestRoundToCurrency:
    @pytest.mark.parametrize(
        ("text", "exponent", "rounded"),
        [
            ("2.345", 2, "2.35"),
            ("2.344", 2, "2.34"),
            ("2.3450001", 2, "2.35"),
            ("-2.345", 2, "-2.35"),
            ("2.5", 0, "3"),
            ("3.5", 0, "4"),
            ("0.0005", 3, "0.001"),
            ("0.0004999", 3, "0.000"),
            ("7", 2, "7.00"),
        ],
    )
    def test_half_up(self, text: str, exponent: int, rounded: str) -> None:
        result = round_to_currency(Decimal(text), exponent)
        assert str(result) == rounded

    @given(
        micros=st.integers(min_value=-MAX_MICROS, max_value=MAX_MICROS),
        exponent=st.sampled_from([0, 2, 3]),
    )
    def test_rounding_moves_less_than_half_a_unit(self, micros: int, exponent: int) -> None:
        amount = from_micros(micros)
        rounded = round_to_currency(amount, exponent)
        assert decimals_of(rounded) <= exponent
        assert abs(rounded - amount) <= Decimal(1).scaleb(-exponent) / 2

    @given(
        micros=st.integers(min_value=-MAX_MICROS, max_value=MAX_MICROS),
        exponent=st.sampled_from([0, 2, 3, 6]),
    )
    def test_round_micros_agrees_with_the_decimal_rounding(
        self, micros: int, exponent: int
    ) -> None:
        expected = to_micros(round_to_currency(from_micros(micros), exponent))
        assert round_micros(micros, exponent) == expected
