"""SQLAlchemy repositories: the services' repository protocols over one ORM session.

Each method speaks domain values (``hipcare.domain.records``) and flushes what it adds so
the new id is known; committing is the unit of work's job.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import fields
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    CompoundSelect,
    Date,
    Executable,
    Integer,
    String,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    literal_column,
    null,
    or_,
    select,
    type_coerce,
    union,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import (
    Alert,
    AuditAction,
    AuditEntry,
    CarePlanItemState,
    Child,
    EntityType,
    ExternalIdentifier,
    OperationPlan,
    OperationStatus,
    Site,
    User,
    VisitRecord,
)
from hipcare.domain.surveillance import WorklistStatus
from hipcare.services.ports import (
    StoredSurveillanceStatus,
    WorklistCounts,
    WorklistEntry,
    WorklistOpening,
    WorklistOrder,
)
from hipcare.storage import mapping
from hipcare.storage.referrals import ReferralRow
from hipcare.storage.tables import (
    AlertRow,
    AuditRow,
    Base,
    CarePlanItemRow,
    ChildRow,
    ExternalIdentifierRow,
    HospitalNumberRow,
    OperationPlanRow,
    SiteMembershipRow,
    SiteRow,
    SurveillanceStatusRow,
    UserRow,
    VisitRow,
)

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


def _stored_id(record_id: int | None, what: str) -> int:
    if record_id is None:
        raise InvalidInputError(f"{what}.id", "is missing; only a stored record can be saved")
    return record_id


class SqlAlchemySiteRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, site: Site) -> Site:
        self._session.add(mapping.site_row(site))
        self._session.flush()
        return site

    def get(self, site_id: str) -> Site | None:
        row = self._session.get(SiteRow, site_id)
        return None if row is None else mapping.site_from_row(row)

    def all(self) -> Sequence[Site]:
        rows = self._session.scalars(select(SiteRow).order_by(SiteRow.id))
        return [mapping.site_from_row(row) for row in rows]


class SqlAlchemyUserRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, user: User) -> User:
        row = mapping.user_row(user)
        self._session.add(row)
        self._session.flush()
        return mapping.user_from_row(row)

    def get(self, user_id: int) -> User | None:
        row = self._session.get(UserRow, user_id)
        return None if row is None else mapping.user_from_row(row)

    def by_email(self, email: str) -> User | None:
        row = self._session.scalar(select(UserRow).where(UserRow.email == email.strip().lower()))
        return None if row is None else mapping.user_from_row(row)

    def at_site(self, site_id: str) -> Sequence[User]:
        rows = self._session.scalars(
            select(UserRow)
            .join(SiteMembershipRow, SiteMembershipRow.user_id == UserRow.id)
            .where(SiteMembershipRow.site_id == site_id)
            .order_by(UserRow.display_name, UserRow.id)
        )
        return [mapping.user_from_row(row) for row in rows]

    def by_sign_on(self, issuer: str, subject: str) -> User | None:
        row = self._session.scalar(
            select(UserRow).where(UserRow.oidc_issuer == issuer, UserRow.oidc_subject == subject)
        )
        return None if row is None else mapping.user_from_row(row)

    def link_sign_on(self, user_id: int, issuer: str, subject: str) -> None:
        row = self._session.get(UserRow, user_id)
        if row is None:
            raise InvalidInputError("user.id", f"no user {user_id} is stored")
        row.oidc_issuer = issuer
        row.oidc_subject = subject
        self._session.flush()

    def save(self, user: User) -> User:
        row = self._session.get(UserRow, _stored_id(user.id, "user"))
        if row is None:
            raise InvalidInputError("user.id", f"no user {user.id} is stored")
        row.email = user.email
        row.display_name = user.display_name
        row.role = user.role
        row.profession = user.profession
        row.surgeon_profile = user.surgeon_profile
        kept = {membership.site_id: membership for membership in row.memberships}
        row.memberships = [
            kept.get(site_id) or SiteMembershipRow(site_id=site_id)
            for site_id in sorted(user.site_ids)
        ]
        self._session.flush()
        return mapping.user_from_row(row)


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


class SqlAlchemyOperationPlanRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, plan: OperationPlan) -> OperationPlan:
        row = mapping.operation_plan_row(plan)
        self._session.add(row)
        self._session.flush()
        return mapping.operation_plan_from_row(row)

    def get(self, plan_id: int) -> OperationPlan | None:
        row = self._session.get(OperationPlanRow, plan_id)
        return None if row is None else mapping.operation_plan_from_row(row)

    def for_child(self, child_id: int) -> Sequence[OperationPlan]:
        rows = self._session.scalars(
            select(OperationPlanRow)
            .where(OperationPlanRow.child_id == child_id)
            .order_by(OperationPlanRow.id)
        )
        return [mapping.operation_plan_from_row(row) for row in rows]

    def done_for_children(self, child_ids: Collection[int]) -> dict[int, list[OperationPlan]]:
        plans: dict[int, list[OperationPlan]] = {}
        if not child_ids:
            return plans
        rows = self._session.scalars(
            select(OperationPlanRow)
            .where(
                OperationPlanRow.child_id.in_(sorted(child_ids)),
                OperationPlanRow.status == OperationStatus.DONE,
            )
            .order_by(OperationPlanRow.child_id, OperationPlanRow.id)
        )
        for row in rows:
            plans.setdefault(row.child_id, []).append(mapping.operation_plan_from_row(row))
        return plans

    def save(self, plan: OperationPlan) -> OperationPlan:
        row = self._session.get(OperationPlanRow, _stored_id(plan.id, "operation"))
        if row is None:
            raise InvalidInputError("operation.id", f"no operation plan {plan.id} is stored")
        mapping.update_operation_plan_row(row, plan)
        self._session.flush()
        return mapping.operation_plan_from_row(row)

    def save_if_unchanged(self, plan: OperationPlan, was: OperationPlan) -> OperationPlan | None:
        plan_id = _stored_id(plan.id, "operation")
        # The date and status read at the start are the precondition: a concurrent edit
        # that committed first makes this UPDATE change no row (PostgreSQL re-reads the row
        # after waiting for its lock; SQLite's BEGIN IMMEDIATE lets no edit in between).
        same_date = (
            OperationPlanRow.surgery_date.is_(None)
            if was.surgery_date is None
            else OperationPlanRow.surgery_date == was.surgery_date
        )
        result = self._session.connection().execute(
            update(OperationPlanRow)
            .where(OperationPlanRow.id == plan_id, same_date, OperationPlanRow.status == was.status)
            .values(surgery_date=plan.surgery_date, status=plan.status)
        )
        if result.rowcount != 1:
            return None
        return self.save(plan)


class SqlAlchemyCarePlanItemRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, item: CarePlanItemState) -> CarePlanItemState:
        row = mapping.care_plan_item_row(item)
        self._session.add(row)
        self._session.flush()
        return mapping.care_plan_item_from_row(row)

    def for_operation_plan(self, operation_plan_id: int) -> Sequence[CarePlanItemState]:
        rows = self._session.scalars(
            select(CarePlanItemRow)
            .where(CarePlanItemRow.operation_plan_id == operation_plan_id)
            .order_by(CarePlanItemRow.due_date, CarePlanItemRow.id)
        )
        return [mapping.care_plan_item_from_row(row) for row in rows]

    def save(self, item: CarePlanItemState) -> CarePlanItemState:
        row = self._session.get(CarePlanItemRow, _stored_id(item.id, "care_plan_item"))
        if row is None:
            raise InvalidInputError("care_plan_item.id", f"no care-plan item {item.id} is stored")
        mapping.update_care_plan_item_row(row, item)
        self._session.flush()
        return mapping.care_plan_item_from_row(row)

    def mark_done(self, item_id: int, done_at: datetime, done_by: int) -> CarePlanItemState | None:
        # One conditional UPDATE: the database decides which of several ticks wins (the row
        # lock makes a concurrent one wait, then find done_at set and change no row).
        result = self._session.connection().execute(
            update(CarePlanItemRow)
            .where(CarePlanItemRow.id == item_id, CarePlanItemRow.done_at.is_(None))
            .values(done_at=done_at, done_by=done_by)
        )
        if result.rowcount != 1:
            return None
        row = self._session.get(CarePlanItemRow, item_id, populate_existing=True)
        if row is None:  # pragma: no cover -- the update just found it
            raise RuntimeError("the ticked item is gone")
        return mapping.care_plan_item_from_row(row)


class SqlAlchemyAlertRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, alert: Alert) -> Alert:
        row = mapping.alert_row(alert)
        self._session.add(row)
        self._session.flush()
        return mapping.alert_from_row(row)

    def for_child(self, child_id: int) -> Sequence[Alert]:
        rows = self._session.scalars(
            select(AlertRow)
            .where(AlertRow.child_id == child_id)
            .order_by(AlertRow.raised_at, AlertRow.id)
        )
        return [mapping.alert_from_row(row) for row in rows]

    def save(self, alert: Alert) -> Alert:
        row = self._session.get(AlertRow, _stored_id(alert.id, "alert"))
        if row is None:
            raise InvalidInputError("alert.id", f"no alert {alert.id} is stored")
        mapping.update_alert_row(row, alert)
        self._session.flush()
        return mapping.alert_from_row(row)

    def acknowledge(self, alert_id: int, acknowledged_by: int, at: datetime) -> Alert | None:
        # One conditional UPDATE, as for care-plan ticks: one acknowledgement wins.
        result = self._session.connection().execute(
            update(AlertRow)
            .where(AlertRow.id == alert_id, AlertRow.acknowledged_at.is_(None))
            .values(acknowledged_by=acknowledged_by, acknowledged_at=at)
        )
        if result.rowcount != 1:
            return None
        row = self._session.get(AlertRow, alert_id, populate_existing=True)
        if row is None:  # pragma: no cover -- the update just found it
            raise RuntimeError("the acknowledged alert is gone")
        return mapping.alert_from_row(row)


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


class SqlAlchemyAuditLog:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, entry: AuditEntry) -> AuditEntry:
        row = mapping.audit_row(entry)
        self._session.add(row)
        self._session.flush()
        return mapping.audit_from_row(row)

    def add_many(self, entries: Sequence[AuditEntry]) -> None:
        # One executemany instead of a flush per row: on PostgreSQL a round trip each.
        if entries:
            # The Core table, not the ORM class: the ORM's bulk path costs ~0.1 ms a row.
            self._session.execute(
                insert(_TABLES[AuditRow.__tablename__]),
                [
                    {
                        "actor_id": entry.actor_id,
                        "action": entry.action,
                        "entity_type": entry.entity_type,
                        "entity_id": entry.entity_id,
                        "at": entry.at,
                    }
                    for entry in entries
                ],
            )

    def add_for_each(
        self,
        actor_id: int,
        action: AuditAction,
        entity_type: EntityType,
        entity_ids: Sequence[str],
        at: datetime,
    ) -> None:
        if not entity_ids:
            return
        # One entry validates what the rows share; the ids are the records' own.
        first = AuditEntry(actor_id, action, entity_type, entity_ids[0], at)
        connection = self._session.connection()
        postgresql = connection.dialect.name == "postgresql"
        connection.execute(
            _audit_for_each(postgresql),
            {
                "entity_ids": list(entity_ids) if postgresql else json.dumps(list(entity_ids)),
                "actor_id": first.actor_id,
                "action": first.action,
                "entity_type": first.entity_type,
                "at": first.at,
            },
        )

    def for_entity(self, entity_type: EntityType, entity_id: str) -> Sequence[AuditEntry]:
        rows = self._session.scalars(
            select(AuditRow)
            .where(AuditRow.entity_type == entity_type, AuditRow.entity_id == entity_id)
            .order_by(AuditRow.at, AuditRow.id)
        )
        return [mapping.audit_from_row(row) for row in rows]

    def by_actor(self, actor_id: int) -> Sequence[AuditEntry]:
        rows = self._session.scalars(
            select(AuditRow).where(AuditRow.actor_id == actor_id).order_by(AuditRow.at, AuditRow.id)
        )
        return [mapping.audit_from_row(row) for row in rows]


_TABLES = Base.metadata.tables
_STATUS_COLUMNS = tuple(f.name for f in fields(StoredSurveillanceStatus))
_SOME_MISSING = 0
_LISTED_BY_RANK: tuple[WorklistStatus | None, ...] = (
    WorklistStatus.NEEDS_REFERRAL,
    WorklistStatus.OVERDUE,
    WorklistStatus.DUE,
    None,
)

# The worklist's statements are built once, with these parameters, and run on the session's
# connection: building them and the ORM's execute path cost more CPU than a page's queries.
_SITE = bindparam("site_id", type_=String)
_TODAY = bindparam("today", type_=Date)
_CHILDREN = _TABLES[ChildRow.__tablename__]
_STATUS = _TABLES[SurveillanceStatusRow.__tablename__]
_AUDIT = _TABLES[AuditRow.__tablename__]
_PLANS = _TABLES[OperationPlanRow.__tablename__]
_REFERRALS = _TABLES[ReferralRow.__tablename__]


@cache
def _audit_for_each(postgresql: bool) -> Executable:
    """One INSERT ... SELECT of an audit row per id, the ids ONE parameter (an array on
    PostgreSQL, a JSON array on SQLite): an executemany of 4,000 rows cost 250 ms on
    PostgreSQL (psycopg sends a statement per row) and ~10 ms of parameters on SQLite."""
    if postgresql:
        ids: ColumnElement[str] = func.unnest(bindparam("entity_ids", type_=ARRAY(String)))
        source = select(ids.label("entity_id"))
    else:
        each = func.json_each(bindparam("entity_ids", type_=String)).table_valued("value")
        source = select(each.c.value.label("entity_id")).select_from(each)
    audit = _AUDIT.c
    rows = source.add_columns(
        bindparam("actor_id", type_=audit.actor_id.type),
        bindparam("action", type_=audit.action.type),
        bindparam("entity_type", type_=audit.entity_type.type),
        bindparam("at", type_=audit.at.type),
    )
    return insert(_AUDIT).from_select(
        ["entity_id", "actor_id", "action", "entity_type", "at"], rows
    )


def _rank() -> ColumnElement[int]:
    """Where a listed row sits on ``today`` (``_LISTED_BY_RANK``), from the stored dates as
    ``worklist_status`` judges: referral, overdue, due; a row the rules could not judge last.
    Rows not yet due, discharged or outside the guideline are not listed."""
    status = _STATUS.c
    # Constants written into the SQL, not parameters: the query's text then names its
    # order, and PostgreSQL plans the ranks as what they are.
    return case(
        (status.problem.is_not(None), literal_column("3", Integer)),
        (and_(status.needs_referral, ~_referral_answered()), literal_column("0", Integer)),
        (_referral_late(), literal_column("1", Integer)),
        (status.due_by < _TODAY, literal_column("1", Integer)),
        else_=literal_column("2", Integer),
    )


def _operation_planned() -> ColumnElement[bool]:
    """The row's child has an operation plan that is not cancelled."""
    plans = _PLANS.c
    return exists().where(
        plans.child_id == _STATUS.c.child_id, plans.status != OperationStatus.CANCELLED
    )


