"""A visit's examination findings are kept with the visit and feed the referral rule.

Issue 14 item 5: hip pain or passive abduction under 30 degrees at the latest examination
brings a referral for orthopaedic review (``local-refer-on-examination``); scoliosis and
windswept posture are kept and shown, and feed no rule. Over every engine.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from tests.support.staff import HARBOUR, Staff

from hipcare.content.surveillance import load_surveillance_rules
from hipcare.domain.errors import InvalidInputError
from hipcare.services.journey import child_journey
from hipcare.services.ports import UnitOfWork
from hipcare.services.records import record_visit, register_child

TODAY = date(2024, 10, 1)
NOW = datetime(2024, 10, 1, 9, 0, tzinfo=UTC)
RULES = load_surveillance_rules()


def _child(uow: UnitOfWork, staff: Staff) -> int:
    form = {
        "given_name": "Mia",
        "family_name": "Tran",
        "date_of_birth": "2022-03-10",
        "site": HARBOUR,
        "gmfcs": "II",
    }
    child = register_child(uow, staff.nurse, form, today=TODAY, now=NOW, rules=RULES)
    assert child.id is not None
    return child.id


def _visit(uow: UnitOfWork, staff: Staff, child_id: int, day: str, **extra: Any) -> None:
    document = {
        "visit_date": day,
        "xray": True,
        "right": {"migration_percentage_reported": 14},
        "left": {"migration_percentage_reported": 15},
        **extra,
    }
    record_visit(uow, staff.surgeon, child_id, document, today=TODAY, now=NOW, rules=RULES)


def _actions(uow: UnitOfWork, staff: Staff, child_id: int) -> list[str]:
    journey = child_journey(uow, staff.surgeon, child_id, RULES, today=TODAY, now=NOW)
    assert journey.surveillance.plan is not None
    return [action.code.value for action in journey.surveillance.plan.actions]


def test_hip_pain_at_the_latest_visit_brings_a_referral(uow: UnitOfWork, staff: Staff) -> None:
    child_id = _child(uow, staff)
    _visit(uow, staff, child_id, "2023-09-01")
    _visit(uow, staff, child_id, "2024-09-01", examination={"hip_pain": True, "scoliosis": False})
    assert "refer-for-orthopaedic-review" in _actions(uow, staff, child_id)
    with uow:
        visits = uow.visits.for_child(child_id)
    assert visits[-1].examination == {"hip_pain": True, "scoliosis": False}


def test_abduction_under_30_degrees_brings_a_referral_and_30_does_not(
    uow: UnitOfWork, staff: Staff
) -> None:
    child_id = _child(uow, staff)
    _visit(
        uow,
        staff,
        child_id,
        "2023-09-01",
        examination={"passive_abduction_deg": {"right": 25, "left": 40}},
    )
    _visit(
        uow,
        staff,
        child_id,
        "2024-09-01",
        examination={"passive_abduction_deg": {"right": 30}, "windswept_posture": True},
    )
    # The latest examination is the one that counts: 30 degrees is not under 30.
    assert "refer-for-orthopaedic-review" not in _actions(uow, staff, child_id)


@pytest.mark.parametrize(
    ("examination", "field"),
    [
        ({"hip_pain": "yes"}, "examination.hip_pain"),
        ({"passive_abduction_deg": {"right": 120}}, "examination.passive_abduction_deg.right"),
        ({"pelvic_obliquity_deg": -3}, "examination.pelvic_obliquity_deg"),
        ({"gait": "crouch"}, "examination.gait"),
    ],
)
def test_a_bad_finding_is_refused_naming_it(
    uow: UnitOfWork, staff: Staff, examination: dict[str, Any], field: str
) -> None:
    child_id = _child(uow, staff)
    with pytest.raises(InvalidInputError) as refused:
        _visit(uow, staff, child_id, "2024-09-01", examination=examination)
    assert refused.value.field == field
