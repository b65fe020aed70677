"""What happened to the alerts a family's diary raised (issue 16): when the care team was
emailed and when someone acknowledged it, for the family's diary page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hipcare.services.access import find_actor
from hipcare.services.family.access import readable_child
from hipcare.services.ports import UnitOfWork

__all__ = ["AlertFollowUp", "alert_follow_up"]


@dataclass(frozen=True)
class AlertFollowUp:
    """One alert: when its email to the care team went out (None: not yet, or no alert
    address set) and when a member of the care team acknowledged it (None: not yet)."""

    alert_id: int
    emailed_at: datetime | None
    acknowledged_at: datetime | None


def alert_follow_up(
    uow: UnitOfWork, actor_id: int, child_id: int, *, now: datetime
) -> dict[int, AlertFollowUp]:
    """The child's alerts by id, for the child's family and care team (not audited: the page
    showing them audits its read of the diary, or needs none)."""
    with uow:
        actor = find_actor(uow, actor_id)
        readable_child(uow, actor, child_id, now, staff_too=True)
        alerts = uow.alerts.for_child(child_id)
        emailed: dict[int, datetime] = {}
        for sent in uow.alert_outbox.sent_for_child(child_id):  # the first email: step 0
            emailed.setdefault(sent.alert_id, sent.sent_at)
    return {
        alert.id: AlertFollowUp(alert.id, emailed.get(alert.id), alert.acknowledged_at)
        for alert in alerts
        if alert.id is not None
    }
