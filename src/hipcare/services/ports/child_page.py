"""The clinician's child page: its reads in as few statements as possible (ADR 10)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from hipcare.domain.records import (
    Alert,
    CarePlanItemState,
    Child,
    OperationPlan,
    User,
    VisitRecord,
)

if TYPE_CHECKING:
    # The values stay beside their use cases; annotations only, so no import at run time.
    from hipcare.services.accounts import WebSession
    from hipcare.services.family import StoredDiaryEntry
    from hipcare.services.journey import ChildPageHeader
    from hipcare.services.radiographs import Reading, StoredFilm

__all__ = ["ChildPageQuery"]


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

    def films(self, child_id: int) -> Sequence[tuple[StoredFilm, tuple[Reading, ...]]]:
        """Newest film first, each with all its readings, oldest first."""
        ...

    def diary(self, child_id: int, limit: int) -> Sequence[StoredDiaryEntry]:
        """The newest ``limit`` diary entries, newest first."""
        ...

    def pain_descriptors(self, child_id: int) -> dict[str, str]: ...

    def display_names(self, user_ids: Collection[int]) -> dict[int, str]: ...
