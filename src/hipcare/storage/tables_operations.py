"""The tables of operations: plans, care-plan items, alerts, and each operation's outcome.

On the one ``Base.metadata`` of ``hipcare.storage.tables_base``; re-exported by
``hipcare.storage.tables``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from hipcare.domain.outcomes import ComplicationGrade
from hipcare.domain.pathway import Sides, WeightBearing
from hipcare.domain.radiograph import Side
from hipcare.domain.records import (
    OperationStatus,
)
from hipcare.storage.tables_base import RECORD_ID, Base, choice_type

__all__ = [
    "AlertRow",
    "CarePlanItemRow",
    "OperationComplicationRow",
    "OperationOutcomeRow",
    "OperationPlanRow",
    "OperationReadmissionRow",
    "OperationReoperationRow",
]


class OperationPlanRow(Base):
    __tablename__ = "operation_plans"

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    sides: Mapped[Sides] = mapped_column(choice_type(Sides, "sides"))
    # Procedure values in order, e.g. ["vdro", "dega"].
    procedures: Mapped[list[str]] = mapped_column(JSON)
    implant: Mapped[str] = mapped_column(String(200))
    plate_angle_deg: Mapped[float | None] = mapped_column(Float)
    surgeon_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    weight_bearing: Mapped[WeightBearing] = mapped_column(
        choice_type(WeightBearing, "weight_bearing")
    )
    positioning_device: Mapped[bool] = mapped_column(
        Boolean(create_constraint=True, name="positioning_device")
    )
    surgery_date: Mapped[date | None]
    status: Mapped[OperationStatus] = mapped_column(choice_type(OperationStatus, "status"))
    # The child's facts the care pathway needs (None until the pathway is started).
    wheelchair_user: Mapped[bool | None] = mapped_column(
        Boolean(create_constraint=True, name="wheelchair_user")
    )
    attends_school: Mapped[bool | None] = mapped_column(
        Boolean(create_constraint=True, name="attends_school")
    )
    sees_therapists: Mapped[bool | None] = mapped_column(
        Boolean(create_constraint=True, name="sees_therapists")
    )
    # Issue 17: the day the pathway started (no back-dating), the last postponement, and the
    # day of surgery (hipcare.domain.day_of_surgery.DayOfSurgery.to_json).
    pathway_started_on: Mapped[date | None]
    postponed_from: Mapped[date | None]
    postponed_at: Mapped[datetime | None]
    day_of_surgery: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class CarePlanItemRow(Base):
    __tablename__ = "care_plan_items"
    __table_args__ = (UniqueConstraint("operation_plan_id", "item_id"),)

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    operation_plan_id: Mapped[int] = mapped_column(
        ForeignKey("operation_plans.id", ondelete="CASCADE")
    )
    item_id: Mapped[str] = mapped_column(String(100))
    due_date: Mapped[date]
    done_at: Mapped[datetime | None]
    done_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class AlertRow(Base):
    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(100))
    raised_at: Mapped[datetime]
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None]


class OperationOutcomeRow(Base):
    """What happened after one operation (issue 19): the stay, return to theatre, plate removal.

    One row per operation plan, replaced as a whole when a clinician records it again; the
    complications, readmissions and re-operations are its child rows. None: not recorded.
    """

    __tablename__ = "operation_outcomes"

    operation_plan_id: Mapped[int] = mapped_column(
        ForeignKey("operation_plans.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    admission_date: Mapped[date | None]
    discharge_date: Mapped[date | None]
    return_to_theatre: Mapped[bool | None] = mapped_column(
        Boolean(create_constraint=True, name="return_to_theatre")
    )
    plate_removal_date: Mapped[date | None]
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime]


class OperationComplicationRow(Base):
    """A complication of an operation: the modified Clavien-Dindo-Sink grade (Dodwell et al.
    2018) a clinician chose, a short description, and its date."""

    __tablename__ = "operation_complications"

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    operation_plan_id: Mapped[int] = mapped_column(
        ForeignKey("operation_outcomes.operation_plan_id", ondelete="CASCADE"), index=True
    )
    grade: Mapped[ComplicationGrade] = mapped_column(choice_type(ComplicationGrade, "grade"))
    description: Mapped[str] = mapped_column(String(200))
    complication_date: Mapped[date]


class OperationReadmissionRow(Base):
    """A readmission after the operation's discharge (the report counts those within 30 days)."""

    __tablename__ = "operation_readmissions"

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    operation_plan_id: Mapped[int] = mapped_column(
        ForeignKey("operation_outcomes.operation_plan_id", ondelete="CASCADE"), index=True
    )
    readmission_date: Mapped[date]


class OperationReoperationRow(Base):
    """A later operation on one of the operated hips (a hip failure, clinical spec §4)."""

    __tablename__ = "operation_reoperations"

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    operation_plan_id: Mapped[int] = mapped_column(
        ForeignKey("operation_outcomes.operation_plan_id", ondelete="CASCADE"), index=True
    )
    side: Mapped[Side] = mapped_column(choice_type(Side, "side"))
    reoperation_date: Mapped[date]
