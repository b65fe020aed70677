"""The child page's surveillance summary knows the operations marked done, over every engine.

Issue 14: a GMFCS II child who had a VDRO at 7 was discharged at 9 because the MP fell
after surgery; an operated child is followed to skeletal maturity (clinical spec section 4).
"""

from __future__ import annotations

from datetime import date

import pytest
from tests.support.staff import HARBOUR, NOW, Staff

from hipcare.content.surveillance import load_surveillance_rules
from hipcare.domain.pathway import Procedure, Sides, WeightBearing
from hipcare.domain.records import OperationPlan, OperationStatus
from hipcare.services.journey import child_journey
from hipcare.services.ports import UnitOfWork
from hipcare.services.records import record_visit, register_child
from hipcare.services.surveillance_status import refresh_statuses

TODAY = date(2023, 7, 1)
OPERATED_ON = date(2021, 5, 1)
FILMS = (
    ("2021-03-01", 45, 38),
    ("2021-08-01", 20, 18),
    ("2022-06-01", 16, 15),
    ("2023-06-01", 15, 14),
)


def _child_with_films(uow: UnitOfWork, staff: Staff) -> int:
    """A GMFCS II child born 2014-05-01 whose MP fell after a VDRO on both sides at 7."""
    form = {
        "given_name": "Tomas",
        "family_name": "Okafor",
        "date_of_birth": "2014-05-01",
        "site": HARBOUR,
        "gmfcs": "II",
    }
    child = register_child(
        uow, staff.nurse, form, today=TODAY, now=NOW, rules=load_surveillance_rules()
    )
    assert child.id is not None
    for day, right, left in FILMS:
        document = {
            "visit_date": day,
            "xray": True,
            "right": {"migration_percentage_reported": right},
            "left": {"migration_percentage_reported": left},
        }
        record_visit(
            uow,
            staff.surgeon,
            child.id,
            document,
            today=TODAY,
            now=NOW,
            rules=load_surveillance_rules(),
        )
    return child.id


def _operation(uow: UnitOfWork, staff: Staff, child_id: int, status: OperationStatus) -> None:
    """Store the VDRO with ``status`` and judge the child again, as marking it done does."""
    with uow:
        uow.operation_plans.add(
            OperationPlan(
                child_id=child_id,
                sides=Sides.BOTH,
                procedures=(Procedure.VDRO, Procedure.ADDUCTOR_RELEASE),
                implant="blade plate",
                surgeon_id=staff.surgeon,
                weight_bearing=WeightBearing.AS_TOLERATED,
                positioning_device=False,
                status=status,
                surgery_date=OPERATED_ON,
            )
        )
        refresh_statuses(uow, [child_id], load_surveillance_rules(), today=TODAY, now=NOW)
        uow.commit()


def test_child_page_keeps_a_child_with_a_done_vdro_under_review_to_maturity(
    uow: UnitOfWork, staff: Staff
) -> None:
    """A done VDRO: no discharge at 9; 12-monthly after the latest visit (local protocol)."""
    child_id = _child_with_films(uow, staff)
    _operation(uow, staff, child_id, OperationStatus.DONE)
    journey = child_journey(
        uow, staff.surgeon, child_id, load_surveillance_rules(), today=TODAY, now=NOW
    )
    plan = journey.surveillance.plan
    assert plan is not None
    assert not plan.discharged
    assert plan.next_review == date(2024, 6, 1)
    assert plan.review is not None
    assert plan.review.rule_id == "local-12-monthly-after-hip-surgery"
    assert journey.surveillance.to_be_confirmed_by_clinical_lead


@pytest.mark.parametrize("status", [OperationStatus.SCHEDULED, OperationStatus.CANCELLED])
def test_child_page_counts_no_surgery_for_an_operation_not_done(
    uow: UnitOfWork, staff: Staff, status: OperationStatus
) -> None:
    """An operation only planned or cancelled is no surgery: the stable child is discharged."""
    child_id = _child_with_films(uow, staff)
    _operation(uow, staff, child_id, status)
    journey = child_journey(
        uow, staff.surgeon, child_id, load_surveillance_rules(), today=TODAY, now=NOW
    )
    assert journey.surveillance.plan is not None
    assert journey.surveillance.plan.discharged
