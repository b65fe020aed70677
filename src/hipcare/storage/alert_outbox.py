"""The ``alert_deliveries`` table (one row per alert emailed) and the outbox over it
(``hipcare.services.ports.AlertOutbox``); claimed as reminder deliveries are."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from hipcare.services.ports.alert_outbox import AlertToSend, SentAlert
from hipcare.storage.tables import RECORD_ID, AlertRow, Base, ChildRow

__all__ = ["AlertDeliveryRow", "SqlAlchemyAlertOutbox"]

_SENDING, _SENT = "sending", "sent"


class AlertDeliveryRow(Base):
    """An alert's email to the site's alert address: 'sending' once claimed, then 'sent'.
    ``alert_id`` is unique: two server processes cannot both claim one alert."""

    __tablename__ = "alert_deliveries"

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), unique=True)
    recipient: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(16))
    claimed_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer)


class SqlAlchemyAlertOutbox:
    def __init__(self, session: Session) -> None:
        self._session = session

    def to_send(self, raised_since: datetime, stale_before: datetime) -> Sequence[AlertToSend]:
        delivery = AlertDeliveryRow
        rows = self._session.execute(
            select(AlertRow.id, AlertRow.child_id, ChildRow.site_id, AlertRow.raised_at)
            .join(ChildRow, ChildRow.id == AlertRow.child_id)
            .outerjoin(delivery, delivery.alert_id == AlertRow.id)
            .where(
                AlertRow.raised_at >= raised_since,
                AlertRow.acknowledged_at.is_(None),
                or_(
                    delivery.id.is_(None),
                    and_(delivery.status == _SENDING, delivery.claimed_at < stale_before),
                ),
            )
            .order_by(AlertRow.raised_at, AlertRow.id)
        )
        return [AlertToSend(*row) for row in rows]

    def claim(self, alert_id: int, recipient: str, now: datetime) -> int | None:
        row = AlertDeliveryRow(
            alert_id=alert_id, recipient=recipient, status=_SENDING, claimed_at=now, attempts=1
        )
        try:
            with self._session.begin_nested():
                self._session.add(row)
                self._session.flush()
        except IntegrityError:
            return None
        return row.id

    def reclaim_stale(self, alert_id: int, now: datetime, stale_before: datetime) -> int | None:
        found = self._session.execute(
            select(AlertDeliveryRow.id, AlertDeliveryRow.claimed_at).where(
                AlertDeliveryRow.alert_id == alert_id,
                AlertDeliveryRow.status == _SENDING,
                AlertDeliveryRow.claimed_at < stale_before,
            )
        ).first()
        if found is None:
            return None
        delivery_id, claimed_at = found
        result = self._session.execute(
            update(AlertDeliveryRow)
            .where(
                AlertDeliveryRow.id == delivery_id,
                AlertDeliveryRow.status == _SENDING,
                AlertDeliveryRow.claimed_at == claimed_at,
            )
            .values(claimed_at=now, attempts=AlertDeliveryRow.attempts + 1)
        )
        return int(delivery_id) if getattr(result, "rowcount", 0) == 1 else None

    def mark_sent(self, delivery_id: int, at: datetime) -> None:
        self._session.execute(
            update(AlertDeliveryRow)
            .where(AlertDeliveryRow.id == delivery_id)
            .values(status=_SENT, sent_at=at)
        )

    def sent_for_child(self, child_id: int) -> Sequence[SentAlert]:
        rows = self._session.execute(
            select(AlertDeliveryRow.alert_id, AlertDeliveryRow.recipient, AlertDeliveryRow.sent_at)
            .join(AlertRow, AlertRow.id == AlertDeliveryRow.alert_id)
            .where(AlertRow.child_id == child_id, AlertDeliveryRow.status == _SENT)
        )
        return [
            SentAlert(alert_id, recipient, sent_at)
            for alert_id, recipient, sent_at in rows
            if sent_at is not None
        ]
