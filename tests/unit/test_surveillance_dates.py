"""Calendar months and (corrected) ages used by the surveillance schedule."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hipcare.content.surveillance import load_surveillance_rules
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.gmfcs import GMFCS
from hipcare.domain.surveillance import (
    AgeReference,
    RuleKind,
    SurveillanceInput,
    add_months,
    months_between,
)

days = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))
month_counts = st.integers(min_value=-300, max_value=300)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year: clamp to the 29th
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
        (date(2024, 8, 31), 1, date(2024, 9, 30)),
        (date(2024, 12, 15), 1, date(2025, 1, 15)),
        (date(2024, 1, 15), -13, date(2022, 12, 15)),
        (date(2024, 5, 10), 0, date(2024, 5, 10)),
    ],
)
def test_add_months_clamps_to_the_end_of_the_month(
    start: date, months: int, expected: date
) -> None:
    assert add_months(start, months) == expected


def test_add_months_refuses_to_leave_the_calendar() -> None:
    with pytest.raises(InvalidInputError, match="out of range"):
        add_months(date(9999, 6, 1), 12)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2024, 1, 31), date(2024, 2, 29), 1),
        (date(2024, 1, 31), date(2024, 2, 28), 0),
        (date(2020, 5, 10), date(2024, 5, 9), 47),
        (date(2020, 5, 10), date(2024, 5, 10), 48),
        (date(2024, 5, 10), date(2024, 3, 11), -2),
    ],
)
def test_months_between_counts_whole_months(start: date, end: date, expected: int) -> None:
    assert months_between(start, end) == expected


@given(days, st.integers(min_value=0, max_value=300))
def test_months_between_undoes_add_months(start: date, months: int) -> None:
    assert months_between(start, add_months(start, months)) == months


@given(days, month_counts)
def test_add_months_keeps_the_day_or_clamps_it_down(start: date, months: int) -> None:
    moved = add_months(start, months)
    assert moved.day <= start.day
    assert (moved.year * 12 + moved.month) - (start.year * 12 + start.month) == months
    if moved.day < start.day:  # clamped: it is the month's last day
        assert (moved + timedelta(days=1)).day == 1


@given(days, month_counts, month_counts)
def test_add_months_is_monotonic(start: date, first: int, second: int) -> None:
    low, high = sorted((first, second))
    assert add_months(start, low) <= add_months(start, high)


@given(days, days)
def test_months_between_is_the_largest_whole_count(start: date, end: date) -> None:
    months = months_between(start, end)
    assert add_months(start, months) <= end < add_months(start, months + 1)


def _ages(birth: date, gestation: float | None) -> AgeReference:
    child = SurveillanceInput(birth, GMFCS.IV, birth, gestation_weeks=gestation)
    return AgeReference.for_child(child, load_surveillance_rules().single(RuleKind.CORRECTION))


def test_corrected_age_counts_from_the_due_date_until_24_months() -> None:
    ages = _ages(date(2025, 1, 15), 28)  # 12 weeks early: corrected birth date 2025-04-09
    assert ages.correction_days == 84
    assert ages.date_at_age(12) == date(2026, 4, 9)
    assert ages.age_months(date(2026, 4, 8)) == 11
    assert ages.age_months(date(2026, 4, 9)) == 12
    # From 24 months of actual age the correction stops: age jumps to actual months.
    assert ages.age_months(date(2027, 1, 14)) == 21
    assert ages.age_months(date(2027, 1, 15)) == 24
    assert ages.date_at_age(22) == date(2027, 1, 15)
    assert ages.date_at_age(36) == date(2028, 1, 15)


@pytest.mark.parametrize("gestation", [None, 37, 40, 42])
def test_no_correction_for_a_child_born_at_37_weeks_or_later(gestation: float | None) -> None:
    ages = _ages(date(2025, 1, 15), gestation)
    assert not ages.corrected
    assert ages.date_at_age(12) == date(2026, 1, 15)


@given(
    days,
    st.floats(min_value=22, max_value=36.9),
    st.integers(min_value=0, max_value=240),
    st.integers(min_value=0, max_value=240),
)
def test_date_at_age_is_monotonic_and_between_actual_and_corrected(
    birth: date, gestation: float, first: int, second: int
) -> None:
    ages = _ages(birth, gestation)
    low, high = sorted((first, second))
    assert ages.date_at_age(low) <= ages.date_at_age(high)
    for months in (low, high):
        reached = ages.date_at_age(months)
        assert add_months(birth, months) <= reached <= add_months(ages.corrected_birth_date, months)
        assert ages.age_months(reached) >= months
        assert ages.age_months(reached - timedelta(days=1)) < months or reached == birth
