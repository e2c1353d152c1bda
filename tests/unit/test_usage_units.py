"""What invoices call destination groups, and how they show units."""

from __future__ import annotations

import pytest

from kassa.billing.destinations import OTHER_DESTINATIONS, destination_label, usage_description
from kassa.billing.units import units_display


@pytest.mark.parametrize(
    ("prefix", "label"),
    [
        ("4420", "London"),
        # Longer than anything the geocoder names: the longest prefix of it that it does.
        ("442071", "London"),
        ("4930", "Berlin"),
        ("1212", "New York, NY"),
        # No area for these: the country of the calling code.
        ("44", "United Kingdom"),
        ("447", "United Kingdom"),
        ("420", "Czech Republic"),
        ("1", "United States"),
        # Too short for a calling code, unknown, or not geographic.
        ("4", "+4"),
        ("999", "+999"),
        ("882", "+882"),
        ("", OTHER_DESTINATIONS),
    ],
)
def test_destination_without_a_description_is_named_by_the_geocoder(
    prefix: str, label: str
) -> None:
    assert destination_label(prefix, None) == label


def test_the_rates_description_comes_first() -> None:
    assert destination_label("4420", "UK, London fixed") == "UK, London fixed"
    assert destination_label("", "Rest of world") == "Rest of world"
    assert destination_label("4420", "  ") == "London"


def test_a_long_description_fits_the_line() -> None:
    assert len(usage_description("Voice usage", "44", "x" * 200)) == 200


@pytest.mark.parametrize(
    ("units", "unit", "shown"),
    [
        (0, "second", "0 min"),
        (1, "second", "0.02 min"),
        (750, "second", "12.5 min"),
        (60, "second", "1 min"),
        (3_600_000, "second", "60,000 min"),
        (1_048_576, "byte", "1 MB"),
        (1_073_741_824, "byte", "1,024 MB"),
        (1_572_864, "byte", "1.5 MB"),
        (100, "byte", "< 0.01 MB"),
        (1, "message", "1 message"),
        (1200, "message", "1,200 messages"),
        (3, "unit", "3 units"),
        (None, None, None),
        (5, None, None),
    ],
)
def test_units_as_invoices_show_them(
    units: int | None, unit: str | None, shown: str | None
) -> None:
    assert units_display(units, unit) == shown
