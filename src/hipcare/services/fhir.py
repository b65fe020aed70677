"""Use cases behind FHIR export and import: which records, who may, what is audited.

The services speak hipcare's values only; turning them into FHIR resources (and FHIR
resources into the candidates below) is the adapter ``hipcare.interop.fhir``, which the
entry points wire in.

Export: :func:`children_to_export` lists the child ids of a scope (one child, one site, or
every site the actor belongs to) and :func:`export_child` reads one child's whole record
(visits, operation plans and care-plan items, identifiers other systems gave them), audited
as ``child.exported``.

Import: :func:`import_records` (in :mod:`hipcare.services.fhir_import`, re-exported here)
takes patient, contact and measure candidates read from a bundle and stores them in ONE
transaction; each candidate is either fully imported or listed in the report as rejected.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from hipcare.domain.diary import DiaryEntry
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.exchange import (
    HIP_MEASURE_FIELDS,
    ChildRecord,
    Conflict,
    ContactCandidate,
    MeasureCandidate,
    OperationRecord,
    PatientCandidate,
    Rejection,
)
from hipcare.domain.outcomes import (
    HipFilm,
    HipOutcome,
    OperationOutcome,
    OutcomeChild,
    OutcomeThresholds,
    hip_outcomes,
)
from hipcare.domain.pathway import CareFacts
from hipcare.domain.records import (
    AuditAction,
    Child,
    EntityType,
    OperationPlan,
    User,
    VisitRecord,
)
from hipcare.services.access import PermissionDeniedError, find_actor, write_audit
from hipcare.services.fhir_import import ImportReport, import_records
from hipcare.services.operation_outcomes import outcome_value
from hipcare.services.ports import UnitOfWork

__all__ = [
    "HIP_MEASURE_FIELDS",
    "ChildRecord",
    "Conflict",
    "ContactCandidate",
    "ImportReport",
    "MeasureCandidate",
    "OperationRecord",
    "PatientCandidate",
    "Rejection",
    "children_to_export",
    "export_child",
    "export_diary",
    "find_child_by_identifier",
    "import_records",
]

# --- export ------------------------------------------------------------------------------------


def _refuse(
    uow: UnitOfWork, actor: User, entity_type: EntityType, entity_id: int | str, now: datetime
) -> PermissionDeniedError:
    """Record the refused attempt (committed on its own) and return the error to raise."""
    uow.rollback()
    write_audit(uow, actor, AuditAction.ACCESS_DENIED, entity_type, entity_id, now)
    uow.commit()
    return PermissionDeniedError(
        entity_type.value, f"user {actor.id} does not belong to the {entity_type.value}'s site"
    )


def children_to_export(
    uow: UnitOfWork,
    actor_id: int,
    *,
    child_id: int | None = None,
    site_id: str | None = None,
    now: datetime,
) -> list[int]:
    """Ids of the children to export: one child, one site, or (neither given) every child of
    every site the actor belongs to. A child or site of another site is refused and audited."""
    if child_id is not None and site_id is not None:
        raise InvalidInputError("scope", "give a child or a site, not both")
    with uow:
        actor = find_actor(uow, actor_id)
        if child_id is not None:
            child = uow.children.get(child_id)
            if child is None:
                raise InvalidInputError("child", f"no child with id {child_id}")
            if not actor.belongs_to(child.site_id):
                raise _refuse(uow, actor, EntityType.CHILD, child_id, now)
            return [child_id]
        if site_id is not None:
            if uow.sites.get(site_id) is None:
                raise InvalidInputError("site", f"no site {site_id!r} is known")
            if not actor.belongs_to(site_id):
                raise _refuse(uow, actor, EntityType.SITE, site_id, now)
            sites = [site_id]
        else:
            sites = sorted(actor.site_ids)
        # A duplicate merged into another child is exported as that child (only asked for
        # by id is the read-only record itself exported).
        return [
            child.id
            for site in sites
            for child in uow.children.at_site(site)
            if child.id is not None and child.merged_into is None
        ]


def _care_facts(uow: UnitOfWork, child: Child, plan: OperationPlan) -> CareFacts | None:
    """The pathway's facts for a stored operation, as ``services.operations`` builds them
    when it starts the pathway; None while the pathway is not started."""
    if plan.surgery_date is None or None in (
        plan.wheelchair_user,
        plan.attends_school,
        plan.sees_therapists,
    ):
        return None
    surgeon = uow.users.get(plan.surgeon_id)
    return CareFacts(
        surgery_date=plan.surgery_date,
        sides=plan.sides,
        procedures=plan.procedures,
        wheelchair_user=bool(plan.wheelchair_user),
        attends_school=bool(plan.attends_school),
        sees_therapists=bool(plan.sees_therapists),
        weight_bearing=plan.weight_bearing,
        positioning_device=plan.positioning_device,
        language=child.preferred_language,
        site=child.site_id,
        surgeon=None if surgeon is None else surgeon.surgeon_profile,
        child_ref=f"child-{child.id}",
    )


def _outcome(uow: UnitOfWork, plan: OperationPlan) -> OperationOutcome | None:
    """The operation's recorded outcome (stay, complications, ...), if any."""
    if plan.id is None or plan.surgery_date is None:
        return None
    recorded = uow.operation_outcomes.get(plan.id)
    if recorded is None:
        return None
    return outcome_value(plan, plan.surgery_date, recorded)


