"""Marking an operation done, over every engine: surveillance counts it from then on.

Issue 14: the engine's ``hip_surgery`` comes from operations marked done, so there must be a
way to mark one done. A GMFCS II child whose MP fell after a VDRO is not discharged; a
second operation on the same hip flags a possible failure; only clinicians may mark it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from tests.support.staff import HARBOUR, Staff

from hipcare.content.pathway import load_pathway, load_surgeons
from hipcare.content.sites import load_sites
from hipcare.content.surveillance import load_surveillance_rules
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import AuditAction, EntityType, OperationPlan, OperationStatus
from hipcare.services.access import ConflictError, PermissionDeniedError
from hipcare.services.journey import child_journey
from hipcare.services.operations import (
    PathwayContent,
    plan_operation,
    record_operation_done,
    start_pathway,
    tick_care_item,
)
from hipcare.services.ports import UnitOfWork
from hipcare.services.records import record_visit, register_child

TODAY = date(2023, 7, 1)
NOW = datetime(2023, 7, 1, 9, 0, tzinfo=UTC)
RULES = load_surveillance_rules()
CONTENT = PathwayContent.of(
    load_pathway(), load_surgeons(), {site.id: site.name for site in load_sites()}
)
FILMS = (("2021-03-01", 45, 38), ("2022-06-01", 16, 15), ("2023-06-01", 15, 14))


def _child(uow: UnitOfWork, staff: Staff) -> int:
    form = {
        "given_name": "Tomas",
        "family_name": "Okafor",
        "date_of_birth": "2014-05-01",
        "site": HARBOUR,
        "gmfcs": "II",
    }
    child = register_child(uow, staff.nurse, form, today=TODAY, now=NOW, rules=RULES)
    assert child.id is not None
    for day, right, left in FILMS:
        document = {
            "visit_date": day,
            "xray": True,
            "right": {"migration_percentage_reported": right},
            "left": {"migration_percentage_reported": left},
        }
        record_visit(uow, staff.surgeon, child.id, document, today=TODAY, now=NOW, rules=RULES)
    return child.id


def _plan(uow: UnitOfWork, staff: Staff, child_id: int, surgery_date: str) -> int:
    plan = plan_operation(
        uow,
        staff.surgeon,
        child_id,
        {
            "sides": "both",
            "procedures": ["vdro"],
            "implant": "blade plate",
            "surgeon_id": staff.surgeon,
            "surgery_date": surgery_date,
            "weight_bearing": "as-tolerated",
            "positioning_device": False,
        },
        CONTENT,
        today=date(2021, 4, 1),
        now=NOW,
    )
    assert plan.id is not None
    return plan.id


def _done(
    uow: UnitOfWork, actor: int, child_id: int, operation_id: int, **document: str
) -> OperationPlan:
    return record_operation_done(
        uow, actor, child_id, operation_id, document, CONTENT, RULES, today=TODAY, now=NOW
    )


def test_an_operation_marked_done_keeps_the_child_under_surveillance(
    uow: UnitOfWork, staff: Staff
) -> None:
    child_id = _child(uow, staff)
    operation_id = _plan(uow, staff, child_id, "2021-05-01")
    before = child_journey(uow, staff.surgeon, child_id, RULES, today=TODAY, now=NOW)
    assert before.surveillance.plan is not None
    assert before.surveillance.plan.discharged

    done = _done(uow, staff.surgeon, child_id, operation_id, done_on="2021-05-03")

    assert done.status is OperationStatus.DONE
    assert done.surgery_date == date(2021, 5, 3)
    plan = child_journey(uow, staff.surgeon, child_id, RULES, today=TODAY, now=NOW)
    assert plan.surveillance.plan is not None
    assert not plan.surveillance.plan.discharged
    assert plan.surveillance.plan.review is not None
    assert plan.surveillance.plan.review.rule_id == "local-12-monthly-after-hip-surgery"
    with uow:
        actions = [e.action for e in uow.audit.for_entity(EntityType.CHILD, str(child_id))]
    assert AuditAction.OPERATION_DONE in actions


def test_done_on_another_day_reopens_the_ticked_steps_that_quoted_the_planned_date(
    uow: UnitOfWork, staff: Staff
) -> None:
    """Done 3 days after the planned day, the care plan is re-dated as a postponement is: a
    ticked step whose text quoted the surgery date is reopened and re-dated from the real day
    (audited ``care-item.reopened``); a ticked step quoting no date stays done (issue 17)."""
    child_id = _child(uow, staff)
    operation_id = _plan(uow, staff, child_id, "2021-05-01")
    facts = {"wheelchair_user": False, "attends_school": True, "sees_therapists": True}
    start_pathway(
        uow, staff.surgeon, child_id, operation_id, facts, CONTENT, now=NOW, today=date(2021, 4, 1)
    )
    for item_id in ("notify-school", "arrange-family-help"):
        tick_care_item(uow, staff.nurse, child_id, operation_id, item_id, CONTENT, now=NOW)

    _done(uow, staff.surgeon, child_id, operation_id, done_on="2021-05-04")

    with uow:
        states = {s.item_id: s for s in uow.care_plan_items.for_operation_plan(operation_id)}
        actions = [e.action for e in uow.audit.for_entity(EntityType.CHILD, str(child_id))]
    reopened = states["notify-school"]  # "... about the operation on {surgery_date}"
    assert not reopened.done
    assert (reopened.done_at, reopened.done_by) == (None, None)
    assert reopened.due_date == date(2021, 5, 4) - timedelta(days=28)
    kept = states["arrange-family-help"]  # "... the date of the operation": no date quoted
    assert kept.done
    assert kept.done_by == staff.nurse
    assert kept.due_date == date(2021, 5, 1) - timedelta(days=28)
    assert actions.count(AuditAction.CARE_ITEM_REOPENED) == 1


def test_the_planned_date_is_the_default(uow: UnitOfWork, staff: Staff) -> None:
    child_id = _child(uow, staff)
    operation_id = _plan(uow, staff, child_id, "2021-05-01")
    done = _done(uow, staff.surgeon, child_id, operation_id)
    assert done.surgery_date == date(2021, 5, 1)


def test_done_twice_is_a_conflict_and_changes_nothing(uow: UnitOfWork, staff: Staff) -> None:
    child_id = _child(uow, staff)
    operation_id = _plan(uow, staff, child_id, "2021-05-01")
    _done(uow, staff.surgeon, child_id, operation_id)
    with pytest.raises(ConflictError):
        _done(uow, staff.surgeon, child_id, operation_id, done_on="2021-06-01")
    with uow:
        stored = uow.operation_plans.get(operation_id)
    assert stored is not None
    assert stored.surgery_date == date(2021, 5, 1)


@pytest.mark.parametrize(
    ("done_on", "problem"),
    [("2023-07-02", "after today"), ("2014-04-30", "birth"), ("1 May", "YYYY-MM-DD")],
)
def test_a_day_after_today_or_before_birth_is_refused_naming_done_on(
    uow: UnitOfWork, staff: Staff, done_on: str, problem: str
) -> None:
    child_id = _child(uow, staff)
    operation_id = _plan(uow, staff, child_id, "2021-05-01")
    with pytest.raises(InvalidInputError) as refused:
        _done(uow, staff.surgeon, child_id, operation_id, done_on=done_on)
    assert refused.value.field == "done_on"
    assert problem in refused.value.problem


def test_only_a_clinician_marks_an_operation_done(uow: UnitOfWork, staff: Staff) -> None:
    child_id = _child(uow, staff)
    operation_id = _plan(uow, staff, child_id, "2021-05-01")
    with pytest.raises(PermissionDeniedError):
        _done(uow, staff.administrator, child_id, operation_id)
    with uow:
        stored = uow.operation_plans.get(operation_id)
    assert stored is not None
    assert stored.status is not OperationStatus.DONE
