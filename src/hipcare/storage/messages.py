"""The ``child_messages`` table as :class:`hipcare.services.ports.MessageRepository`: a
child's thread, read marks, and the claim-once outbox of the notices (the care team's for a
family message, the family's for a care-team reply: one notice per row either way)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from hipcare.domain.messages import MessageSide
from hipcare.services.ports.messages import MessageNotice, StoredMessage
from hipcare.storage.tables import ChildMessageRow, ChildRow, UserRow

__all__ = ["SqlAlchemyMessageRepository"]


class SqlAlchemyMessageRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, child_id: int, author_id: int, side: MessageSide, body: str, at: datetime) -> int:
        row = ChildMessageRow(
            child_id=child_id, author_id=author_id, side=side, body=body, sent_at=at
        )
        self._session.add(row)
        self._session.flush()
        return row.id

    def thread(self, child_id: int, limit: int) -> Sequence[StoredMessage]:
        rows = self._session.execute(
            select(ChildMessageRow, UserRow.display_name)
            .join(UserRow, UserRow.id == ChildMessageRow.author_id)
            .where(ChildMessageRow.child_id == child_id)
            .order_by(ChildMessageRow.sent_at.desc(), ChildMessageRow.id.desc())
            .limit(limit)
        ).all()
        return [
            StoredMessage(
                id=row.id,
                child_id=row.child_id,
                author_id=row.author_id,
                side=row.side,
                body=row.body,
                sent_at=row.sent_at,
                author_name=name,
                read_at=row.read_at,
            )
            for row, name in reversed(rows)
        ]

    def mark_read(self, child_id: int, written_by: MessageSide, at: datetime) -> int:
        result = self._session.execute(
            update(ChildMessageRow)
            .where(
                ChildMessageRow.child_id == child_id,
                ChildMessageRow.side == written_by,
                ChildMessageRow.read_at.is_(None),
            )
            .values(read_at=at)
        )
        return int(getattr(result, "rowcount", 0))

    def unread(self, child_id: int, written_by: MessageSide) -> int:
        return int(
            self._session.execute(
                select(func.count())
                .select_from(ChildMessageRow)
                .where(
                    ChildMessageRow.child_id == child_id,
                    ChildMessageRow.side == written_by,
                    ChildMessageRow.read_at.is_(None),
                )
            ).scalar_one()
        )

    def notices_to_send(
        self, sent_since: datetime, side: MessageSide = MessageSide.FAMILY
    ) -> Sequence[MessageNotice]:
        earlier = aliased(ChildMessageRow)
        told = (
            exists()
            .where(
                earlier.child_id == ChildMessageRow.child_id,
                earlier.side == side,
                earlier.id < ChildMessageRow.id,
                earlier.read_at.is_(None),
                earlier.notice_sent_at.is_not(None),
            )
            .correlate(ChildMessageRow)
        )
        rows = self._session.execute(
            select(
                ChildMessageRow.id,
                ChildMessageRow.child_id,
                ChildRow.site_id,
                ChildMessageRow.sent_at,
                ChildMessageRow.notice_claimed_at,
                told,
                ChildMessageRow.read_at.is_not(None),
            )
            .join(ChildRow, ChildRow.id == ChildMessageRow.child_id)
            .where(
                ChildMessageRow.side == side,
                ChildMessageRow.sent_at >= sent_since,
                ChildMessageRow.notice_sent_at.is_(None),
            )
            .order_by(ChildMessageRow.sent_at, ChildMessageRow.id)
        )
        return [MessageNotice(*row) for row in rows]

    def claim_notice(self, message_id: int, now: datetime, stale_before: datetime) -> bool:
        result = self._session.execute(
            update(ChildMessageRow)
            .where(
                ChildMessageRow.id == message_id,
                ChildMessageRow.notice_sent_at.is_(None),
                or_(
                    ChildMessageRow.notice_claimed_at.is_(None),
                    ChildMessageRow.notice_claimed_at < stale_before,
                ),
            )
            .values(notice_claimed_at=now)
        )
        return getattr(result, "rowcount", 0) == 1

    def mark_notice_sent(self, message_id: int, at: datetime) -> None:
        self._session.execute(
            update(ChildMessageRow)
            .where(ChildMessageRow.id == message_id)
            .values(notice_sent_at=at)
        )
