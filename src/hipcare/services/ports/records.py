"""The clinical record's repositories: sites, staff, children, visits, operation plans, their
care-plan items, alerts and other systems' identifiers.

Every repository takes and returns domain values (``hipcare.domain.records``). ``add``
returns the value as stored, with its new ``id``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Protocol

from hipcare.domain.records import (
    Alert,
    CarePlanItemState,
    Child,
    EntityType,
    ExternalIdentifier,
    OperationPlan,
    Site,
    User,
    VisitRecord,
)

__all__ = [
    "AlertRepository",
    "CarePlanItemRepository",
    "ChildRepository",
    "ExternalIdentifierRepository",
    "OperationPlanRepository",
    "SiteRepository",
    "UserRepository",
    "VisitRepository",
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

    def by_sign_on(self, issuer: str, subject: str) -> User | None:
        """The user linked to the identity provider ``issuer``'s person ``subject``."""
        ...

    def link_sign_on(self, user_id: int, issuer: str, subject: str) -> None:
        """Link the stored user ``user_id`` to ``issuer``'s person ``subject``."""
        ...

    def save(self, user: User) -> User:
        """Overwrite the stored user that has ``user.id``: email, name, role, profession,
        surgeon profile and site memberships (the password hash and sign-on link stay)."""
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

    def born_on(self, site_id: str, date_of_birth: date) -> Sequence[Child]:
        """Children of the site born on ``date_of_birth``, by id."""
        ...

    def with_hospital_number(self, site_id: str, system: str, value: str) -> Sequence[Child]:
        """Children of the site holding the hospital number (``system``, ``value``), by id."""
        ...

    def move_records(self, from_child_id: int, to_child_id: int) -> None:
        """Move every record held under one child to another (a merge of a duplicate):
        visits, films (with their readings), operation plans, alerts, family links,
        invitations and calendar links, diary entries, pain words and the identifiers other
        systems gave the child. A family link or pain word the other child already has is
        kept as that child has it. The child rows themselves are the caller's to save."""
        ...


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

    def done_for_children(self, child_ids: Collection[int]) -> dict[int, list[OperationPlan]]:
        """The operations marked done of many children at once (by id), keyed by child id;
        what the surveillance judgement reads (``hip_surgery``)."""
        ...

    def save(self, plan: OperationPlan) -> OperationPlan:
        """Overwrite the stored plan that has ``plan.id``."""
        ...

    def save_if_unchanged(self, plan: OperationPlan, was: OperationPlan) -> OperationPlan | None:
        """Overwrite the stored plan with ``plan`` only if its surgery date and status are
        still those of ``was`` (one conditional update: of two simultaneous edits one wins);
        None when someone changed them first."""
        ...


class CarePlanItemRepository(Protocol):
    def add(self, item: CarePlanItemState) -> CarePlanItemState: ...

    def for_operation_plan(self, operation_plan_id: int) -> Sequence[CarePlanItemState]:
        """The plan's items by due date."""
        ...

    def save(self, item: CarePlanItemState) -> CarePlanItemState:
        """Overwrite the stored item that has ``item.id`` (to re-date it)."""
        ...

    def mark_done(self, item_id: int, done_at: datetime, done_by: int) -> CarePlanItemState | None:
        """Mark the stored item done only if it is still not done (one conditional update,
        so of several simultaneous ticks exactly one wins); None when it was done already."""
        ...


class AlertRepository(Protocol):
    def add(self, alert: Alert) -> Alert: ...

    def for_child(self, child_id: int) -> Sequence[Alert]: ...

    def save(self, alert: Alert) -> Alert:
        """Overwrite the stored alert that has ``alert.id``."""
        ...

    def acknowledge(self, alert_id: int, acknowledged_by: int, at: datetime) -> Alert | None:
        """Acknowledge the stored alert only if it is still open (one conditional update);
        None when someone acknowledged it already."""
        ...


class ExternalIdentifierRepository(Protocol):
    def add(self, identifier: ExternalIdentifier) -> ExternalIdentifier: ...

    def find(self, entity_type: EntityType, system: str, value: str) -> int | None:
        """The id of the record another system calls (``system``, ``value``), if known."""
        ...

    def for_entity(
        self, entity_type: EntityType, entity_id: int
    ) -> Sequence[ExternalIdentifier]: ...