def _referral_answered() -> ColumnElement[bool]:
    """ "Needs referral" is answered: a referral is recorded or an operation planned
    (``hipcare.domain.referral.worklist_status_with_referral``)."""
    return or_(exists().where(_REFERRALS.c.child_id == _STATUS.c.child_id), _operation_planned())


def _referral_late() -> ColumnElement[bool]:
    """A referral not seen in clinic by its ``seen_by`` day, and no operation planned."""
    referrals = _REFERRALS.c
    late = exists().where(
        referrals.child_id == _STATUS.c.child_id,
        referrals.seen_on.is_(None),
        referrals.seen_by < _TODAY,
    )
    # The referral's own (indexed) check first: most children have none.
    return and_(late, ~_operation_planned())


def _listed_at() -> ColumnElement[bool]:
    """The rows a site's worklist lists on ``today``: referral, a review due or overdue, or
    a record the rules could not judge."""
    status = _STATUS.c
    return and_(
        status.site_id == _SITE,
        # The stored columns first: the referral checks are index seeks per row.
        or_(
            status.problem.is_not(None),
            status.due_from <= _TODAY,
            and_(status.needs_referral, ~_referral_answered()),
            _referral_late(),
        ),
    )


def _next_review() -> ColumnElement[date]:
    """The review date to show on ``today`` (``ScheduledReview.date_on``): ``due_by`` once
    overdue, else ``due_from`` but not before ``today``."""
    status = _STATUS.c
    return type_coerce(
        case(
            (status.due_by.is_(None), null()),
            (status.due_by < _TODAY, status.due_by),
            (status.due_from > _TODAY, status.due_from),
            else_=_TODAY,
        ),
        Date,
    )


