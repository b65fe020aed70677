"""A child's referral to the orthopaedic clinic, and where it stands (issue 16).

The path: the surveillance engine says a child *needs referral* (a migration percentage at
or over the referral threshold, ``hipcare.domain.surveillance``) -> *referred* (to whom,
when) -> *seen in clinic* (when, and the outcome: surgery planned, watch and wait,
declined) -> *operation planned* (an operation plan is recorded for the child).

A referral not seen in clinic within the local protocol's number of weeks
(:class:`ReferralProtocol`, ``content/referral.toml``; to be confirmed by the clinical
lead) is *overdue*: it comes back on the worklist.

Pure: standard library only; ``today`` is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.surveillance import SurveillancePlan, WorklistStatus, worklist_status

__all__ = [
    "ClinicOutcome",
    "Referral",
    "ReferralProtocol",
    "ReferralState",
    "referral_state",
    "worklist_status_with_referral",
]

MAXIMUM_REFERRED_TO_LENGTH = 200


class ClinicOutcome(Enum):
    """What the orthopaedic clinic decided when it saw the child."""

    SURGERY_PLANNED = "surgery planned"
    WATCH_AND_WAIT = "watch and wait"
    DECLINED = "declined"


class ReferralState(Enum):
    """Where a child's referral stands (the worklist's and the child page's words)."""

    REFERRED = "referred"
    OVERDUE = "overdue"  # referred, not yet seen in clinic by the protocol's day
    SEEN_IN_CLINIC = "seen in clinic"
    OPERATION_PLANNED = "operation planned"


@dataclass(frozen=True)
class ReferralProtocol:
    """How long a referred child may wait to be seen in clinic before the referral comes
    back on the worklist as overdue, with where that number comes from.

    ``local_protocol``: not from a published guideline; every output that uses it says
    "to be confirmed by the clinical lead".
    """

    seen_within_weeks: int
    source: str
    local_protocol: bool

    def __post_init__(self) -> None:
        if not 1 <= self.seen_within_weeks <= 104:
            raise InvalidInputError(
                "seen_within_weeks", f"must be 1 to 104 weeks, not {self.seen_within_weeks}"
            )
        if not self.source.strip():
            raise InvalidInputError("source", "a protocol number needs its source")

    def seen_by(self, referred_on: date) -> date:
        """The last day a referral made on ``referred_on`` is on time to be seen."""
        return referred_on + timedelta(weeks=self.seen_within_weeks)


@dataclass(frozen=True)
class Referral:
    """One referral of a child to the orthopaedic clinic.

    ``seen_by``: the last day it is on time to be seen (``ReferralProtocol.seen_by``, kept
    with the referral so the worklist's query compares one date). ``seen_on`` and
    ``outcome`` are both set once the clinic has seen the child, and neither before.
    """

    child_id: int
    referred_to: str
    referred_on: date
    seen_by: date
    recorded_by: int
    recorded_at: datetime
    seen_on: date | None = None
    outcome: ClinicOutcome | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        if not self.referred_to.strip():
            raise InvalidInputError(
                "referred_to", "say who the child is referred to (a surgeon or a clinic)"
            )
        if len(self.referred_to) > MAXIMUM_REFERRED_TO_LENGTH:
            raise InvalidInputError(
                "referred_to", f"must be at most {MAXIMUM_REFERRED_TO_LENGTH} characters"
            )
        if self.seen_by < self.referred_on:
            raise InvalidInputError("seen_by", "cannot be before the referral was made")
        if (self.seen_on is None) != (self.outcome is None):
            raise InvalidInputError(
                "outcome" if self.outcome is None else "seen_on",
                "a clinic visit needs both the day seen and the outcome",
            )
        if self.seen_on is not None and self.seen_on < self.referred_on:
            raise InvalidInputError(
                "seen_on",
                f"cannot be before the referral was made ({self.referred_on.isoformat()})",
            )

    def overdue(self, today: date) -> bool:
        """Not seen in clinic and ``today`` is past the day it should have been seen by."""
        return self.seen_on is None and today > self.seen_by

    def days_overdue(self, today: date) -> int:
        """Days past ``seen_by`` while not seen; 0 when on time or seen."""
        return (today - self.seen_by).days if self.overdue(today) else 0


def referral_state(
    referral: Referral | None, *, operation_planned: bool, today: date
) -> ReferralState | None:
    """Where the child's latest referral stands on ``today``; None when there is none and
    no operation is planned (the engine says whether the child needs one)."""
    if operation_planned:
        return ReferralState.OPERATION_PLANNED
    if referral is None:
        return None
    if referral.seen_on is not None:
        return ReferralState.SEEN_IN_CLINIC
    if referral.overdue(today):
        return ReferralState.OVERDUE
    return ReferralState.REFERRED


def worklist_status_with_referral(
    plan: SurveillancePlan, today: date, state: ReferralState | None
) -> WorklistStatus:
    """The child's worklist status on ``today`` once their referral is taken into account.

    "Needs referral" is answered once a referral is recorded or an operation planned
    (``state`` not None); a referral not seen in clinic in time (``ReferralState.OVERDUE``)
    makes the child overdue; otherwise the review decides, as
    :func:`hipcare.domain.surveillance.worklist_status` says.
    """
    if plan.needs_referral and state is None:
        return WorklistStatus.NEEDS_REFERRAL
    if state is ReferralState.OVERDUE:
        return WorklistStatus.OVERDUE
    if not plan.needs_referral:
        return worklist_status(plan, today)
    review = plan.review
    if review is None:
        return WorklistStatus.DISCHARGED if plan.discharged else WorklistStatus.OUTSIDE_GUIDELINE
    if review.is_overdue(today):
        return WorklistStatus.OVERDUE
    if today >= review.due_from:
        return WorklistStatus.DUE
    return WorklistStatus.NOT_YET_DUE
