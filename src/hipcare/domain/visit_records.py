"""A visit's record: the hip measures typed in from one film and the examination findings.

A visit's typed-in measures are checked with the surveillance domain's own rules
(:class:`hipcare.domain.surveillance.Visit`: migration percentage 0-100 as reported, head-shaft
angle 0-180 degrees, no measures without an X-ray). The raw migration percentage may fall
below 0 or above 100; the reported value is the raw one clamped to 0-100, as a dislocated
head is conventionally MP 100% (Reimers, Acta Orthop Scand Suppl 1980;184; see
``hipcare.domain.radiograph.MigrationPercentage``).

Pure: standard library only; re-exported by ``hipcare.domain.records``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from hipcare.domain.checks import optional_finite_number
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.radiograph import Side
from hipcare.domain.record_fields import (
    check_calendar_date,
    check_in_range,
    check_record_id,
    check_required_id,
    utc_moment,
)
from hipcare.domain.surveillance import HipPair, Visit

__all__ = ["HipMeasures", "VisitRecord"]


@dataclass(frozen=True)
class HipMeasures:
    """Measures of one hip typed in from one film (the patient's side).

    ``migration_percentage_raw`` may be below 0 or above 100; ``migration_percentage_reported``
    is the raw value clamped to 0-100 and is filled in from it when left out. Angles in
    degrees: acetabular index -90 to 90, neck-shaft and head-shaft angles 0 to 180.
    """

    side: Side
    migration_percentage_raw: float | None = None
    migration_percentage_reported: float | None = None
    acetabular_index_deg: float | None = None
    neck_shaft_angle_deg: float | None = None
    head_shaft_angle_deg: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.side, Side):
            raise InvalidInputError("side", f"{self.side!r} is not 'right' or 'left'")
        prefix = self.side.value
        raw = optional_finite_number(
            self.migration_percentage_raw, f"{prefix}.migration_percentage_raw", "%"
        )
        reported = optional_finite_number(
            self.migration_percentage_reported, f"{prefix}.migration_percentage_reported", "%"
        )
        if raw is not None:
            clamped = min(100.0, max(0.0, raw))
            if reported is None:
                reported = clamped
            elif abs(reported - clamped) > 1e-9:
                raise InvalidInputError(
                    f"{prefix}.migration_percentage_reported",
                    f"{reported:g} does not match the raw value {raw:g} clamped to 0-100 "
                    f"({clamped:g}); correct one of them or leave the reported value out",
                )
        check_in_range(reported, 0, 100, f"{prefix}.migration_percentage_reported", "%")
        acetabular = optional_finite_number(
            self.acetabular_index_deg, f"{prefix}.acetabular_index_deg", "deg"
        )
        check_in_range(acetabular, -90, 90, f"{prefix}.acetabular_index_deg", "degrees")
        neck = optional_finite_number(
            self.neck_shaft_angle_deg, f"{prefix}.neck_shaft_angle_deg", "deg"
        )
        check_in_range(neck, 0, 180, f"{prefix}.neck_shaft_angle_deg", "degrees")
        head = optional_finite_number(
            self.head_shaft_angle_deg, f"{prefix}.head_shaft_angle_deg", "deg"
        )
        check_in_range(head, 0, 180, f"{prefix}.head_shaft_angle_deg", "degrees")
        if all(value is None for value in (reported, acetabular, neck, head)):
            raise InvalidInputError(prefix, "has no measure; give at least one or leave it out")
        object.__setattr__(self, "migration_percentage_raw", raw)
        object.__setattr__(self, "migration_percentage_reported", reported)
        object.__setattr__(self, "acetabular_index_deg", acetabular)
        object.__setattr__(self, "neck_shaft_angle_deg", neck)
        object.__setattr__(self, "head_shaft_angle_deg", head)


_EXAMINATION_FIELDS = (
    "hip_pain",
    "pelvic_obliquity_deg",
    "passive_abduction_deg",
    "scoliosis",
    "windswept_posture",
)


@dataclass(frozen=True)
class VisitRecord:
    """A surveillance visit of one child: its date, whether a film was taken, the measures.

    ``film`` is the optional landmark document of the film (the ``hipcare measure`` input
    shape); the caller validates it. ``recorded_by`` is the user id of the clinician who
    typed the visit in, at ``recorded_at``.
    """

    child_id: int
    visit_date: date
    xray: bool
    recorded_by: int
    recorded_at: datetime
    hips: tuple[HipMeasures, ...] = ()
    film: Mapping[str, Any] | None = None
    examination: Mapping[str, Any] | None = None
    """Findings of the clinical examination (``hip_pain``, ``pelvic_obliquity_deg``,
    ``passive_abduction_deg`` as ``{"right", "left"}``, ``scoliosis``, ``windswept_posture``),
    checked by the surveillance domain; with or without a film."""
    id: int | None = None

    def __post_init__(self) -> None:
        check_required_id(self.child_id, "visit.child_id")
        check_calendar_date(self.visit_date, "visit.visit_date")
        if not isinstance(self.xray, bool):
            raise InvalidInputError("visit.xray", "must be true or false")
        check_required_id(self.recorded_by, "visit.recorded_by")
        object.__setattr__(self, "recorded_at", utc_moment(self.recorded_at, "visit.recorded_at"))
        hips = tuple(self.hips)
        sides = [hip.side for hip in hips]
        if len(set(sides)) != len(sides):
            raise InvalidInputError("visit.hips", "gives the same side twice")
        object.__setattr__(self, "hips", tuple(sorted(hips, key=lambda hip: hip.side.value)))
        if not self.xray and (hips or self.film is not None):
            raise InvalidInputError(
                "visit.xray", "is false but measures or a film are given; set it to true"
            )
        if self.film is not None and not isinstance(self.film, Mapping):
            raise InvalidInputError("visit.film", "must be a film document (a JSON object)")
        if self.examination is not None:
            if not isinstance(self.examination, Mapping):
                raise InvalidInputError("visit.examination", "must be a JSON object of findings")
            unknown = sorted(set(self.examination) - set(_EXAMINATION_FIELDS))
            if unknown:
                raise InvalidInputError(
                    f"visit.examination.{unknown[0]}",
                    f"is not a finding hipcare records ({', '.join(_EXAMINATION_FIELDS)})",
                )
        check_record_id(self.id, "visit.id")
        self.to_surveillance_visit()  # the surveillance domain's own checks on the measures

    def hip(self, side: Side) -> HipMeasures | None:
        return next((hip for hip in self.hips if hip.side is side), None)

    def to_surveillance_visit(self) -> Visit:
        """This visit as the surveillance engine sees it (reported MP and HSA per side)."""
        right, left = self.hip(Side.RIGHT), self.hip(Side.LEFT)
        found = self.examination or {}
        abduction = found.get("passive_abduction_deg")
        return Visit(
            pelvic_obliquity_deg=found.get("pelvic_obliquity_deg"),
            hip_pain=found.get("hip_pain"),
            passive_abduction_deg=(
                None
                if not isinstance(abduction, Mapping)
                else HipPair(right=abduction.get("right"), left=abduction.get("left"))
            ),
            scoliosis=found.get("scoliosis"),
            windswept_posture=found.get("windswept_posture"),
            date=self.visit_date,
            xray=self.xray,
            migration_percentage=HipPair(
                right=None if right is None else right.migration_percentage_reported,
                left=None if left is None else left.migration_percentage_reported,
            ),
            head_shaft_angle_deg=HipPair(
                right=None if right is None else right.head_shaft_angle_deg,
                left=None if left is None else left.head_shaft_angle_deg,
            ),
        )
