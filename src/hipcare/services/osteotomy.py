"""Use case: plan the geometry of a varus derotation osteotomy (VDRO) for one hip.

Turns a JSON-shaped request into :class:`~hipcare.domain.osteotomy.OsteotomyRequest`, runs the
pure planner with the rules the entry point hands in, and returns a JSON-shaped answer whose
keys are the command-line contract (``correction_deg``, ``chisel_to_neck_deg``,
``chisel_to_shaft_deg``, ``derotation_deg``) plus the estimate, notes, method and rules used.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.osteotomy import (
    OsteotomyPlan,
    OsteotomyRequest,
    OsteotomyRules,
    plan_osteotomy,
)

__all__ = ["METHOD", "REQUEST_FIELDS", "plan_to_json", "plan_vdro"]

REQUIRED_FIELDS = ("neck_shaft_angle_deg", "target_neck_shaft_angle_deg", "plate_angle_deg")
OPTIONAL_FIELDS = (
    "anteversion_deg",
    "target_anteversion_deg",
    "neck_length_mm",
    "hinge_medial_offset_mm",
    "hinge_distal_offset_mm",
)
REQUEST_FIELDS = REQUIRED_FIELDS + OPTIONAL_FIELDS

METHOD = (
    "Blade-plate geometry (clinical spec §4, matches the Oxford NDORMS technique): "
    "correction = NSA before - target NSA; chisel-to-neck = target NSA - plate angle "
    "(varus positive); chisel-to-shaft before the cut = NSA before - chisel-to-neck; "
    "derotation = anteversion before - target anteversion (positive: distal fragment turned "
    "outward). Shortening estimate: rigid rotation of the head about the osteotomy hinge, "
    "L*(cos NSA_after - cos NSA_before) + d*(1 - cos correction) - m*sin correction "
    "(L neck length, m hinge medial offset, d hinge distal offset, in mm); see "
    "docs/clinical/osteotomy.md."
)

# Plan values are rounded for people: angles to 0.01 degree (inputs are whole or half
# degrees; this only hides floating-point noise), the shortening estimate to 0.1 mm.
_ANGLE_DECIMALS = 2
_LENGTH_DECIMALS = 1


def _number(values: Mapping[str, Any], field: str) -> float | None:
    value = values.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInputError(field, f"expected a number, got {value!r}")
    return float(value)


def _required(values: Mapping[str, Any], field: str) -> float:
    value = _number(values, field)
    if value is None:
        raise InvalidInputError(field, "is required (degrees)")
    return value


def plan_vdro(values: Mapping[str, Any], rules: OsteotomyRules) -> dict[str, Any]:
    """Plan one hip from a mapping of :data:`REQUEST_FIELDS` (degrees and millimetres)."""
    unknown = sorted(set(values) - set(REQUEST_FIELDS))
    if unknown:
        raise InvalidInputError(
            unknown[0], f"not a planner field; known fields: {', '.join(REQUEST_FIELDS)}"
        )
    request = OsteotomyRequest(
        neck_shaft_angle_deg=_required(values, "neck_shaft_angle_deg"),
        target_neck_shaft_angle_deg=_required(values, "target_neck_shaft_angle_deg"),
        plate_angle_deg=_required(values, "plate_angle_deg"),
        anteversion_deg=_number(values, "anteversion_deg"),
        target_anteversion_deg=_number(values, "target_anteversion_deg"),
        neck_length_mm=_number(values, "neck_length_mm"),
        hinge_medial_offset_mm=_number(values, "hinge_medial_offset_mm"),
        hinge_distal_offset_mm=_number(values, "hinge_distal_offset_mm"),
    )
    return plan_to_json(plan_osteotomy(request, rules))


def _angle(value: float) -> float:
    return round(value, _ANGLE_DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0


def plan_to_json(plan: OsteotomyPlan) -> dict[str, Any]:
    """The plan as a JSON-ready mapping; contract keys first."""
    request = plan.request
    model = plan.shortening_model
    return {
        "correction_deg": _angle(plan.correction_deg),
        "chisel_to_neck_deg": _angle(plan.chisel_to_neck_deg),
        "chisel_to_shaft_deg": _angle(plan.chisel_to_shaft_deg),
        "derotation_deg": None if plan.derotation_deg is None else _angle(plan.derotation_deg),
        "final_neck_shaft_angle_deg": _angle(plan.final_neck_shaft_angle_deg),
        "shortening_mm_estimate": round(plan.shortening_mm_estimate, _LENGTH_DECIMALS) + 0.0,
        "inputs": {
            "neck_shaft_angle_deg": request.neck_shaft_angle_deg,
            "target_neck_shaft_angle_deg": request.target_neck_shaft_angle_deg,
            "plate_angle_deg": request.plate_angle_deg,
            "anteversion_deg": request.anteversion_deg,
            "target_anteversion_deg": request.target_anteversion_deg,
        },
        "shortening_model": {
            "neck_length_mm": model.neck_length_mm,
            "hinge_medial_offset_mm": model.hinge_medial_offset_mm,
            "hinge_distal_offset_mm": model.hinge_distal_offset_mm,
            "assumed": list(plan.shortening_model_assumed),
        },
        "conventions": {
            "angles": "degrees; neck-shaft angle between neck axis and shaft axis",
            "varus": "positive (a smaller neck-shaft angle)",
            "derotation": "positive = distal fragment turned outward (external rotation)",
        },
        "method": METHOD,
        "notes": list(plan.notes),
        "rules": [
            {
                "id": rule.id,
                "range": [rule.low, rule.high],
                "unit": rule.unit,
                "action": rule.action.value,
                "status": rule.status.value,
                "source": rule.source,
                "section": rule.section,
            }
            for rule in plan.rules_used
        ],
    }
