"""Pydantic models of the clinical JSON API: surveillance, worklist, operations, dashboard.

Request models describe the shape only; the use cases check values and name the field at
fault (answered as ``{"field", "problem"}`` with 422).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from hipcare.domain.records import Alert, CarePlanItemState, OperationPlan
from hipcare.services.care_team import DashboardAlert, SiteDashboard
from hipcare.services.hip_trend import HipTrend
from hipcare.services.journey import SurveillanceSummary
from hipcare.services.worklist import WorklistEntry
from hipcare.services.worklist_rows import WorklistRow
from hipcare.web.models import RECORD_ID_MAX

__all__ = [
    "AlertOut",
    "CarePlanItemOut",
    "DashboardOut",
    "HipDatesOut",
    "HipMeasuresIn",
    "HipPairOut",
    "OperationIn",
    "OperationOut",
    "PathwayStartIn",
    "PostponeIn",
    "SurveillanceOut",
    "VisitIn",
    "WorklistEntryOut",
    "alert_out",
    "care_plan_item_out",
    "dashboard_out",
    "operation_out",
    "surveillance_out",
    "worklist_entry_out",
    "worklist_row_out",
]

WorklistStatusName = Literal["needs referral", "overdue", "due"]


class HipMeasuresIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    migration_percentage_raw: float | None = Field(
        default=None, description="migration percentage as measured (may be < 0 or > 100)"
    )
    migration_percentage_reported: float | None = None
    acetabular_index_deg: float | None = None
    neck_shaft_angle_deg: float | None = None
    head_shaft_angle_deg: float | None = None


class AbductionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    right: float | None = Field(default=None, ge=0, le=90, description="degrees, 0-90")
    left: float | None = Field(default=None, ge=0, le=90, description="degrees, 0-90")


class ExaminationIn(BaseModel):
    """Findings of the clinical examination (AACPDM 2017 pathway: pain and passive hip
    abduction at every visit); hip pain or abduction under 30 degrees brings a referral
    (local protocol, to be confirmed by the clinical lead)."""

    model_config = ConfigDict(extra="forbid")

    hip_pain: bool | None = None
    passive_abduction_deg: AbductionIn | None = None
    pelvic_obliquity_deg: float | None = Field(
        default=None, ge=0, le=90, description="degrees, 0-90"
    )
    scoliosis: bool | None = None
    windswept_posture: bool | None = None


class VisitIn(BaseModel):
    """A visit and, when a film was taken, its measures per hip (typed in)."""

    model_config = ConfigDict(extra="forbid")

    visit_date: date
    xray: bool
    right: HipMeasuresIn | None = None
    left: HipMeasuresIn | None = None
    examination: ExaminationIn | None = None


class SurveillanceChange(BaseModel):
    side: Literal["right", "left"]
    previous_date: date
    latest_date: date
    change_points: float
    within_measurement_error: bool = Field(
        description="change smaller than 8.3 points (Parrott et al., J Pediatr Orthop 2002)"
    )


class TrendPointOut(BaseModel):
    side: Literal["right", "left"]
    date: date
    migration_percentage: float


class SurveillanceOut(BaseModel):
    """The surveillance engine's answer today, with the rule that set the next review."""

    status: str | None
    next_review: date | None
    due_from: date | None
    due_by: date | None
    xray: bool | None
    rule_id: str | None
    rule_ids: list[str]
    to_be_confirmed_by_clinical_lead: bool
    actions: list[str]
    problem: str | None
    trend: list[TrendPointOut]
    changes: list[SurveillanceChange]
    refer_threshold_percent: float
    surgery_threshold_percent: float


class HipPairOut(BaseModel):
    """One value per hip (the patient's sides); None where there is none."""

    right: float | None
    left: float | None


class HipDatesOut(BaseModel):
    right: date | None
    left: date | None


class WorklistEntryOut(BaseModel):
    child_id: int
    given_name: str
    family_name: str
    status: WorklistStatusName | None
    next_review: date | None
    rule_id: str | None
    to_be_confirmed_by_clinical_lead: bool
    problem: str | None
    gmfcs: Literal["I", "II", "III", "IV", "V"] | None = Field(
        default=None, description="GMFCS level; null when not known"
    )
    age_months: int | None = Field(default=None, description="whole months of age today")
    latest_migration_percentage: HipPairOut | None = Field(
        default=None, description="the latest MP per hip (0-100, as reported)"
    )
    latest_migration_percentage_film_date: HipDatesOut | None = Field(
        default=None, description="the film date of each hip's latest MP"
    )
    last_film: date | None = None
    days_overdue: int = Field(
        default=0, description="days past the review window, or past a referral's seen-by day"
    )
    referral: Literal["referred", "overdue", "seen in clinic", "operation planned"] | None = Field(
        default=None, description="where the child's referral stands; null: none"
    )


