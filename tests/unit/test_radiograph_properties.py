"""Properties of the radiograph measures: they belong to the patient, not to the picture.

Films are generated in the Hilgenreiner frame (distance from the midline toward each hip,
height above H) so the expected migration percentage and acetabular index are known by
construction; then the whole film is rotated, moved, scaled or mirrored.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import fields, replace
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.radiograph import (
    MIGRATION_PERCENTAGE_CHANGE_ERROR_POINTS,
    DatedMigrationPercentage,
    FilmMeasurements,
    HipLandmarks,
    PelvisLandmarks,
    PixelSpacing,
    Point,
    Side,
    compare_migration_percentage,
    measure_film,
)

MIDLINE_X = 1250.0
HILGENREINER_Y = 1000.0


def _image_point(side: Side, lateral: float, height: float) -> Point:
    """A point ``lateral`` px from the midline toward ``side``, ``height`` px above H.

    Standard AP film: the patient's right is on the image's left; y grows downward.
    """
    x = MIDLINE_X - lateral if side is Side.RIGHT else MIDLINE_X + lateral
    return Point(x, HILGENREINER_Y - height)


coordinate = st.floats(min_value=-300, max_value=300, allow_nan=False, allow_infinity=False)


@st.composite
def hips(draw: st.DrawFn, side: Side, half_span: float) -> tuple[HipLandmarks, float, float]:
    """A hip's landmarks with the MP and AI it must give (from the construction)."""
    acetabulum_lateral = half_span + draw(st.floats(min_value=20, max_value=300))
    acetabulum_height = draw(st.floats(min_value=-60, max_value=200))
    head_medial = draw(st.floats(min_value=half_span - 150, max_value=acetabulum_lateral + 200))
    head_width = draw(st.floats(min_value=30, max_value=400))
    # Keep clear of the dislocation boundary so float noise cannot flip the flag.
    assume(abs(head_medial - acetabulum_lateral) > 1.0)
    head_height = draw(st.floats(min_value=-200, max_value=50))
    head_lateral = head_medial + head_width
    expected_mp = 100 * (head_lateral - acetabulum_lateral) / head_width
    expected_ai = math.degrees(math.atan2(acetabulum_height, acetabulum_lateral - half_span))
    optional: dict[str, Point] = {}
    if draw(st.booleans()):
        names = ("shaft_proximal", "shaft_distal", "head_centre", "neck_base")
        names += ("physis_medial", "physis_lateral")
        pairs = [(names[i], names[i + 1]) for i in (0, 2, 4)]
        for first, second in pairs:
            a = (draw(coordinate), draw(coordinate))
            b = (draw(coordinate), draw(coordinate))
            assume(math.dist(a, b) > 20)
            optional[first] = _image_point(side, half_span + a[0], a[1])
            optional[second] = _image_point(side, half_span + b[0], b[1])
    landmarks = HipLandmarks(
        acetabulum_lateral=_image_point(side, acetabulum_lateral, acetabulum_height),
        head_medial=_image_point(side, head_medial, head_height),
        head_lateral=_image_point(side, head_lateral, head_height),
        **optional,
    )
    return landmarks, expected_mp, expected_ai


@st.composite
def films(draw: st.DrawFn) -> tuple[PelvisLandmarks, dict[Side, tuple[float, float]]]:
    half_span = draw(st.floats(min_value=100, max_value=500))
    sides = draw(st.sampled_from([(Side.RIGHT,), (Side.LEFT,), (Side.RIGHT, Side.LEFT)]))
    drawn = {side: draw(hips(side, half_span)) for side in sides}
    crests: dict[str, Point] = {}
    if draw(st.booleans()):
        for side in Side:
            lateral = draw(st.floats(min_value=50, max_value=800))
            height = draw(st.floats(min_value=300, max_value=700))
            crests[f"iliac_crest_{side.value}"] = _image_point(side, lateral, height)
    landmarks = PelvisLandmarks(
        triradiate_right=_image_point(Side.RIGHT, half_span, 0),
        triradiate_left=_image_point(Side.LEFT, half_span, 0),
        right=drawn[Side.RIGHT][0] if Side.RIGHT in drawn else None,
        left=drawn[Side.LEFT][0] if Side.LEFT in drawn else None,
        **crests,
    )
    expected = {side: (mp, ai) for side, (_, mp, ai) in drawn.items()}
    return landmarks, expected