@cache
def _to_judge() -> CompoundSelect[Any]:
    status, children = _STATUS.c, _CHILDREN.c
    at_site = status.site_id == _SITE
    version = bindparam("rules_version", type_=String)
    # A row follows its child's site (the (child_id, site_id) foreign key), so the site's
    # rows are its children's: equal counts mean none is missing. Otherwise the query
    # answers _SOME_MISSING (ids are positive) and the missing ones are looked for.
    missing = select(literal_column(str(_SOME_MISSING), Integer)).where(
        select(func.count()).where(children.site_id == _SITE).scalar_subquery()
        != select(func.count()).where(at_site).scalar_subquery()
    )
    # Each other part an index seek (site_id, rules_version, computed_on) or (site_id,
    # judge_again_on) that finds nothing in the steady state; "<>" would scan the site.
    return union(
        select(status.child_id).where(at_site, status.rules_version < version),
        select(status.child_id).where(at_site, status.rules_version > version),
        select(status.child_id).where(
            at_site, status.rules_version == version, status.computed_on > _TODAY
        ),
        select(status.child_id).where(at_site, status.judge_again_on <= _TODAY),
        missing,
    )


@cache
def _missing() -> Executable:
    status, children = _STATUS.c, _CHILDREN.c
    return (
        select(children.id)
        .outerjoin(_STATUS, status.child_id == children.id)
        .where(children.site_id == _SITE, status.child_id.is_(None))
    )