class DayOfSurgeryIn(BaseModel):
    """What the family does on the day; each value left out keeps the site's default (times
    HH:MM, the site's clock; a stop time later than the arrival is the evening before)."""

    model_config = ConfigDict(extra="forbid")

    arrival_time: str | None = Field(default=None, examples=["07:00"])
    arrival_place: str | None = Field(default=None, max_length=300)
    food_stop_time: str | None = None
    milk_stop_time: str | None = None
    clear_fluids_stop_time: str | None = None
    what_to_bring: list[str] | None = Field(default=None, max_length=12)


class DayOfSurgeryOut(BaseModel):
    arrival_time: str
    arrival_place: str
    food_stop_time: str
    milk_stop_time: str
    clear_fluids_stop_time: str
    what_to_bring: list[str]
    to_be_confirmed: bool = Field(
        description="local protocol: to be confirmed by the clinical lead"
    )


class OperationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sides: Literal["left", "right", "both"]
    procedures: list[
        Literal["vdro", "dega", "adductor-release", "psoas-release", "open-reduction"]
    ] = Field(min_length=1)
    implant: str = Field(max_length=200)
    plate_angle_deg: float | None = None
    surgeon_id: int = Field(ge=1, le=RECORD_ID_MAX, description="the surgeon's user id")
    surgery_date: date | None = None
    weight_bearing: Literal["as-tolerated", "non-weight-bearing"] | None = Field(
        default=None, description="default: the surgeon's preference profile"
    )
    positioning_device: bool | None = Field(
        default=None, description="default: the surgeon's preference profile"
    )
    day_of_surgery: DayOfSurgeryIn | None = Field(
        default=None, description="default: the site's day-of-surgery defaults (local protocol)"
    )


class OperationOut(BaseModel):
    id: int
    child_id: int
    status: Literal["proposed", "scheduled", "postponed", "done", "cancelled"]
    sides: Literal["left", "right", "both"]
    procedures: list[str]
    implant: str
    plate_angle_deg: float | None
    surgeon_id: int
    weight_bearing: Literal["as-tolerated", "non-weight-bearing"]
    positioning_device: bool
    surgery_date: date | None
    postponed_from: date | None = None
    day_of_surgery: DayOfSurgeryOut | None = None


class PathwayStartIn(BaseModel):
    """Facts about the child that the pathway needs."""

    model_config = ConfigDict(extra="forbid")

    wheelchair_user: bool
    attends_school: bool
    sees_therapists: bool


class OperationDoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    done_on: date | None = Field(
        default=None,
        description="the day the operation was done (not after today); leave it out for the "
        "planned surgery date",
    )


class PostponeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    surgery_date: date
    expected_surgery_date: date | None = Field(
        default=None,
        description="the surgery date you saw (If-Match style): when someone changed it "
        "since, 409 and nothing changes. Leave it out to postpone whatever is planned now.",
    )


class CarePlanItemOut(BaseModel):
    item_id: str
    due_date: date
    done: bool
    done_at: datetime | None
    done_by: int | None


class AlertOut(BaseModel):
    id: int
    child_id: int
    kind: str
    raised_at: datetime
    acknowledged_by: int | None
    acknowledged_at: datetime | None


class DashboardAlertOut(AlertOut):
    given_name: str
    family_name: str
    acknowledged_by_name: str | None


class DashboardChildOut(BaseModel):
    child_id: int
    given_name: str
    family_name: str
    operation_id: int | None
    surgery_date: date | None
    items_done: int
    items_total: int
    open_alerts: int


class DashboardPhaseOut(BaseModel):
    phase: Literal[
        "surveillance", "decision", "preparing", "hospital", "going-home", "recovery", "follow-up"
    ]
    title: str
    children: list[DashboardChildOut]


class DashboardOut(BaseModel):
    site: str
    today: date
    phases: list[DashboardPhaseOut]
    open_alerts: list[DashboardAlertOut]
    acknowledged_alerts: list[DashboardAlertOut]


def _id(value: int | None) -> int:
    if value is None:  # pragma: no cover -- stored records have ids
        raise ValueError("a stored record has an id")
    return value


