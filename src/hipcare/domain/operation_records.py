"""An operation's record: the operation plan, its care-plan items and the alerts raised.

Pure: standard library only; times are handed in (timezone-aware, kept in UTC). Re-exported by
``hipcare.domain.records``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from hipcare.domain.checks import choices, optional_finite_number
from hipcare.domain.day_of_surgery import DayOfSurgery
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.pathway import Procedure, Sides, WeightBearing
from hipcare.domain.record_fields import (
    check_calendar_date,
    check_record_id,
    check_required_id,
    check_slug,
    check_text,
    utc_moment,
)

__all__ = [
    "PLATE_ANGLE_RANGE_DEG",
    "Alert",
    "CarePlanItemState",
    "OperationPlan",
    "OperationStatus",
]


class OperationStatus(StrEnum):
    """Where an operation plan stands."""

    PROPOSED = "proposed"
    SCHEDULED = "scheduled"
    POSTPONED = "postponed"
    DONE = "done"
    CANCELLED = "cancelled"


PLATE_ANGLE_RANGE_DEG = (60.0, 170.0)
"""A plausibility bound on a blade or locking plate's angle (issue 13: 1e-320 degrees was
accepted), not a clinical rule: paediatric hip plates for a VDRO are made at about 90 to 150
degrees; the bound is wider so an unusual plate still fits, and refuses typing slips."""


@dataclass(frozen=True)
class OperationPlan:
    """A planned VDRO (with any procedures done at the same time) for one child.

    ``plate_angle_deg`` is the blade-plate angle (0-180 exclusive; whether the implant suits
    the correction is for ``hipcare osteotomy`` and the surgeon). A scheduled or done
    operation needs its ``surgery_date``. ``wheelchair_user``, ``attends_school`` and
    ``sees_therapists`` are the facts about the child the pathway needs
    (:class:`hipcare.domain.pathway.CareFacts`), kept so that postponing re-dates the same plan;
    None until the pathway is started.
    """

    child_id: int
    sides: Sides
    procedures: tuple[Procedure, ...]
    implant: str
    surgeon_id: int
    weight_bearing: WeightBearing
    positioning_device: bool
    status: OperationStatus = OperationStatus.PROPOSED
    plate_angle_deg: float | None = None
    surgery_date: date | None = None
    id: int | None = None
    wheelchair_user: bool | None = None
    attends_school: bool | None = None
    sees_therapists: bool | None = None
    pathway_started_on: date | None = None
    """The day the care team started the pathway: no task is due before it (issue 17)."""
    postponed_from: date | None = None
    """The surgery date before the last postponement (None: never postponed)."""
    postponed_at: datetime | None = None
    """When it was last postponed (UTC): the family's banner shows for a while after."""
    day_of_surgery: DayOfSurgery | None = None
    """Fasting stops, arrival time and place, what to bring (None: not set yet)."""

    def __post_init__(self) -> None:
        check_required_id(self.child_id, "operation.child_id")
        if (self.postponed_from is None) != (self.postponed_at is None):
            raise InvalidInputError(
                "operation.postponed_at", "postponed_from and postponed_at go together"
            )
        if self.postponed_at is not None:
            object.__setattr__(
                self, "postponed_at", utc_moment(self.postponed_at, "operation.postponed_at")
            )
        if self.day_of_surgery is not None and not isinstance(self.day_of_surgery, DayOfSurgery):
            raise InvalidInputError("operation.day_of_surgery", "must be a DayOfSurgery")
        for name in ("wheelchair_user", "attends_school", "sees_therapists"):
            if getattr(self, name) is not None and not isinstance(getattr(self, name), bool):
                raise InvalidInputError(f"operation.{name}", "must be true, false or not known")
        check_required_id(self.surgeon_id, "operation.surgeon_id")
        if not isinstance(self.sides, Sides):
            raise InvalidInputError("operation.sides", f"must be one of {choices(Sides)}")
        procedures = tuple(self.procedures)
        if not all(isinstance(procedure, Procedure) for procedure in procedures):
            raise InvalidInputError("operation.procedures", f"each is one of {choices(Procedure)}")
        if Procedure.VDRO not in procedures:
            raise InvalidInputError("operation.procedures", "must include 'vdro'")
        if len(set(procedures)) != len(procedures):
            raise InvalidInputError("operation.procedures", "lists the same procedure twice")
        object.__setattr__(self, "procedures", procedures)
        object.__setattr__(
            self, "implant", check_text(self.implant, "operation.implant", "the implant planned")
        )
        if not isinstance(self.weight_bearing, WeightBearing):
            raise InvalidInputError(
                "operation.weight_bearing", f"must be one of {choices(WeightBearing)}"
            )
        if not isinstance(self.positioning_device, bool):
            raise InvalidInputError("operation.positioning_device", "must be true or false")
        if not isinstance(self.status, OperationStatus):
            raise InvalidInputError(
                "operation.status", f"must be one of {choices(OperationStatus)}"
            )
        angle = optional_finite_number(self.plate_angle_deg, "operation.plate_angle_deg", "degrees")
        if angle is not None and not PLATE_ANGLE_RANGE_DEG[0] <= angle <= PLATE_ANGLE_RANGE_DEG[1]:
            low, high = PLATE_ANGLE_RANGE_DEG
            raise InvalidInputError(
                "operation.plate_angle_deg",
                f"{angle:g} is not a plate angle: give degrees between {low:g} and {high:g}",
            )
        object.__setattr__(self, "plate_angle_deg", angle)
        if self.surgery_date is not None:
            check_calendar_date(self.surgery_date, "operation.surgery_date")
        elif self.status in (OperationStatus.SCHEDULED, OperationStatus.DONE):
            raise InvalidInputError(
                "operation.surgery_date", f"an operation that is {self.status} needs its date"
            )
        check_record_id(self.id, "operation.id")


