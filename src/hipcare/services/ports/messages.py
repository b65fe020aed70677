"""A child's message thread between family and care team (issue 17), and the outbox of the
emails that tell the other side a message is waiting (the care team: a family message; the
family: the care team's reply). Each message row holds the claim of its one notice."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from hipcare.domain.messages import MessageSide

__all__ = ["MessageNotice", "MessageRepository", "StoredMessage"]


@dataclass(frozen=True)
class StoredMessage:
    """One message as stored: who wrote it (user id, side and display name), when, and when
    the other side first read it (None: not yet)."""

    id: int
    child_id: int
    author_id: int
    side: MessageSide
    body: str
    sent_at: datetime
    author_name: str = ""
    read_at: datetime | None = None


@dataclass(frozen=True)
class MessageNotice:
    """A message whose "a message is waiting" email (to the other side) is not yet sent: ids
    and time."""

    message_id: int
    child_id: int
    site_id: str
    sent_at: datetime
    claimed_at: datetime | None = None
    team_told: bool = False
    """An earlier message of the child from the same side, still unread, had its notice sent:
    the receiving side (the team, or for a reply the family) already knows messages are
    waiting (no second email)."""
    read: bool = False
    """The other side has read the message already (no email needed)."""


class MessageRepository(Protocol):
    def add(self, child_id: int, author_id: int, side: MessageSide, body: str, at: datetime) -> int:
        """Store a message: its id."""
        ...

    def thread(self, child_id: int, limit: int) -> Sequence[StoredMessage]:
        """The child's newest ``limit`` messages, oldest first."""
        ...

    def mark_read(self, child_id: int, written_by: MessageSide, at: datetime) -> int:
        """Mark the child's unread messages written by ``written_by`` as read at ``at`` (the
        other side opened the thread): how many."""
        ...

    def unread(self, child_id: int, written_by: MessageSide) -> int:
        """How many of the child's messages written by ``written_by`` are not yet read."""
        ...

    def notices_to_send(
        self, sent_since: datetime, side: MessageSide = MessageSide.FAMILY
    ) -> Sequence[MessageNotice]:
        """Messages written by ``side`` sent since ``sent_since`` whose notice is not yet
        sent, oldest first."""
        ...

    def claim_notice(self, message_id: int, now: datetime, stale_before: datetime) -> bool:
        """Claim the message's notice (compare-and-set: unclaimed, or claimed before
        ``stale_before`` and not sent): True when this call won it."""
        ...

    def mark_notice_sent(self, message_id: int, at: datetime) -> None: ...
