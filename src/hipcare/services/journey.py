"""The whole journey of one child as a clinician's page shows it, and the staff's sites.

``child_journey`` reads the child's record through :func:`hipcare.services.records.get_child`
(so the read is authorised and audited there), judges surveillance with the engine
(:func:`hipcare.domain.surveillance.plan_surveillance`, rules from ``surveillance.toml``),
and adds the child's operation plans, care-plan progress and alerts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from hipcare.domain.errors import HipcareError
from hipcare.domain.records import Alert, CarePlanItemState, Child, OperationPlan, Site, VisitRecord
from hipcare.domain.surveillance import (
    RuleStatus,
    SurveillanceInput,
    SurveillancePlan,
    SurveillanceRules,
    WorklistStatus,
    plan_surveillance,
    worklist_status,
)
from hipcare.services.ports import UnitOfWork
from hipcare.services.records import PermissionDeniedError, get_child

__all__ = ["ChildJourney", "SurveillanceSummary", "child_journey", "staff_sites"]


@dataclass(frozen=True)
class SurveillanceSummary:
    """The surveillance engine's answer for the child today, or why it could not answer.

    ``to_be_confirmed_by_clinical_lead`` is true when a rule used is local protocol.
    """

    plan: SurveillancePlan | None
    status: WorklistStatus | None
    problem: str | None
    to_be_confirmed_by_clinical_lead: bool


@dataclass(frozen=True)
class ChildJourney:
    """Everything a clinician's page about one child shows."""

    child: Child
    visits: tuple[VisitRecord, ...]
    surveillance: SurveillanceSummary
    operation_plans: tuple[OperationPlan, ...]
    care_plan_items: dict[int, tuple[CarePlanItemState, ...]]
    alerts: tuple[Alert, ...]
    today: date


def _surveillance(
    child: Child, visits: tuple[VisitRecord, ...], rules: SurveillanceRules, today: date
) -> SurveillanceSummary:
    try:
        plan = plan_surveillance(
            SurveillanceInput(
                date_of_birth=child.date_of_birth,
                gmfcs=child.gmfcs,
                today=today,
                visits=tuple(
                    visit.to_surveillance_visit() for visit in visits if visit.visit_date <= today
                ),
                gestation_weeks=child.gestation_weeks,
            ),
            rules,
        )
    except HipcareError as error:
        return SurveillanceSummary(None, None, str(error), False)
    local = any(
        (rule := rules.by_id(rule_id)) is not None
        and rule.citation.status is RuleStatus.LOCAL_PROTOCOL
        for rule_id in plan.rule_ids
    )
    return SurveillanceSummary(plan, worklist_status(plan, today), None, local)


def child_journey(
    uow: UnitOfWork,
    actor_id: int,
    child_id: int,
    rules: SurveillanceRules,
    *,
    today: date,
    now: datetime,
) -> ChildJourney:
    """The child's record, surveillance today, operation plans, care plan and alerts.

    Raises :class:`PermissionDeniedError` when the actor is not of the child's site (audited
    by ``get_child``), and ``InvalidInputError`` (field ``child_id``) for an unknown child.
    """
    record = get_child(uow, actor_id, child_id, now=now)
    with uow:
        plans = tuple(uow.operation_plans.for_child(child_id))
        items = {
            plan.id: tuple(uow.care_plan_items.for_operation_plan(plan.id))
            for plan in plans
            if plan.id is not None
        }
        alerts = tuple(uow.alerts.for_child(child_id))
    return ChildJourney(
        child=record.child,
        visits=record.visits,
        surveillance=_surveillance(record.child, record.visits, rules, today),
        operation_plans=plans,
        care_plan_items=items,
        alerts=alerts,
        today=today,
    )


def staff_sites(uow: UnitOfWork, actor_id: int) -> list[Site]:
    """The sites the member of staff belongs to, by name."""
    with uow:
        actor = uow.users.get(actor_id)
        if actor is None:
            raise PermissionDeniedError("actor", f"user {actor_id} is not known to hipcare")
        sites = [site for site in uow.sites.all() if actor.belongs_to(site.id)]
    return sorted(sites, key=lambda site: site.name)
