"""The VDRO pathway as a FHIR PlanDefinition with ActivityDefinitions, and ``$apply``.

:func:`plan_definition` turns the shipped pathway (``content/pathway.toml``) into one
PlanDefinition whose actions are grouped by phase; :func:`activity_definitions` gives one
ActivityDefinition (kind Task) per item. Timing is relative to three anchor actions
(surgery, admission and discharge day) through ``relatedAction`` with an ``offsetDuration``
in days; a recurring item also carries ``timingTiming`` (daily or weekly, bounded). Who acts is
the item's owner; an item whose timing is local protocol says it is to be confirmed by the
clinical lead.

Conditions: each ``applies_when`` of the pathway becomes an ``applicability`` condition whose
expression names hipcare's facts (``sees_therapists = false``, ``'dega' in procedures``).
Its language is ``text/cql`` (R4's ExpressionLanguage has no ``text/cql-expression``, which
came with R5, and HL7's R4 JSON schema refuses it), but no CQL library defines those names:
hipcare's own pathway engine evaluates them (``hipcare.domain.pathway.personalise``), and the
expression's ``description`` says so in words. Another system can read the conditions, not run them.

:func:`apply_plan` is ``PlanDefinition/$apply`` for one Patient: the CarePlan (status draft,
intent plan) with one Task per item of the child's dated plan, the same items, dates,
owners and texts ``hipcare plan`` prints for the same facts.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from datetime import date
from typing import Any

from hipcare.domain.pathway import Condition, Owner, Pathway, PathwayItem, TimingStatus
from hipcare.domain.plan_entry import PlanEntry
from hipcare.interop.fhir import codes
from hipcare.interop.fhir.mapping import (
    activity_definition_url,
    bundle,
    coding,
    plan_definition_url,
    task,
)

__all__ = [
    "activity_definitions",
    "apply_plan",
    "booklet_document_reference",
    "knowledge_bundle",
    "plan_definition",
]

Resource = dict[str, Any]

_DAYS = {"unit": "days", "system": codes.UCUM, "code": "d"}
_PARTICIPANT = {
    Owner.FAMILY: "related-person",
    Owner.OT: "practitioner",
    Owner.PHYSIO: "practitioner",
    Owner.NURSE: "practitioner",
    Owner.SURGEON: "practitioner",
    Owner.ANAESTHETIST: "practitioner",
    Owner.CARE_TEAM: "practitioner",
}
_ANCHOR_TITLES = {
    "surgery": "Day of the operation",
    "admission": "Day of admission to hospital",
    "discharge": "Expected day of going home",
}


def _pascal(text: str) -> str:
    return "".join(part.capitalize() for part in text.replace("_", "-").split("-"))


def _condition_text(condition: Condition) -> tuple[str, str]:
    """(expression, words) for one ``applies_when`` condition."""
    expressions, words = [], []
    for key, value in condition.requirements:
        if key == "procedures_include":
            expressions.append(f"'{value}' in procedures")
            words.append(f"the operation includes {value}")
        elif isinstance(value, bool):
            expressions.append(f"{key} = {'true' if value else 'false'}")
            words.append(f"{key.replace('_', ' ')} is {'yes' if value else 'no'}")
        else:
            expressions.append(f"{key} = '{value}'")
            words.append(f"{key.replace('_', ' ')} is {value}")
    return " and ".join(expressions), "; ".join(words)


def _usage(item: PathwayItem) -> str:
    if item.timing_status is TimingStatus.LOCAL_PROTOCOL:
        return "Timing is local protocol: to be confirmed by the clinical lead."
    return "Timing as the family fact sheet gives it."


def _action(pathway: Pathway, item: PathwayItem) -> Resource:
    start = item.when.start
    if start.offset_days < 0:
        relationship = "before-start"
    elif start.offset_days > 0:
        relationship = "after-start"
    else:
        relationship = "concurrent-with-start"
    action: Resource = {
        "id": item.id,
        "title": item.title,
        "description": item.clinician_note,
        "code": [{"coding": [coding(codes.CODE_SYSTEM_PATHWAY_ITEMS, item.id, item.title)]}],
        "relatedAction": [
            {
                "actionId": f"anchor-{start.anchor.value}",
                "relationship": relationship,
                "offsetDuration": {"value": abs(start.offset_days), **_DAYS},
            }
        ],
        "definitionCanonical": activity_definition_url(pathway.id, item.id),
    }
    if item.applies_when.requirements:
        expression, words = _condition_text(item.applies_when)
        action["condition"] = [
            {
                "kind": "applicability",
                "expression": {
                    "description": (
                        f"Applies when {words}. Evaluated by hipcare's pathway engine; "
                        "no CQL library defines these names."
                    ),
                    "language": "text/cql",
                    "expression": expression,
                },
            }
        ]
    if item.when.recurrence is not None and item.when.until is not None:
        until = item.when.until
        span = until.offset_days - start.offset_days
        weekly = item.when.recurrence.interval_days == 7
        action["timingTiming"] = {
            "repeat": {
                "boundsDuration": {"value": span, **_DAYS},
                "frequency": 1,
                "period": 1,
                "periodUnit": "wk" if weekly else "d",
            }
        }
        action["textEquivalent"] = (
            f"Repeats {item.when.recurrence.value} until {until.offset_days} days "
            f"from the {until.anchor.value} day."
        )
    return action


def plan_definition(pathway: Pathway, source: str | None = None) -> Resource:
    """The pathway as a PlanDefinition: anchor actions, then one group action per phase."""
    anchors = [
        {"id": f"anchor-{anchor}", "title": title, "description": f"Anchor: {title.lower()}."}
        for anchor, title in _ANCHOR_TITLES.items()
    ]
    phases = [
        {
            "id": f"phase-{phase.phase.value}",
            "title": phase.title,
            "groupingBehavior": "logical-group",
            "action": [
                _action(pathway, item) for item in pathway.items if item.phase is phase.phase
            ],
        }
        for phase in pathway.phases
    ]
    return {
        "resourceType": "PlanDefinition",
        "id": f"{pathway.id}-pathway",
        "url": plan_definition_url(pathway.id),
        "version": str(pathway.version),
        "name": f"{_pascal(pathway.id)}Pathway",
        "title": pathway.title,
        "type": {
            "coding": [
                coding(
                    "http://terminology.hl7.org/CodeSystem/plan-definition-type",
                    "clinical-protocol",
                    "Clinical Protocol",
                )
            ]
        },
        # Draft: several timings are local protocol, still to be confirmed by the clinical lead.
        "status": "draft",
        "description": source or "The care pathway around a varus derotation osteotomy (VDRO).",
        "action": [*anchors, *[phase for phase in phases if phase["action"]]],
    }


def activity_definitions(pathway: Pathway) -> list[Resource]:
    """One ActivityDefinition (kind Task) per pathway item."""
    resources = []
    for item in pathway.items:
        resource: Resource = {
            "resourceType": "ActivityDefinition",
            "id": f"{pathway.id}-{item.id}",
            "url": activity_definition_url(pathway.id, item.id),
            "version": str(pathway.version),
            "name": f"{_pascal(pathway.id)}{_pascal(item.id)}",
            "title": item.title,
            "status": "draft",
            "description": item.clinician_note,
            "usage": _usage(item),
            "kind": "Task",
            "code": {"coding": [coding(codes.CODE_SYSTEM_PATHWAY_ITEMS, item.id, item.title)]},
        }
        participant = _PARTICIPANT.get(item.owner)
        if participant is not None:
            resource["participant"] = [{"type": participant}]
        resources.append(resource)
    return resources


def knowledge_bundle(pathway: Pathway, source: str | None = None) -> Resource:
    """The PlanDefinition and its ActivityDefinitions as one collection Bundle."""
    return bundle([plan_definition(pathway, source), *activity_definitions(pathway)])


def apply_plan(
    pathway: Pathway,
    entries: Sequence[PlanEntry],
    *,
    patient_reference: str,
    plan_identity: str,
    language: str,
    surgery_date: date,
) -> list[Resource]:
    """``PlanDefinition/$apply``: the CarePlan and its Tasks for one child's dated plan.

    ``entries`` are the translated items of the child's plan (``plan_entries``), so the
    Tasks carry the same ids, dates, owners and texts as ``hipcare plan``. ``plan_identity``
    (``hipcare.services.pathway.plan_identity``) names the CarePlan stably.
    """
    digest = hashlib.sha256(plan_identity.encode("utf-8")).hexdigest()[:16]
    care_plan_id = f"apply-{digest}"
    tasks = [
        task(
            f"{care_plan_id}-{entry.id}",
            entry.id,
            pathway,
            patient_reference=patient_reference,
            care_plan_reference=f"CarePlan/{care_plan_id}",
            due=entry.date.isoformat(),
            until=entry.until.isoformat() if entry.until else None,
            done_at=None,
            description=f"{entry.title}\n\n{entry.full_text}",
            local_protocol=entry.to_be_confirmed,
        )
        for entry in entries
    ]
    for resource, entry in zip(tasks, entries, strict=True):
        resource["language"] = language
        if entry.status == "done":
            resource["status"] = "completed"
    dates = [entry.date for entry in entries] + [e.until for e in entries if e.until]
    care_plan: Resource = {
        "resourceType": "CarePlan",
        "id": care_plan_id,
        "language": language,
        "instantiatesCanonical": [plan_definition_url(pathway.id)],
        "status": "draft",
        "intent": "plan",
        "title": pathway.title,
        "description": f"Operation day {surgery_date.isoformat()}",
        "subject": {"reference": patient_reference},
        "activity": [{"reference": {"reference": f"Task/{resource['id']}"}} for resource in tasks],
    }
    if dates:
        care_plan["period"] = {"start": min(dates).isoformat(), "end": max(dates).isoformat()}
    return [care_plan, *tasks]


def booklet_document_reference(
    pdf: bytes,
    *,
    document_id: str,
    language: str,
    title: str,
    patient_reference: str,
    created: str,
) -> Resource:
    """A family booklet (PDF) as a DocumentReference with the PDF inline, in ``language``."""
    return {
        "resourceType": "DocumentReference",
        "id": document_id,
        "status": "current",
        "type": {"text": "Family booklet: VDRO care plan"},
        "subject": {"reference": patient_reference},
        "date": created,
        "description": title,
        "content": [
            {
                "attachment": {
                    "contentType": "application/pdf",
                    "language": language,
                    "data": base64.b64encode(pdf).decode("ascii"),
                    "title": title,
                    "creation": created,
                }
            }
        ],
    }
