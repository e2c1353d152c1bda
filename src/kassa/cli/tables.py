"""Small helpers for printing records: plain text for data (never Rich markup), rich tables."""

from __future__ import annotations

from datetime import datetime

from rich.table import Table
from rich.text import Text


def when(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d %H:%M:%S UTC")


def table(*columns: str, right: tuple[str, ...] = ()) -> Table:
    result = Table(show_edge=False, header_style="bold")
    for column in columns:
        result.add_column(column, justify="right" if column in right else "left")
    return result


def row(*cells: object) -> list[Text]:
    # Names typed by users may contain [brackets]; Text never interprets them as markup.
    return [Text("" if cell is None else str(cell)) for cell in cells]


def fields(pairs: list[tuple[str, object]]) -> Table:
    result = Table(show_header=False, show_edge=False, box=None, pad_edge=False)
    result.add_column(style="bold")
    result.add_column()
    for label, value in pairs:
        result.add_row(*row(label, value))
    return result
