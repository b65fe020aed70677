"""The stored judgements behind the worklist know the operations marked done (SQLite and
PostgreSQL): an operated child stays on the worklist to skeletal maturity (issue 14), and the
stored row still equals a fresh plan on any later day."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from storage_support import HARBOUR, NOW, Staff

from hipcare.content.surveillance import load_surveillance_rules
from hipcare.domain.pathway import Procedure, Sides, WeightBearing
from hipcare.domain.records import Child, OperationPlan, OperationStatus
from hipcare.domain.referral import ReferralState, worklist_status_with_referral
from hipcare.domain.surveillance import WorklistStatus, plan_surveillance
from hipcare.services.records import record_visit, register_child
from hipcare.services.surveillance_status import refresh_statuses, surveillance_input
from hipcare.services.worklist import site_worklist
from hipcare.storage import SqlAlchemyUnitOfWork

LISTED = {WorklistStatus.NEEDS_REFERRAL, WorklistStatus.OVERDUE, WorklistStatus.DUE}
RECORDED_ON = date(2023, 7, 1)


def _register(uow: SqlAlchemyUnitOfWork, staff: Staff, born: date, gmfcs: str) -> Child:
    form = {
        "given_name": "Mira",
        "family_name": "Kowalski",
        "date_of_birth": born.isoformat(),
        "site": HARBOUR,
        "gmfcs": gmfcs,
        "confirm_not_duplicate": True,  # the property test registers alike children
    }
    return register_child(
        uow, staff.nurse, form, today=RECORDED_ON, now=NOW, rules=load_surveillance_rules()
    )


def _film(
    uow: SqlAlchemyUnitOfWork, staff: Staff, child_id: int, day: date, right: int, left: int
) -> None:
    document: dict[str, Any] = {
        "visit_date": day.isoformat(),
        "xray": True,
        "right": {"migration_percentage_reported": right},
        "left": {"migration_percentage_reported": left},
    }
    record_visit(
        uow,
        staff.surgeon,
        child_id,
        document,
        today=RECORDED_ON,
        now=NOW,
        rules=load_surveillance_rules(),
    )


def _mark_done(
    uow: SqlAlchemyUnitOfWork,
    staff: Staff,
    child_id: int,
    operated_on: date,
    sides: Sides,
    procedures: tuple[Procedure, ...],
) -> None:
    """Store a done operation and judge the child again, as marking one done does."""
    with uow:
        uow.operation_plans.add(
            OperationPlan(
                child_id=child_id,
                sides=sides,
                procedures=procedures,
                implant="blade plate",
                surgeon_id=staff.surgeon,
                weight_bearing=WeightBearing.AS_TOLERATED,
                positioning_device=False,
                status=OperationStatus.DONE,
                surgery_date=operated_on,
            )
        )
        refresh_statuses(uow, [child_id], load_surveillance_rules(), today=RECORDED_ON, now=NOW)
        uow.commit()


def test_worklist_lists_a_child_with_a_done_vdro_when_the_review_after_surgery_is_due(
    uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    """GMFCS II, VDRO at 7, stable at 9: due 12 months after the latest film, not discharged."""
    child = _register(uow, staff, date(2014, 5, 1), "II")
    assert child.id is not None
    for day, right, left in (
        (date(2021, 3, 1), 45, 38),
        (date(2021, 8, 1), 20, 18),
        (date(2022, 6, 1), 16, 15),
        (date(2023, 6, 1), 15, 14),
    ):
        _film(uow, staff, child.id, day, right, left)
    rules = load_surveillance_rules()
    due_day = date(2024, 6, 1)
    before = site_worklist(uow, staff.nurse, HARBOUR, rules, today=due_day, now=NOW)
    assert child.id not in {entry.child_id for entry in before}  # discharged: MP fell
    _mark_done(uow, staff, child.id, date(2021, 5, 1), Sides.BOTH, (Procedure.VDRO,))
    after = {
        entry.child_id: entry
        for entry in site_worklist(uow, staff.nurse, HARBOUR, rules, today=due_day, now=NOW)
    }
    entry = after[child.id]
    assert entry.status is WorklistStatus.DUE
    assert entry.next_review == due_day
    assert entry.rule_id == "local-12-monthly-after-hip-surgery"
    assert entry.to_be_confirmed_by_clinical_lead


_films = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=3000),  # days after birth
        st.integers(min_value=0, max_value=100),  # right MP
        st.integers(min_value=0, max_value=100),  # left MP
    ),
    min_size=1,
    max_size=3,
)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    born_days_ago=st.integers(min_value=2 * 365, max_value=12 * 365),
    gmfcs=st.sampled_from(["I", "II", "III", "IV", "V"]),
    films=_films,
    operated_days_after_birth=st.integers(min_value=365, max_value=3000),
    sides=st.sampled_from(list(Sides)),
    with_dega=st.booleans(),
    later_days=st.lists(st.integers(min_value=0, max_value=4000), min_size=1, max_size=3),
)
def test_stored_status_of_an_operated_child_equals_a_fresh_plan_on_any_later_day(
    uow: SqlAlchemyUnitOfWork,
    staff: Staff,
    born_days_ago: int,
    gmfcs: str,
    films: list[tuple[int, int, int]],
    operated_days_after_birth: int,
    sides: Sides,
    with_dega: bool,
    later_days: list[int],
) -> None:
    """With a done operation the worklist from the stored row equals one judged afresh."""
    born = RECORDED_ON - timedelta(days=born_days_ago)
    child = _register(uow, staff, born, gmfcs)
    assert child.id is not None
    for offset, right, left in films:
        _film(uow, staff, child.id, min(born + timedelta(days=offset), RECORDED_ON), right, left)
    operated_on = min(born + timedelta(days=operated_days_after_birth), RECORDED_ON)
    procedures = (Procedure.VDRO, Procedure.DEGA) if with_dega else (Procedure.VDRO,)
    _mark_done(uow, staff, child.id, operated_on, sides, procedures)
    rules = load_surveillance_rules()
    with uow:
        visits = list(uow.visits.for_child(child.id))
        operations = list(uow.operation_plans.for_child(child.id))
    for later in sorted(later_days):  # days only move forward, as a clinic's do
        day = RECORDED_ON + timedelta(days=later)
        plan = plan_surveillance(surveillance_input(child, visits, operations, day), rules)
        # The operation is planned (done), so a "needs referral" is answered (issue 16).
        expected = worklist_status_with_referral(plan, day, ReferralState.OPERATION_PLANNED)
        worklist = site_worklist(uow, staff.nurse, HARBOUR, rules, today=day, now=NOW)
        on_list = {entry.child_id: entry for entry in worklist}
        if expected in LISTED:
            entry = on_list[child.id]
            assert entry.status is expected
            assert entry.next_review == plan.next_review
            assert entry.rule_id == (None if plan.review is None else plan.review.rule_id)
        else:
            assert child.id not in on_list
