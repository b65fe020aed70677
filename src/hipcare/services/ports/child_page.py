"""The clinician's child page: its reads in as few statements as possible (ADR 10)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from hipcare.domain.records import (
    Alert,
    CarePlanItemState,
    Child,
    OperationPlan,
    Role,
    User,
    VisitRecord,
)
from hipcare.domain.referral import Referral
from hipcare.services.ports.accounts import WebSession
from hipcare.services.ports.family import Carer, StoredDiaryEntry
from hipcare.services.ports.radiographs import Reading, StoredFilm

__all__ = ["ChildPageQuery"]


@dataclass(frozen=True)
class ChildPageHeader:
    """What one statement tells about a child page before anything else is read: the
    child's site and name, the versions a rendered page depends on (the record's, moved by
    database triggers, and the staff names' generation), and the viewer's role and whether
    they belong to the child's site (``actor_role`` None: no such user). A rendered page is
    valid for the same child, versions, viewer and role (and day)."""

    child_id: int
    site_id: str
    given_name: str
    family_name: str
    record_version: int
    generation: int
    actor_id: int
    actor_role: Role | None
    actor_is_member: bool


class ChildPageQuery(Protocol):
    """The child page's reads (``hipcare.storage.child_page``)."""

    def header(self, actor_id: int, child_id: int) -> ChildPageHeader | None:
        """None when there is no such child."""
        ...

    def session_and_header(
        self, token_digest: str, child_id: int
    ) -> tuple[WebSession, User, ChildPageHeader | None] | None:
        """The session with this digest and its user (with their sites), and the page header
        (None: no such child) for that user, in one statement; None for an unknown session."""
        ...

    def audit_read(self, actor_id: int, child_id: int, at: datetime) -> None:
        """One ``child.read`` audit row."""
        ...

    def child(self, child_id: int) -> Child | None: ...

    def visits(self, child_id: int) -> Sequence[VisitRecord]:
        """Oldest first, each with its measures per hip."""
        ...

    def operation_plans(
        self, child_id: int
    ) -> tuple[Sequence[OperationPlan], dict[int, tuple[CarePlanItemState, ...]]]:
        """The plans (oldest first) and each plan's care-plan items by due date."""
        ...

    def alerts(self, child_id: int) -> Sequence[Alert]: ...

    def referrals(self, child_id: int) -> Sequence[Referral]:
        """The child's referrals, oldest first."""
        ...

    def films(self, child_id: int) -> Sequence[tuple[StoredFilm, tuple[Reading, ...]]]:
        """Newest film first, each with all its readings, oldest first."""
        ...

    def diary(self, child_id: int, limit: int) -> Sequence[StoredDiaryEntry]:
        """The newest ``limit`` diary entries, newest first."""
        ...

    def pain_descriptors(self, child_id: int) -> dict[str, str]: ...

    def display_names(self, user_ids: Collection[int]) -> dict[int, str]: ...

    def carers(self, child_id: int) -> Sequence[Carer]:
        """The family members linked to the child (issue 17), in the order they joined."""
        ...

    def message_counts(self, child_id: int) -> tuple[int, int]:
        """(messages in the child's thread, family messages the care team has not read)."""
        ...