def _map_points(landmarks: PelvisLandmarks, move: Callable[[Point], Point]) -> PelvisLandmarks:
    """The same film with every landmark moved by ``move``."""

    def hip(value: HipLandmarks | None) -> HipLandmarks | None:
        if value is None:
            return None
        moved = {
            f.name: move(p) for f in fields(value) if (p := getattr(value, f.name)) is not None
        }
        return replace(value, **moved)

    optional = {
        name: None if (p := getattr(landmarks, name)) is None else move(p)
        for name in ("iliac_crest_right", "iliac_crest_left")
    }
    return PelvisLandmarks(
        triradiate_right=move(landmarks.triradiate_right),
        triradiate_left=move(landmarks.triradiate_left),
        right=hip(landmarks.right),
        left=hip(landmarks.left),
        **optional,
    )


def _swap_sides(landmarks: PelvisLandmarks) -> PelvisLandmarks:
    return PelvisLandmarks(
        triradiate_right=landmarks.triradiate_left,
        triradiate_left=landmarks.triradiate_right,
        right=landmarks.left,
        left=landmarks.right,
        iliac_crest_right=landmarks.iliac_crest_left,
        iliac_crest_left=landmarks.iliac_crest_right,
    )


def _summary(measures: FilmMeasurements, *, obliquity: bool = True) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for hip in measures.hips:
        key = hip.side.value
        summary[f"{key}.mp_raw"] = hip.migration_percentage.raw_percent
        summary[f"{key}.dislocated"] = hip.migration_percentage.dislocated
        summary[f"{key}.ai"] = hip.acetabular_index.angle_deg
        for name in ("neck_shaft_angle", "head_shaft_angle"):
            angle = getattr(hip, name)
            summary[f"{key}.{name}"] = None if angle is None else angle.angle_deg
    if obliquity and measures.pelvic_obliquity is not None:
        summary["obliquity"] = measures.pelvic_obliquity.angle_deg
        high = measures.pelvic_obliquity.high_side
        summary["high_side"] = None if high is None else high.value
    return summary


def _assert_close(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    assert actual.keys() == expected.keys()
    for key, value in expected.items():
        if isinstance(value, float):
            assert math.isclose(actual[key], value, rel_tol=1e-9, abs_tol=1e-6), key
        else:
            assert actual[key] == value, key


@given(films())
def test_migration_percentage_and_acetabular_index_match_the_construction(
    film: tuple[PelvisLandmarks, dict[Side, tuple[float, float]]],
) -> None:
    """MP raw = 100 * (lateral edge - Perkin) / head width; AI = atan(rise / run)."""
    landmarks, expected = film
    measures = measure_film(landmarks)
    for side, (mp, ai) in expected.items():
        hip = measures.hip(side)
        assert hip is not None
        assert math.isclose(hip.migration_percentage.raw_percent, mp, abs_tol=1e-6)
        assert 0 <= hip.migration_percentage.reported_percent <= 100
        assert hip.migration_percentage.dislocated == (mp >= 100)
        assert math.isclose(hip.acetabular_index.angle_deg, ai, abs_tol=1e-6)
        for angle in (hip.neck_shaft_angle, hip.head_shaft_angle):
            assert angle is None or 90 <= angle.angle_deg <= 180


@given(
    films(),
    st.floats(min_value=-40, max_value=40),
    st.floats(min_value=-5000, max_value=5000),
    st.floats(min_value=-5000, max_value=5000),
)
def test_measures_do_not_change_when_the_film_is_rotated_and_moved(
    film: tuple[PelvisLandmarks, Any], angle_deg: float, dx: float, dy: float
) -> None:
    """Pelvic obliquity is left out: it is measured against the image horizontal on purpose."""
    landmarks, _ = film
    c, s = math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))
    moved = _map_points(landmarks, lambda p: Point(c * p.x - s * p.y + dx, s * p.x + c * p.y + dy))
    _assert_close(
        _summary(measure_film(moved), obliquity=False),
        _summary(measure_film(landmarks), obliquity=False),
    )


