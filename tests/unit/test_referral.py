"""Referral values (hipcare.domain.referral): validation, the overdue day, the state and
the worklist status once a referral is known."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from hipcare.content.referral import load_referral_protocol
from hipcare.content.surveillance import load_surveillance_rules
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.gmfcs import GMFCS
from hipcare.domain.referral import (
    ClinicOutcome,
    Referral,
    ReferralProtocol,
    ReferralState,
    referral_state,
    worklist_status_with_referral,
)
from hipcare.domain.surveillance import (
    HipPair,
    SurveillanceInput,
    SurveillancePlan,
    Visit,
    WorklistStatus,
    plan_surveillance,
    worklist_status,
)

_AT = datetime(2026, 3, 1, 9, tzinfo=UTC)


def _referral(**changes: object) -> Referral:
    values: dict[str, object] = {
        "child_id": 1,
        "referred_to": "Hip clinic",
        "referred_on": date(2026, 3, 1),
        "seen_by": date(2026, 5, 24),
        "recorded_by": 2,
        "recorded_at": _AT,
        **changes,
    }
    return Referral(**values)  # type: ignore[arg-type]  # the test passes each field by name


def test_the_packaged_protocol_is_local_and_cites_its_source() -> None:
    """The number of weeks is local protocol (to be confirmed by the clinical lead)."""
    protocol = load_referral_protocol()
    assert protocol.local_protocol
    assert "local protocol" in protocol.source
    assert (
        protocol.seen_by(date(2026, 3, 1))
        == date(2026, 3, 1) + (date(2026, 1, 8) - date(2026, 1, 1)) * protocol.seen_within_weeks
    )


def test_a_protocol_without_a_sensible_number_of_weeks_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="seen_within_weeks"):
        ReferralProtocol(seen_within_weeks=0, source="x", local_protocol=True)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"referred_to": " "}, "referred_to"),
        ({"referred_to": "x" * 201}, "referred_to"),
        ({"seen_by": date(2026, 2, 1)}, "seen_by"),
        ({"seen_on": date(2026, 3, 5)}, "outcome"),
        ({"outcome": ClinicOutcome.DECLINED}, "seen_on"),
        ({"seen_on": date(2026, 2, 1), "outcome": ClinicOutcome.DECLINED}, "seen_on"),
    ],
)
def test_an_impossible_referral_is_refused_naming_the_field(
    changes: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        _referral(**changes)
    assert refused.value.field == field


def test_a_referral_is_overdue_only_after_its_seen_by_day_and_while_not_seen() -> None:
    referral = _referral()
    assert not referral.overdue(date(2026, 5, 24))
    assert referral.overdue(date(2026, 5, 25))
    assert referral.days_overdue(date(2026, 5, 30)) == 6
    seen = _referral(seen_on=date(2026, 5, 1), outcome=ClinicOutcome.WATCH_AND_WAIT)
    assert not seen.overdue(date(2026, 6, 30))
    assert seen.days_overdue(date(2026, 6, 30)) == 0


def test_the_state_follows_the_path_to_an_operation() -> None:
    today = date(2026, 4, 1)
    assert referral_state(None, operation_planned=False, today=today) is None
    assert referral_state(_referral(), operation_planned=False, today=today) is (
        ReferralState.REFERRED
    )
    assert referral_state(_referral(), operation_planned=False, today=date(2026, 6, 1)) is (
        ReferralState.OVERDUE
    )
    seen = _referral(seen_on=date(2026, 3, 20), outcome=ClinicOutcome.SURGERY_PLANNED)
    assert referral_state(seen, operation_planned=False, today=today) is (
        ReferralState.SEEN_IN_CLINIC
    )
    assert referral_state(seen, operation_planned=True, today=today) is (
        ReferralState.OPERATION_PLANNED
    )
    assert referral_state(None, operation_planned=True, today=today) is (
        ReferralState.OPERATION_PLANNED
    )


def _plan(last_film: date, right_mp: float, today: date) -> SurveillancePlan:
    return plan_surveillance(
        SurveillanceInput(
            date_of_birth=date(2022, 5, 14),
            gmfcs=GMFCS.IV,
            today=today,
            visits=(
                Visit(date(2025, 9, 1), True, HipPair(29, 14)),
                Visit(last_film, True, HipPair(right_mp, 15)),
            ),
        ),
        load_surveillance_rules(),
    )


def test_needs_referral_is_answered_by_a_referral_and_back_as_overdue_when_late() -> None:
    """Without a referral the engine's "needs referral" stands; with one the review
    decides, and a late one makes the child overdue."""
    today = date(2026, 3, 2)
    plan = _plan(date(2026, 2, 20), 43, today)
    assert plan.needs_referral
    assert worklist_status_with_referral(plan, today, None) is WorklistStatus.NEEDS_REFERRAL
    referred = worklist_status_with_referral(plan, today, ReferralState.REFERRED)
    assert referred is not WorklistStatus.NEEDS_REFERRAL
    assert referred is worklist_status_with_referral(plan, today, ReferralState.SEEN_IN_CLINIC)
    assert worklist_status_with_referral(plan, today, ReferralState.OVERDUE) is (
        WorklistStatus.OVERDUE
    )
    later = date(2027, 6, 1)
    assert worklist_status_with_referral(plan, later, ReferralState.REFERRED) is (
        WorklistStatus.OVERDUE
    )


def test_a_referral_leaves_the_status_of_a_child_who_needs_none_as_the_engine_says() -> None:
    today = date(2026, 3, 2)
    plan = _plan(date(2026, 2, 20), 20, today)
    assert not plan.needs_referral
    assert worklist_status_with_referral(plan, today, ReferralState.REFERRED) is (
        worklist_status(plan, today)
    )
