"""SQLAlchemy repositories: the services' repository protocols over one ORM session.

Each method speaks domain values (``hipcare.domain.records``) and flushes what it adds so
the new id is known; committing is the unit of work's job.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Date,
    Integer,
    String,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    literal_column,
    null,
    or_,
    select,
    type_coerce,
    union,
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
    Site,
    User,
    VisitRecord,
)
from hipcare.domain.surveillance import WorklistStatus
from hipcare.services.ports import (
    StoredSurveillanceStatus,
    WorklistCounts,
    WorklistEntry,
    WorklistOrder,
)
from hipcare.storage import mapping
from hipcare.storage.tables import (
    AlertRow,
    AuditRow,
    Base,
    CarePlanItemRow,
    ChildRow,
    ExternalIdentifierRow,
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
        ):
            setattr(row, name, getattr(fresh, name))
        # Old contacts go first: (child_id, position) is unique, and a flush inserts before
        # it deletes orphans.
        row.contacts.clear()
        self._session.flush()
        row.contacts.extend(fresh.contacts)
        self._session.flush()
        return mapping.child_from_row(row)

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

    def save(self, plan: OperationPlan) -> OperationPlan:
        row = self._session.get(OperationPlanRow, _stored_id(plan.id, "operation"))
        if row is None:
            raise InvalidInputError("operation.id", f"no operation plan {plan.id} is stored")
        mapping.update_operation_plan_row(row, plan)
        self._session.flush()
        return mapping.operation_plan_from_row(row)


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
        audit = _TABLES[AuditRow.__tablename__]
        # One INSERT ... SELECT over the ids passed as ONE parameter (an array on PostgreSQL,
        # a JSON array on SQLite): an executemany of 4,000 rows cost 250 ms on PostgreSQL
        # (psycopg sends a statement per row) and ~10 ms of parameter handling on SQLite.
        if self._session.get_bind().dialect.name == "postgresql":
            ids: ColumnElement[str] = func.unnest(
                bindparam("entity_ids", list(entity_ids), type_=ARRAY(String))
            )
            source = select(ids.label("entity_id"))
        else:
            each = func.json_each(json.dumps(list(entity_ids))).table_valued("value")
            source = select(each.c.value.label("entity_id")).select_from(each)
        rows = source.add_columns(
            literal(first.actor_id, audit.c.actor_id.type).label("actor_id"),
            literal(first.action, audit.c.action.type).label("action"),
            literal(first.entity_type, audit.c.entity_type.type).label("entity_type"),
            literal(first.at, audit.c.at.type).label("at"),
        )
        self._session.execute(
            insert(audit).from_select(
                ["entity_id", "actor_id", "action", "entity_type", "at"], rows
            )
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


def _rank_on(status: Any, today: date) -> ColumnElement[int]:
    """Where a listed row sits on ``today`` (``_LISTED_BY_RANK``), from the stored dates as
    ``worklist_status`` judges: referral, overdue, due; a row the rules could not judge last.
    Rows not yet due, discharged or outside the guideline are not listed."""
    # Constants written into the SQL, not parameters: the query's text then names its
    # order, and PostgreSQL plans the ranks as what they are.
    return case(
        (status.problem.is_not(None), literal_column("3", Integer)),
        (status.needs_referral, literal_column("0", Integer)),
        (status.due_by < today, literal_column("1", Integer)),
        else_=literal_column("2", Integer),
    )


def _listed_at(status: Any, site_id: str, today: date) -> ColumnElement[bool]:
    """The rows a site's worklist lists on ``today``: referral, a review due or overdue, or
    a record the rules could not judge."""
    return and_(
        status.site_id == site_id,
        or_(status.needs_referral, status.problem.is_not(None), status.due_from <= today),
    )


def _next_review_on(status: Any, today: date) -> ColumnElement[date]:
    """The review date to show on ``today`` (``ScheduledReview.date_on``): ``due_by`` once
    overdue, else ``due_from`` but not before ``today``."""
    return type_coerce(
        case(
            (status.due_by.is_(None), null()),
            (status.due_by < today, status.due_by),
            (status.due_from > today, status.due_from),
            else_=literal(today, Date),
        ),
        Date,
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
        status = _TABLES[SurveillanceStatusRow.__tablename__].c
        children = _TABLES[ChildRow.__tablename__].c
        at_site = status.site_id == site_id
        # A row follows its child's site (the (child_id, site_id) foreign key), so the site's
        # rows are its children's: equal counts mean none is missing. Otherwise the query
        # answers _SOME_MISSING (ids are positive) and the missing ones are looked for.
        missing = select(literal_column(str(_SOME_MISSING), Integer)).where(
            select(func.count()).where(children.site_id == site_id).scalar_subquery()
            != select(func.count()).where(at_site).scalar_subquery()
        )
        # Each other part an index seek (site_id, rules_version, computed_on) or (site_id,
        # judge_again_on) that finds nothing in the steady state; "<>" would scan the site.
        stale = set(
            self._session.scalars(
                union(
                    select(status.child_id).where(at_site, status.rules_version < rules_version),
                    select(status.child_id).where(at_site, status.rules_version > rules_version),
                    select(status.child_id).where(
                        at_site, status.rules_version == rules_version, status.computed_on > today
                    ),
                    select(status.child_id).where(at_site, status.judge_again_on <= today),
                    missing,
                )
            )
        )
        if _SOME_MISSING in stale:
            stale.remove(_SOME_MISSING)
            stale.update(
                self._session.scalars(
                    select(children.id)
                    .outerjoin(
                        _TABLES[SurveillanceStatusRow.__tablename__],
                        status.child_id == children.id,
                    )
                    .where(children.site_id == site_id, status.child_id.is_(None))
                )
            )
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
        children_table = _TABLES[ChildRow.__tablename__]
        status_table = _TABLES[SurveillanceStatusRow.__tablename__]
        children, stored = children_table.c, status_table.c
        rank = _rank_on(stored, today)
        next_review = _next_review_on(stored, today)
        # Python's order of the names: code points, which PostgreSQL's "C" collation keeps
        # (the database's own may sort by language); SQLite compares bytes already.
        name: ColumnElement[str] = children.search_key
        if self._session.get_bind().dialect.name == "postgresql":
            name = name.collate("C")
        by_status = (rank, next_review.nulls_first(), name, children.id)
        ordering = {
            WorklistOrder.STATUS: by_status,
            WorklistOrder.REVIEW: (func.coalesce(next_review, literal(today, Date)), *by_status),
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
                stored.next_review_rule,
                stored.local_protocol,
                stored.problem,
            )
            .join_from(status_table, children_table, children.id == stored.child_id)
            .where(
                _listed_at(stored, site_id, today),
                # Implied by the foreign key; said so PostgreSQL reads the site's children by
                # index instead of scanning them all for the join.
                children.site_id == site_id,
            )
            .order_by(*ordering)
        )
        if status is not None:
            query = query.where(rank == _LISTED_BY_RANK.index(status))
        if limit is not None:
            query = query.limit(limit)
        by_rank = _LISTED_BY_RANK
        return [
            WorklistEntry(child_id, given, family, key, by_rank[rank], review, rule, local, problem)
            for child_id, given, family, key, rank, review, rule, local, problem in (
                self._session.execute(query).all()
            )
        ]

    def counted(self, site_id: str, today: date) -> WorklistCounts:
        stored = _TABLES[SurveillanceStatusRow.__tablename__].c
        rank = _rank_on(stored, today)
        counts = dict.fromkeys(range(len(_LISTED_BY_RANK)), 0)
        for found_rank, count in self._session.execute(
            select(rank, func.count()).where(_listed_at(stored, site_id, today)).group_by(rank)
        ):
            counts[found_rank] = count
        return WorklistCounts(
            needs_referral=counts[0], overdue=counts[1], due=counts[2], total=sum(counts.values())
        )
