"""The surveillance plan for one child: the next review, the actions, the worklist status."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import Enum

from hipcare.domain.surveillance.stability import SideJudgement

__all__ = [
    "Action",
    "ActionCode",
    "ReviewKind",
    "ScheduledReview",
    "SurveillancePlan",
    "WorklistStatus",
    "worklist_status",
]


class ActionCode(Enum):
    """What the plan asks a clinician to do or know."""

    SCHEDULE_REVIEW = "schedule-review"
    INITIAL_REVIEW_OVERDUE = "initial-review-overdue"
    REVIEW_OVERDUE = "review-overdue"
    CONFIRM_GMFCS = "confirm-gmfcs-level"
    MIGRATION_UNSTABLE = "migration-unstable"
    REFER_ORTHOPAEDIC = "refer-for-orthopaedic-review"
    SURGERY_USUALLY_CONSIDERED = "surgery-usually-considered"
    DISCHARGE = "discharge-from-surveillance"
    OUTSIDE_GUIDELINE = "outside-guideline"
    POST_OPERATIVE_FAILURE = "post-operative-failure"
    CLINICIAN_TO_SET_NEXT_REVIEW = "clinician-to-set-next-review"


@dataclass(frozen=True)
class Action:
    """One action in plain clinician text, tied to the rule that produced it (None: no rule)."""

    code: ActionCode
    text: str
    rule_id: str | None


class ReviewKind(Enum):
    INITIAL = "initial"
    INTERVAL = "interval"
    AGE = "age"
    DEFAULT = "default"


@dataclass(frozen=True)
class ScheduledReview:
    """The next review: due from ``due_from``, overdue after ``due_by``; with or without X-ray."""

    rule_id: str
    kind: ReviewKind
    due_from: date
    due_by: date
    xray: bool

    def is_overdue(self, today: date) -> bool:
        return today > self.due_by

    def date_on(self, today: date) -> date:
        """The date to show on ``today``: never before today unless the review is overdue."""
        if self.is_overdue(today):
            return self.due_by
        return max(self.due_from, today)


@dataclass(frozen=True)
class SurveillancePlan:
    """The answer for one child on ``today``: next review (or none), actions, rules used."""

    today: date
    review: ScheduledReview | None
    actions: tuple[Action, ...]
    rule_ids: tuple[str, ...]
    age_months: int
    corrected_age_months: int | None
    judgements: tuple[SideJudgement, ...]
    discharged: bool = False
    outside_guideline: bool = False
    notes: tuple[str, ...] = field(default=())
    melbourne_grade: str | None = None
    examination: dict[str, object] | None = None
    """The latest visit's examination findings (with its ``date``), reported, not judged."""

    @property
    def next_review(self) -> date | None:
        return None if self.review is None else self.review.date_on(self.today)

    @property
    def overdue(self) -> bool:
        return self.review is not None and self.review.is_overdue(self.today)

    @property
    def needs_referral(self) -> bool:
        return any(action.code is ActionCode.REFER_ORTHOPAEDIC for action in self.actions)


class WorklistStatus(Enum):
    """Where a child sits on a surveillance worklist on a given day."""

    NEEDS_REFERRAL = "needs referral"
    OVERDUE = "overdue"
    DUE = "due"
    NOT_YET_DUE = "not yet due"
    DISCHARGED = "discharged"
    OUTSIDE_GUIDELINE = "outside guideline"


def worklist_status(plan: SurveillancePlan, today: date) -> WorklistStatus:
    """The child's worklist status on ``today`` (which may be later than ``plan.today``).

    A referral outranks everything (the latest film crossed the referral threshold); then
    an overdue review, a review due now, one not yet due; a discharged child or one outside
    every rule is reported as such.
    """
    if plan.needs_referral:
        return WorklistStatus.NEEDS_REFERRAL
    if plan.review is None:
        return WorklistStatus.DISCHARGED if plan.discharged else WorklistStatus.OUTSIDE_GUIDELINE
    if plan.review.is_overdue(today):
        return WorklistStatus.OVERDUE
    if today >= plan.review.due_from:
        return WorklistStatus.DUE
    return WorklistStatus.NOT_YET_DUE
