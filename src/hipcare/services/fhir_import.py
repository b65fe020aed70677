"""FHIR import: patient, contact and measure candidates stored in one transaction.

:func:`import_records` takes the candidates ``hipcare.interop.fhir.reading`` read from a
bundle. Each candidate is either fully imported or listed in the :class:`ImportReport` as
rejected (or as a conflict, :mod:`hipcare.services.fhir_conflicts`), with its index in the
bundle and the reason; nothing is left half-written. Identifiers make it idempotent: a
patient whose identifier is already known updates that child, and a measure whose identifier
is known updates that visit, so importing the same bundle twice changes nothing the second
time. Re-exported by :mod:`hipcare.services.fhir`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from hipcare.domain.errors import HipcareError, InvalidInputError
from hipcare.domain.exchange import (
    HIP_MEASURE_FIELDS,
    Conflict,
    ContactCandidate,
    Identifier,
    MeasureCandidate,
    PatientCandidate,
    Rejection,
)
from hipcare.domain.radiograph import Side
from hipcare.domain.records import (
    AuditAction,
    Child,
    EntityType,
    ExternalIdentifier,
    FamilyContact,
    HipMeasures,
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
from hipcare.services.ports import UnitOfWork
from hipcare.services.records import likely_duplicates, parse_child
from hipcare.services.surveillance_status import refresh_statuses

__all__ = ["ImportReport", "import_records"]


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
