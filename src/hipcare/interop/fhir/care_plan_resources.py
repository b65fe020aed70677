"""An operation's care-plan items as a FHIR R4 CarePlan with one Task per item.

:func:`task` is shared with ``PlanDefinition/$apply`` (:mod:`.plan_definition`), and the
canonical URLs of the pathway's PlanDefinition and ActivityDefinitions are built here. Part
of :func:`hipcare.interop.fhir.mapping.child_resources` (which re-exports these names).
Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterator

from hipcare.domain.exchange import ChildRecord
from hipcare.domain.pathway import Pathway
from hipcare.domain.records import OperationStatus
from hipcare.interop.fhir import codes
from hipcare.interop.fhir.resource_parts import Resource, concept, patient_id, reference

__all__ = ["activity_definition_url", "care_plans", "plan_definition_url", "task"]


def plan_definition_url(pathway_id: str) -> str:
    return f"{codes.BASE_URL}/PlanDefinition/{pathway_id}-pathway"


def activity_definition_url(pathway_id: str, item_id: str) -> str:
    return f"{codes.BASE_URL}/ActivityDefinition/{pathway_id}-{item_id}"


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
            "subject": reference("Patient", patient_id(child_id)),
            "activity": [{"reference": reference("Task", task_id)} for task_id in task_ids],
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
        "code": concept(codes.CODE_SYSTEM_PATHWAY_ITEMS, item_id, definition.title),
        "description": description or definition.title,
        "for": {"reference": patient_reference},
        "restriction": {"period": {"start": due, "end": until or due}},
        "performerType": [
            concept(codes.CODE_SYSTEM_OWNERS, definition.owner.value, definition.owner.value)
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
