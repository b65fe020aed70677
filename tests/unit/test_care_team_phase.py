"""Where the dashboard places a child on the journey, from their operation and care plan."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hipcare.content.pathway import load_pathway
from hipcare.domain.pathway import CareFacts, Procedure, Sides, WeightBearing, personalise
from hipcare.domain.records import CarePlanItemState, OperationPlan, OperationStatus
from hipcare.services.care_team import JourneyPhase, journey_phase

PATHWAY = load_pathway()
SURGERY = date(2026, 6, 1)
STAY_DAYS = 6
OPERATION = OperationPlan(
    child_id=1,
    sides=Sides.BOTH,
    procedures=(Procedure.VDRO,),
    implant="Paediatric locking hip plate",
    surgeon_id=2,
    weight_bearing=WeightBearing.AS_TOLERATED,
    positioning_device=False,
    status=OperationStatus.SCHEDULED,
    surgery_date=SURGERY,
    id=3,
)


def _items(surgery: date = SURGERY) -> list[CarePlanItemState]:
    plan = personalise(
        PATHWAY,
        CareFacts(
            surgery_date=surgery,
            sides=Sides.BOTH,
            procedures=(Procedure.VDRO,),
            wheelchair_user=True,
            attends_school=True,
            sees_therapists=True,
            weight_bearing=WeightBearing.AS_TOLERATED,
            positioning_device=False,
            expected_stay_days=STAY_DAYS,
        ),
    )
    return [CarePlanItemState(3, item.id, item.date) for item in plan.items]


@pytest.mark.parametrize(
    ("days_from_surgery", "phase"),
    [
        (-30, JourneyPhase.PREPARING),
        (-1, JourneyPhase.PREPARING),
        (0, JourneyPhase.HOSPITAL),
        (STAY_DAYS - 1, JourneyPhase.HOSPITAL),
        (STAY_DAYS, JourneyPhase.GOING_HOME),
        (STAY_DAYS + 1, JourneyPhase.RECOVERY),
        (41, JourneyPhase.RECOVERY),
        (42, JourneyPhase.FOLLOW_UP),  # the post-operative X-ray at 6 weeks
        (800, JourneyPhase.FOLLOW_UP),
    ],
)
def test_a_started_pathway_places_the_child_by_the_care_plans_days(
    days_from_surgery: int, phase: JourneyPhase
) -> None:
    today = SURGERY + timedelta(days=days_from_surgery)
    assert journey_phase(OPERATION, _items(), PATHWAY, today) is phase


def test_without_an_operation_a_child_is_under_surveillance_or_awaiting_decision() -> None:
    assert journey_phase(None, [], PATHWAY, SURGERY) is JourneyPhase.SURVEILLANCE
    assert journey_phase(None, [], PATHWAY, SURGERY, needs_referral=True) is JourneyPhase.DECISION


def test_an_operation_without_a_started_pathway_is_a_decision() -> None:
    assert journey_phase(OPERATION, [], PATHWAY, SURGERY) is JourneyPhase.DECISION


@given(days=st.integers(min_value=-120, max_value=1000))
def test_the_phase_never_goes_back_as_days_pass(days: int) -> None:
    """Phases follow the journey's order: a later day is never an earlier phase."""
    order = list(JourneyPhase)
    items = _items()
    today = SURGERY + timedelta(days=days)
    later = today + timedelta(days=1)
    assert order.index(journey_phase(OPERATION, items, PATHWAY, today)) <= order.index(
        journey_phase(OPERATION, items, PATHWAY, later)
    )