def surveillance_out(summary: SurveillanceSummary, trend: HipTrend) -> SurveillanceOut:
    plan = summary.plan
    review = None if plan is None else plan.review
    return SurveillanceOut(
        status=None if summary.status is None else summary.status.value,
        next_review=None if plan is None else plan.next_review,
        due_from=None if review is None else review.due_from,
        due_by=None if review is None else review.due_by,
        xray=None if review is None else review.xray,
        rule_id=None if review is None else review.rule_id,
        rule_ids=[] if plan is None else list(plan.rule_ids),
        to_be_confirmed_by_clinical_lead=summary.to_be_confirmed_by_clinical_lead,
        actions=[] if plan is None else [action.text for action in plan.actions],
        problem=summary.problem,
        trend=[
            TrendPointOut(
                side=side.value, date=point.day, migration_percentage=point.migration_percentage
            )
            for side, points in trend.series.items()
            for point in points
        ],
        changes=[
            SurveillanceChange(
                side=change.side.value,
                previous_date=change.previous_date,
                latest_date=change.latest_date,
                change_points=change.change_points,
                within_measurement_error=change.within_measurement_error,
            )
            for change in trend.changes
        ],
        refer_threshold_percent=trend.refer_threshold_percent,
        surgery_threshold_percent=trend.surgery_threshold_percent,
    )


def worklist_row_out(row: WorklistRow) -> WorklistEntryOut:
    """An entry with what its row shows (``hipcare.services.worklist_rows``)."""
    right, left = row.right, row.left
    state = row.referral.state
    return worklist_entry_out(row.entry).model_copy(
        update={
            "gmfcs": None if row.gmfcs is None else row.gmfcs.value,
            "age_months": row.age_months,
            "latest_migration_percentage": HipPairOut(
                right=None if right is None else right.migration_percentage,
                left=None if left is None else left.migration_percentage,
            ),
            "latest_migration_percentage_film_date": HipDatesOut(
                right=None if right is None else right.film_date,
                left=None if left is None else left.film_date,
            ),
            "last_film": row.last_film,
            "days_overdue": row.days_overdue,
            "referral": None if state is None else state.value,
        }
    )


def worklist_entry_out(entry: WorklistEntry) -> WorklistEntryOut:
    status = None if entry.status is None else entry.status.value
    return WorklistEntryOut(
        child_id=entry.child_id,
        given_name=entry.given_name,
        family_name=entry.family_name,
        status=status,  # type: ignore[arg-type]  # site_worklist lists only these three
        next_review=entry.next_review,
        rule_id=entry.rule_id,
        to_be_confirmed_by_clinical_lead=entry.to_be_confirmed_by_clinical_lead,
        problem=entry.problem,
    )


def operation_out(plan: OperationPlan) -> OperationOut:
    return OperationOut(
        id=_id(plan.id),
        child_id=plan.child_id,
        status=plan.status.value,
        sides=plan.sides.value,
        procedures=[procedure.value for procedure in plan.procedures],
        implant=plan.implant,
        plate_angle_deg=plan.plate_angle_deg,
        surgeon_id=plan.surgeon_id,
        weight_bearing=plan.weight_bearing.value,
        positioning_device=plan.positioning_device,
        surgery_date=plan.surgery_date,
        postponed_from=plan.postponed_from,
        day_of_surgery=None
        if plan.day_of_surgery is None
        else DayOfSurgeryOut(**plan.day_of_surgery.to_json()),
    )


def care_plan_item_out(item: CarePlanItemState) -> CarePlanItemOut:
    return CarePlanItemOut(
        item_id=item.item_id,
        due_date=item.due_date,
        done=item.done,
        done_at=item.done_at,
        done_by=item.done_by,
    )


def alert_out(alert: Alert) -> AlertOut:
    return AlertOut(
        id=_id(alert.id),
        child_id=alert.child_id,
        kind=alert.kind,
        raised_at=alert.raised_at,
        acknowledged_by=alert.acknowledged_by,
        acknowledged_at=alert.acknowledged_at,
    )


def _dashboard_alert(entry: DashboardAlert) -> DashboardAlertOut:
    return DashboardAlertOut(
        **alert_out(entry.alert).model_dump(),
        given_name=entry.child.given_name,
        family_name=entry.child.family_name,
        acknowledged_by_name=entry.acknowledged_by_name,
    )


def dashboard_out(dashboard: SiteDashboard) -> DashboardOut:
    return DashboardOut(
        site=dashboard.site_id,
        today=dashboard.today,
        phases=[
            DashboardPhaseOut(
                phase=phase.value,
                title=phase.heading,
                children=[
                    DashboardChildOut(
                        child_id=_id(entry.child.id),
                        given_name=entry.child.given_name,
                        family_name=entry.child.family_name,
                        operation_id=None if entry.operation is None else entry.operation.id,
                        surgery_date=None
                        if entry.operation is None
                        else entry.operation.surgery_date,
                        items_done=entry.items_done,
                        items_total=entry.items_total,
                        open_alerts=entry.open_alerts,
                    )
                    for entry in children
                ],
            )
            for phase, children in dashboard.by_phase
        ],
        open_alerts=[_dashboard_alert(entry) for entry in dashboard.open_alerts],
        acknowledged_alerts=[_dashboard_alert(entry) for entry in dashboard.acknowledged_alerts],
    )
