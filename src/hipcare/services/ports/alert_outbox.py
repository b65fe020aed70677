"""The alert outbox (issue 16): each diary alert emailed to the route in force once, then
once per escalation step while nobody acknowledges it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

__all__ = ["AlertOutbox", "AlertToSend", "DeliveryState", "SentAlert"]


@dataclass(frozen=True)
class DeliveryState:
    """One step's email of an alert: claimed ('sending') at ``claimed_at``, or sent."""

    step: int
    sent: bool
    claimed_at: datetime


@dataclass(frozen=True)
class AlertToSend:
    """An unacknowledged alert: ids, when it was raised, its level (the urgency of the diary
    entry that raised it; None for an alert with no entry) and its steps' emails so far."""

    alert_id: int
    child_id: int
    site_id: str
    raised_at: datetime
    level: str | None = None
    deliveries: tuple[DeliveryState, ...] = ()


@dataclass(frozen=True)
class SentAlert:
    """One step's email of an alert as sent: to whom and when (step 0: the first email)."""

    alert_id: int
    recipient: str
    sent_at: datetime
    step: int = 0


class AlertOutbox(Protocol):
    def to_send(self, raised_since: datetime) -> Sequence[AlertToSend]:
        """Alerts raised since ``raised_since`` and not acknowledged, with their deliveries;
        oldest first."""
        ...

    def claim(self, alert_id: int, step: int, recipient: str, now: datetime) -> int | None:
        """Insert the step's delivery ('sending'): its id, or None when one exists (the
        unique (alert id, step) lets one claimant win)."""
        ...

    def reclaim_stale(
        self, alert_id: int, step: int, now: datetime, stale_before: datetime
    ) -> int | None:
        """Take over the step's 'sending' delivery claimed before ``stale_before``
        (compare-and-set on its claim time): its id, or None when none is stale or another
        took it."""
        ...

    def mark_sent(self, delivery_id: int, at: datetime) -> None: ...

    def sent_for_child(self, child_id: int) -> Sequence[SentAlert]:
        """The child's alerts' sent emails, every step, in step order."""
        ...
