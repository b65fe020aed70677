"""SQLAlchemy storage of the family's reminders: which are due, and each delivery's claim.

A delivery is claimed before it is sent (one row per item, recipient and day), so two runs
never send the same reminder twice; a claim left ``sending`` too long is taken over by one
run. Part of :class:`hipcare.storage.family.SqlAlchemyFamilyRepository`
(:class:`hipcare.services.ports.FamilyRepository`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from hipcare.domain.records import Role
from hipcare.services.family import DueReminder
from hipcare.storage.family_base import FamilyStorageBase
from hipcare.storage.tables import (
    CarePlanItemRow,
    ChildRow,
    FamilyLinkRow,
    OperationPlanRow,
    ReminderDeliveryRow,
    UserRow,
)

__all__ = ["SqlAlchemyFamilyReminders"]


class SqlAlchemyFamilyReminders(FamilyStorageBase):
    """The reminders due to family members and their delivery claims, on the ORM session."""

    def due_reminders(self, day: date) -> Sequence[DueReminder]:
        rows = self._session.execute(
            select(
                CarePlanItemRow.id,
                CarePlanItemRow.item_id,
                CarePlanItemRow.due_date,
                ChildRow.id,
                UserRow.id,
                UserRow.email,
                func.coalesce(FamilyLinkRow.language, ChildRow.preferred_language),
            )
            .join(OperationPlanRow, OperationPlanRow.id == CarePlanItemRow.operation_plan_id)
            .join(ChildRow, ChildRow.id == OperationPlanRow.child_id)
            .join(FamilyLinkRow, FamilyLinkRow.child_id == ChildRow.id)
            .join(UserRow, UserRow.id == FamilyLinkRow.user_id)
            .where(
                CarePlanItemRow.due_date == day,
                CarePlanItemRow.done_at.is_(None),
                UserRow.role == Role.FAMILY,
                OperationPlanRow.status.not_in(("cancelled",)),
            )
            .order_by(UserRow.id, CarePlanItemRow.id)
        )
        return [DueReminder(*row) for row in rows]

    def stale_reminders(self, stale_before: datetime) -> Sequence[DueReminder]:
        rows = self._session.execute(
            select(
                CarePlanItemRow.id,
                CarePlanItemRow.item_id,
                ReminderDeliveryRow.due_date,
                ChildRow.id,
                UserRow.id,
                UserRow.email,
                ChildRow.preferred_language,
            )
            .select_from(ReminderDeliveryRow)
            .join(CarePlanItemRow, CarePlanItemRow.id == ReminderDeliveryRow.care_plan_item_id)
            .join(OperationPlanRow, OperationPlanRow.id == CarePlanItemRow.operation_plan_id)
            .join(ChildRow, ChildRow.id == OperationPlanRow.child_id)
            .join(UserRow, UserRow.id == ReminderDeliveryRow.recipient_id)
            .join(
                FamilyLinkRow,
                (FamilyLinkRow.child_id == ChildRow.id) & (FamilyLinkRow.user_id == UserRow.id),
            )
            .where(
                ReminderDeliveryRow.status == "sending",
                ReminderDeliveryRow.claimed_at < stale_before,
                CarePlanItemRow.done_at.is_(None),
                UserRow.role == Role.FAMILY,
                OperationPlanRow.status.not_in(("cancelled",)),
            )
            .order_by(UserRow.id, CarePlanItemRow.id)
        )
        return [DueReminder(*row) for row in rows]

    def claim_delivery(
        self, care_plan_item_id: int, recipient_id: int, due_date: date, now: datetime
    ) -> int | None:
        row = ReminderDeliveryRow(
            care_plan_item_id=care_plan_item_id,
            recipient_id=recipient_id,
            due_date=due_date,
            status="sending",
            claimed_at=now,
            attempts=1,
        )
        try:
            with self._session.begin_nested():
                self._session.add(row)
                self._session.flush()
        except IntegrityError:
            return None
        return row.id

    def reclaim_stale(
        self,
        care_plan_item_id: int,
        recipient_id: int,
        due_date: date,
        now: datetime,
        stale_before: datetime,
    ) -> int | None:
        found = self._session.execute(
            select(ReminderDeliveryRow.id, ReminderDeliveryRow.claimed_at).where(
                ReminderDeliveryRow.care_plan_item_id == care_plan_item_id,
                ReminderDeliveryRow.recipient_id == recipient_id,
                ReminderDeliveryRow.due_date == due_date,
                ReminderDeliveryRow.status == "sending",
                ReminderDeliveryRow.claimed_at < stale_before,
            )
        ).first()
        if found is None:
            return None
        delivery_id, claimed_at = found
        # Compare-and-set on the old claim time: of two runs taking over, one wins.
        result = self._session.execute(
            update(ReminderDeliveryRow)
            .where(
                ReminderDeliveryRow.id == delivery_id,
                ReminderDeliveryRow.status == "sending",
                ReminderDeliveryRow.claimed_at == claimed_at,
            )
            .values(claimed_at=now, attempts=ReminderDeliveryRow.attempts + 1)
        )
        return int(delivery_id) if getattr(result, "rowcount", 0) == 1 else None

    def mark_sent(self, delivery_id: int, at: datetime) -> None:
        self._session.execute(
            update(ReminderDeliveryRow)
            .where(ReminderDeliveryRow.id == delivery_id)
            .values(status="sent", sent_at=at)
        )