@cache
def _listing(postgresql: bool, order: WorklistOrder, one_status: bool, limited: bool) -> Executable:
    status, children = _STATUS.c, _CHILDREN.c
    rank, next_review = _rank(), _next_review()
    # Python's order of the names: code points, which PostgreSQL's "C" collation keeps
    # (the database's own may sort by language); SQLite compares bytes already.
    name: ColumnElement[str] = children.search_key
    if postgresql:
        name = name.collate("C")
    by_status = (rank, next_review.nulls_first(), name, children.id)
    ordering = {
        WorklistOrder.STATUS: by_status,
        WorklistOrder.REVIEW: (func.coalesce(next_review, _TODAY), *by_status),
        WorklistOrder.NAME: (name, *by_status),
    }[order]
    query = (
        select(
            children.id,
            children.given_name,
            children.family_name,
            children.search_key,
            rank,
            next_review,
            status.next_review_rule,
            status.local_protocol,
            status.problem,
        )
        .join_from(_STATUS, _CHILDREN, children.id == status.child_id)
        .where(
            _listed_at(),
            # Implied by the foreign key; said so PostgreSQL reads the site's children by
            # index instead of scanning them all for the join.
            children.site_id == _SITE,
            # A duplicate merged into another child is that child's, and listed as them.
            children.merged_into_id.is_(None),
        )
        .order_by(*ordering)
    )
    if one_status:
        query = query.where(rank == bindparam("rank", type_=Integer))
    if limited:
        # Written into the SQL when run: a plan made for an unknown limit reads more.
        query = query.limit(bindparam("limit", type_=Integer, literal_execute=True))
    return query


