"""What the use cases need from storage: repository protocols and a unit of work.

The services layer declares these; ``hipcare.storage`` implements them with SQLAlchemy
(``SqlAlchemyUnitOfWork``), and the entry points hand a unit of work to the use cases. So
the use cases never see a session, a query or SQL, and a test can give them any object that
keeps these promises (the cosmicpython "repository" and "unit of work" patterns).

Every repository takes and returns domain values (``hipcare.domain.records``). ``add``
returns the value as stored, with its new ``id``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from types import TracebackType
from typing import Protocol, Self

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

__all__ = [
    "AlertRepository",
    "AuditLog",
    "CarePlanItemRepository",
    "ChildRepository",
    "ExternalIdentifierRepository",
    "OperationPlanRepository",
    "SiteRepository",
    "StoredSurveillanceStatus",
    "SurveillanceStatusRepository",
    "UnitOfWork",
    "UserRepository",
    "VisitRepository",
    "WorklistCounts",
    "WorklistEntry",
    "WorklistOpening",
    "WorklistOrder",
]


class SiteRepository(Protocol):
    def add(self, site: Site) -> Site: ...

    def get(self, site_id: str) -> Site | None: ...

    def all(self) -> Sequence[Site]: ...


class UserRepository(Protocol):
    def add(self, user: User) -> User:
        """Store a user with their site memberships."""
        ...

    def get(self, user_id: int) -> User | None: ...

    def by_email(self, email: str) -> User | None: ...

    def at_site(self, site_id: str) -> Sequence[User]:
        """Members of the site's staff, by display name."""
        ...


class ChildRepository(Protocol):
    def add(self, child: Child) -> Child:
        """Store a child with their family contacts."""
        ...

    def get(self, child_id: int) -> Child | None: ...

    def save(self, child: Child) -> Child:
        """Overwrite the stored child that has ``child.id`` (and their contacts)."""
        ...

    def search(self, name_key: str, site_ids: Collection[str], limit: int) -> Sequence[Child]:
        """Children at ``site_ids`` whose folded names contain ``name_key``, by name."""
        ...

    def at_site(self, site_id: str) -> Sequence[Child]: ...


class VisitRepository(Protocol):
    def add(self, visit: VisitRecord) -> VisitRecord: ...

    def get(self, visit_id: int) -> VisitRecord | None: ...

    def save(self, visit: VisitRecord) -> VisitRecord:
        """Overwrite the stored visit that has ``visit.id`` (and its measures)."""
        ...

    def for_child(self, child_id: int) -> Sequence[VisitRecord]:
        """The child's visits, oldest first."""
        ...

    def for_children(self, child_ids: Collection[int]) -> dict[int, list[VisitRecord]]:
        """Visits of many children at once (oldest first), keyed by child id."""
        ...


class OperationPlanRepository(Protocol):
    def add(self, plan: OperationPlan) -> OperationPlan: ...

    def get(self, plan_id: int) -> OperationPlan | None: ...

    def for_child(self, child_id: int) -> Sequence[OperationPlan]: ...

    def save(self, plan: OperationPlan) -> OperationPlan:
        """Overwrite the stored plan that has ``plan.id``."""
        ...


class CarePlanItemRepository(Protocol):
    def add(self, item: CarePlanItemState) -> CarePlanItemState: ...

    def for_operation_plan(self, operation_plan_id: int) -> Sequence[CarePlanItemState]:
        """The plan's items by due date."""
        ...

    def save(self, item: CarePlanItemState) -> CarePlanItemState:
        """Overwrite the stored item that has ``item.id`` (to mark it done)."""
        ...


class AlertRepository(Protocol):
    def add(self, alert: Alert) -> Alert: ...

    def for_child(self, child_id: int) -> Sequence[Alert]: ...

    def save(self, alert: Alert) -> Alert:
        """Overwrite the stored alert that has ``alert.id`` (to acknowledge it)."""
        ...


class AuditLog(Protocol):
    def add(self, entry: AuditEntry) -> AuditEntry: ...

    def add_many(self, entries: Sequence[AuditEntry]) -> None:
        """Store several entries in one statement."""
        ...

    def add_for_each(
        self,
        actor_id: int,
        action: AuditAction,
        entity_type: EntityType,
        entity_ids: Sequence[str],
        at: datetime,
    ) -> None:
        """One entry per id in ``entity_ids``, the rest alike, stored in one statement (a
        worklist audits every child it lists)."""
        ...

    def for_entity(self, entity_type: EntityType, entity_id: str) -> Sequence[AuditEntry]:
        """Every entry about one record, oldest first."""
        ...

    def by_actor(self, actor_id: int) -> Sequence[AuditEntry]: ...


class ExternalIdentifierRepository(Protocol):
    def add(self, identifier: ExternalIdentifier) -> ExternalIdentifier: ...

    def find(self, entity_type: EntityType, system: str, value: str) -> int | None:
        """The id of the record another system calls (``system``, ``value``), if known."""
        ...

    def for_entity(
        self, entity_type: EntityType, entity_id: int
    ) -> Sequence[ExternalIdentifier]: ...


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


class UnitOfWork(Protocol):
    """One transaction over every repository: ``with uow: ...; uow.commit()``.

    Leaving the ``with`` block without ``commit()`` rolls back whatever was not committed.
    """

    @property
    def sites(self) -> SiteRepository: ...

    @property
    def users(self) -> UserRepository: ...

    @property
    def children(self) -> ChildRepository: ...

    @property
    def visits(self) -> VisitRepository: ...

    @property
    def operation_plans(self) -> OperationPlanRepository: ...

    @property
    def care_plan_items(self) -> CarePlanItemRepository: ...

    @property
    def alerts(self) -> AlertRepository: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def external_identifiers(self) -> ExternalIdentifierRepository: ...

    @property
    def surveillance_status(self) -> SurveillanceStatusRepository: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...
