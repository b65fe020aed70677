"""When two readings of one film agree (hipcare.domain.readings, Parrott et al. 2002)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hipcare.domain.readings import READINGS_AGREE_WITHIN_POINTS, readings_agree

PERCENT = st.floats(min_value=0, max_value=100, allow_nan=False)


def test_the_limit_is_the_published_change_error_of_8_3_points() -> None:
    assert READINGS_AGREE_WITHIN_POINTS == 8.3


def test_readings_agree_up_to_and_including_8_3_points_per_hip() -> None:
    assert readings_agree({"right": 30.0, "left": 10.0}, {"right": 38.3, "left": 1.7})
    assert not readings_agree({"right": 30.0, "left": 10.0}, {"right": 38.4, "left": 10.0})
    assert not readings_agree({"right": 30.0, "left": 10.0}, {"right": 30.0, "left": 18.5})


def test_readings_with_no_hip_in_common_do_not_agree() -> None:
    assert not readings_agree({"right": 30.0}, {"left": 30.0})
    assert not readings_agree({}, {})


def test_only_the_hips_measured_in_both_are_compared() -> None:
    assert readings_agree({"right": 30.0, "left": 90.0}, {"right": 31.0})


@given(PERCENT, PERCENT)
def test_agreement_is_symmetric_and_follows_the_difference(one: float, two: float) -> None:
    agree = readings_agree({"right": one}, {"right": two})
    assert agree == readings_agree({"right": two}, {"right": one})
    assert agree == (round(abs(one - two), 9) <= READINGS_AGREE_WITHIN_POINTS)