@given(films(), st.floats(min_value=0.05, max_value=20))
def test_measures_do_not_change_when_the_film_is_scaled(
    film: tuple[PelvisLandmarks, Any], factor: float
) -> None:
    landmarks, _ = film
    scaled = _map_points(landmarks, lambda p: Point(p.x * factor, p.y * factor))
    _assert_close(_summary(measure_film(scaled)), _summary(measure_film(landmarks)))


@given(films())
def test_a_mirrored_film_gives_the_same_measures_for_each_side(
    film: tuple[PelvisLandmarks, Any],
) -> None:
    """Flipping the image left-right does not change which hip is the patient's right."""
    landmarks, _ = film
    mirrored = _map_points(landmarks, lambda p: Point(2500 - p.x, p.y))
    _assert_close(_summary(measure_film(mirrored)), _summary(measure_film(landmarks)))


@given(films())
def test_a_mirror_image_patient_has_right_and_left_exchanged(
    film: tuple[PelvisLandmarks, Any],
) -> None:
    """Mirror the image AND relabel the sides: the new right hip measures as the old left."""
    landmarks, _ = film
    mirror_patient = _swap_sides(_map_points(landmarks, lambda p: Point(2500 - p.x, p.y)))
    original = _summary(measure_film(landmarks))
    swapped = {
        key.replace("right", "@").replace("left", "right").replace("@", "left"): value
        for key, value in _summary(measure_film(mirror_patient)).items()
    }
    if swapped.get("high_side") is not None:
        swapped["high_side"] = Side(swapped["high_side"]).other.value
    _assert_close(swapped, original)


@given(films(), st.floats(min_value=0.2, max_value=5), st.floats(min_value=0.05, max_value=0.5))
def test_non_square_pixels_are_measured_in_millimetres(
    film: tuple[PelvisLandmarks, Any], stretch: float, row_mm: float
) -> None:
    """Stretching x by k with columns 1/k as wide gives what square pixels would give."""
    landmarks, _ = film
    stretched = _map_points(landmarks, lambda p: Point(p.x * stretch, p.y))
    square = measure_film(landmarks, PixelSpacing(row_mm, row_mm))
    oblong = measure_film(stretched, PixelSpacing(row_mm, row_mm / stretch))
    _assert_close(_summary(oblong), _summary(square))
    for side in Side:
        hip = square.hip(side)
        if hip is not None:
            assert hip.head_width_mm is not None
            assert math.isclose(
                hip.head_width_mm,
                hip.migration_percentage.head_width,
                rel_tol=1e-12,
            )
            other = oblong.hip(side)
            assert other is not None
            assert other.head_width_mm is not None
            assert math.isclose(other.head_width_mm, hip.head_width_mm, rel_tol=1e-9)


percent = st.floats(min_value=0, max_value=100)
film_dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1))


@given(percent, percent, film_dates, st.integers(min_value=1, max_value=5000))
def test_velocity_times_years_is_the_change(
    earlier: float, later: float, taken_on: date, days: int
) -> None:
    change = compare_migration_percentage(
        DatedMigrationPercentage(earlier, taken_on),
        DatedMigrationPercentage(later, taken_on + timedelta(days=days)),
    )
    assert math.isclose(change.change_percentage_points, later - earlier, abs_tol=1e-12)
    assert math.isclose(change.interval_years * 365.25, days)
    assert math.isclose(
        change.velocity_percentage_points_per_year * change.interval_years,
        change.change_percentage_points,
        abs_tol=1e-9,
    )
    expected_within = abs(later - earlier) < MIGRATION_PERCENTAGE_CHANGE_ERROR_POINTS - 1e-6
    if abs(abs(later - earlier) - MIGRATION_PERCENTAGE_CHANGE_ERROR_POINTS) > 1e-6:
        assert change.within_measurement_error == expected_within


@given(percent, percent, film_dates, st.integers(min_value=0, max_value=5000))
def test_films_on_the_same_day_or_in_reverse_order_are_refused(
    earlier: float, later: float, taken_on: date, days_back: int
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        compare_migration_percentage(
            DatedMigrationPercentage(earlier, taken_on),
            DatedMigrationPercentage(later, taken_on - timedelta(days=days_back)),
        )
    assert refused.value.field == "migration_percentage.date"
