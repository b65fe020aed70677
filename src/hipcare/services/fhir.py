"""Use cases behind FHIR export and import: which records, who may, what is audited.

The services speak hipcare's values only; turning them into FHIR resources (and FHIR
resources into the candidates below) is the adapter ``hipcare.interop.fhir``, which the
entry points wire in.

Export: :func:`children_to_export` lists the child ids of a scope (one child, one site, or
every site the actor belongs to) and :func:`export_child` reads one child's whole record
(visits, operation plans and care-plan items, identifiers other systems gave them), audited
as ``child.exported``.

Import: :func:`import_records` takes patient, contact and measure candidates read from a
bundle and stores them in ONE transaction. Each candidate is either fully imported or listed
in the report as rejected, with its index in the bundle and the reason; nothing is left
half-written. Identifiers make it idempotent: a patient whose identifier is already known
updates that child, and a measure whose identifier is known updates that visit, so importing
the same bundle twice changes nothing the second time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from hipcare.domain.diary import DiaryEntry
from hipcare.domain.errors import HipcareError, InvalidInputError
from hipcare.domain.exchange import (
    HIP_MEASURE_FIELDS,
    ChildRecord,
    Conflict,
    ContactCandidate,
    Identifier,
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
from hipcare.domain.radiograph import Side
from hipcare.domain.records import (
    AuditAction,
    Child,
    EntityType,
    ExternalIdentifier,
    FamilyContact,
    HipMeasures,
    OperationPlan,
    Role,
    User,
    VisitRecord,
)
from hipcare.domain.surveillance import SurveillanceRules
from hipcare.services.access import PermissionDeniedError, find_actor, write_audit
from hipcare.services.fhir_conflicts import (
    ImportConflictError,
    identifiers_claimed_twice,
    identity_disagreement,
    measures_on_their_own,
)
from hipcare.services.operation_outcomes import outcome_value
from hipcare.services.ports import UnitOfWork
from hipcare.services.records import likely_duplicates, parse_child
from hipcare.services.surveillance_status import refresh_statuses

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


# --- import ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportReport:
    """What an import did: records created, updated and unchanged, and what was rejected."""

    children_created: list[int] = field(default_factory=list)
    children_updated: list[int] = field(default_factory=list)
    children_unchanged: list[int] = field(default_factory=list)
    visits_created: list[int] = field(default_factory=list)
    visits_updated: list[int] = field(default_factory=list)
    visits_unchanged: list[int] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)

    def as_document(self) -> dict[str, Any]:
        """The report as JSON-shaped data (what ``hipcare fhir import`` prints)."""
        return {
            "children": {
                "created": self.children_created,
                "updated": self.children_updated,
                "unchanged": self.children_unchanged,
            },
            "visits": {
                "created": self.visits_created,
                "updated": self.visits_updated,
                "unchanged": self.visits_unchanged,
            },
            "rejected": [dataclasses.asdict(item) for item in self.rejected],
            "conflicts": [dataclasses.asdict(item) for item in self.conflicts],
        }


def _known(
    uow: UnitOfWork, entity_type: EntityType, identifiers: Sequence[Identifier]
) -> dict[Identifier, int]:
    """The identifiers already known, with the id of the record each names."""
    return {
        identifier: found
        for identifier in identifiers
        if (found := uow.external_identifiers.find(entity_type, *identifier)) is not None
    }


def _check_identifiers(entity_type: EntityType, identifiers: Sequence[Identifier]) -> None:
    """Refuse an identifier hipcare could not keep, before anything is written."""
    for system, value in identifiers:
        ExternalIdentifier(entity_type, 1, system, value)


def _remember(
    uow: UnitOfWork,
    entity_type: EntityType,
    entity_id: int,
    identifiers: Sequence[Identifier],
    known: Mapping[Identifier, int],
) -> None:
    """Keep the identifiers not yet known (``known``: what :func:`_known` found)."""
    for system, value in dict.fromkeys(identifiers):
        if (system, value) not in known:
            uow.external_identifiers.add(ExternalIdentifier(entity_type, entity_id, system, value))


def _same_child(left: Child, right: Child) -> bool:
    return dataclasses.replace(left, id=None) == dataclasses.replace(right, id=None)


def _import_patient(
    uow: UnitOfWork,
    actor: User,
    candidate: PatientCandidate,
    contacts: Sequence[ContactCandidate],
    report: ImportReport,
    *,
    today: date,
    now: datetime,
) -> int:
    """Create or update one child; returns its id. Raises HipcareError to reject it."""
    if not candidate.identifiers:
        raise InvalidInputError(
            "identifier", "a Patient needs an identifier so a second import updates it"
        )
    _check_identifiers(EntityType.CHILD, candidate.identifiers)
    parsed = parse_child(dict(candidate.form), today=today)
    if uow.sites.get(parsed.site_id) is None:
        raise InvalidInputError("site", f"no site {parsed.site_id!r} is known to hipcare")
    if not actor.belongs_to(parsed.site_id):
        raise PermissionDeniedError(
            "site", f"user {actor.id} does not belong to {parsed.site_id!r}"
        )
    known = _known(uow, EntityType.CHILD, candidate.identifiers)
    if len(set(known.values())) > 1:
        raise InvalidInputError("identifier", "its identifiers name different children")
    accepted: list[FamilyContact] = []
    refused_contacts: list[Rejection] = []
    for contact in contacts:
        try:
            accepted.append(
                FamilyContact(contact.name, contact.relationship, contact.phone, contact.email)
            )
        except InvalidInputError as error:
            refused_contacts.append(Rejection(contact.index, "RelatedPerson", str(error)))
    if known:
        (child_id,) = set(known.values())
        stored = uow.children.get(child_id)
        if stored is None:  # pragma: no cover -- identifiers point at stored children
            raise InvalidInputError("identifier", f"names child {child_id}, who is not stored")
        if not actor.belongs_to(stored.site_id):
            raise PermissionDeniedError(
                "identifier", f"names a child of a site user {actor.id} does not belong to"
            )
        reason = identity_disagreement(stored, parsed)
        if reason is not None:
            raise ImportConflictError(reason)
        # Who the child is stays as hipcare holds it: names (exact spelling), birth date,
        # sex and hospital numbers are never rewritten by an import.
        updated = dataclasses.replace(
            parsed,
            id=child_id,
            given_name=stored.given_name,
            family_name=stored.family_name,
            date_of_birth=stored.date_of_birth,
            administrative_sex=stored.administrative_sex,
            hospital_numbers=stored.hospital_numbers,
            gmfcs=candidate.gmfcs if candidate.gmfcs is not None else stored.gmfcs,
            contacts=tuple(accepted) if accepted else stored.contacts,
        )
        if _same_child(updated, stored):
            report.children_unchanged.append(child_id)
        else:
            uow.children.save(updated)
            write_audit(uow, actor, AuditAction.CHILD_UPDATED, EntityType.CHILD, child_id, now)
            report.children_updated.append(child_id)
    else:
        duplicates = likely_duplicates(uow, parsed)
        if duplicates:
            raise ImportConflictError(
                "no known identifier, but likely the same child as "
                f"{', '.join(f'child {other.id}' for other in duplicates)} (same names and "
                "birth date, or hospital number); nothing was changed: a clinician must check"
            )
        new = dataclasses.replace(parsed, gmfcs=candidate.gmfcs, contacts=tuple(accepted))
        stored_child = uow.children.add(new)
        assert stored_child.id is not None  # noqa: S101 -- add() returns the stored id
        child_id = stored_child.id
        write_audit(uow, actor, AuditAction.CHILD_REGISTERED, EntityType.CHILD, child_id, now)
        report.children_created.append(child_id)
    _remember(uow, EntityType.CHILD, child_id, candidate.identifiers, known)
    # Listed only now: had the Patient been refused, its contacts go with it (one reason).
    report.rejected.extend(refused_contacts)
    return child_id


def _hips(
    base: Sequence[HipMeasures], measures: Sequence[MeasureCandidate]
) -> tuple[HipMeasures, ...]:
    values: dict[Side, dict[str, float | None]] = {}
    for hip in base:
        values[hip.side] = {
            "migration_percentage_raw": hip.migration_percentage_raw,
            **{name: getattr(hip, name) for name in HIP_MEASURE_FIELDS},
        }
    for measure in measures:
        side = values.setdefault(measure.side, {})
        side[measure.measure] = measure.value
        if measure.measure == "migration_percentage_reported":
            side["migration_percentage_raw"] = measure.raw
    return tuple(HipMeasures(side=side, **fields) for side, fields in values.items())


def _import_visit(
    uow: UnitOfWork,
    actor: User,
    child_id: int,
    visit_date: date,
    measures: Sequence[MeasureCandidate],
    report: ImportReport,
    *,
    today: date,
    now: datetime,
) -> None:
    """Create or update the visit of one child on one day from its measures."""
    if actor.role is not Role.CLINICIAN:
        raise PermissionDeniedError(
            "actor", f"user {actor.id} is not a clinician; only a clinician records measures"
        )
    child = uow.children.get(child_id)
    if child is None:  # pragma: no cover -- the child was just stored or found
        raise InvalidInputError("subject", f"no child with id {child_id}")
    if not child.date_of_birth <= visit_date <= today:
        raise InvalidInputError(
            "effectiveDateTime",
            f"{visit_date.isoformat()} is not between the child's birth and today",
        )
    identifiers = [measure.identifier for measure in measures]
    _check_identifiers(EntityType.VISIT, identifiers)
    known = _known(uow, EntityType.VISIT, identifiers)
    if len(set(known.values())) > 1:
        raise InvalidInputError(
            "identifier", "the identifiers of one day's measures name different visits"
        )
    for measure in measures:
        # Each measure on its own first, so the error names it.
        HipMeasures(side=measure.side, **{measure.measure: measure.value})
    if known:
        (visit_id,) = set(known.values())
        stored = uow.visits.get(visit_id)
        if stored is None:  # pragma: no cover -- identifiers point at stored visits
            raise InvalidInputError("identifier", f"names visit {visit_id}, which is not stored")
        if stored.child_id != child_id:
            raise InvalidInputError("identifier", "already names a measure of another child")
        visit = dataclasses.replace(
            stored, visit_date=visit_date, xray=True, hips=_hips(stored.hips, measures)
        )
        if visit == stored:
            report.visits_unchanged.append(visit_id)
        else:
            uow.visits.save(visit)
            write_audit(uow, actor, AuditAction.VISIT_UPDATED, EntityType.VISIT, visit_id, now)
            report.visits_updated.append(visit_id)
    else:
        assert actor.id is not None  # noqa: S101 -- stored users have ids
        new = VisitRecord(
            child_id=child_id,
            visit_date=visit_date,
            xray=True,
            recorded_by=actor.id,
            recorded_at=now,
            hips=_hips((), measures),
        )
        stored_visit = uow.visits.add(new)
        assert stored_visit.id is not None  # noqa: S101 -- add() returns the stored id
        visit_id = stored_visit.id
        write_audit(uow, actor, AuditAction.VISIT_RECORDED, EntityType.VISIT, visit_id, now)
        report.visits_created.append(visit_id)
    _remember(uow, EntityType.VISIT, visit_id, identifiers, known)


def import_records(
    uow: UnitOfWork,
    actor_id: int,
    patients: Sequence[PatientCandidate],
    contacts: Sequence[ContactCandidate],
    measures: Sequence[MeasureCandidate],
    rejected: Sequence[Rejection] = (),
    *,
    today: date,
    now: datetime,
    rules: SurveillanceRules,
    trusted_systems: frozenset[str] | None = None,
) -> ImportReport:
    """Store the candidates in one transaction; return what happened to each.

    ``rejected`` are resources the reader already refused; they are listed in the report.
    A patient that is refused takes its contacts and measures with it (each listed).
    ``trusted_systems`` (None: all): only identifiers of these systems may find a stored
    child, and only they are kept; a Patient with identifiers but none of them trusted is
    rejected (``HIPCARE_FHIR_TRUSTED_SYSTEMS``).
    """
    if trusted_systems is not None:
        patients, untrusted = _trusted_only(patients, trusted_systems)
        refused_patients = {item.index for item in untrusted if item.resource_type == "Patient"}
        rejected = [
            *rejected,
            *untrusted,
            *(
                Rejection(contact.index, "RelatedPerson", "its Patient was rejected")
                for contact in contacts
                if contact.patient_index in refused_patients
            ),
        ]
        measures = [
            dataclasses.replace(measure, patient_identifier=None)
            if measure.patient_identifier is not None
            and measure.patient_identifier[0] not in trusted_systems
            else measure
            for measure in measures
        ]
    report = ImportReport(rejected=list(rejected))
    with uow:
        actor = find_actor(uow, actor_id)
        child_ids: dict[int, int] = {}
        claimed_twice = identifiers_claimed_twice(patients)
        for candidate in patients:
            mine = [c for c in contacts if c.patient_index == candidate.index]
            try:
                if candidate.index in claimed_twice:
                    raise ImportConflictError(claimed_twice[candidate.index])
                stored_id = _import_patient(
                    uow, actor, candidate, mine, report, today=today, now=now
                )
            except HipcareError as error:
                if isinstance(error, ImportConflictError):
                    report.conflicts.append(
                        Conflict(candidate.index, "Patient", candidate.resource_id, error.reason)
                    )
                else:
                    report.rejected.append(Rejection(candidate.index, "Patient", str(error)))
                for contact in mine:
                    report.rejected.append(
                        Rejection(contact.index, "RelatedPerson", "its Patient was rejected")
                    )
                if candidate.gmfcs_index is not None:
                    report.rejected.append(
                        Rejection(candidate.gmfcs_index, "Observation", "its Patient was rejected")
                    )
                continue
            child_ids[candidate.index] = stored_id
        groups: dict[tuple[int, date], list[MeasureCandidate]] = {}
        for measure in measures:
            child_id = _subject(uow, actor, measure, child_ids)
            if isinstance(child_id, str):
                report.rejected.append(Rejection(measure.index, "Observation", child_id))
                continue
            groups.setdefault((child_id, measure.visit_date), []).append(measure)
        for (child_id, visit_date), group in groups.items():
            usable, refused = measures_on_their_own(group)
            report.rejected.extend(refused)
            if not usable:
                continue
            try:
                _import_visit(
                    uow, actor, child_id, visit_date, usable, report, today=today, now=now
                )
            except HipcareError as error:
                report.rejected.extend(
                    Rejection(measure.index, "Observation", str(error)) for measure in usable
                )
        # Children added or changed and visits added or changed: judge them again (worklist).
        refresh_statuses(
            uow,
            {*child_ids.values(), *(child_id for child_id, _ in groups)},
            rules,
            today=today,
            now=now,
        )
        uow.commit()
    report.rejected.sort(key=lambda item: item.index)
    report.conflicts.sort(key=lambda item: item.index)
    return report


def _trusted_only(
    patients: Sequence[PatientCandidate], trusted_systems: frozenset[str]
) -> tuple[list[PatientCandidate], list[Rejection]]:
    """The Patients with their untrusted identifiers left out; those left with none refused."""
    kept: list[PatientCandidate] = []
    refused: list[Rejection] = []
    for candidate in patients:
        trusted = tuple(item for item in candidate.identifiers if item[0] in trusted_systems)
        if candidate.identifiers and not trusted:
            refused.append(
                Rejection(
                    candidate.index,
                    "Patient",
                    "identifier: none of its identifier systems is trusted here "
                    "(HIPCARE_FHIR_TRUSTED_SYSTEMS); nothing was imported",
                )
            )
            if candidate.gmfcs_index is not None:
                refused.append(
                    Rejection(candidate.gmfcs_index, "Observation", "its Patient was rejected")
                )
            continue
        kept.append(dataclasses.replace(candidate, identifiers=trusted))
    return kept, refused


def _subject(
    uow: UnitOfWork, actor: User, measure: MeasureCandidate, child_ids: Mapping[int, int]
) -> int | str:
    """The child id a measure belongs to, or the reason it cannot be placed."""
    if measure.patient_index is not None:
        found = child_ids.get(measure.patient_index)
        return found if found is not None else "its Patient was rejected"
    if measure.patient_identifier is not None:
        known = _known(uow, EntityType.CHILD, [measure.patient_identifier])
        if known:
            (child_id,) = known.values()
            child = uow.children.get(child_id)
            if child is not None and actor.belongs_to(child.site_id):
                return child_id
            return f"user {actor.id} may not record measures of the child it names"
    return "subject names no Patient of this bundle and no child hipcare knows"
