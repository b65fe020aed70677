"""Calendar months for the surveillance schedule: whole months with end-of-month clamping."""

from __future__ import annotations

from datetime import date, timedelta

from hipcare.domain.errors import InvalidInputError

__all__ = ["add_months", "months_between"]


def add_months(start: date, months: int) -> date:
    """``start`` moved by whole calendar ``months``; a day past the month's end is clamped.

    31 January + 1 month = 28 (or 29) February; 29 February + 12 months = 28 February.
    """
    index = start.year * 12 + (start.month - 1) + months
    year, month_index = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise InvalidInputError("date", f"{start.isoformat()} + {months} months is out of range")
    month = month_index + 1
    next_month_first = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    last_day = (next_month_first - timedelta(days=1)).day
    return date(year, month, min(start.day, last_day))


def months_between(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end``: the largest n with add_months(start, n) <= end.

    Negative when ``end`` is before ``start`` (then the largest n, n <= 0, with that property).
    """
    # add_months(start, guess) lands in end's month; one month more is always past ``end``,
    # so the only correction needed is one step back when the day of the month is not reached.
    guess = (end.year - start.year) * 12 + (end.month - start.month)
    if add_months(start, guess) > end:
        guess -= 1
    return guess
