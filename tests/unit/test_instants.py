"""Input datetimes are stored in UTC: one with no UTC value is refused by name, not crashed on."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import typer
from pydantic import BaseModel, ValidationError

from kassa.cli.billing import parse_as_of
from kassa.core.clock import InputDateTime, instant_in_utc


class Moment(BaseModel):
    at: InputDateTime


@pytest.mark.parametrize(
    "text", ["9999-12-31T23:59:59-12:00", "9999-12-31T23:00:00-01:00", "0001-01-01T00:00:00+14:00"]
)
def test_moments_outside_utc_years_are_refused(text: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Moment(at=text)  # type: ignore[arg-type]
    error = refused.value.errors()[0]
    assert error["loc"] == ("at",) and "out of range" in error["msg"]
    with pytest.raises(typer.BadParameter, match="out of range"):
        parse_as_of(text)


def test_representable_moments_come_back_in_utc() -> None:
    assert Moment(at="9999-12-31T11:59:59-12:00").at == datetime(  # type: ignore[arg-type]
        9999, 12, 31, 23, 59, 59, tzinfo=UTC
    )
    naive = datetime(2026, 12, 1, 6)
    assert instant_in_utc(naive) is naive