@dataclass(frozen=True)
class CarePlanItemState:
    """Whether one item of a child's care plan (a pathway item id) is done, and by whom."""

    operation_plan_id: int
    item_id: str
    due_date: date
    done_at: datetime | None = None
    done_by: int | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        check_required_id(self.operation_plan_id, "care_plan_item.operation_plan_id")
        check_slug(self.item_id, "care_plan_item.item_id")
        check_calendar_date(self.due_date, "care_plan_item.due_date")
        if (self.done_at is None) != (self.done_by is None):
            raise InvalidInputError(
                "care_plan_item.done_by", "done_at and done_by go together: give both or neither"
            )
        if self.done_at is not None:
            object.__setattr__(self, "done_at", utc_moment(self.done_at, "care_plan_item.done_at"))
        check_record_id(self.done_by, "care_plan_item.done_by")
        check_record_id(self.id, "care_plan_item.id")

    @property
    def done(self) -> bool:
        return self.done_at is not None


@dataclass(frozen=True)
class Alert:
    """Something the team must see about a child (``kind`` is a code such as ``red-skin``)."""

    child_id: int
    kind: str
    raised_at: datetime
    acknowledged_by: int | None = None
    acknowledged_at: datetime | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        check_required_id(self.child_id, "alert.child_id")
        check_slug(self.kind, "alert.kind")
        object.__setattr__(self, "raised_at", utc_moment(self.raised_at, "alert.raised_at"))
        if (self.acknowledged_by is None) != (self.acknowledged_at is None):
            raise InvalidInputError(
                "alert.acknowledged_by",
                "acknowledged_by and acknowledged_at go together: give both or neither",
            )
        if self.acknowledged_at is not None:
            moment = utc_moment(self.acknowledged_at, "alert.acknowledged_at")
            if moment < self.raised_at:
                raise InvalidInputError("alert.acknowledged_at", "is before the alert was raised")
            object.__setattr__(self, "acknowledged_at", moment)
        check_record_id(self.acknowledged_by, "alert.acknowledged_by")
        check_record_id(self.id, "alert.id")
