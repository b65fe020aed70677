"""The care team's dashboard: a site's children by phase of the journey, and open alerts.

Phases of the journey, in order: surveillance, decision, then the pathway's own phases
(preparing, hospital, going home, recovery, follow-up; ``hipcare.domain.pathway.Phase``).
How a child is placed (:func:`journey_phase`):

- no operation plan (or only cancelled ones): **surveillance**;
- an operation proposed, or planned without the pathway started: **decision**;
- the pathway started and surgery still ahead: **preparing**;
- from the surgery day: **hospital** until the discharge day (the day of the going-home items),
  **going home** on that day, **recovery** until the first follow-up item after discharge
  (the post-operative X-ray), then **follow-up**.

A child without an operation whose surveillance says "refer for orthopaedic review" (the
engine, ``plan_surveillance``) is counted under **decision**.

Alerts are raised by the family side (a later piece of work) or the demo; any clinician of
the child's site may acknowledge one, and who did and when is kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.pathway import Pathway, Phase
from hipcare.domain.records import (
    Alert,
    AuditAction,
    CarePlanItemState,
    Child,
    EntityType,
    OperationPlan,
    OperationStatus,
    Role,
)
from hipcare.domain.surveillance import SurveillanceRules
from hipcare.services.access import ConflictError, child_for, deny, find_actor, write_audit
from hipcare.services.journey import surveillance_summary
from hipcare.services.ports import UnitOfWork
from hipcare.services.ports.family import StoredDiaryEntry

__all__ = [
    "DashboardAlert",
    "DashboardChild",
    "JourneyPhase",
    "SiteDashboard",
    "acknowledge_alert",
    "current_operation",
    "journey_phase",
    "list_dashboard",
]


class JourneyPhase(StrEnum):
    """Where a child is on the whole journey (surveillance to follow-up)."""

    SURVEILLANCE = "surveillance"
    DECISION = "decision"
    PREPARING = "preparing"
    HOSPITAL = "hospital"
    GOING_HOME = "going-home"
    RECOVERY = "recovery"
    FOLLOW_UP = "follow-up"

    @property
    def heading(self) -> str:
        return _TITLES[self]


_TITLES = {
    JourneyPhase.SURVEILLANCE: "Hip surveillance",
    JourneyPhase.DECISION: "Deciding about surgery",
    JourneyPhase.PREPARING: "Preparing for surgery",
    JourneyPhase.HOSPITAL: "In hospital",
    JourneyPhase.GOING_HOME: "Going home",
    JourneyPhase.RECOVERY: "Recovery at home",
    JourneyPhase.FOLLOW_UP: "Follow-up",
}


@dataclass(frozen=True)
class DashboardChild:
    """One child on the dashboard: their phase, current operation and open alerts."""

    child: Child
    phase: JourneyPhase
    operation: OperationPlan | None
    items_done: int
    items_total: int
    open_alerts: int


@dataclass(frozen=True)
class DashboardAlert:
    """An alert with its child, and the name of whoever acknowledged it."""

    alert: Alert
    child: Child
    acknowledged_by_name: str | None
    diary_entry: StoredDiaryEntry | None = None
    """The home-diary entry that raised the alert (its kind and value make the title)."""


@dataclass(frozen=True)
class SiteDashboard:
    site_id: str
    today: date
    by_phase: tuple[tuple[JourneyPhase, tuple[DashboardChild, ...]], ...]
    open_alerts: tuple[DashboardAlert, ...]
    acknowledged_alerts: tuple[DashboardAlert, ...]


_DIARY_FOR_TITLES = 200
"""How many of a child's newest diary entries are read to title their alerts in words (an
alert raised by an older entry is titled by its kind only)."""


def current_operation(plans: Sequence[OperationPlan]) -> OperationPlan | None:
    """The operation that matters now: the newest one not cancelled."""
    live = [plan for plan in plans if plan.status is not OperationStatus.CANCELLED]
    return max(live, key=lambda plan: plan.id or 0) if live else None


def journey_phase(
    operation: OperationPlan | None,
    items: Sequence[CarePlanItemState],
    pathway: Pathway,
    today: date,
    *,
    needs_referral: bool = False,
) -> JourneyPhase:
    """The child's phase on ``today`` (rules in the module's docstring)."""
    if operation is None:
        return JourneyPhase.DECISION if needs_referral else JourneyPhase.SURVEILLANCE
    if not items or operation.surgery_date is None:
        return JourneyPhase.DECISION
    if today < operation.surgery_date:
        return JourneyPhase.PREPARING
    phases = {item.id: item.phase for item in pathway.items}
    dates: dict[Phase, list[date]] = {phase: [] for phase in Phase}
    for item in items:
        if item.item_id in phases:
            dates[phases[item.item_id]].append(item.due_date)
    going_home = dates[Phase.GOING_HOME] or dates[Phase.RECOVERY]
    discharge = min(going_home) if going_home else None
    if discharge is None or today < discharge:
        return JourneyPhase.HOSPITAL
    if today == discharge:
        return JourneyPhase.GOING_HOME
    review = min((day for day in dates[Phase.FOLLOW_UP] if day > discharge), default=None)
    if review is None or today < review:
        return JourneyPhase.RECOVERY
    return JourneyPhase.FOLLOW_UP


def list_dashboard(
    uow: UnitOfWork,
    actor_id: int,
    site_id: str,
    pathway: Pathway,
    rules: SurveillanceRules,
    *,
    today: date,
    now: datetime,
) -> SiteDashboard:
    """Children of a site the actor belongs to, by phase, and the site's alerts.

    Every child listed is audited as read (``child.listed``).
    """
    with uow:
        actor = find_actor(uow, actor_id)
        if uow.sites.get(site_id) is None:
            raise InvalidInputError("site", f"no site {site_id!r} is known")
        if not actor.belongs_to(site_id):
            deny(
                uow,
                actor,
                EntityType.SITE,
                site_id,
                now,
                f"user {actor_id} does not belong to site {site_id!r}",
            )
        groups: dict[JourneyPhase, list[DashboardChild]] = {phase: [] for phase in JourneyPhase}
        open_alerts: list[DashboardAlert] = []
        acknowledged: list[DashboardAlert] = []
        names: dict[int, str] = {}
        children = list(uow.children.at_site(site_id))
        visits = uow.visits.for_children([child.id for child in children if child.id])
        for child in children:
            if child.id is None:  # pragma: no cover -- stored children have ids
                continue
            operations = uow.operation_plans.for_child(child.id)
            operation = current_operation(operations)
            items: Sequence[CarePlanItemState] = ()
            if operation is not None and operation.id is not None:
                items = uow.care_plan_items.for_operation_plan(operation.id)
            alerts = uow.alerts.for_child(child.id)
            unacknowledged = [alert for alert in alerts if alert.acknowledged_at is None]
            raised_by = (
                {
                    entry.alert_id: entry
                    for entry in uow.family.diary_for(child.id, _DIARY_FOR_TITLES)
                    if entry.alert_id is not None
                }
                if alerts
                else {}
            )
            for alert in alerts:
                name = None
                if alert.acknowledged_by is not None:
                    name = names.get(alert.acknowledged_by)
                    if name is None:
                        user = uow.users.get(alert.acknowledged_by)
                        name = (
                            f"user {alert.acknowledged_by}" if user is None else user.display_name
                        )
                        names[alert.acknowledged_by] = name
                entry = DashboardAlert(alert, child, name, raised_by.get(alert.id or 0))
                (open_alerts if alert.acknowledged_at is None else acknowledged).append(entry)
            summary = surveillance_summary(
                child, tuple(visits.get(child.id, [])), rules, today, operations=operations
            )
            phase = journey_phase(
                operation,
                items,
                pathway,
                today,
                needs_referral=summary.plan is not None and summary.plan.needs_referral,
            )
            groups[phase].append(
                DashboardChild(
                    child=child,
                    phase=phase,
                    operation=operation,
                    items_done=sum(1 for item in items if item.done),
                    items_total=len(items),
                    open_alerts=len(unacknowledged),
                )
            )
            write_audit(uow, actor, AuditAction.CHILD_LISTED, EntityType.CHILD, child.id, now)
        uow.commit()
    open_alerts.sort(key=lambda entry: entry.alert.raised_at)
    acknowledged.sort(key=lambda entry: entry.alert.acknowledged_at or now, reverse=True)
    return SiteDashboard(
        site_id=site_id,
        today=today,
        by_phase=tuple(
            (phase, tuple(sorted(children, key=lambda entry: entry.child.search_key)))
            for phase, children in groups.items()
        ),
        open_alerts=tuple(open_alerts),
        acknowledged_alerts=tuple(acknowledged),
    )


def acknowledge_alert(
    uow: UnitOfWork, actor_id: int, child_id: int, alert_id: int, *, now: datetime
) -> Alert:
    """Acknowledge an open alert about a child of the actor's site (a clinician): who, now.

    An alert acknowledged already keeps its first acknowledgement: the same person again
    changes nothing; anyone else (already, or in the same moment and lost) gets
    :class:`~hipcare.services.access.ConflictError`.
    """
    with uow:
        actor = find_actor(uow, actor_id)
        child_for(uow, actor, child_id, now)
        if actor.role is not Role.CLINICIAN:
            deny(
                uow,
                actor,
                EntityType.CHILD,
                child_id,
                now,
                f"user {actor_id} is a {actor.role}; only a clinician acknowledges alerts",
            )
        alert = next(
            (alert for alert in uow.alerts.for_child(child_id) if alert.id == alert_id), None
        )
        if alert is None:
            raise InvalidInputError("alert_id", f"the child has no alert {alert_id}")
        if alert.acknowledged_by == actor_id:
            return alert  # the same person acknowledging again: nothing changes
        saved = uow.alerts.acknowledge(alert_id, actor_id, now)
        if saved is None:
            raise ConflictError(
                "alert_id", "someone else acknowledged this alert first; nothing was changed"
            )
        write_audit(uow, actor, AuditAction.ALERT_ACKNOWLEDGED, EntityType.CHILD, child_id, now)
        uow.commit()
    return saved


def phase_titles() -> Mapping[JourneyPhase, str]:
    """Each phase's heading on the dashboard."""
    return dict(_TITLES)
