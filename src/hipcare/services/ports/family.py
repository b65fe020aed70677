"""The family side: links, invitations, calendar feeds, the home diary and reminders."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from hipcare.domain.diary import DiaryEntry, Urgency
from hipcare.domain.records import User

if TYPE_CHECKING:
    # The values stay beside their use cases; annotations only, so no import at run time.
    from hipcare.services.accounts import WebSession
    from hipcare.services.family import (
        CalendarFeed,
        DueReminder,
        Invitation,
        LinkedChild,
        StartedPlan,
        StoredDiaryEntry,
    )

__all__ = ["FamilyRepository"]


class FamilyRepository(Protocol):
    def link(self, user_id: int, child_id: int, at: datetime) -> None: ...

    def children_of(self, user_id: int) -> Sequence[int]: ...

    def is_linked(self, user_id: int, child_id: int) -> bool: ...

    def linked_child(self, user_id: int, child_id: int) -> LinkedChild | None:
        """The child (contacts left out) when ``user_id`` is linked to it, else None."""
        ...

    def started_plan(self, child_id: int) -> StartedPlan | None:
        """The newest non-cancelled operation with stored plan items, or None."""
        ...

    def audit_plan_read(self, actor_id: int, child_id: int, at: datetime) -> None:
        """Write the ``care_plan.read`` audit row of ``actor_id`` viewing the child's plan."""
        ...

    def session_and_linked_child(
        self, token_digest: str, child_id: int
    ) -> tuple[WebSession, User, LinkedChild | None] | None:
        """The session, its user (site memberships not read) and the child if that user is
        linked to it, in one query; None for an unknown session."""
        ...

    def add_invitation(self, invitation: Invitation) -> None: ...

    def invitation(self, token_digest: str) -> Invitation | None: ...

    def use_invitation(self, token_digest: str, user_id: int, at: datetime) -> bool:
        """Mark the invitation used by ``user_id`` if nobody has: True when this call did."""
        ...

    def add_feed(self, feed: CalendarFeed) -> None: ...

    def feed(self, token_digest: str) -> CalendarFeed | None: ...

    def revoke_feeds(self, user_id: int, child_id: int, at: datetime) -> int: ...

    def live_feed_count(self, user_id: int, child_id: int) -> int: ...

    def add_diary_entry(
        self, entry: DiaryEntry, recorded_by: int, data: Mapping[str, Any], urgency: Urgency
    ) -> int: ...

    def set_diary_alert(self, entry_id: int, alert_id: int) -> None: ...

    def diary_for(self, child_id: int, limit: int) -> Sequence[StoredDiaryEntry]: ...

    def add_photo(self, entry_id: int, content_type: str, content: bytes) -> None: ...

    def photo(self, entry_id: int) -> tuple[int, str, bytes] | None:
        """(child id, content type, bytes) of the entry's photo."""
        ...

    def descriptors(self, child_id: int) -> dict[str, str]: ...

    def set_descriptors(self, child_id: int, texts: Mapping[str, str], at: datetime) -> None: ...

    def due_reminders(self, day: date) -> Sequence[DueReminder]: ...

    def claim_delivery(
        self, care_plan_item_id: int, recipient_id: int, due_date: date, now: datetime
    ) -> int | None:
        """Insert a 'sending' claim; None when one exists (another run has it or sent it)."""
        ...

    def reclaim_stale(
        self,
        care_plan_item_id: int,
        recipient_id: int,
        due_date: date,
        now: datetime,
        stale_before: datetime,
    ) -> int | None:
        """Take over a claim left 'sending' since before ``stale_before`` (a crashed run)."""
        ...

    def mark_sent(self, delivery_id: int, at: datetime) -> None: ...
