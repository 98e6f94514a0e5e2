"""Dates as far as a source gives them: a year, a month or a day.

A date of precision YEAR or MONTH is stored as the first day of that year or month (an initiative's
`actual_start`, a figure's period), so dates of one precision compare as the periods they name.
"""

from datetime import date
from enum import StrEnum

import strawberry


@strawberry.enum(description="How much of a date its source gives.")
class DatePrecision(StrEnum):
    DAY = "DAY"
    MONTH = "MONTH"
    YEAR = "YEAR"


def partial_date(value: str) -> tuple[date, DatePrecision] | None:
    """The first day of a YEAR (`2021`), MONTH (`2021-05`) or DAY (`2021-05-17`) date and that precision;
    None when no such date exists. The caller has checked the shape (digits and dashes)."""
    parts = [int(p) for p in value.split("-")]
    try:
        day = date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError:
        return None
    return day, (DatePrecision.YEAR, DatePrecision.MONTH, DatePrecision.DAY)[len(parts) - 1]


def first_day(day: date, precision: DatePrecision) -> date:
    """How a date of `precision` is stored: the first day of its year or month (a DAY date as it is)."""
    if precision is DatePrecision.YEAR:
        return day.replace(month=1, day=1)
    if precision is DatePrecision.MONTH:
        return day.replace(day=1)
    return day


def written(day: date, precision: DatePrecision) -> str:
    """The date as far as its precision goes: `2021`, `2021-05` or `2021-05-17`."""
    return day.isoformat()[: {DatePrecision.YEAR: 4, DatePrecision.MONTH: 7, DatePrecision.DAY: 10}[precision]]