@cache
def _counts() -> Executable:
    rank = _rank()
    status, children = _STATUS.c, _CHILDREN.c
    merged = exists().where(children.id == status.child_id, children.merged_into_id.is_not(None))
    return select(rank, func.count()).where(_listed_at(), ~merged).group_by(rank)


# The parts of _opened, told apart by their first column.
_ACTOR, _SITE_KNOWN, _STALE, _COUNT = 0, 1, 2, 3


def _tag(part: int) -> ColumnElement[int]:
    return literal_column(str(part), Integer)


@cache
def _opened() -> Executable:
    """The worklist page's checks, stale check and counts as ONE statement of
    (part, value, number) rows: a round trip each cost the page more than their work."""
    users, memberships, sites = (
        _TABLES[UserRow.__tablename__].c,
        _TABLES[SiteMembershipRow.__tablename__].c,
        _TABLES[SiteRow.__tablename__].c,
    )
    actor = bindparam("actor_id", type_=Integer)
    belongs = (
        select(func.count())
        .where(memberships.user_id == users.id, memberships.site_id == _SITE)
        .scalar_subquery()
    )
    stale = _to_judge().subquery()
    rank = _rank()
    return union_all(
        select(_tag(_ACTOR), users.id, belongs).where(users.id == actor),
        select(_tag(_SITE_KNOWN), _tag(0), func.count()).where(sites.id == _SITE),
        select(_tag(_STALE), stale.c.child_id, _tag(0)),
        select(_tag(_COUNT), rank, func.count()).where(_listed_at()).group_by(rank),
    )


