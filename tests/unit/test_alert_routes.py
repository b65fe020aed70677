"""Alert routes and escalation (issue 16): which address is in force, in the site's time zone,
the order of the steps, the escalation times as cited local-protocol data, and the words of
the audit log's actions and the rules' titles."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hipcare.content.alert_escalation import load_alert_escalation
from hipcare.content.sites import load_sites
from hipcare.content.surveillance import load_surveillance_rules
from hipcare.domain.alert_routes import (
    AlertEscalation,
    AlertRoutes,
    EscalationLevel,
    check_address,
    parse_clock_time,
    parse_working_days,
)
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import AuditAction
from hipcare.services.audit_log import ACTION_WORDS, audit_filter_from_query

ROUTES = AlertRoutes(
    "harbour-childrens",
    "Australia/Sydney",
    working_days=frozenset(range(5)),
    start=time(8, 0),
    end=time(16, 0),
    working_hours_address="day@example.org",
    after_hours_address="night@example.org",
    administrators_address="admins@example.org",
)


@pytest.mark.parametrize(
    ("moment", "working"),
    [
        (datetime(2026, 3, 1, 21, 0, tzinfo=UTC), True),  # Mon 08:00 AEDT: the start counts
        (datetime(2026, 3, 1, 20, 59, tzinfo=UTC), False),  # Mon 07:59
        (datetime(2026, 3, 2, 5, 0, tzinfo=UTC), False),  # Mon 16:00: the end does not
        (datetime(2026, 3, 7, 0, 0, tzinfo=UTC), False),  # Sat 11:00
        (datetime(2026, 7, 6, 22, 0, tzinfo=UTC), True),  # Tue 08:00 AEST (winter, UTC+10)
        (datetime(2026, 7, 6, 21, 30, tzinfo=UTC), False),  # Tue 07:30 AEST
    ],
)
def test_working_hours_are_read_in_the_sites_time_zone(moment: datetime, working: bool) -> None:
    assert ROUTES.in_working_hours(moment) is working


def test_the_chain_starts_with_the_route_in_force_then_on_call_then_administrators() -> None:
    day = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # Monday 11:00 in Sydney
    night = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # Monday 21:00
    assert [(s.step, s.address, s.route) for s in ROUTES.chain(day, "fallback@example.org")] == [
        (0, "day@example.org", "working-hours"),
        (1, "night@example.org", "after-hours"),
        (2, "admins@example.org", "administrators"),
    ]
    assert [s.address for s in ROUTES.chain(night, None)] == [
        "night@example.org",
        "admins@example.org",
    ]


def test_a_site_without_addresses_uses_the_fallback_and_has_no_escalation() -> None:
    bare = AlertRoutes("harbour-childrens", "Australia/Sydney")
    moment = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    assert [(s.address, s.route) for s in bare.chain(moment, "team@example.org")] == [
        ("team@example.org", "fallback")
    ]
    assert bare.chain(moment, None) == ()


@given(st.datetimes(timezones=st.just(UTC)), st.sampled_from([None, "team@example.org"]))
def test_a_chain_never_repeats_an_address_and_numbers_its_steps_from_zero(
    moment: datetime, fallback: str | None
) -> None:
    same = AlertRoutes(
        "s",
        "Australia/Sydney",
        working_hours_address="team@example.org",
        after_hours_address="team@example.org",
        administrators_address="admins@example.org",
    )
    steps = same.chain(moment, fallback)
    assert len({step.address for step in steps}) == len(steps)
    assert [step.step for step in steps] == list(range(len(steps)))


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (
            lambda: check_address("two@a.org, three@b.org", "after_hours_address"),
            "after_hours_address",
        ),
        (lambda: check_address("nobody", "working_hours_address"), "working_hours_address"),
        (lambda: parse_clock_time("25:00", "working_hours_start"), "working_hours_start"),
        (lambda: parse_clock_time("8am", "working_hours_end"), "working_hours_end"),
        (lambda: parse_working_days(["mon", "funday"], "working_days"), "working_days"),
        (lambda: AlertRoutes("s", "Mars/Olympus"), "timezone"),
        (lambda: AlertRoutes("s", "UTC", start=time(17), end=time(8)), "working_hours_end"),
    ],
)
def test_bad_route_input_is_refused_naming_the_field(call: object, field: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        call()  # type: ignore[operator]  # each case is a callable
    assert raised.value.field == field


def test_escalation_times_are_cited_local_protocol_to_be_confirmed_by_the_clinical_lead() -> None:
    escalation = load_alert_escalation()
    assert escalation.status == "local-protocol"
    assert escalation.to_be_confirmed
    assert escalation.source.strip()
    assert "to be confirmed by the clinical lead" in escalation.note.lower()
    assert set(escalation.levels) == {"call-team", "emergency"}
    emergency = escalation.levels["emergency"].after_minutes
    call_team = escalation.levels["call-team"].after_minutes
    assert all(e <= c for e, c in zip(emergency, call_team, strict=True)), (
        "an emergency never waits longer than a call-the-team alert"
    )


def test_a_step_is_due_at_its_levels_time_and_an_unknown_level_escalates_as_the_default() -> None:
    escalation = AlertEscalation(
        {"call-team": EscalationLevel("call-team", (30, 60))}, "call-team", "test", "guideline"
    )
    raised = datetime(2026, 3, 2, tzinfo=UTC)
    assert escalation.due_at("call-team", raised, 0) == raised
    assert escalation.due_at("call-team", raised, 2) == raised + timedelta(minutes=60)
    assert escalation.due_at("call-team", raised, 3) is None
    assert escalation.due_at(None, raised, 1) == raised + timedelta(minutes=30)


def test_escalation_minutes_must_rise() -> None:
    with pytest.raises(InvalidInputError, match="rise"):
        EscalationLevel("call-team", (60, 30))


def test_every_shipped_site_has_a_time_zone_and_working_hours() -> None:
    for site in load_sites():
        assert site.alert_routes.timezone == site.timezone
        assert site.alert_routes.working_days


def test_every_surveillance_rule_has_a_title_in_words() -> None:
    for rule in load_surveillance_rules().rules:
        assert rule.title.strip(), rule.id
        assert rule.title != rule.id


def test_every_audit_action_has_words() -> None:
    assert set(ACTION_WORDS) == set(AuditAction)


def test_the_audit_filters_read_days_in_the_sites_time_zone() -> None:
    filters = audit_filter_from_query(
        {"from": "2026-03-02", "to": "2026-03-02", "who": "4", "action": "child.read"},
        timezone="Australia/Sydney",
    )
    assert filters.since == datetime(2026, 3, 1, 13, 0, tzinfo=UTC)
    assert filters.until == datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
    assert filters.actor_id == 4
    assert filters.action is AuditAction.CHILD_READ
    for bad, field in (({"who": "Ben"}, "who"), ({"action": "x"}, "action")):
        with pytest.raises(InvalidInputError) as raised:
            audit_filter_from_query(bad, timezone="UTC")
        assert raised.value.field == field
