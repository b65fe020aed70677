"""A child's record -> FHIR R4 resources (JSON-shaped dicts) and a Bundle of them.

One :class:`ChildRecord` (the child, their site, visits, operation plans with their care-plan
items) becomes: Organization (the site), Patient, RelatedPerson (one per family contact),
Condition (cerebral palsy; hip displacement when an operation is planned), Observation (one
per measure per hip per visit, and the GMFCS level), Procedure (one per planned procedure)
and CarePlan with one Task per care-plan item. Resource ids are derived from hipcare's ids,
so exporting the same record twice gives the same resources.

The operations' resources (Procedure, the outcome Observations, Encounter) are built in
:mod:`.operation_resources`, the CarePlan and its Tasks in :mod:`.care_plan_resources`, and
the pieces all of them share in :mod:`.resource_parts`; this module puts them together and
re-exports their names. Codes and their sources: :mod:`hipcare.interop.fhir.codes`.
Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

from hipcare.domain.exchange import ChildRecord
from hipcare.domain.pathway import Pathway
from hipcare.domain.radiograph import Side
from hipcare.domain.records import Child, ExternalIdentifier, OperationStatus, Site
from hipcare.interop.fhir import codes
from hipcare.interop.fhir.care_plan_resources import (
    activity_definition_url,
    care_plans,
    plan_definition_url,
    task,
)
from hipcare.interop.fhir.operation_resources import encounters, outcome_observations, procedures
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

__all__ = [
    "activity_definition_url",
    "bundle",
    "by_type",
    "care_plans",
    "child_bundle",
    "child_resources",
    "coding",
    "encounters",
    "measure_observation_id",
    "organization",
    "outcome_observations",
    "patient_id",
    "plan_definition_url",
    "procedures",
    "task",
]


def _organization_id(site_id: str) -> str:
    return f"site-{site_id}"


def measure_observation_id(visit_id: int, side: Side, measure: codes.Measure) -> str:
    """The id (and identifier value) of one measure's Observation: stable across exports."""
    return f"visit-{visit_id}-{side.value}-{codes.MEASURES[measure].code}"


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
        "managingOrganization": reference("Organization", _organization_id(child.site_id)),
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
            "patient": reference("Patient", patient_id(child.id)),
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
        "clinicalStatus": concept(codes.CONDITION_CLINICAL, "active", "Active"),
        "category": [concept(codes.CONDITION_CATEGORY, "problem-list-item", "Problem List Item")],
        "subject": reference("Patient", patient_id(child_id)),
    }
    code, display = codes.SNOMED_CEREBRAL_PALSY
    yield {
        **base,
        "id": f"child-{child_id}-cerebral-palsy",
        "code": concept(codes.SNOMED, code, display, "Cerebral palsy"),
    }
    planned = [
        op.plan for op in record.operations if op.plan.status is not OperationStatus.CANCELLED
    ]
    if planned:
        # A planned VDRO is the surgical team's judgement that the hip is displacing.
        sides = sorted({side for plan in planned for side in hip_sides(plan.sides.value)})
        code, display = codes.HIP_DISPLACEMENT
        yield {
            **base,
            "id": f"child-{child_id}-hip-displacement",
            "code": concept(codes.CODE_SYSTEM_CONDITIONS, code, display),
            "bodySite": [body_site(side) for side in sides],
        }


def observations(
    record: ChildRecord, local: codes.LocalIdentifiers = codes.DEFAULT_IDENTIFIERS
) -> Iterator[Resource]:
    child = record.child
    assert child.id is not None  # noqa: S101 -- checked by patient(), which runs first
    subject = reference("Patient", patient_id(child.id))
    if child.gmfcs is not None:
        code, display = codes.GMFCS_LEVEL
        yield {
            "resourceType": "Observation",
            "id": f"child-{child.id}-gmfcs",
            "identifier": [_identifier(local.measure, f"child-{child.id}-gmfcs")],
            "status": "final",
            "category": [concept(codes.OBSERVATION_CATEGORY, "exam", "Exam")],
            "code": concept(codes.CODE_SYSTEM_MEASURES, code, display),
            "subject": subject,
            "valueCodeableConcept": concept(
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
                    "category": [concept(codes.OBSERVATION_CATEGORY, "imaging", "Imaging")],
                    "code": concept(
                        codes.CODE_SYSTEM_MEASURES, measure_code.code, measure_code.display
                    ),
                    "subject": subject,
                    "effectiveDateTime": visit.visit_date.isoformat(),
                    "issued": visit.recorded_at.isoformat(),
                    "bodySite": body_site(hip.side.value),
                    "method": {"text": "Measured on a supine AP pelvis radiograph"},
                    "valueQuantity": quantity(value, measure_code),
                }
                raw = hip.migration_percentage_raw
                if measure is codes.Measure.MIGRATION_PERCENTAGE and raw is not None:
                    code, display = codes.MIGRATION_PERCENTAGE_RAW
                    observation["component"] = [
                        {
                            "code": concept(codes.CODE_SYSTEM_MEASURES, code, display),
                            "valueQuantity": quantity(raw, measure_code),
                        }
                    ]
                yield observation


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
