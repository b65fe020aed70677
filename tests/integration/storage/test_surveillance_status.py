"""The stored surveillance judgements behind the worklist, on SQLite and PostgreSQL.

The promise (hipcare.services.surveillance_status): until the child's record changes, the
status the database derives from the stored row on any later day (before the age limit)
equals a fresh plan_surveillance + worklist_status on that day, and the worklist built from
the stored rows equals one judged afresh.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from storage_support import HARBOUR, NOW, Staff

from hipcare.bootstrap import load_content
from hipcare.content.surveillance import load_surveillance_rules
from hipcare.domain.gmfcs import parse_gmfcs
from hipcare.domain.surveillance import (
    HipPair,
    RuleKind,
    RuleStatus,
    SurveillanceInput,
    SurveillancePlan,
    Visit,
    WorklistStatus,
    add_months,
    plan_surveillance,
    worklist_status,
)
from hipcare.services.records import record_visit, register_child
from hipcare.services.surveillance_status import rules_version
from hipcare.services.worklist import site_worklist
from hipcare.storage import SqlAlchemyUnitOfWork

CONTENT = load_content()

LISTED = {WorklistStatus.NEEDS_REFERRAL, WorklistStatus.OVERDUE, WorklistStatus.DUE}
RECORDED_ON = date(2026, 3, 2)

_visits = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=2500),  # days after birth
        st.booleans(),  # X-ray taken
        st.one_of(st.none(), st.integers(min_value=0, max_value=100)),  # right MP
        st.one_of(st.none(), st.integers(min_value=0, max_value=100)),  # left MP
    ),
    max_size=3,
)


def _fresh(
    born: date, gmfcs: str, gestation: float | None, visits: list[Visit], day: date
) -> SurveillancePlan:
    return plan_surveillance(
        SurveillanceInput(
            date_of_birth=born,
            gmfcs=parse_gmfcs(gmfcs),
            today=day,
            visits=tuple(visits),
            gestation_weeks=gestation,
        ),
        load_surveillance_rules(),
    )


def _local_protocol(plan: SurveillancePlan) -> bool:
    rules = load_surveillance_rules()
    return any(
        (rule := rules.by_id(rule_id)) is not None
        and rule.citation.status is RuleStatus.LOCAL_PROTOCOL
        for rule_id in plan.rule_ids
    )


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    born_days_ago=st.integers(min_value=0, max_value=12 * 365),
    gmfcs=st.sampled_from(["I", "II", "III", "IV", "V", "unknown"]),
    gestation=st.one_of(st.none(), st.integers(min_value=24, max_value=40)),
    history=_visits,
    later_days=st.lists(st.integers(min_value=0, max_value=4000), min_size=1, max_size=3),
)
def test_stored_status_equals_a_fresh_plan_on_any_later_day(
    uow: SqlAlchemyUnitOfWork,
    staff: Staff,
    born_days_ago: int,
    gmfcs: str,
    gestation: int | None,
    history: list[tuple[int, bool, int | None, int | None]],
    later_days: list[int],
) -> None:
    born = RECORDED_ON - timedelta(days=born_days_ago)
    form: dict[str, Any] = {
        "given_name": "Sami",
        "family_name": "Nguyen",
        "date_of_birth": born.isoformat(),
        "site": HARBOUR,
        "gmfcs": gmfcs,
        "gestation_weeks": gestation,
    }
    child = register_child(
        uow, staff.nurse, form, today=RECORDED_ON, now=NOW, rules=CONTENT.surveillance_rules
    )
    assert child.id is not None
    visits = []
    for offset, xray, right, left in history:
        day = min(born + timedelta(days=offset), RECORDED_ON)
        hips = {}
        if xray and right is not None:
            hips["right"] = {"migration_percentage_reported": right}
        if xray and left is not None:
            hips["left"] = {"migration_percentage_reported": left}
        record_visit(
            uow,
            staff.surgeon,
            child.id,
            {"visit_date": day.isoformat(), "xray": xray, **hips},
            today=RECORDED_ON,
            now=NOW,
            rules=CONTENT.surveillance_rules,
        )
        visits.append(
            Visit(
                date=day,
                xray=xray,
                migration_percentage=HipPair(
                    right=float(right) if xray and right is not None else None,
                    left=float(left) if xray and left is not None else None,
                )
                if hips
                else None,
            )
        )
    rules = load_surveillance_rules()
    limit = add_months(born, rules.single(RuleKind.AGE_LIMIT).limit_age_months or 0)
    for later in sorted(later_days):  # days only move forward, as a clinic's do
        day = RECORDED_ON + timedelta(days=later)
        plan = _fresh(born, gmfcs, gestation, visits, day)
        expected = worklist_status(plan, day)
        with uow:
            stale = uow.surveillance_status.to_judge(HARBOUR, day, rules_version(rules))
            listed = {
                entry.child_id: entry.status
                for entry in uow.surveillance_status.listed(HARBOUR, day)
            }
        if child.id in stale:
            # Judged again before use: only past the age limit or once the review is newly
            # overdue (a referral outranks an overdue review in the status).
            assert day >= limit or expected in {
                WorklistStatus.OVERDUE,
                WorklistStatus.NEEDS_REFERRAL,
            }
        else:
            stored_status = listed.get(child.id)
            if expected in LISTED:
                assert stored_status is expected
            else:
                assert stored_status is None
        worklist = site_worklist(uow, staff.nurse, HARBOUR, rules, today=day, now=NOW)
        on_list = {entry.child_id: entry for entry in worklist}
        if expected in LISTED:
            entry = on_list[child.id]
            assert entry.status is expected
            # What the page shows besides the status: the review date and rule, the flag.
            assert entry.next_review == plan.next_review
            assert entry.rule_id == (None if plan.review is None else plan.review.rule_id)
            assert entry.to_be_confirmed_by_clinical_lead is _local_protocol(plan)
        else:
            assert child.id not in on_list
