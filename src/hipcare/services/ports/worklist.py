"""The stored surveillance judgements and the site worklist read from them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Protocol

from hipcare.domain.surveillance import WorklistStatus

__all__ = [
    "StoredSurveillanceStatus",
    "SurveillanceStatusRepository",
    "WorklistCounts",
    "WorklistEntry",
    "WorklistOpening",
    "WorklistOrder",
]


@dataclass(frozen=True)
class StoredSurveillanceStatus:
    """A child's surveillance judgement as stored (``hipcare.services.surveillance_status``).

    The next review (rule, window, X-ray), referral, discharge and whether a local-protocol
    rule was used, as judged on ``computed_on`` with the rules ``rules_version``; ``problem``
    instead when the rules could not judge the record. ``judge_again_on``: the first day a
    fresh judgement could differ without a new record (the age limit, or the day after the
    review window closed), None when no such day comes.
    """

    child_id: int
    site_id: str
    computed_on: date
    rules_version: str
    next_review_rule: str | None
    due_from: date | None
    due_by: date | None
    xray_at_next_review: bool
    needs_referral: bool
    discharged: bool
    outside_guideline: bool
    local_protocol: bool
    valid_until: date | None
    judge_again_on: date | None
    problem: str | None
    computed_at: datetime


# Not frozen: a worklist builds thousands of these per request, and a frozen dataclass's
# __init__ (object.__setattr__ per field) costs five times as much; nothing changes them.
@dataclass(slots=True)
class WorklistEntry:
    """One child on a site's surveillance worklist, as the page and the API show it.

    ``status`` is needs referral, overdue or due on the worklist's day; ``next_review`` the
    date to show for the next review (its ``due_by`` once overdue, else not before the day)
    and ``rule_id`` the rule that set it. When the child's record could not be judged (the
    rules refused it), ``status``, ``next_review`` and ``rule_id`` are None and ``problem``
    says why: such a child needs a clinician to look too. ``search_key``: both names folded,
    for sorting by name.
    """

    child_id: int
    given_name: str
    family_name: str
    search_key: str
    status: WorklistStatus | None
    next_review: date | None
    rule_id: str | None
    to_be_confirmed_by_clinical_lead: bool
    problem: str | None


class WorklistOrder(Enum):
    """How a worklist is sorted. Every order ends with the status order (referral, overdue,
    due, then a child the rules could not judge; each by review date, none first; then
    ``search_key`` by code point; then child id), so equal keys keep a fixed place."""

    STATUS = "status"
    REVIEW = "review"  # by the review date shown, a child without one as on the day
    NAME = "name"  # by ``search_key``


@dataclass(frozen=True)
class WorklistCounts:
    """How many children a site's worklist holds on a day, by status; ``total`` counts the
    children the rules could not judge too."""

    needs_referral: int
    overdue: int
    due: int
    total: int


@dataclass(frozen=True)
class WorklistOpening:
    """What a worklist page checks and counts before it lists anyone, read at once: whether
    the actor and the site are known and the actor belongs to it, the ids
    ``SurveillanceStatusRepository.to_judge`` finds, and the counts as stored
    (``counted``; stale when ``to_judge`` is not empty)."""

    actor_known: bool
    actor_belongs: bool
    site_known: bool
    to_judge: Sequence[int]
    counts: WorklistCounts


class SurveillanceStatusRepository(Protocol):
    def put(self, statuses: Sequence[StoredSurveillanceStatus]) -> None:
        """Insert or overwrite the children's stored judgements."""
        ...

    def to_judge(self, site_id: str, today: date, rules_version: str) -> Sequence[int]:
        """Ids of the site's children whose stored judgement is missing or may be stale on
        ``today``: other rules, judged after ``today``, or ``judge_again_on`` reached (age
        limit, or a review that became overdue since it was judged). Index seeks only when
        nothing is stale."""
        ...

    def listed(
        self,
        site_id: str,
        today: date,
        *,
        status: WorklistStatus | None = None,
        order: WorklistOrder = WorklistOrder.STATUS,
        limit: int | None = None,
    ) -> Sequence[WorklistEntry]:
        """The site's children due, overdue or needing referral on ``today`` (or with a
        problem), status and review date derived from the stored judgements; one query.
        Only those of ``status`` when given; in ``order``; the first ``limit`` when given."""
        ...

    def counted(self, site_id: str, today: date) -> WorklistCounts:
        """How many children :meth:`listed` lists on ``today``, by status; one query."""
        ...

    def opened(
        self, actor_id: int, site_id: str, today: date, rules_version: str
    ) -> WorklistOpening:
        """The user and site checks, :meth:`to_judge` and :meth:`counted` in one statement
        (a second only when some rows are missing): each round trip costs a page on a
        networked database."""
        ...
