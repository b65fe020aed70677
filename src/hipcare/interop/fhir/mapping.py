"""A child's record -> FHIR R4 resources (JSON-shaped dicts) and a Bundle of them.

One :class:`ChildRecord` (the child, their site, visits, operation plans with their care-plan
items) becomes: Organization (the site), Patient, RelatedPerson (one per family contact),
Condition (cerebral palsy; hip displacement when an operation is planned), Observation (one
per measure per hip per visit, and the GMFCS level), Procedure (one per planned procedure)
and CarePlan with one Task per care-plan item. Resource ids are derived from hipcare's ids,
so exporting the same record twice gives the same resources.

Codes and their sources: :mod:`hipcare.interop.fhir.codes`. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from hipcare.domain.exchange import ChildRecord, OperationRecord
from hipcare.domain.pathway import Pathway
from hipcare.domain.radiograph import Side
from hipcare.domain.records import Child, ExternalIdentifier, OperationStatus, Site
from hipcare.interop.fhir import codes

__all__ = [
    "activity_definition_url",
    "bundle",
    "by_type",
    "child_bundle",
    "child_resources",
    "coding",
    "encounters",
    "measure_observation_id",
    "organization",
    "outcome_observations",
    "patient_id",
    "plan_definition_url",
    "task",
]

Resource = dict[str, Any]


def coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    """One FHIR Coding."""
    result = {"system": system, "code": code}
    if display is not None:
        result["display"] = display
    return result


def _concept(system: str, code: str, display: str, text: str | None = None) -> dict[str, Any]:
    return {"coding": [coding(system, code, display)], "text": text or display}


def patient_id(child_id: int) -> str:
    return f"child-{child_id}"


def _organization_id(site_id: str) -> str:
    return f"site-{site_id}"


def measure_observation_id(visit_id: int, side: Side, measure: codes.Measure) -> str:
    """The id (and identifier value) of one measure's Observation: stable across exports."""
    return f"visit-{visit_id}-{side.value}-{codes.MEASURES[measure].code}"


def plan_definition_url(pathway_id: str) -> str:
    return f"{codes.BASE_URL}/PlanDefinition/{pathway_id}-pathway"


def activity_definition_url(pathway_id: str, item_id: str) -> str:
    return f"{codes.BASE_URL}/ActivityDefinition/{pathway_id}-{item_id}"


def _reference(resource_type: str, resource_id: str) -> dict[str, str]:
    return {"reference": f"{resource_type}/{resource_id}"}


def _body_site(side: str) -> dict[str, Any]:
    code, display = codes.HIP_BODY_SITES[side]
    return _concept(codes.SNOMED, code, display)


def _sides(value: str) -> tuple[str, ...]:
    return ("right", "left") if value == "both" else (value,)


def organization(site: Site, local: codes.LocalIdentifiers = codes.DEFAULT_IDENTIFIERS) -> Resource:
    """The site, identified in this installation's site-id system."""
    return {
        "resourceType": "Organization",
        "id": _organization_id(site.id),
        "identifier": [{"system": local.site, "value": site.id}],
        "active": True,
        "name": site.name,
    }


def _identifier(system: str, value: str) -> dict[str, str]:
    return {"system": system, "value": value}


def patient(
    child: Child,
    identifiers: Sequence[ExternalIdentifier] = (),
    local: codes.LocalIdentifiers = codes.DEFAULT_IDENTIFIERS,
) -> Resource:
    """The child as a Patient: this installation's identifier, then those other systems gave
    them."""
    if child.id is None:
        raise ValueError("only a stored child (with an id) can be exported")
    listed = [_identifier(local.child, str(child.id))]
    listed += [
        _identifier(item.system, item.value) for item in identifiers if item.system != local.child
    ]
    resource: Resource = {
        "resourceType": "Patient",
        "id": patient_id(child.id),
        "identifier": listed,
        "active": True,
        "name": [
            {
                "use": "official",
                "family": child.family_name,
                "given": [child.given_name],
                "text": f"{child.given_name} {child.family_name}",
            }
        ],
        "birthDate": child.date_of_birth.isoformat(),
        "communication": [
            {
                "language": {
                    "coding": [coding("urn:ietf:bcp:47", child.preferred_language)],
                    "text": child.preferred_language,
                },
                "preferred": True,
            }
        ],
        "managingOrganization": _reference("Organization", _organization_id(child.site_id)),
    }
    if child.gestation_weeks is not None:
        # No core element holds gestation at birth; hipcare's own extension keeps it.
        resource["extension"] = [
            {
                "url": codes.EXTENSION_GESTATION_AT_BIRTH,
                "valueQuantity": {
                    "value": child.gestation_weeks,
                    "unit": "weeks",
                    "system": codes.UCUM,
                    "code": "wk",
                },
            }
        ]
    return resource


