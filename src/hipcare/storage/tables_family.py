"""The tables of the family side (issue 5): links, invitations, calendar feeds, the diary,
pain descriptors and reminder deliveries.

On the one ``Base.metadata`` of ``hipcare.storage.tables_base``; re-exported by
``hipcare.storage.tables``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from hipcare.domain.diary import DiaryKind, Urgency
from hipcare.domain.messages import MessageSide
from hipcare.storage.tables_base import RECORD_ID, Base, choice_type

__all__ = [
    "CalendarFeedRow",
    "ChildMessageRow",
    "DiaryEntryRow",
    "DiaryPhotoRow",
    "FamilyInvitationRow",
    "FamilyLinkRow",
    "PainDescriptorRow",
    "ReminderDeliveryRow",
]


# --- the family side (issue 5) ------------------------------------------------------------------


class FamilyLinkRow(Base):
    """A family member (a user with role ``family``) may see this child, and only this one."""

    __tablename__ = "family_links"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    child_id: Mapped[int] = mapped_column(
        ForeignKey("children.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime]
    language: Mapped[str | None] = mapped_column(String(35))
    """This carer's language (issue 17: each carer their own): the invitation's, then the
    one they last chose on the family pages; None: the child's."""


class FamilyInvitationRow(Base):
    """A single-use, expiring invitation; ``id`` is the SHA-256 of the emailed token."""

    __tablename__ = "family_invitations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    invited_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    accepted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    language: Mapped[str | None] = mapped_column(String(35))


class CalendarFeedRow(Base):
    """A private calendar-feed link of one family member for one child (token stored hashed)."""

    __tablename__ = "calendar_feeds"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    language: Mapped[str | None] = mapped_column(String(35))
    token: Mapped[str | None] = mapped_column(String(64))


class DiaryEntryRow(Base):
    """One home-diary entry; ``data`` holds the entry's fields (see ``hipcare.domain.diary``)."""

    __tablename__ = "diary_entries"
    __table_args__ = (Index("ix_diary_entries_child_id_recorded_at", "child_id", "recorded_at"),)

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime]
    kind: Mapped[DiaryKind] = mapped_column(choice_type(DiaryKind, "kind"))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    urgency: Mapped[Urgency] = mapped_column(choice_type(Urgency, "urgency"))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"))


class DiaryPhotoRow(Base):
    """A photo added to a skin check (JPEG or PNG, size-limited), kept in the database."""

    __tablename__ = "diary_photos"

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    diary_entry_id: Mapped[int] = mapped_column(
        ForeignKey("diary_entries.id", ondelete="CASCADE"), unique=True
    )
    content_type: Mapped[str] = mapped_column(String(32))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class PainDescriptorRow(Base):
    """A parent's own words for how their child shows pain in one r-FLACC category."""

    __tablename__ = "pain_descriptors"

    child_id: Mapped[int] = mapped_column(
        ForeignKey("children.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    text: Mapped[str] = mapped_column(String(500))
    updated_at: Mapped[datetime]


class ReminderDeliveryRow(Base):
    """One reminder email: claimed (``sending``) before it is sent, then ``sent``.

    The unique (item, recipient, due date) key is what makes two runs at once send a
    reminder once: only one of them can insert the claim.
    """

    __tablename__ = "reminder_deliveries"
    __table_args__ = (
        UniqueConstraint("care_plan_item_id", "recipient_id", "due_date"),
        CheckConstraint("status IN ('sending', 'sent')", name="status"),
    )

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    care_plan_item_id: Mapped[int] = mapped_column(
        ForeignKey("care_plan_items.id", ondelete="CASCADE")
    )
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    due_date: Mapped[date]
    status: Mapped[str] = mapped_column(String(16))
    claimed_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer)


class ChildMessageRow(Base):
    """One message of a child's thread between family and care team (issue 17): who wrote it
    (``side``, ``author_id``), when, when the other side first read it, and the claim and
    sending of the other side's "a message is waiting" email (a family message: the care
    team's notice; a care-team message: the linked family's "the care team has replied";
    claimed by a compare-and-set on ``notice_claimed_at``)."""

    __tablename__ = "child_messages"
    __table_args__ = (Index("ix_child_messages_child_id_sent_at", "child_id", "sent_at"),)

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    side: Mapped[MessageSide] = mapped_column(choice_type(MessageSide, "side"))
    body: Mapped[str] = mapped_column(String(2000))
    sent_at: Mapped[datetime]
    read_at: Mapped[datetime | None]
    notice_claimed_at: Mapped[datetime | None]
    notice_sent_at: Mapped[datetime | None]
