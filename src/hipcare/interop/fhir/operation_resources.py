"""What was planned and done around a child's operations, as FHIR R4 resources.

Procedure (one per planned procedure, and the return to theatre, re-operations and plate
removal a recorded outcome names), the hips' migration percentage before and after surgery
as Observations, and the inpatient stay and readmissions as Encounters. Part of
:func:`hipcare.interop.fhir.mapping.child_resources` (which re-exports these names).
Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterator

from hipcare.domain.exchange import ChildRecord, OperationRecord
from hipcare.domain.records import OperationStatus
from hipcare.interop.fhir import codes
from hipcare.interop.fhir.resource_parts import (
    Resource,
    body_site,
    coding,
    concept,
    hip_sides,
    patient_id,
    quantity,
    reference,
)

__all__ = ["encounters", "outcome_observations", "procedures"]


_PROCEDURE_STATUS = {
    OperationStatus.PROPOSED: "preparation",
    OperationStatus.SCHEDULED: "preparation",
    OperationStatus.POSTPONED: "on-hold",
    OperationStatus.DONE: "completed",
    OperationStatus.CANCELLED: "not-done",
}


def procedures(record: ChildRecord) -> Iterator[Resource]:
    child_id = record.child.id
    assert child_id is not None  # noqa: S101 -- checked by patient(), which runs first
    for operation in record.operations:
        plan = operation.plan
        assert plan.id is not None  # noqa: S101 -- stored plans have ids
        for procedure in plan.procedures:
            resource: Resource = {
                "resourceType": "Procedure",
                "id": f"operation-{plan.id}-{procedure.value}",
                "status": _PROCEDURE_STATUS[plan.status],
                "code": concept(
                    codes.CODE_SYSTEM_PROCEDURES, procedure.value, codes.PROCEDURES[procedure.value]
                ),
                "subject": reference("Patient", patient_id(child_id)),
                "bodySite": [body_site(side) for side in hip_sides(plan.sides.value)],
            }
            if plan.surgery_date is not None:
                resource["performedDateTime"] = plan.surgery_date.isoformat()
            if procedure.value == "vdro":
                resource["note"] = [{"text": f"Implant planned: {plan.implant}"}]
                if operation.outcome is not None and operation.outcome.complications:
                    resource["complication"] = [
                        concept(
                            codes.CODE_SYSTEM_COMPLICATION_GRADES,
                            complication.grade.value,
                            f"Clavien-Dindo-Sink grade {complication.grade.value}",
                            f"Complication graded {complication.grade.value} (modified "
                            f"Clavien-Dindo-Sink), {complication.days_after_surgery} days "
                            "after surgery",
                        )
                        for complication in operation.outcome.complications
                    ]
            yield resource
        yield from _after_operation(operation, child_id)


def _after_operation(operation: OperationRecord, child_id: int) -> Iterator[Resource]:
    """What the recorded outcome says was done later (issue 19): an unplanned return to
    theatre, each re-operation of a hip, and the removal of the plate and screws, each a
    Procedure pointing back at the VDRO it followed."""
    outcome = operation.outcome
    if outcome is None:
        return
    plan_id = operation.plan.id
    vdro = reference("Procedure", f"operation-{plan_id}-vdro")
    subject = reference("Patient", patient_id(child_id))
    sides = [side.value for side in outcome.sides]
    if outcome.return_to_theatre:
        code, display = codes.RETURN_TO_THEATRE
        yield {
            "resourceType": "Procedure",
            "id": f"operation-{plan_id}-return-to-theatre",
            "status": "completed",
            "code": concept(codes.CODE_SYSTEM_PROCEDURES, code, display),
            "subject": subject,
            "partOf": [vdro],
            "bodySite": [body_site(side) for side in sides],
            "note": [
                {
                    "text": "Unplanned return to theatre during the stay or the readmission "
                    "window; the day is not recorded."
                }
            ],
        }
    for index, reoperation in enumerate(outcome.reoperations, start=1):
        code, display = codes.REOPERATION
        yield {
            "resourceType": "Procedure",
            "id": f"operation-{plan_id}-reoperation-{index}",
            "status": "completed",
            "code": concept(codes.CODE_SYSTEM_PROCEDURES, code, display),
            "subject": subject,
            "performedDateTime": reoperation.reoperation_date.isoformat(),
            "bodySite": [body_site(reoperation.side.value)],
            "reasonReference": [vdro],
            "note": [
                {
                    "text": "A later operation on a hip this VDRO treated (a hip failure, "
                    "clinical spec section 4)."
                }
            ],
        }
    if outcome.plate_removal_date is not None:
        yield {
            "resourceType": "Procedure",
            "id": f"operation-{plan_id}-plate-removal",
            "status": "completed",
            "code": concept(
                codes.CODE_SYSTEM_PROCEDURES, "plate-removal", codes.PROCEDURES["plate-removal"]
            ),
            "subject": subject,
            "performedDateTime": outcome.plate_removal_date.isoformat(),
            "bodySite": [body_site(side) for side in sides],
            "reasonReference": [vdro],
        }


_MIGRATION_AROUND_SURGERY = (
    ("before", "migration_percentage_before", codes.MIGRATION_PERCENTAGE_BEFORE),
    ("1-year", "migration_percentage_at_1_year", codes.MIGRATION_PERCENTAGE_1_YEAR),
    ("2-years", "migration_percentage_at_2_years", codes.MIGRATION_PERCENTAGE_2_YEARS),
)


def outcome_observations(record: ChildRecord) -> Iterator[Resource]:
    """Each operated hip's migration percentage before surgery and at about 1 and 2 years
    (issue 19; chosen from the films as the outcomes report chooses them,
    :func:`hipcare.domain.outcomes.hip_outcomes`), ``partOf`` the VDRO."""
    child_id = record.child.id
    assert child_id is not None  # noqa: S101 -- checked by patient(), which runs first
    mp = codes.MEASURES[codes.Measure.MIGRATION_PERCENTAGE]
    for operation in record.operations:
        plan_id = operation.plan.id
        for hip in operation.hips:
            for suffix, attribute, (code, display) in _MIGRATION_AROUND_SURGERY:
                value = getattr(hip, attribute)
                if value is None:
                    continue
                yield {
                    "resourceType": "Observation",
                    "id": f"operation-{plan_id}-{hip.side.value}-migration-{suffix}",
                    "status": "final",
                    "category": [concept(codes.OBSERVATION_CATEGORY, "imaging", "Imaging")],
                    "code": concept(codes.CODE_SYSTEM_MEASURES, code, display),
                    "subject": reference("Patient", patient_id(child_id)),
                    "partOf": [reference("Procedure", f"operation-{plan_id}-vdro")],
                    "bodySite": body_site(hip.side.value),
                    "valueQuantity": quantity(value, mp),
                }


def encounters(record: ChildRecord) -> Iterator[Resource]:
    """The inpatient stay of each operation with a recorded admission (finished once a
    discharge is recorded), and each readmission after it (``hospitalization.reAdmission``)."""
    child_id = record.child.id
    assert child_id is not None  # noqa: S101 -- checked by patient(), which runs first
    inpatient = coding(codes.ACT_CODE, "IMP", "inpatient encounter")
    for operation in record.operations:
        outcome = operation.outcome
        if outcome is None or outcome.admission_date is None:
            continue
        plan_id = operation.plan.id
        period = {"start": outcome.admission_date.isoformat()}
        if outcome.discharge_date is not None:
            period["end"] = outcome.discharge_date.isoformat()
        yield {
            "resourceType": "Encounter",
            "id": f"operation-{plan_id}-stay",
            "status": "finished" if outcome.discharge_date is not None else "in-progress",
            "class": inpatient,
            "subject": reference("Patient", patient_id(child_id)),
            "period": period,
            "reasonReference": [
                reference("Procedure", f"operation-{plan_id}-{procedure.value}")
                for procedure in operation.plan.procedures
            ],
        }
        for index, readmission in enumerate(outcome.readmission_dates, start=1):
            yield {
                "resourceType": "Encounter",
                "id": f"operation-{plan_id}-readmission-{index}",
                "status": "finished",
                "class": inpatient,
                "subject": reference("Patient", patient_id(child_id)),
                "period": {"start": readmission.isoformat()},
                "partOf": reference("Encounter", f"operation-{plan_id}-stay"),
                "hospitalization": {
                    "reAdmission": {"text": "readmission after the operation's stay"}
                },
            }
