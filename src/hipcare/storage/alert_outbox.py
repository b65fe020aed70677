"""The ``alert_deliveries`` table (one row per alert and step emailed) and the outbox over it
(``hipcare.services.ports.AlertOutbox``); claimed as reminder deliveries are."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from hipcare.services.ports.alert_outbox import AlertToSend, DeliveryState, SentAlert
from hipcare.storage.tables import RECORD_ID, AlertRow, Base, ChildRow, DiaryEntryRow

__all__ = ["AlertDeliveryRow", "SqlAlchemyAlertOutbox"]

_SENDING, _SENT = "sending", "sent"


class AlertDeliveryRow(Base):
    """One step of an alert's emails (0: the route in force; 1, 2: escalations): 'sending'
    once claimed, then 'sent'. (alert_id, step) is unique: two server processes cannot both
    claim one step."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (UniqueConstraint("alert_id", "step"),)

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    step: Mapped[int] = mapped_column(Integer, server_default="0")
    recipient: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(16))
    claimed_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer)


class SqlAlchemyAlertOutbox:
    def __init__(self, session: Session) -> None:
        self._session = session

    def to_send(self, raised_since: datetime) -> Sequence[AlertToSend]:
        rows = self._session.execute(
            select(
                AlertRow.id,
                AlertRow.child_id,
                ChildRow.site_id,
                AlertRow.raised_at,
                DiaryEntryRow.urgency,
            )
            .join(ChildRow, ChildRow.id == AlertRow.child_id)
            .outerjoin(DiaryEntryRow, DiaryEntryRow.alert_id == AlertRow.id)
            .where(AlertRow.raised_at >= raised_since, AlertRow.acknowledged_at.is_(None))
            .order_by(AlertRow.raised_at, AlertRow.id)
        ).all()
        if not rows:
            return []
        deliveries: dict[int, list[DeliveryState]] = {}
        for alert_id, step, status, claimed_at in self._session.execute(
            select(
                AlertDeliveryRow.alert_id,
                AlertDeliveryRow.step,
                AlertDeliveryRow.status,
                AlertDeliveryRow.claimed_at,
            )
            .where(AlertDeliveryRow.alert_id.in_([row[0] for row in rows]))
            .order_by(AlertDeliveryRow.step)
        ):
            deliveries.setdefault(alert_id, []).append(
                DeliveryState(step, status == _SENT, claimed_at)
            )
        seen: set[int] = set()
        found = []
        for alert_id, child_id, site_id, raised_at, urgency in rows:
            if alert_id in seen:  # one alert, one entry; a second row would be a repeat
                continue
            seen.add(alert_id)
            found.append(
                AlertToSend(
                    alert_id,
                    child_id,
                    site_id,
                    raised_at,
                    None if urgency is None else str(urgency.value),
                    tuple(deliveries.get(alert_id, ())),
                )
            )
        return found

    def claim(self, alert_id: int, step: int, recipient: str, now: datetime) -> int | None:
        row = AlertDeliveryRow(
            alert_id=alert_id,
            step=step,
            recipient=recipient,
            status=_SENDING,
            claimed_at=now,
            attempts=1,
        )
        try:
            with self._session.begin_nested():
                self._session.add(row)
                self._session.flush()
        except IntegrityError:
            return None
        return row.id

    def reclaim_stale(
        self, alert_id: int, step: int, now: datetime, stale_before: datetime
    ) -> int | None:
        found = self._session.execute(
            select(AlertDeliveryRow.id, AlertDeliveryRow.claimed_at).where(
                AlertDeliveryRow.alert_id == alert_id,
                AlertDeliveryRow.step == step,
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
            select(
                AlertDeliveryRow.alert_id,
                AlertDeliveryRow.recipient,
                AlertDeliveryRow.sent_at,
                AlertDeliveryRow.step,
            )
            .join(AlertRow, AlertRow.id == AlertDeliveryRow.alert_id)
            .where(AlertRow.child_id == child_id, AlertDeliveryRow.status == _SENT)
            .order_by(AlertDeliveryRow.alert_id, AlertDeliveryRow.step)
        )
        return [
            SentAlert(alert_id, recipient, sent_at, step)
            for alert_id, recipient, sent_at, step in rows
            if sent_at is not None
        ]
