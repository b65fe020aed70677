"""The pieces every FHIR resource of a child's record is built from: Coding,
CodeableConcept, Reference, Quantity, hip body sites and the Patient's id.

Shared by :mod:`.mapping`, :mod:`.operation_resources` and :mod:`.care_plan_resources`.
Pure: no I/O, no clock.
"""

from __future__ import annotations

from typing import Any

from hipcare.interop.fhir import codes

__all__ = [
    "Resource",
    "body_site",
    "coding",
    "concept",
    "hip_sides",
    "patient_id",
    "quantity",
    "reference",
]

Resource = dict[str, Any]


def coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    """One FHIR Coding."""
    result = {"system": system, "code": code}
    if display is not None:
        result["display"] = display
    return result


def concept(system: str, code: str, display: str, text: str | None = None) -> dict[str, Any]:
    """One FHIR CodeableConcept of one Coding; its text is ``text`` or the display."""
    return {"coding": [coding(system, code, display)], "text": text or display}


def patient_id(child_id: int) -> str:
    """The id of the child's Patient resource."""
    return f"child-{child_id}"


def reference(resource_type: str, resource_id: str) -> dict[str, str]:
    """A relative Reference (``Patient/child-1``)."""
    return {"reference": f"{resource_type}/{resource_id}"}


def body_site(side: str) -> dict[str, Any]:
    """The SNOMED CT hip of ``side`` (``right`` or ``left``) as a CodeableConcept."""
    code, display = codes.HIP_BODY_SITES[side]
    return concept(codes.SNOMED, code, display)


def hip_sides(value: str) -> tuple[str, ...]:
    """The hips of an operation's sides value: ``both`` is right then left."""
    return ("right", "left") if value == "both" else (value,)


def quantity(value: float, measure: codes.MeasureCode) -> dict[str, Any]:
    """A UCUM Quantity of ``value`` in the measure's unit."""
    return {
        "value": value,
        "unit": measure.unit_display,
        "system": codes.UCUM,
        "code": measure.unit_code,
    }
