"""SQLAlchemy repositories: the services' repository protocols over one ORM session.

Each method speaks domain values (``hipcare.domain.records``) and flushes what it adds so
the new id is known; committing is the unit of work's job.

This module keeps the children, their visits and their external identifiers; the other
repositories live by area (``people_repositories``, ``operation_repositories``,
``audit_repository``, ``worklist_repository``) and are re-exported here under their names.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import (
    Child,
    EntityType,
    ExternalIdentifier,
    VisitRecord,
)
from hipcare.storage import mapping
from hipcare.storage.audit_repository import SqlAlchemyAuditLog
from hipcare.storage.operation_repositories import (
    SqlAlchemyAlertRepository,
    SqlAlchemyCarePlanItemRepository,
    SqlAlchemyOperationPlanRepository,
)
from hipcare.storage.people_repositories import SqlAlchemySiteRepository, SqlAlchemyUserRepository
from hipcare.storage.referrals import ReferralRow
from hipcare.storage.stored_ids import stored_id as _stored_id
from hipcare.storage.tables import (
    ChildRow,
    ExternalIdentifierRow,
    HospitalNumberRow,
    VisitRow,
)
from hipcare.storage.tables_operations import AlertRow, OperationPlanRow
from hipcare.storage.worklist_repository import SqlAlchemySurveillanceStatusRepository

__all__ = [
    "SqlAlchemyAlertRepository",
    "SqlAlchemyAuditLog",
    "SqlAlchemyCarePlanItemRepository",
    "SqlAlchemyChildRepository",
    "SqlAlchemyExternalIdentifierRepository",
    "SqlAlchemyOperationPlanRepository",
    "SqlAlchemySiteRepository",
    "SqlAlchemySurveillanceStatusRepository",
    "SqlAlchemyUserRepository",
    "SqlAlchemyVisitRepository",
]


class SqlAlchemyChildRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, child: Child) -> Child:
        row = mapping.child_row(child)
        self._session.add(row)
        self._session.flush()
        return mapping.child_from_row(row)

    def get(self, child_id: int) -> Child | None:
        row = self._session.get(ChildRow, child_id)
        return None if row is None else mapping.child_from_row(row)

    def save(self, child: Child) -> Child:
        row = self._session.get(ChildRow, _stored_id(child.id, "child"))
        if row is None:
            raise InvalidInputError("child.id", f"no child {child.id} is stored")
        fresh = mapping.child_row(child)
        for name in (
            "site_id",
            "given_name",
            "family_name",
            "search_key",
            "date_of_birth",
            "gestation_weeks",
            "gmfcs",
            "preferred_language",
            "administrative_sex",
            "merged_into_id",
        ):
            setattr(row, name, getattr(fresh, name))
        # Old contacts and numbers go first: (child_id, position) is unique, and a flush
        # inserts before it deletes orphans.
        row.contacts.clear()
        row.hospital_numbers.clear()
        self._session.flush()
        row.contacts.extend(fresh.contacts)
        row.hospital_numbers.extend(fresh.hospital_numbers)
        self._session.flush()
        return mapping.child_from_row(row)

    def born_on(self, site_id: str, date_of_birth: date) -> Sequence[Child]:
        rows = self._session.scalars(
            select(ChildRow)
            .where(ChildRow.site_id == site_id, ChildRow.date_of_birth == date_of_birth)
            .order_by(ChildRow.id)
        )
        return [mapping.child_from_row(row) for row in rows]

    def move_records(self, from_child_id: int, to_child_id: int) -> None:
        from hipcare.storage.tables import (
            CalendarFeedRow,
            DiaryEntryRow,
            FamilyInvitationRow,
            FamilyLinkRow,
            PainDescriptorRow,
            RadiographRow,
        )

        execute = self._session.execute
        # A family member linked to both keeps one link; a pain word of the same category
        # stays as the kept child has it.
        linked = select(FamilyLinkRow.user_id).where(FamilyLinkRow.child_id == to_child_id)
        execute(
            delete(FamilyLinkRow).where(
                FamilyLinkRow.child_id == from_child_id, FamilyLinkRow.user_id.in_(linked)
            )
        )
        worded = select(PainDescriptorRow.category).where(PainDescriptorRow.child_id == to_child_id)
        execute(
            delete(PainDescriptorRow).where(
                PainDescriptorRow.child_id == from_child_id,
                PainDescriptorRow.category.in_(worded),
            )
        )
        for table in (
            VisitRow,
            OperationPlanRow,
            AlertRow,
            RadiographRow,
            DiaryEntryRow,
            FamilyInvitationRow,
            CalendarFeedRow,
            FamilyLinkRow,
            PainDescriptorRow,
            ReferralRow,
        ):
            execute(
                update(table).where(table.child_id == from_child_id).values(child_id=to_child_id)
            )
        execute(
            update(ExternalIdentifierRow)
            .where(
                ExternalIdentifierRow.entity_type == EntityType.CHILD,
                ExternalIdentifierRow.entity_id == from_child_id,
            )
            .values(entity_id=to_child_id)
        )
        # The ORM's copies of the moved rows are stale now.
        self._session.expire_all()

    def with_hospital_number(self, site_id: str, system: str, value: str) -> Sequence[Child]:
        rows = self._session.scalars(
            select(ChildRow)
            .join(HospitalNumberRow, HospitalNumberRow.child_id == ChildRow.id)
            .where(
                ChildRow.site_id == site_id,
                HospitalNumberRow.system == system,
                HospitalNumberRow.value == value,
            )
            .order_by(ChildRow.id)
            .distinct()
        )
        return [mapping.child_from_row(row) for row in rows]

    def search(self, name_key: str, site_ids: Collection[str], limit: int) -> Sequence[Child]:
        if not site_ids:
            return []
        rows = self._session.scalars(
            select(ChildRow)
            .where(ChildRow.site_id.in_(sorted(site_ids)))
            # autoescape: a '%' or '_' typed in a name is matched literally, not as a wildcard.
            .where(ChildRow.search_key.contains(name_key, autoescape=True))
            .order_by(ChildRow.search_key, ChildRow.id)
            .limit(limit)
        )
        return [mapping.child_from_row(row) for row in rows]

    def at_site(self, site_id: str) -> Sequence[Child]:
        rows = self._session.scalars(
            select(ChildRow).where(ChildRow.site_id == site_id).order_by(ChildRow.id)
        )
        return [mapping.child_from_row(row) for row in rows]


class SqlAlchemyVisitRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, visit: VisitRecord) -> VisitRecord:
        row = mapping.visit_row(visit)
        self._session.add(row)
        self._session.flush()
        return mapping.visit_from_row(row)

    def get(self, visit_id: int) -> VisitRecord | None:
        row = self._session.get(VisitRow, visit_id)
        return None if row is None else mapping.visit_from_row(row)

    def save(self, visit: VisitRecord) -> VisitRecord:
        row = self._session.get(VisitRow, _stored_id(visit.id, "visit"))
        if row is None:
            raise InvalidInputError("visit.id", f"no visit {visit.id} is stored")
        fresh = mapping.visit_row(visit)
        for name in ("child_id", "visit_date", "xray", "recorded_by", "recorded_at", "film"):
            setattr(row, name, getattr(fresh, name))
        # Old measures go first: (visit_id, side) is unique (see ChildRepository.save).
        row.hips.clear()
        self._session.flush()
        row.hips.extend(fresh.hips)
        self._session.flush()
        return mapping.visit_from_row(row)

    def for_child(self, child_id: int) -> Sequence[VisitRecord]:
        return self.for_children([child_id]).get(child_id, [])

    def for_children(self, child_ids: Collection[int]) -> dict[int, list[VisitRecord]]:
        visits: dict[int, list[VisitRecord]] = {}
        if not child_ids:
            return visits
        rows = self._session.scalars(
            select(VisitRow)
            .where(VisitRow.child_id.in_(sorted(child_ids)))
            .order_by(VisitRow.child_id, VisitRow.visit_date, VisitRow.id)
        )
        for row in rows:
            visits.setdefault(row.child_id, []).append(mapping.visit_from_row(row))
        return visits


class SqlAlchemyExternalIdentifierRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, identifier: ExternalIdentifier) -> ExternalIdentifier:
        self._session.add(
            ExternalIdentifierRow(
                entity_type=identifier.entity_type,
                entity_id=identifier.entity_id,
                system=identifier.system,
                value=identifier.value,
            )
        )
        # No flush: nothing needs an id, and the next query or the commit writes it.
        return identifier

    def find(self, entity_type: EntityType, system: str, value: str) -> int | None:
        return self._session.scalar(
            select(ExternalIdentifierRow.entity_id).where(
                ExternalIdentifierRow.entity_type == entity_type,
                ExternalIdentifierRow.system == system,
                ExternalIdentifierRow.value == value,
            )
        )

    def for_entity(self, entity_type: EntityType, entity_id: int) -> Sequence[ExternalIdentifier]:
        rows = self._session.scalars(
            select(ExternalIdentifierRow)
            .where(
                ExternalIdentifierRow.entity_type == entity_type,
                ExternalIdentifierRow.entity_id == entity_id,
            )
            .order_by(ExternalIdentifierRow.id)
        )
        return [
            ExternalIdentifier(row.entity_type, row.entity_id, row.system, row.value)
            for row in rows
        ]
