"""Calendar arithmetic for programme terms. Pure: dates are passed in, there is no clock.

The convention, used by every deadline and schedule of programme A:

* "N months (years) after d" is the same day-of-month N months (12·N months) later, clamped to the
  last day of the target month when that month is shorter: 31 Jan + 1 month = 28 (29) Feb,
  29 Feb 2024 + 3 years = 28 Feb 2027.
* A term of N months starting on d covers the days d, d+1, … up to and **not including**
  `add_months(d, N)`: that date is the term's end (the first day no longer covered).
* Month k of a term is always computed from the term's start (`add_months(start, k)`), never by
  chaining, so a 31 Jan start does not drift to the 28th after February.
"""
from __future__ import annotations

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """The same day-of-month `months` later (or earlier), clamped to the target month's end."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: date, years: int) -> date:
    """The same day `years` later; 29 Feb becomes 28 Feb in a common year."""
    return add_months(day, 12 * years)


def month_name(day: date) -> str:
    """The calendar month a day falls in, as a period name: '2025-03'."""
    return f"{day.year:04d}-{day.month:02d}"