def _hip_outcomes(
    child: Child,
    visits: Sequence[VisitRecord],
    outcome: OperationOutcome | None,
    thresholds: OutcomeThresholds | None,
) -> tuple[HipOutcome, ...]:
    """The operated hips' migration percentage before and after, from the child's films."""
    if outcome is None or thresholds is None or child.id is None:
        return ()
    films = tuple(
        HipFilm(hip.side, visit.visit_date, hip.migration_percentage_reported)
        for visit in visits
        for hip in visit.hips
        if hip.migration_percentage_reported is not None and visit.visit_date >= child.date_of_birth
    )
    return hip_outcomes(
        outcome, OutcomeChild(child.id, child.date_of_birth, child.gmfcs, films), thresholds
    )


def export_child(
    uow: UnitOfWork,
    actor_id: int,
    child_id: int,
    *,
    now: datetime,
    thresholds: OutcomeThresholds | None = None,
) -> ChildRecord:
    """One child's whole record for export; the read is audited as ``child.exported``.

    With ``thresholds`` (the outcomes content), each operation with a recorded outcome also
    carries its hips' migration percentage before and after (issue 19)."""
    with uow:
        actor = find_actor(uow, actor_id)
        child = uow.children.get(child_id)
        if child is None:
            raise InvalidInputError("child", f"no child with id {child_id}")
        if not actor.belongs_to(child.site_id):
            raise _refuse(uow, actor, EntityType.CHILD, child_id, now)
        site = uow.sites.get(child.site_id)
        if site is None:  # pragma: no cover -- a foreign key keeps every child's site
            raise InvalidInputError("site", f"no site {child.site_id!r} is known")
        visits = tuple(uow.visits.for_child(child_id))
        operations = []
        for plan in uow.operation_plans.for_child(child_id):
            if plan.id is None:  # pragma: no cover -- stored plans have ids
                continue
            outcome = _outcome(uow, plan)
            operations.append(
                OperationRecord(
                    plan,
                    tuple(uow.care_plan_items.for_operation_plan(plan.id)),
                    _care_facts(uow, child, plan),
                    outcome,
                    _hip_outcomes(child, visits, outcome, thresholds),
                )
            )
        record = ChildRecord(
            site=site,
            child=child,
            visits=visits,
            operations=tuple(operations),
            identifiers=tuple(uow.external_identifiers.for_entity(EntityType.CHILD, child_id)),
        )
        write_audit(uow, actor, AuditAction.CHILD_EXPORTED, EntityType.CHILD, child_id, now)
        uow.commit()
    return record


def find_child_by_identifier(
    uow: UnitOfWork, actor_id: int, system: str, value: str, *, now: datetime
) -> list[Child]:
    """The child another system knows as (``system``, ``value``), if they are at one of the
    actor's sites (a search: a child elsewhere is simply not found). Listing is audited."""
    with uow:
        actor = find_actor(uow, actor_id)
        child_id = uow.external_identifiers.find(EntityType.CHILD, system, value)
        child = None if child_id is None else uow.children.get(child_id)
        if child is None or not actor.belongs_to(child.site_id):
            return []
        write_audit(uow, actor, AuditAction.CHILD_LISTED, EntityType.CHILD, child_id, now)
        uow.commit()
    return [child]


#: The most diary entries of one child an export reads (far more than a recovery produces).
DIARY_EXPORT_LIMIT = 100_000


def export_diary(
    uow: UnitOfWork, actor_id: int, child_id: int, *, now: datetime
) -> list[tuple[int, DiaryEntry]]:
    """The child's home-diary entries (id, entry), oldest first, for export.

    Read through ``hipcare.services.family.diary_entries``: the same access rule (staff of
    the child's site, or linked family) and its ``diary.read`` audit row. Each stored entry
    is checked again as the domain value it was recorded as.
    """
    from hipcare.services.family import diary_entries, parse_diary_entry

    stored = diary_entries(uow, actor_id, child_id, now=now, limit=DIARY_EXPORT_LIMIT)
    entries = []
    for item in reversed(stored):
        entry, _ = parse_diary_entry(
            item.child_id,
            {"kind": item.kind.value, **item.data},
            now=item.recorded_at,
            has_photo=item.has_photo,
        )
        entries.append((item.id, entry))
    return entries
