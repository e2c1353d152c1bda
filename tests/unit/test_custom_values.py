"""kassa.custom_fields.values: reading, checking and normalizing custom data by field type."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from kassa.custom_fields.values import (
    ValueProblem,
    check_value,
    is_blank,
    limit_text,
    parse_limit,
    validate_custom_data,
)
from kassa.db.models import CustomField


def field(name: str = "f", type_: str = "text", **attrs: Any) -> CustomField:
    return CustomField(name=name, label=name.replace("_", " ").title(), type=type_, **attrs)


class TestText:
    def test_trims(self) -> None:
        assert check_value(field(), "  CZ123 ") == "CZ123"

    def test_lengths_count_the_trimmed_text(self) -> None:
        f = field(min_length=3, max_length=5)
        assert check_value(f, " abc ") == "abc"
        assert check_value(f, "abcde") == "abcde"
        with pytest.raises(ValueProblem, match="at least 3"):
            check_value(f, " ab  ")
        with pytest.raises(ValueProblem, match="at most 5"):
            check_value(f, "abcdef")

    @pytest.mark.parametrize("value", [5, 5.5, True, None, ["a"], {"a": 1}])
    def test_must_be_text(self, value: object) -> None:
        with pytest.raises(ValueProblem, match="text"):
            check_value(field(), value)


class TestNumber:
    @pytest.mark.parametrize(
        ("value", "normalized"),
        [
            (42, 42),
            ("42", 42),
            ("42.0", 42),
            (42.0, 42),
            (12.5, "12.5"),
            ("12.50", "12.5"),
            ("1e2", 100),
            ("-0.001", "-0.001"),
            ("123456789012345678901234567890.5", "123456789012345678901234567890.5"),
        ],
    )
    def test_normalized_to_an_exact_json_value(self, value: object, normalized: object) -> None:
        assert check_value(field(type_="number"), value) == normalized

    @pytest.mark.parametrize("value", ["many", "", True, False, None, [1], "NaN", "1e999999999"])
    def test_must_be_a_number(self, value: object) -> None:
        with pytest.raises(ValueProblem, match="number"):
            check_value(field(type_="number"), value)

    def test_limits(self) -> None:
        f = field(type_="number", min_value="1", max_value="1000")
        assert check_value(f, 1) == 1
        assert check_value(f, "1000") == 1000
        with pytest.raises(ValueProblem, match="at least 1"):
            check_value(f, "0.99")
        with pytest.raises(ValueProblem, match="at most 1000"):
            check_value(f, 1000.01)


class TestDate:
    def test_iso_dates(self) -> None:
        assert check_value(field(type_="date"), " 2024-02-29 ") == "2024-02-29"

    @pytest.mark.parametrize("value", ["2023-02-29", "2026-13-01", "yesterday", "", 20260101, None])
    def test_must_be_a_real_date(self, value: object) -> None:
        with pytest.raises(ValueProblem, match="date"):
            check_value(field(type_="date"), value)

    def test_limits(self) -> None:
        f = field(type_="date", min_value="2000-01-01", max_value="2000-12-31")
        assert check_value(f, "2000-01-01") == "2000-01-01"
        with pytest.raises(ValueProblem, match="at least 2000-01-01"):
            check_value(f, "1999-12-31")
        with pytest.raises(ValueProblem, match="at most 2000-12-31"):
            check_value(f, "2001-01-01")


class TestDatetime:
    @pytest.mark.parametrize(
        ("value", "normalized"),
        [
            ("2026-01-01T10:00:00Z", "2026-01-01T10:00:00Z"),
            ("2026-01-01T10:00:00+01:00", "2026-01-01T09:00:00Z"),
            ("2026-01-01T00:30:00-05:30", "2026-01-01T06:00:00Z"),
            ("2026-06-01T12:00:00.250000+00:00", "2026-06-01T12:00:00.250000Z"),
        ],
    )
    def test_normalized_to_utc(self, value: str, normalized: str) -> None:
        assert check_value(field(type_="datetime"), value) == normalized

    @pytest.mark.parametrize("value", ["2026-01-01T10:00:00", "2026-01-01"])
    def test_needs_a_time_zone(self, value: str) -> None:
        with pytest.raises(ValueProblem, match="time zone"):
            check_value(field(type_="datetime"), value)

    @pytest.mark.parametrize("value", ["soon", "", 1767261600, None])
    def test_must_be_a_datetime(self, value: object) -> None:
        with pytest.raises(ValueProblem, match="date and time"):
            check_value(field(type_="datetime"), value)

    def test_limits_compare_instants_not_texts(self) -> None:
        f = field(type_="datetime", min_value="2026-01-01T00:00:00Z")
        assert check_value(f, "2026-01-01T01:00:00+01:00") == "2026-01-01T00:00:00Z"
        with pytest.raises(ValueProblem, match="at least"):
            check_value(f, "2026-01-01T00:59:59+01:00")


class TestList:
    options = [{"label": "Gold", "value": "gold"}, {"label": "Silver", "value": "silver"}]

    def test_values_not_labels(self) -> None:
        f = field(type_="list", options=self.options)
        assert check_value(f, "gold") == "gold"
        for bad in ("Gold", "bronze", "", 1, None):
            with pytest.raises(ValueProblem, match="gold, silver"):
                check_value(f, bad)


class TestLimitText:
    def test_by_type(self) -> None:
        assert limit_text("number", "10.50") == "10.5"
        assert limit_text("number", 100) == "100"
        assert limit_text("number", "1e2") == "100"
        assert limit_text("date", "2026-01-31") == "2026-01-31"
        assert limit_text("datetime", "2026-01-01T02:00:00+02:00") == "2026-01-01T00:00:00Z"

    def test_long_numbers_are_not_rounded(self) -> None:
        exact = "123456789012345678901234567890.123456789012345678901234567891"
        assert limit_text("number", exact) == exact
        assert len(limit_text("number", exact)) <= 64

    def test_parse_limit(self) -> None:
        assert parse_limit("number", "2.5") == Decimal("2.5")
        assert parse_limit("date", "2026-01-31") == date(2026, 1, 31)
        assert parse_limit("datetime", "2026-01-01T00:00:00Z") == datetime(2026, 1, 1, tzinfo=UTC)

    @pytest.mark.parametrize(("type_", "value"), [("number", "x"), ("date", "x"), ("datetime", 5)])
    def test_bad_limits(self, type_: str, value: object) -> None:
        with pytest.raises(ValueProblem):
            limit_text(type_, value)


def test_is_blank() -> None:
    assert is_blank(None) and is_blank("") and is_blank("  \t")
    assert not is_blank(0) and not is_blank("x") and not is_blank(False)


class TestValidateCustomData:
    tax_code = field("tax_code", min_length=3)
    seats = field("seats", "number", min_value="1")
    region = field("region", default_value="EU")
    plan = field("plan", "list", options=[{"label": "A", "value": "a"}], default_value="a")

    def enabled(self) -> list[tuple[CustomField, bool]]:
        return [(self.tax_code, True), (self.seats, False), (self.region, False), (self.plan, True)]

    def test_normalizes_and_applies_defaults(self) -> None:
        data, problems = validate_custom_data(self.enabled(), {"tax_code": " CZ1 ", "seats": "2"})
        assert problems == []
        assert data == {"tax_code": "CZ1", "seats": 2, "region": "EU", "plan": "a"}

    def test_blank_optional_fields_are_left_out(self) -> None:
        data, problems = validate_custom_data(
            self.enabled(), {"tax_code": "CZ1", "seats": "", "region": None}
        )
        assert problems == []
        assert data == {"tax_code": "CZ1", "region": "EU", "plan": "a"}

    def test_every_problem_names_its_field(self) -> None:
        _, problems = validate_custom_data(
            self.enabled(), {"seats": 0, "plan": "z", "colour": "red"}
        )
        assert sorted(problems) == [
            ("custom_data.colour", "is not a custom field of this customer class"),
            ("custom_data.plan", "must be one of: a"),
            ("custom_data.seats", "must be at least 1"),
            ("custom_data.tax_code", "Tax Code is required"),
        ]

    def test_prefix(self) -> None:
        _, problems = validate_custom_data(self.enabled(), {}, field_prefix="data")
        assert problems == [("data.tax_code", "Tax Code is required")]

    def test_no_fields_means_no_data(self) -> None:
        assert validate_custom_data([], None) == ({}, [])
        assert validate_custom_data([], {"x": 1}) == (
            {},
            [("custom_data.x", "is not a custom field of this customer class")],
        )

    def test_input_is_not_changed(self) -> None:
        given = {"tax_code": " CZ1 "}
        validate_custom_data(self.enabled(), given)
        assert given == {"tax_code": " CZ1 "}
