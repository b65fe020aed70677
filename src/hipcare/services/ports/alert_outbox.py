"""The alert outbox (issue 16): each diary alert emailed to the site's alert address once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

__all__ = ["AlertOutbox", "AlertToSend", "SentAlert"]


@dataclass(frozen=True)
class AlertToSend:
    """An alert not yet emailed (or whose claim went stale): ids and when it was raised."""

    alert_id: int
    child_id: int
    site_id: str
    raised_at: datetime


@dataclass(frozen=True)
class SentAlert:
    """An alert's email as sent: to whom (the site's alert address) and when."""

    alert_id: int
    recipient: str
    sent_at: datetime


class AlertOutbox(Protocol):
    def to_send(self, raised_since: datetime, stale_before: datetime) -> Sequence[AlertToSend]:
        """Alerts raised since ``raised_since``, not acknowledged, with no delivery or a
        delivery still 'sending' claimed before ``stale_before``; oldest first."""
        ...

    def claim(self, alert_id: int, recipient: str, now: datetime) -> int | None:
        """Insert the alert's delivery ('sending'): its id, or None when one exists (the
        unique alert id lets one claimant win)."""
        ...

    def reclaim_stale(self, alert_id: int, now: datetime, stale_before: datetime) -> int | None:
        """Take over a 'sending' delivery claimed before ``stale_before`` (compare-and-set
        on its claim time): its id, or None when none is stale or another took it."""
        ...

    def mark_sent(self, delivery_id: int, at: datetime) -> None: ...

    def sent_for_child(self, child_id: int) -> Sequence[SentAlert]:
        """The child's alerts' sent emails."""
        ...