def related_people(child: Child) -> Iterator[Resource]:
    assert child.id is not None  # noqa: S101 -- checked by patient(), which runs first
    for position, contact in enumerate(child.contacts, start=1):
        telecom = []
        if contact.phone is not None:
            telecom.append({"system": "phone", "value": contact.phone})
        if contact.email is not None:
            telecom.append({"system": "email", "value": contact.email})
        yield {
            "resourceType": "RelatedPerson",
            "id": f"child-{child.id}-contact-{position}",
            "active": True,
            "patient": _reference("Patient", patient_id(child.id)),
            # The relationship is free text in hipcare ("mother", "foster carer"...).
            "relationship": [{"text": contact.relationship}],
            "name": [{"text": contact.name}],
            "telecom": telecom,
        }


def conditions(record: ChildRecord) -> Iterator[Resource]:
    child_id = record.child.id
    assert child_id is not None  # noqa: S101 -- checked by patient(), which runs first
    base = {
        "resourceType": "Condition",
        "clinicalStatus": _concept(codes.CONDITION_CLINICAL, "active", "Active"),
        "category": [_concept(codes.CONDITION_CATEGORY, "problem-list-item", "Problem List Item")],
        "subject": _reference("Patient", patient_id(child_id)),
    }
    code, display = codes.SNOMED_CEREBRAL_PALSY
    yield {
        **base,
        "id": f"child-{child_id}-cerebral-palsy",
        "code": _concept(codes.SNOMED, code, display, "Cerebral palsy"),
    }
    planned = [
        op.plan for op in record.operations if op.plan.status is not OperationStatus.CANCELLED
    ]
    if planned:
        # A planned VDRO is the surgical team's judgement that the hip is displacing.
        sides = sorted({side for plan in planned for side in _sides(plan.sides.value)})
        code, display = codes.HIP_DISPLACEMENT
        yield {
            **base,
            "id": f"child-{child_id}-hip-displacement",
            "code": _concept(codes.CODE_SYSTEM_CONDITIONS, code, display),
            "bodySite": [_body_site(side) for side in sides],
        }


def _quantity(value: float, measure: codes.MeasureCode) -> dict[str, Any]:
    return {
        "value": value,
        "unit": measure.unit_display,
        "system": codes.UCUM,
        "code": measure.unit_code,
    }


