"""SQLAlchemy repositories of operations: operation plans, their care-plan items, alerts."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import (
    select,
    update,
)
from sqlalchemy.orm import Session

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import (
    Alert,
    CarePlanItemState,
    OperationPlan,
    OperationStatus,
)
from hipcare.storage import mapping
from hipcare.storage.stored_ids import stored_id
from hipcare.storage.tables import (
    AlertRow,
    CarePlanItemRow,
    OperationPlanRow,
)

__all__ = [
    "SqlAlchemyAlertRepository",
    "SqlAlchemyCarePlanItemRepository",
    "SqlAlchemyOperationPlanRepository",
]


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
        row = self._session.get(OperationPlanRow, stored_id(plan.id, "operation"))
        if row is None:
            raise InvalidInputError("operation.id", f"no operation plan {plan.id} is stored")
        mapping.update_operation_plan_row(row, plan)
        self._session.flush()
        return mapping.operation_plan_from_row(row)

    def save_if_unchanged(self, plan: OperationPlan, was: OperationPlan) -> OperationPlan | None:
        plan_id = stored_id(plan.id, "operation")
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
        row = self._session.get(CarePlanItemRow, stored_id(item.id, "care_plan_item"))
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
        row = self._session.get(AlertRow, stored_id(alert.id, "alert"))
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