def _counts_from(by_rank: dict[int, int]) -> WorklistCounts:
    return WorklistCounts(
        needs_referral=by_rank.get(0, 0),
        overdue=by_rank.get(1, 0),
        due=by_rank.get(2, 0),
        total=sum(by_rank.values()),
    )


class SqlAlchemySurveillanceStatusRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def put(self, statuses: Sequence[StoredSurveillanceStatus]) -> None:
        if not statuses:
            return
        self._session.execute(
            delete(SurveillanceStatusRow).where(
                SurveillanceStatusRow.child_id.in_(sorted({s.child_id for s in statuses}))
            )
        )
        self._session.execute(
            insert(SurveillanceStatusRow),
            [{name: getattr(status, name) for name in _STATUS_COLUMNS} for status in statuses],
        )

    def to_judge(self, site_id: str, today: date, rules_version: str) -> Sequence[int]:
        connection = self._session.connection()
        at_site = {"site_id": site_id, "today": today, "rules_version": rules_version}
        stale = set(connection.execute(_to_judge(), at_site).scalars())
        if _SOME_MISSING in stale:
            stale.remove(_SOME_MISSING)
            stale.update(connection.execute(_missing(), {"site_id": site_id}).scalars())
        return sorted(stale)

    def listed(
        self,
        site_id: str,
        today: date,
        *,
        status: WorklistStatus | None = None,
        order: WorklistOrder = WorklistOrder.STATUS,
        limit: int | None = None,
    ) -> Sequence[WorklistEntry]:
        # Core rows of only the columns shown, not ORM entities: mapping thousands of
        # entities (or the whole stored plan) cost ten times the query.
        connection = self._session.connection()
        query = _listing(
            connection.dialect.name == "postgresql", order, status is not None, limit is not None
        )
        parameters: dict[str, Any] = {"site_id": site_id, "today": today}
        if status is not None:
            parameters["rank"] = _LISTED_BY_RANK.index(status)
        if limit is not None:
            parameters["limit"] = limit
        by_rank = _LISTED_BY_RANK
        return [
            WorklistEntry(child_id, given, family, key, by_rank[rank], review, rule, local, problem)
            for child_id, given, family, key, rank, review, rule, local, problem in (
                connection.execute(query, parameters).all()
            )
        ]

    def counted(self, site_id: str, today: date) -> WorklistCounts:
        rows = self._session.connection().execute(_counts(), {"site_id": site_id, "today": today})
        return _counts_from(dict(rows.all()))

    def opened(
        self, actor_id: int, site_id: str, today: date, rules_version: str
    ) -> WorklistOpening:
        connection = self._session.connection()
        rows = connection.execute(
            _opened(),
            {
                "actor_id": actor_id,
                "site_id": site_id,
                "today": today,
                "rules_version": rules_version,
            },
        )
        actor_known = actor_belongs = site_known = False
        stale: set[int] = set()
        by_rank: dict[int, int] = {}
        for part, value, number in rows:
            if part == _ACTOR:
                actor_known, actor_belongs = True, number > 0
            elif part == _SITE_KNOWN:
                site_known = number > 0
            elif part == _STALE:
                stale.add(value)
            else:
                by_rank[value] = number
        if _SOME_MISSING in stale:
            stale.remove(_SOME_MISSING)
            stale.update(connection.execute(_missing(), {"site_id": site_id}).scalars())
        return WorklistOpening(
            actor_known, actor_belongs, site_known, sorted(stale), _counts_from(by_rank)
        )