def observations(
    record: ChildRecord, local: codes.LocalIdentifiers = codes.DEFAULT_IDENTIFIERS
) -> Iterator[Resource]:
    child = record.child
    assert child.id is not None  # noqa: S101 -- checked by patient(), which runs first
    subject = _reference("Patient", patient_id(child.id))
    if child.gmfcs is not None:
        code, display = codes.GMFCS_LEVEL
        yield {
            "resourceType": "Observation",
            "id": f"child-{child.id}-gmfcs",
            "identifier": [_identifier(local.measure, f"child-{child.id}-gmfcs")],
            "status": "final",
            "category": [_concept(codes.OBSERVATION_CATEGORY, "exam", "Exam")],
            "code": _concept(codes.CODE_SYSTEM_MEASURES, code, display),
            "subject": subject,
            "valueCodeableConcept": _concept(
                codes.CODE_SYSTEM_GMFCS, child.gmfcs.value, f"GMFCS level {child.gmfcs.value}"
            ),
        }
    for visit in record.visits:
        assert visit.id is not None  # noqa: S101 -- stored visits have ids
        for hip in visit.hips:
            for measure, measure_code in codes.MEASURES.items():
                value = getattr(hip, measure.value)
                if value is None:
                    continue
                resource_id = measure_observation_id(visit.id, hip.side, measure)
                observation: Resource = {
                    "resourceType": "Observation",
                    "id": resource_id,
                    "identifier": [_identifier(local.measure, resource_id)],
                    "status": "final",
                    "category": [_concept(codes.OBSERVATION_CATEGORY, "imaging", "Imaging")],
                    "code": _concept(
                        codes.CODE_SYSTEM_MEASURES, measure_code.code, measure_code.display
                    ),
                    "subject": subject,
                    "effectiveDateTime": visit.visit_date.isoformat(),
                    "issued": visit.recorded_at.isoformat(),
                    "bodySite": _body_site(hip.side.value),
                    "method": {"text": "Measured on a supine AP pelvis radiograph"},
                    "valueQuantity": _quantity(value, measure_code),
                }
                raw = hip.migration_percentage_raw
                if measure is codes.Measure.MIGRATION_PERCENTAGE and raw is not None:
                    code, display = codes.MIGRATION_PERCENTAGE_RAW
                    observation["component"] = [
                        {
                            "code": _concept(codes.CODE_SYSTEM_MEASURES, code, display),
                            "valueQuantity": _quantity(raw, measure_code),
                        }
                    ]
                yield observation


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
                "code": _concept(
                    codes.CODE_SYSTEM_PROCEDURES, procedure.value, codes.PROCEDURES[procedure.value]
                ),
                "subject": _reference("Patient", patient_id(child_id)),
                "bodySite": [_body_site(side) for side in _sides(plan.sides.value)],
            }
            if plan.surgery_date is not None:
                resource["performedDateTime"] = plan.surgery_date.isoformat()
            if procedure.value == "vdro":
                resource["note"] = [{"text": f"Implant planned: {plan.implant}"}]
                if operation.outcome is not None and operation.outcome.complications:
                    resource["complication"] = [
                        _concept(
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
    vdro = _reference("Procedure", f"operation-{plan_id}-vdro")
    subject = _reference("Patient", patient_id(child_id))
    sides = [side.value for side in outcome.sides]
    if outcome.return_to_theatre:
        code, display = codes.RETURN_TO_THEATRE
        yield {
            "resourceType": "Procedure",
            "id": f"operation-{plan_id}-return-to-theatre",
            "status": "completed",
            "code": _concept(codes.CODE_SYSTEM_PROCEDURES, code, display),
            "subject": subject,
            "partOf": [vdro],
            "bodySite": [_body_site(side) for side in sides],
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
            "code": _concept(codes.CODE_SYSTEM_PROCEDURES, code, display),
            "subject": subject,
            "performedDateTime": reoperation.reoperation_date.isoformat(),
            "bodySite": [_body_site(reoperation.side.value)],
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
            "code": _concept(
                codes.CODE_SYSTEM_PROCEDURES, "plate-removal", codes.PROCEDURES["plate-removal"]
            ),
            "subject": subject,
            "performedDateTime": outcome.plate_removal_date.isoformat(),
            "bodySite": [_body_site(side) for side in sides],
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
                    "category": [_concept(codes.OBSERVATION_CATEGORY, "imaging", "Imaging")],
                    "code": _concept(codes.CODE_SYSTEM_MEASURES, code, display),
                    "subject": _reference("Patient", patient_id(child_id)),
                    "partOf": [_reference("Procedure", f"operation-{plan_id}-vdro")],
                    "bodySite": _body_site(hip.side.value),
                    "valueQuantity": _quantity(value, mp),
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
            "subject": _reference("Patient", patient_id(child_id)),
            "period": period,
            "reasonReference": [
                _reference("Procedure", f"operation-{plan_id}-{procedure.value}")
                for procedure in operation.plan.procedures
            ],
        }
        for index, readmission in enumerate(outcome.readmission_dates, start=1):
            yield {
                "resourceType": "Encounter",
                "id": f"operation-{plan_id}-readmission-{index}",
                "status": "finished",
                "class": inpatient,
                "subject": _reference("Patient", patient_id(child_id)),
                "period": {"start": readmission.isoformat()},
                "partOf": _reference("Encounter", f"operation-{plan_id}-stay"),
                "hospitalization": {
                    "reAdmission": {"text": "readmission after the operation's stay"}
                },
            }


def care_plans(record: ChildRecord, pathway: Pathway) -> Iterator[Resource]:
    """One CarePlan per operation plan that has items; one Task per item (done or not)."""
    child_id = record.child.id
    assert child_id is not None  # noqa: S101 -- checked by patient(), which runs first
    for operation in record.operations:
        plan = operation.plan
        if not operation.items:
            continue
        care_plan_id = f"operation-{plan.id}-care-plan"
        task_ids = []
        tasks = []
        for item in operation.items:
            task_id = f"operation-{plan.id}-task-{item.item_id}"
            task_ids.append(task_id)
            tasks.append(
                task(
                    task_id,
                    item.item_id,
                    pathway,
                    patient_reference=f"Patient/{patient_id(child_id)}",
                    care_plan_reference=f"CarePlan/{care_plan_id}",
                    due=item.due_date.isoformat(),
                    done_at=None if item.done_at is None else item.done_at.isoformat(),
                )
            )
        all_done = all(item.done for item in operation.items)
        yield {
            "resourceType": "CarePlan",
            "id": care_plan_id,
            "instantiatesCanonical": [plan_definition_url(pathway.id)],
            "status": "completed" if all_done else _care_plan_status(plan.status),
            "intent": "plan",
            "title": pathway.title,
            "subject": _reference("Patient", patient_id(child_id)),
            "activity": [{"reference": _reference("Task", task_id)} for task_id in task_ids],
        }
        yield from tasks


def _care_plan_status(status: OperationStatus) -> str:
    if status is OperationStatus.CANCELLED:
        return "revoked"
    if status is OperationStatus.POSTPONED:
        return "on-hold"
    return "active"


def task(
    task_id: str,
    item_id: str,
    pathway: Pathway,
    *,
    patient_reference: str,
    care_plan_reference: str,
    due: str,
    until: str | None = None,
    done_at: str | None = None,
    description: str | None = None,
    local_protocol: bool | None = None,
) -> Resource:
    """One Task for one pathway item: ``completed`` once the family ticked it, else ``requested``.

    ``due`` (and ``until`` for a recurring item) become ``restriction.period``.
    """
    definition = pathway.item(item_id)
    resource: Resource = {
        "resourceType": "Task",
        "id": task_id,
        "instantiatesCanonical": activity_definition_url(pathway.id, item_id),
        "basedOn": [{"reference": care_plan_reference}],
        "status": "completed" if done_at is not None else "requested",
        "intent": "plan",
        "code": _concept(codes.CODE_SYSTEM_PATHWAY_ITEMS, item_id, definition.title),
        "description": description or definition.title,
        "for": {"reference": patient_reference},
        "restriction": {"period": {"start": due, "end": until or due}},
        "performerType": [
            _concept(codes.CODE_SYSTEM_OWNERS, definition.owner.value, definition.owner.value)
        ],
    }
    if done_at is not None:
        resource["lastModified"] = done_at
    is_local = (
        definition.timing_status.value == "local-protocol"
        if local_protocol is None
        else local_protocol
    )
    if is_local:
        resource["note"] = [
            {"text": "Timing is local protocol: to be confirmed by the clinical lead."}
        ]
    return resource


def child_resources(
    record: ChildRecord,
    pathway: Pathway,
    local: codes.LocalIdentifiers = codes.DEFAULT_IDENTIFIERS,
) -> list[Resource]:
    """Every resource of one child's record, Patient first (Organization not included);
    identifiers in ``local``'s systems (this installation's, ``HIPCARE_FHIR_BASE_URL``)."""
    resources = [patient(record.child, record.identifiers, local)]
    resources += related_people(record.child)
    resources += conditions(record)
    resources += observations(record, local)
    resources += outcome_observations(record)
    resources += procedures(record)
    resources += encounters(record)
    resources += care_plans(record, pathway)
    return resources


def bundle(
    resources: Iterable[Resource],
    *,
    bundle_type: str = "collection",
    base_url: str = codes.BASE_URL,
    timestamp: str | None = None,
    bundle_id: str | None = None,
) -> Resource:
    """A Bundle of ``resources``; each entry's ``fullUrl`` is ``base_url/Type/id``.

    Relative references inside the resources (``Patient/child-1``) resolve against it.
    """
    result: Resource = {"resourceType": "Bundle", "type": bundle_type}
    if bundle_id is not None:
        result["id"] = bundle_id
    if timestamp is not None:
        result["timestamp"] = timestamp
    result["entry"] = [
        {"fullUrl": f"{base_url}/{resource['resourceType']}/{resource['id']}", "resource": resource}
        for resource in resources
    ]
    return result


def child_bundle(
    record: ChildRecord,
    pathway: Pathway,
    *,
    timestamp: str | None = None,
    local: codes.LocalIdentifiers = codes.DEFAULT_IDENTIFIERS,
) -> Resource:
    """One child's record as a FHIR ``collection`` Bundle, the site's Organization first;
    ``fullUrl`` values and identifiers from ``local`` (this installation's base URL)."""
    return bundle(
        [organization(record.site, local), *child_resources(record, pathway, local)],
        timestamp=timestamp,
        bundle_id=f"child-{record.child.id}",
        base_url=local.base_url,
    )


def by_type(resources: Iterable[Resource]) -> Mapping[str, list[Resource]]:
    """Resources grouped by ``resourceType`` (for one NDJSON file per type)."""
    grouped: dict[str, list[Resource]] = {}
    for resource in resources:
        grouped.setdefault(resource["resourceType"], []).append(resource)
    return grouped
