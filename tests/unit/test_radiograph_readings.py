"""The blind rule and the comparison of two readings of one film (hipcare.services.radiographs)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hipcare.domain.radiograph import Side
from hipcare.services.radiographs import Reading, compare_readings, visible_readings

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _reading(by: int, measures: dict[str, Any], reading_id: int = 1) -> Reading:
    return Reading(
        radiograph_id=7,
        measured_by=by,
        measured_at=AT,
        document={"landmarks": {}},
        measures=measures,
        id=reading_id,
    )


FIRST = _reading(
    1,
    {
        "right": {"migration_percentage": 45.0, "acetabular_index_deg": 27.6},
        "left": {"migration_percentage": 15.0, "acetabular_index_deg": 23.5},
    },
)


def test_a_clinician_who_has_not_read_the_film_sees_no_reading_in_the_viewer() -> None:
    assert visible_readings([FIRST], 2) == ()


def test_the_childs_page_keeps_the_first_reading_for_everyone() -> None:
    second = _reading(2, FIRST.measures, 2)
    assert visible_readings([FIRST, second], 3, keep_first=True) == (FIRST,)


def test_a_clinician_who_has_read_the_film_sees_every_reading() -> None:
    second = _reading(2, FIRST.measures, 2)
    assert visible_readings([FIRST, second], 2) == (FIRST, second)


@pytest.mark.parametrize(
    ("second_percent", "within"), [(50.8, True), (39.2, True), (50.81, False), (39.19, False)]
)
def test_a_migration_percentage_difference_is_judged_against_5_8_points(
    second_percent: float, within: bool
) -> None:
    """Parrott et al. 2002: 95% limits of one rater on one film, MP +/-5.8 points."""
    second = _reading(2, {"right": {"migration_percentage": second_percent}}, 2)
    [difference] = compare_readings(FIRST, second)
    assert difference.side is Side.RIGHT
    assert difference.difference == pytest.approx(second_percent - 45.0)
    assert difference.within_error is within


def test_the_acetabular_index_is_judged_against_2_6_degrees_and_other_angles_are_not() -> None:
    second = _reading(
        2,
        {"left": {"acetabular_index_deg": 26.2, "neck_shaft_angle_deg": 150.0}},
        2,
    )
    first = _reading(1, {"left": {"acetabular_index_deg": 23.5, "neck_shaft_angle_deg": 140.0}})
    rows = {row.measure: row for row in compare_readings(first, second)}
    assert rows["acetabular_index_deg"].within_error is False  # 2.7 degrees apart
    assert rows["neck_shaft_angle_deg"].error_limit is None
    assert rows["neck_shaft_angle_deg"].within_error is None


@given(
    st.floats(min_value=0, max_value=100, allow_nan=False),
    st.floats(min_value=0, max_value=100, allow_nan=False),
)
def test_the_difference_is_second_minus_first_and_antisymmetric(one: float, two: float) -> None:
    first = _reading(1, {"right": {"migration_percentage": one}})
    second = _reading(2, {"right": {"migration_percentage": two}}, 2)
    [forward] = compare_readings(first, second)
    [backward] = compare_readings(second, first)
    assert forward.difference == pytest.approx(two - one, abs=0.006)
    assert forward.difference == pytest.approx(-backward.difference, abs=1e-9)
    assert forward.within_error == backward.within_error


def test_a_hip_measured_in_only_one_reading_is_not_compared() -> None:
    second = _reading(2, {"left": FIRST.measures["left"]}, 2)
    assert {row.side for row in compare_readings(FIRST, second)} == {Side.LEFT}
