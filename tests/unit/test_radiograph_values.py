"""Radiograph value types refuse impossible input; MP comparison refuses what it cannot use."""

from __future__ import annotations

import json
import math
from datetime import date
from typing import Any

import pytest

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.radiograph import (
    DatedMigrationPercentage,
    HipLandmarks,
    PelvisLandmarks,
    PixelSpacing,
    Point,
    Side,
    measure_film,
)
from hipcare.services.radiograph import compare_radiographs, measure_radiograph


@pytest.mark.parametrize(
    ("x", "y", "field"),
    [
        (math.nan, 1.0, "point.x"),
        (1.0, math.inf, "point.y"),
        ("1", 2.0, "point.x"),
        (True, 2.0, "point.x"),
    ],
)
def test_point_refuses_what_is_not_a_finite_number(x: Any, y: Any, field: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        Point(x, y)
    assert refused.value.field == field


def test_point_keeps_integers_as_floats() -> None:
    point = Point(3, 4)
    assert (point.x, point.y) == (3.0, 4.0)
    assert isinstance(point.x, float)


@pytest.mark.parametrize(
    ("row", "column", "field"),
    [(0.0, 0.1, "pixel_spacing_mm[0]"), (0.1, -1.0, "pixel_spacing_mm[1]")],
)
def test_pixel_spacing_must_be_positive(row: float, column: float, field: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        PixelSpacing(row, column)
    assert refused.value.field == field


def test_side_other_is_the_opposite_side() -> None:
    assert Side.RIGHT.other is Side.LEFT
    assert Side.LEFT.other is Side.RIGHT


def _right_hip(**optional: Point) -> HipLandmarks:
    return HipLandmarks(Point(800, 900), Point(960, 1050), Point(670, 1050), **optional)


def test_a_shaft_without_neck_or_physis_is_refused_rather_than_ignored() -> None:
    with pytest.raises(InvalidInputError) as refused:
        PelvisLandmarks(
            Point(1000, 1000),
            Point(1600, 1000),
            right=_right_hip(shaft_proximal=Point(700, 1200), shaft_distal=Point(700, 1700)),
        )
    assert refused.value.field == "landmarks.right.head_centre"


def test_physis_points_must_differ() -> None:
    with pytest.raises(InvalidInputError) as refused:
        PelvisLandmarks(
            Point(1000, 1000),
            Point(1600, 1000),
            right=_right_hip(
                shaft_proximal=Point(700, 1200),
                shaft_distal=Point(700, 1700),
                physis_medial=Point(800, 1000),
                physis_lateral=Point(800, 1000),
            ),
        )
    assert refused.value.field == "landmarks.right.physis_lateral"


def test_a_hip_not_given_is_not_measured() -> None:
    film = measure_film(PelvisLandmarks(Point(1000, 1000), Point(1600, 1000), right=_right_hip()))
    assert film.hip(Side.LEFT) is None
    assert film.pelvic_obliquity is None
    assert film.in_millimetres is False
    right = film.hip(Side.RIGHT)
    assert right is not None
    assert right.head_width_mm is None
    assert right.neck_shaft_angle is None


@pytest.mark.parametrize("percent", [-0.01, 100.01, math.nan, math.inf])
def test_dated_migration_percentage_must_be_a_reported_value(percent: float) -> None:
    with pytest.raises(InvalidInputError) as refused:
        DatedMigrationPercentage(percent, date(2025, 1, 1), "earlier.migration_percentage.right")
    assert refused.value.field == "earlier.migration_percentage.right"


def test_dated_migration_percentage_needs_a_date() -> None:
    with pytest.raises(InvalidInputError) as refused:
        DatedMigrationPercentage(30.0, "2025-01-01")  # type: ignore[arg-type]  # a caller that forgot to parse the date
    assert refused.value.field == "migration_percentage"


def _films(earlier: dict[str, Any], later: dict[str, Any]) -> dict[str, Any]:
    return {
        "earlier": {"date": "2025-01-01", **earlier},
        "later": {"date": "2026-01-01", **later},
    }


MP = {"migration_percentage": {"right": 30}}
LANDMARKS = {
    "landmarks": {
        "triradiate_right": [1000, 1000],
        "triradiate_left": [1600, 1000],
        "right": {
            "acetabulum_lateral": [800, 900],
            "head_medial": [960, 1050],
            "head_lateral": [670, 1050],
        },
    }
}


@pytest.mark.parametrize(
    ("document", "field"),
    [
        (_films({**MP, **LANDMARKS}, MP), "earlier.migration_percentage"),
        (_films({}, MP), "earlier.landmarks"),
        (_films(MP, {"migration_percentage": {"right": "30"}}), "later.migration_percentage.right"),
        (_films(MP, {"migration_percentage": {"right": 130}}), "later.migration_percentage.right"),
        (_films(MP, {"migration_percentage": {"rigth": 30}}), "later.migration_percentage.rigth"),
        (_films(MP, {"migration_percentage": {"left": 30}}), "later"),
        (
            _films(MP, {"landmarks": {"triradiate_right": [1, 1]}}),
            "later.landmarks.triradiate_left",
        ),
        (_films(MP, {"mp": 30}), "later.mp"),
        ({"earlier": {"date": "2025-01-01", **MP}}, "later"),
        ({"earlier": [], "later": []}, "earlier"),
        ({"before": {}}, "before"),
        ("films", "input"),
    ],
)
def test_compare_refuses_what_it_cannot_use(document: Any, field: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        compare_radiographs(document)
    assert refused.value.field == field


def test_compare_mixes_a_measured_film_with_a_given_percentage() -> None:
    result = compare_radiographs(_films(MP, LANDMARKS))
    assert result["right"]["earlier_migration_percentage"] == 30.0
    assert result["right"]["later_migration_percentage"] == 44.83
    assert result["right"]["within_measurement_error"] is False


def test_measure_output_has_no_negative_zero() -> None:
    """A raw MP of -0.001% rounds to -0.0, which would print as "-0.0"; it must read 0.0."""
    document = {
        "landmarks": {
            "triradiate_right": [1000, 1000],
            "triradiate_left": [1600, 1000],
            # a = 1799.998 - 1800 = -0.002, b = 200: raw MP = -0.001%.
            "left": {
                "acetabulum_lateral": [1800, 900],
                "head_medial": [1599.998, 1050],
                "head_lateral": [1799.998, 1050],
            },
        }
    }
    result = measure_radiograph(document)
    assert math.copysign(1.0, result["left"]["migration_percentage_raw"]) == 1.0
    assert '"migration_percentage_raw": 0.0' in json.dumps(result)
