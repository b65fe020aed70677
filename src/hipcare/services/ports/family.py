"""The family side: links, invitations, calendar feeds, the home diary and reminders."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from hipcare.domain.diary import Assessment, DiaryEntry, DiaryKind, Urgency
from hipcare.domain.records import Child, OperationPlan, User
from hipcare.services.ports.accounts import WebSession

__all__ = [
    "CalendarFeed",
    "Carer",
    "DiaryRecord",
    "DueReminder",
    "FamilyRepository",
    "Invitation",
    "LinkedChild",
    "StartedPlan",
    "StoredDiaryEntry",
]


@dataclass(frozen=True)
class Invitation:
    token_digest: str
    child_id: int
    email: str
    invited_by: int
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None = None
    accepted_by: int | None = None
    language: str | None = None
    """The invitation's language (its page and email); None: the child's."""


@dataclass(frozen=True)
class CalendarFeed:
    token_digest: str
    user_id: int
    child_id: int
    created_at: datetime
    revoked_at: datetime | None = None
    language: str | None = None
    """The language the member had chosen when making the link; None: the child's."""
    token: str | None = None
    """The link's token (to show the link again); None for links made before it was kept."""


@dataclass(frozen=True)
class StoredDiaryEntry:
    """A diary entry as stored: its id, who wrote it, the assessment and the alert raised."""

    id: int
    child_id: int
    recorded_by: int
    recorded_at: datetime
    kind: DiaryKind
    data: Mapping[str, Any]
    urgency: Urgency
    alert_id: int | None
    has_photo: bool


@dataclass(frozen=True)
class DiaryRecord:
    """What recording an entry did: the stored entry and what it means for the family."""

    entry: StoredDiaryEntry
    assessment: Assessment


@dataclass(frozen=True)
class DueReminder:
    """A care-plan item due on a day, and a family member to remind."""

    care_plan_item_id: int
    item_id: str
    due_date: date
    child_id: int
    recipient_id: int
    email: str
    language: str


@dataclass(frozen=True)
class LinkedChild:
    """A child as a linked family member's pages read it: the child (contacts left out) and
    whether this member has a live calendar link for it."""

    child: Child
    has_calendar: bool
    record_version: int
    """Moved up by the database on any change to the child's record (ADR 10)."""
    page_generation: int
    """Moved up by the database on any change to a user (a surgeon's profile shapes the plan)."""


@dataclass(frozen=True)
class Carer:
    """A family member linked to a child, as the care team sees them: name, email, their
    own language (None: the child's) and since when."""

    user_id: int
    display_name: str
    email: str
    language: str | None
    linked_at: datetime


@dataclass(frozen=True)
class StartedPlan:
    """The child's newest operation whose pathway was started, as the family pages need it:
    the operation, its surgeon's profile id, and which plan items are stored and done."""

    operation: OperationPlan
    surgeon_profile: str | None
    item_ids: frozenset[str]
    done_ids: frozenset[str]


class FamilyRepository(Protocol):
    def link(
        self, user_id: int, child_id: int, at: datetime, language: str | None = None
    ) -> None: ...

    def carers(self, child_id: int) -> Sequence[Carer]:
        """The family members linked to the child, in the order they were linked."""
        ...

    def carer_language(self, user_id: int) -> str | None:
        """The language the family member last chose (any of their links), or None."""
        ...

    def set_carer_language(self, user_id: int, language: str) -> int:
        """Keep ``language`` as the family member's own on each of their links: how many."""
        ...

    def members(self, child_id: int) -> Sequence[int]:
        """The ids of the family accounts linked to the child."""
        ...

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

    def live_feed(self, user_id: int, child_id: int) -> CalendarFeed | None:
        """The member's newest live feed link for the child, or None."""
        ...

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

    def stale_reminders(self, stale_before: datetime) -> Sequence[DueReminder]:
        """Reminders of any due date whose claim has been 'sending' since before
        ``stale_before`` (a run died holding it) and whose item is still not done."""
        ...

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
