"""Use cases for radiograph measures: JSON-shaped landmarks in, JSON-shaped measures out.

``measure_radiograph(document)`` takes one film::

    {"landmarks": {"triradiate_right": [x, y], "triradiate_left": [x, y],
                   "right": {"acetabulum_lateral": [x, y], "head_medial": [x, y],
                             "head_lateral": [x, y], ...optional},
                   "left": {...},
                   "iliac_crest_right": [x, y], "iliac_crest_left": [x, y]},
     "pixel_spacing_mm": [row, column]}

``compare_radiographs(document)`` takes ``{"earlier": FILM, "later": FILM}`` where each FILM
has a ``"date"`` and either ``"landmarks"`` (measured as above) or ``"migration_percentage"``
(``{"right": 30.5, "left": 12}``), and reports the change, its yearly rate and whether it is
within measurement error, per hip present on both films.

Every refusal is an :class:`InvalidInputError` whose field is the dotted path of the culprit
(``landmarks.right.head_lateral``); unknown keys are refused with the list of known ones, so
a typo cannot silently drop a landmark.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.radiograph import (
    ACETABULAR_INDEX_SINGLE_FILM_ERROR_DEG,
    MIGRATION_PERCENTAGE_SINGLE_FILM_ERROR_POINTS,
    PELVIC_OBLIQUITY_DISTORTING_MIGRATION_DEG,
    DatedMigrationPercentage,
    FilmMeasurements,
    HipLandmarks,
    HipMeasurements,
    PelvisLandmarks,
    PixelSpacing,
    Point,
    Side,
    compare_migration_percentage,
    measure_film,
)
from hipcare.services.json_input import json_object, refuse_unknown_keys

__all__ = [
    "FILM_KEYS",
    "HIP_LANDMARKS",
    "PELVIS_LANDMARKS",
    "compare_radiographs",
    "measure_radiograph",
    "parse_film",
]

HIP_LANDMARKS: tuple[str, ...] = HipLandmarks.landmark_names()
"""Landmark names accepted inside ``landmarks.right`` and ``landmarks.left``."""

_REQUIRED_HIP_LANDMARKS = ("acetabulum_lateral", "head_medial", "head_lateral")

PELVIS_LANDMARKS: tuple[str, ...] = (
    "triradiate_right",
    "triradiate_left",
    "iliac_crest_right",
    "iliac_crest_left",
)
"""Landmark names accepted directly inside ``landmarks`` (besides ``right`` and ``left``)."""

FILM_KEYS: tuple[str, ...] = ("landmarks", "pixel_spacing_mm", "date", "description")
"""Top-level keys of a film document. ``date`` is used only when comparing two films;
``description`` is free text that hipcare ignores (say that a fixture is synthetic)."""

_COMPARED_FILM_KEYS = (*FILM_KEYS, "migration_percentage")


def _round(value: float) -> float:
    # Adding 0.0 turns a rounded -0.0 into 0.0, which reads better in JSON.
    return round(value, 2) + 0.0


def _object(value: Any, field: str, expected: str) -> Mapping[str, Any]:
    return json_object(value, field, f"expected a JSON object {expected}")


def _refuse_unknown(value: Mapping[str, Any], known: tuple[str, ...], prefix: str) -> None:
    refuse_unknown_keys(
        value,
        known,
        f"{prefix}." if prefix else "",
        problem="unknown name (a typo?); known names here: {known}",
    )


def _point(value: Any, field: str) -> Point:
    """A landmark given as ``[x, y]``: two finite numbers (image pixels)."""
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise InvalidInputError(field, f"expected a pair of numbers [x, y], got {value!r}")
    for axis, number in zip(("x", "y"), value, strict=True):
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise InvalidInputError(
                field, f"{axis} must be a number, got {number!r}; give the point as [x, y]"
            )
        try:
            coordinate = float(number)
        except OverflowError:  # a JSON integer past the largest float (10**400)
            raise InvalidInputError(
                field, f"{axis} is far too large a number for an image pixel"
            ) from None
        if not math.isfinite(coordinate):
            raise InvalidInputError(field, f"{axis} must be a finite number, got {number!r}")
    return Point(float(value[0]), float(value[1]))


def _optional_point(value: Mapping[str, Any], name: str, prefix: str) -> Point | None:
    if name not in value:
        return None
    return _point(value[name], f"{prefix}.{name}")


def _hip(value: Any, side: Side) -> HipLandmarks:
    prefix = f"landmarks.{side.value}"
    hip = _object(value, prefix, f"of the {side.value} hip's landmarks")
    _refuse_unknown(hip, HIP_LANDMARKS, prefix)
    for name in _REQUIRED_HIP_LANDMARKS:
        if name not in hip:
            raise InvalidInputError(
                f"{prefix}.{name}",
                "is missing; every hip needs acetabulum_lateral, head_medial and head_lateral "
                "(leave the whole side out to skip that hip)",
            )
    optional = {
        name: _optional_point(hip, name, prefix)
        for name in HIP_LANDMARKS
        if name not in _REQUIRED_HIP_LANDMARKS
    }
    return HipLandmarks(
        acetabulum_lateral=_point(hip["acetabulum_lateral"], f"{prefix}.acetabulum_lateral"),
        head_medial=_point(hip["head_medial"], f"{prefix}.head_medial"),
        head_lateral=_point(hip["head_lateral"], f"{prefix}.head_lateral"),
        **optional,
    )


def _pixel_spacing(value: Any) -> PixelSpacing:
    field = "pixel_spacing_mm"
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise InvalidInputError(
            field, f"expected [row spacing, column spacing] in mm, got {value!r}"
        )
    for index, number in enumerate(value):
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise InvalidInputError(f"{field}[{index}]", f"must be a number, got {number!r}")
    return PixelSpacing(row_mm=value[0], column_mm=value[1])


def parse_film(
    document: Any, known_keys: tuple[str, ...] = FILM_KEYS, prefix: str = ""
) -> tuple[PelvisLandmarks, PixelSpacing | None]:
    """Turn one film document into validated landmarks and an optional pixel spacing."""
    where = prefix.rstrip(".") or "input"
    film = _object(document, where, 'with "landmarks" (see `hipcare measure --help`)')
    _refuse_unknown(film, known_keys, prefix.rstrip("."))
    if "landmarks" not in film:
        raise InvalidInputError(f"{prefix}landmarks", "is missing; give the film's landmarks")
    try:
        return _parse_landmarks(film), (
            _pixel_spacing(film["pixel_spacing_mm"]) if "pixel_spacing_mm" in film else None
        )
    except InvalidInputError as error:
        if not prefix:
            raise
        raise InvalidInputError(f"{prefix}{error.field}", error.problem) from None


def _parse_landmarks(film: Mapping[str, Any]) -> PelvisLandmarks:
    landmarks = _object(film["landmarks"], "landmarks", "of landmark names to [x, y] points")
    _refuse_unknown(landmarks, (*PELVIS_LANDMARKS, "right", "left"), "landmarks")
    for name in ("triradiate_right", "triradiate_left"):
        if name not in landmarks:
            raise InvalidInputError(
                f"landmarks.{name}",
                "is missing; Hilgenreiner's line needs triradiate_right and triradiate_left",
            )
    return PelvisLandmarks(
        triradiate_right=_point(landmarks["triradiate_right"], "landmarks.triradiate_right"),
        triradiate_left=_point(landmarks["triradiate_left"], "landmarks.triradiate_left"),
        right=_hip(landmarks["right"], Side.RIGHT) if "right" in landmarks else None,
        left=_hip(landmarks["left"], Side.LEFT) if "left" in landmarks else None,
        iliac_crest_right=_optional_point(landmarks, "iliac_crest_right", "landmarks"),
        iliac_crest_left=_optional_point(landmarks, "iliac_crest_left", "landmarks"),
    )


def _hip_json(hip: HipMeasurements) -> dict[str, Any]:
    migration = hip.migration_percentage
    result: dict[str, Any] = {
        "migration_percentage": _round(migration.reported_percent),
        "migration_percentage_raw": _round(migration.raw_percent),
        "acetabular_index_deg": _round(hip.acetabular_index.angle_deg),
        "dislocated": migration.dislocated,
    }
    if hip.neck_shaft_angle is not None:
        result["neck_shaft_angle_deg"] = _round(hip.neck_shaft_angle.angle_deg)
    if hip.head_shaft_angle is not None:
        result["head_shaft_angle_deg"] = _round(hip.head_shaft_angle.angle_deg)
    if hip.head_width_mm is not None:
        result["head_width_mm"] = _round(hip.head_width_mm)
    if hip.head_lateral_to_perkin_line_mm is not None:
        result["head_lateral_to_perkin_line_mm"] = _round(hip.head_lateral_to_perkin_line_mm)
    return result


def _method_json(measures: FilmMeasurements, spacing: PixelSpacing | None) -> dict[str, str]:
    method: dict[str, str] = {}
    for hip in measures.hips:
        method["migration_percentage"] = hip.migration_percentage.method
        method["acetabular_index"] = hip.acetabular_index.method
        if hip.neck_shaft_angle is not None:
            method["neck_shaft_angle"] = hip.neck_shaft_angle.method
        if hip.head_shaft_angle is not None:
            method["head_shaft_angle"] = hip.head_shaft_angle.method
    if measures.pelvic_obliquity is not None:
        method["pelvic_obliquity"] = measures.pelvic_obliquity.method
    method["coordinates"] = (
        "no pixel spacing given: measured in image pixels, so no widths in mm"
        if spacing is None
        else (
            f"landmarks converted to mm (row spacing {spacing.row_mm} mm, column spacing "
            f"{spacing.column_mm} mm) before measuring"
        )
    )
    method["measurement_error"] = (
        "an experienced rater measures MP within "
        f"+/-{MIGRATION_PERCENTAGE_SINGLE_FILM_ERROR_POINTS} percentage points and the "
        "acetabular index within "
        f"+/-{ACETABULAR_INDEX_SINGLE_FILM_ERROR_DEG} degrees on one film (95% limits, Parrott "
        "et al. J Pediatr Orthop 2002;22:660-667); measures from landmarks are only as good "
        "as the landmarks"
    )
    return method


def _notes(measures: FilmMeasurements) -> list[str]:
    notes: list[str] = []
    obliquity = measures.pelvic_obliquity
    if obliquity is not None:
        notes.append(
            "pelvic obliquity is measured by a hipcare definition (iliac crests against the "
            "image horizontal): to be confirmed by the clinical lead"
        )
        if obliquity.distorts_migration_percentage:
            notes.append(
                f"pelvic obliquity is above {PELVIC_OBLIQUITY_DISTORTING_MIGRATION_DEG:g} "
                "degrees: the migration percentage is distorted; consider the pelvis-adjusted "
                "migration percentage (Hagglund et al. Acta Orthop 2018;89:652-655)"
            )
    return notes


def measure_radiograph(document: Any) -> dict[str, Any]:
    """Measure one film given as a JSON-shaped document; the result is JSON-shaped too."""
    landmarks, spacing = parse_film(document)
    if "date" in document:
        _film_date(document, "")  # not used for one film, but a wrong date is still refused
    return _measures_json(measure_film(landmarks, spacing), spacing)


def _measures_json(measures: FilmMeasurements, spacing: PixelSpacing | None) -> dict[str, Any]:
    result: dict[str, Any] = {hip.side.value: _hip_json(hip) for hip in measures.hips}
    if measures.pelvic_obliquity is not None:
        high = measures.pelvic_obliquity.high_side
        result["pelvic_obliquity_deg"] = _round(measures.pelvic_obliquity.angle_deg)
        result["pelvic_obliquity_high_side"] = None if high is None else high.value
    result["method"] = _method_json(measures, spacing)
    result["notes"] = _notes(measures)
    return result


def _film_date(film: Mapping[str, Any], prefix: str) -> date:
    field = f"{prefix}.date" if prefix else "date"
    if "date" not in film:
        raise InvalidInputError(field, "is missing; give the date the film was taken (YYYY-MM-DD)")
    raw = film["date"]
    if not isinstance(raw, str):
        raise InvalidInputError(field, f"expected a date as text YYYY-MM-DD, got {raw!r}")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInputError(field, f"expected a date YYYY-MM-DD, got {raw!r}") from None


def _film_percentages(film: Mapping[str, Any], prefix: str) -> dict[Side, float]:
    """Reported MP per hip: measured from landmarks, or given directly."""
    if "landmarks" in film and "migration_percentage" in film:
        raise InvalidInputError(
            f"{prefix}.migration_percentage",
            "give either landmarks (to be measured) or migration_percentage, not both",
        )
    if "landmarks" in film:
        landmarks, spacing = parse_film(film, _COMPARED_FILM_KEYS, f"{prefix}.")
        measures = measure_film(landmarks, spacing)
        return {hip.side: hip.migration_percentage.reported_percent for hip in measures.hips}
    if "migration_percentage" not in film:
        raise InvalidInputError(
            f"{prefix}.landmarks", "is missing; give landmarks or migration_percentage"
        )
    field = f"{prefix}.migration_percentage"
    given = _object(film["migration_percentage"], field, 'like {"right": 30.5, "left": 12}')
    _refuse_unknown(given, ("right", "left"), field)
    percentages: dict[Side, float] = {}
    for side in Side:
        if side.value in given:
            value = given[side.value]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidInputError(
                    f"{field}.{side.value}", f"expected a number, got {value!r}"
                )
            percentages[side] = float(value)
    return percentages


def compare_radiographs(document: Any) -> dict[str, Any]:
    """MP change, velocity and measurement-error flag per hip between two dated films."""
    both = _object(document, "input", 'with "earlier" and "later" films')
    _refuse_unknown(both, ("earlier", "later"), "")
    dated: dict[str, tuple[date, dict[Side, float]]] = {}
    for name in ("earlier", "later"):
        if name not in both:
            raise InvalidInputError(name, "is missing; give an earlier and a later film")
        film = _object(both[name], name, "describing one film")
        _refuse_unknown(film, _COMPARED_FILM_KEYS, name)
        dated[name] = (_film_date(film, name), _film_percentages(film, name))
    (earlier_date, earlier), (later_date, later) = dated["earlier"], dated["later"]
    if later_date <= earlier_date:
        raise InvalidInputError(
            "later.date",
            f"the later film ({later_date.isoformat()}) must be taken after the earlier one "
            f"({earlier_date.isoformat()}); check the dates and the order of the two films",
        )
    result: dict[str, Any] = {}
    method = ""
    for side in Side:
        if side not in earlier or side not in later:
            continue
        change = compare_migration_percentage(
            DatedMigrationPercentage(
                earlier[side], earlier_date, f"earlier.migration_percentage.{side.value}"
            ),
            DatedMigrationPercentage(
                later[side], later_date, f"later.migration_percentage.{side.value}"
            ),
        )
        method = change.method
        result[side.value] = {
            "earlier_migration_percentage": _round(earlier[side]),
            "later_migration_percentage": _round(later[side]),
            "change_percentage_points": _round(change.change_percentage_points),
            "interval_years": _round(change.interval_years),
            "velocity_percentage_points_per_year": _round(
                change.velocity_percentage_points_per_year
            ),
            "within_measurement_error": change.within_measurement_error,
        }
    if not result:
        raise InvalidInputError(
            "later", "the two films share no hip; both need the same side to compare"
        )
    result["method"] = {"change": method}
    return result
