"""Worked examples of the radiograph measures, computed by hand; each row shows its arithmetic.

Every film below uses the same Hilgenreiner's line unless it says otherwise: the patient's
right triradiate cartilage at (1000, 1000) and the left at (1600, 1000), image pixels with
y pointing down, so the patient's right hip is on the image's left (smaller x). In this frame
the clinical-spec formula for the right hip reads
MP = (x_acetabulum_lateral - x_head_lateral) / (x_head_medial - x_head_lateral),
mirrored (x -> -x) for the left hip; AI = atan(rise / run) from the triradiate point to the
lateral edge of the acetabulum, rise counted toward the top of the image.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

from hipcare.domain.radiograph import (
    DatedMigrationPercentage,
    compare_migration_percentage,
)
from hipcare.services.radiograph import compare_radiographs, measure_radiograph

TRIRADIATES = {"triradiate_right": [1000, 1000], "triradiate_left": [1600, 1000]}

# Right hip of the 44.83% example: a = 800 - 670 = 130, b = 960 - 670 = 290.
RIGHT_AT_RISK = {
    "acetabulum_lateral": [800, 900],
    "head_medial": [960, 1050],
    "head_lateral": [670, 1050],
}


@dataclass(frozen=True)
class Example:
    name: str
    landmarks: dict[str, Any]
    expected: dict[str, Any]
    spacing: list[float] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


EXAMPLES = [
    Example(
        # MP = 130 / 290 = 0.448275... -> 44.83%; AI = atan(100 / 200) = 26.565 deg -> 26.57.
        "right hip, clinical-spec formula: 13/29 of the head lateral to Perkin's line",
        {**TRIRADIATES, "right": RIGHT_AT_RISK},
        {"right": {"migration_percentage": 44.83, "migration_percentage_raw": 44.83,
                   "acetabular_index_deg": 26.57, "dislocated": False}},
    ),
    Example(
        # Mirror of the row above: lateral is +x. a = 1930 - 1800 = 130, b = 1930 - 1640 = 290.
        "left hip, the same hip mirrored: the formula with x -> -x",
        {**TRIRADIATES,
         "left": {"acetabulum_lateral": [1800, 900], "head_medial": [1640, 1050],
                  "head_lateral": [1930, 1050]}},
        {"left": {"migration_percentage": 44.83, "migration_percentage_raw": 44.83,
                  "acetabular_index_deg": 26.57, "dislocated": False}},
    ),
    Example(
        # a = 800 - 820 = -20 (lateral edge inside Perkin's line), b = 1000 - 820 = 180:
        # raw = -20/180 = -11.11%, reported clamped to 0.
        "head fully covered: raw MP below 0 is reported as 0",
        {**TRIRADIATES,
         "right": {"acetabulum_lateral": [800, 900], "head_medial": [1000, 1050],
                   "head_lateral": [820, 1050]}},
        {"right": {"migration_percentage": 0.0, "migration_percentage_raw": -11.11,
                   "acetabular_index_deg": 26.57, "dislocated": False}},
    ),
    Example(
        # a = 800 - 800 = 0 -> exactly 0%.
        "lateral edge of the head on Perkin's line: MP 0",
        {**TRIRADIATES,
         "right": {"acetabulum_lateral": [800, 900], "head_medial": [1000, 1050],
                   "head_lateral": [800, 1050]}},
        {"right": {"migration_percentage": 0.0, "migration_percentage_raw": 0.0,
                   "acetabular_index_deg": 26.57, "dislocated": False}},
    ),
    Example(
        # a = 800 - 500 = 300, b = 780 - 500 = 280: raw = 107.14%, reported 100, and the
        # medial edge (780) is lateral to Perkin's line (800): dislocated.
        "whole head beyond Perkin's line: raw MP above 100, reported 100, dislocated",
        {**TRIRADIATES,
         "right": {"acetabulum_lateral": [800, 900], "head_medial": [780, 1050],
                   "head_lateral": [500, 1050]}},
        {"right": {"migration_percentage": 100.0, "migration_percentage_raw": 107.14,
                   "acetabular_index_deg": 26.57, "dislocated": True}},
    ),
    Example(
        # a = 800 - 540 = 260 = b: exactly 100%, the medial edge on Perkin's line.
        "medial edge of the head on Perkin's line: MP 100 counts as dislocated",
        {**TRIRADIATES,
         "right": {"acetabulum_lateral": [800, 900], "head_medial": [800, 1050],
                   "head_lateral": [540, 1050]}},
        {"right": {"migration_percentage": 100.0, "migration_percentage_raw": 100.0,
                   "acetabular_index_deg": 26.57, "dislocated": True}},
    ),
    Example(
        # Acetabular edge level with the triradiate point: AI = atan(0 / 200) = 0.
        # MP = (800 - 700) / (900 - 700) = 50%.
        "flat acetabular roof: AI 0",
        {**TRIRADIATES,
         "right": {"acetabulum_lateral": [800, 1000], "head_medial": [900, 1050],
                   "head_lateral": [700, 1050]}},
        {"right": {"migration_percentage": 50.0, "migration_percentage_raw": 50.0,
                   "acetabular_index_deg": 0.0, "dislocated": False}},
    ),
    Example(
        # Edge 50 px BELOW the triradiate point: AI = -atan(50 / 200) = -14.04 deg.
        "acetabular edge below Hilgenreiner's line: negative AI",
        {**TRIRADIATES,
         "right": {"acetabulum_lateral": [800, 1050], "head_medial": [900, 1100],
                   "head_lateral": [700, 1100]}},
        {"right": {"migration_percentage": 50.0, "migration_percentage_raw": 50.0,
                   "acetabular_index_deg": -14.04, "dislocated": False}},
    ),
    Example(
        # The first example rotated by atan(3/4) = 36.87 deg ((x, y) -> (0.8x - 0.6y + 1000,
        # 0.6x + 0.8y)) : every measure is unchanged because it is taken along H, not the image.
        "film tilted 36.87 degrees: the same hip gives the same measures",
        {"triradiate_right": [1200, 1400], "triradiate_left": [1680, 1760],
         "right": {"acetabulum_lateral": [1100, 1200], "head_medial": [1138, 1416],
                   "head_lateral": [906, 1242]}},
        {"right": {"migration_percentage": 44.83, "migration_percentage_raw": 44.83,
                   "acetabular_index_deg": 26.57, "dislocated": False}},
    ),
    Example(
        # 0.15 mm pixels: b = 290 px * 0.15 = 43.5 mm, a = 130 px * 0.15 = 19.5 mm.
        "with pixel spacing: head width and overhang in mm",
        {**TRIRADIATES, "right": RIGHT_AT_RISK},
        {"right": {"migration_percentage": 44.83, "migration_percentage_raw": 44.83,
                   "acetabular_index_deg": 26.57, "dislocated": False,
                   "head_width_mm": 43.5, "head_lateral_to_perkin_line_mm": 19.5}},
        spacing=[0.15, 0.15],
    ),
    Example(
        # Every x doubled, columns 0.05 mm apart and rows 0.1 mm: in mm the film is the first
        # example at 0.1 mm, so MP and AI are unchanged and b = 290 * 0.1 = 29 mm.
        "non-square pixels: measured in mm, not in pixels",
        {"triradiate_right": [2000, 1000], "triradiate_left": [3200, 1000],
         "right": {"acetabulum_lateral": [1600, 900], "head_medial": [1920, 1050],
                   "head_lateral": [1340, 1050]}},
        {"right": {"migration_percentage": 44.83, "migration_percentage_raw": 44.83,
                   "acetabular_index_deg": 26.57, "dislocated": False,
                   "head_width_mm": 29.0, "head_lateral_to_perkin_line_mm": 13.0}},
        spacing=[0.1, 0.05],
    ),
    Example(
        # Shaft vertical; neck from (700, 1150) to (800, 1050) rises at 45 deg: the lines meet
        # at 45 deg, NSA = 180 - 45 = 135. Physis horizontal: its perpendicular is the shaft
        # line itself, HSA = 180 - 0 = 180.
        "neck at 45 degrees to a vertical shaft: NSA 135; horizontal physis: HSA 180",
        {**TRIRADIATES,
         "right": {**RIGHT_AT_RISK, "shaft_proximal": [700, 1200], "shaft_distal": [700, 1700],
                   "head_centre": [800, 1050], "neck_base": [700, 1150],
                   "physis_medial": [900, 1000], "physis_lateral": [700, 1000]}},
        {"right": {"migration_percentage": 44.83, "migration_percentage_raw": 44.83,
                   "acetabular_index_deg": 26.57, "dislocated": False,
                   "neck_shaft_angle_deg": 135.0, "head_shaft_angle_deg": 180.0}},
    ),
    Example(
        # Physis along (-160, 120), a 3-4-5 slope: its perpendicular is atan(3/4) = 36.87 deg
        # from the vertical shaft, HSA = 180 - 36.87 = 143.13.
        "physis sloping 3 in 4: HSA 143.13",
        {**TRIRADIATES,
         "right": {**RIGHT_AT_RISK, "shaft_proximal": [700, 1200], "shaft_distal": [700, 1700],
                   "physis_medial": [860, 1000], "physis_lateral": [700, 1120]}},
        {"right": {"migration_percentage": 44.83, "migration_percentage_raw": 44.83,
                   "acetabular_index_deg": 26.57, "dislocated": False,
                   "head_shaft_angle_deg": 143.13}},
    ),
    Example(
        # Crests (800, 400) and (1800, 500): atan(100 / 1000) = 5.71 deg, right crest higher
        # (smaller y). Above 5 degrees, so MP is flagged as distorted.
        "pelvic obliquity 5.71 degrees, right side high",
        {**TRIRADIATES, "right": RIGHT_AT_RISK,
         "iliac_crest_right": [800, 400], "iliac_crest_left": [1800, 500]},
        {"right": {"migration_percentage": 44.83, "migration_percentage_raw": 44.83,
                   "acetabular_index_deg": 26.57, "dislocated": False}},
        extra={"pelvic_obliquity_deg": 5.71, "pelvic_obliquity_high_side": "right"},
    ),
    Example(
        # Crests level: 0 deg, no high side.
        "level iliac crests: obliquity 0 and no high side",
        {**TRIRADIATES, "right": RIGHT_AT_RISK,
         "iliac_crest_right": [800, 400], "iliac_crest_left": [1800, 400]},
        {"right": {"migration_percentage": 44.83, "migration_percentage_raw": 44.83,
                   "acetabular_index_deg": 26.57, "dislocated": False}},
        extra={"pelvic_obliquity_deg": 0.0, "pelvic_obliquity_high_side": None},
    ),
]  # fmt: skip


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_worked_example(example: Example) -> None:
    document: dict[str, Any] = {"landmarks": example.landmarks}
    if example.spacing is not None:
        document["pixel_spacing_mm"] = example.spacing
    result = measure_radiograph(document)
    measured = {side: result[side] for side in ("right", "left") if side in result}
    assert measured == example.expected
    for key, value in example.extra.items():
        assert result[key] == value


def test_pelvic_obliquity_over_5_degrees_warns_that_migration_percentage_is_distorted() -> None:
    """Above 5 degrees (Hagglund 2018) the notes say MP is distorted; at 0 they do not."""
    tilted = measure_radiograph({"landmarks": EXAMPLES[-2].landmarks})
    level = measure_radiograph({"landmarks": EXAMPLES[-1].landmarks})
    assert any("distorted" in note for note in tilted["notes"])
    assert not any("distorted" in note for note in level["notes"])
    assert all("clinical lead" in " ".join(r["notes"]) for r in (tilted, level))


@dataclass(frozen=True)
class Change:
    name: str
    earlier: tuple[str, float]
    later: tuple[str, float]
    expected: dict[str, Any]


CHANGES = [
    # 2023-01-01 to 2027-01-01 is 1461 days = 4.00 years of 365.25 days.
    Change("rise of 8 points: within the 8.3-point error", ("2023-01-01", 30.0),
           ("2027-01-01", 38.0),
           {"change_percentage_points": 8.0, "interval_years": 4.0,
            "velocity_percentage_points_per_year": 2.0, "within_measurement_error": True}),
    # 8.3 / 4 = 2.075, stored in binary just below 2.075, so it rounds to 2.07.
    Change("rise of exactly 8.3 points: no longer within error", ("2023-01-01", 30.0),
           ("2027-01-01", 38.3),
           {"change_percentage_points": 8.3, "interval_years": 4.0,
            "velocity_percentage_points_per_year": 2.07, "within_measurement_error": False}),
    Change("fall of 20 points in 4 years: -5 points a year", ("2023-01-01", 45.0),
           ("2027-01-01", 25.0),
           {"change_percentage_points": -20.0, "interval_years": 4.0,
            "velocity_percentage_points_per_year": -5.0, "within_measurement_error": False}),
    # 2024-07-01 to 2025-01-01 is 184 days = 0.5038 years; 12 / 0.5038 = 23.82 a year.
    Change("rise of 12 points in six months", ("2024-07-01", 28.0), ("2025-01-01", 40.0),
           {"change_percentage_points": 12.0, "interval_years": 0.5,
            "velocity_percentage_points_per_year": 23.82, "within_measurement_error": False}),
]  # fmt: skip


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: c.name)
def test_migration_percentage_change(change: Change) -> None:
    result = compare_radiographs(
        {
            "earlier": {
                "date": change.earlier[0],
                "migration_percentage": {"right": change.earlier[1]},
            },
            "later": {"date": change.later[0], "migration_percentage": {"right": change.later[1]}},
        }
    )
    expected = {
        "earlier_migration_percentage": change.earlier[1],
        "later_migration_percentage": change.later[1],
        **change.expected,
    }
    assert result["right"] == expected
    assert "left" not in result


def test_change_is_computed_from_landmarks_on_both_films() -> None:
    """Earlier film MP 0% (head covered), later the 44.83% film one year and a day later."""
    earlier = {
        **TRIRADIATES,
        "right": {
            "acetabulum_lateral": [800, 900],
            "head_medial": [1000, 1050],
            "head_lateral": [800, 1050],
        },
    }
    result = compare_radiographs(
        {
            "earlier": {"date": "2025-01-01", "landmarks": earlier},
            "later": {"date": "2026-01-02", "landmarks": {**TRIRADIATES, "right": RIGHT_AT_RISK}},
        }
    )
    assert result["right"]["change_percentage_points"] == 44.83
    assert result["right"]["within_measurement_error"] is False
    assert "8.3" in result["method"]["change"]


def test_domain_change_matches_parrott_limit_exactly_at_the_boundary() -> None:
    """|change| < 8.3 is within error; 8.3 itself is not (Parrott et al. 2002)."""
    start = DatedMigrationPercentage(20.0, date(2024, 1, 1))
    just_under = compare_migration_percentage(
        start, DatedMigrationPercentage(28.29, date(2025, 1, 1))
    )
    at_limit = compare_migration_percentage(start, DatedMigrationPercentage(11.7, date(2025, 1, 1)))
    assert just_under.within_measurement_error is True
    assert at_limit.within_measurement_error is False
