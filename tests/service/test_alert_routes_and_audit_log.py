"""Alert routes, the alert outbox's steps and the audit log's search (issue 16), the same on
every engine (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from tests.support.staff import HARBOUR, NORTHERN, NOW, TODAY, Staff

from hipcare.bootstrap import load_content
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import Alert, AuditAction, EntityType
from hipcare.services.access import PermissionDeniedError
from hipcare.services.alert_emails import send_alert_emails
from hipcare.services.alert_routes import (
    routes_in_force,
    set_site_alert_routes,
    site_alert_routes,
)
from hipcare.services.audit_log import read_site_audit_log
from hipcare.services.family.reminders import SmtpSettings
from hipcare.services.ports import UnitOfWork
from hipcare.services.ports.audit import AuditFilter
from hipcare.services.records import register_child

CONTENT = load_content()
ROUTES = {
    "working_days": "mon tue wed thu fri",
    "working_hours_start": "08:00",
    "working_hours_end": "16:00",
    "working_hours_address": "day@harbour.example.org",
    "after_hours_address": "night@harbour.example.org",
    "administrators_address": "admins@harbour.example.org",
}


def _child(uow: UnitOfWork, actor: int, site: str, given: str) -> int:
    form: dict[str, Any] = {
        "given_name": given,
        "family_name": "Tanaka",
        "date_of_birth": "2019-08-30",
        "site": site,
    }
    child = register_child(uow, actor, form, today=TODAY, now=NOW, rules=CONTENT.surveillance_rules)
    assert child.id is not None
    return child.id


def test_saved_routes_override_the_shipped_ones_and_are_audited(
    uow: UnitOfWork, staff: Staff
) -> None:
    shipped = site_alert_routes(
        uow, staff.administrator, HARBOUR, sites=CONTENT.sites_by_id, now=NOW
    )
    assert shipped.updated_by is None
    assert shipped.routes == CONTENT.site(HARBOUR).alert_routes
    set_site_alert_routes(
        uow, staff.administrator, HARBOUR, ROUTES, sites=CONTENT.sites_by_id, now=NOW
    )
    with uow:
        routes = routes_in_force(uow, HARBOUR, CONTENT.sites_by_id)
        actions = [entry.action for entry in uow.audit.for_entity(EntityType.SITE, HARBOUR)]
    assert routes.after_hours_address == "night@harbour.example.org"
    assert routes.timezone == "Australia/Sydney"
    assert actions == [AuditAction.ALERT_ROUTES_READ, AuditAction.ALERT_ROUTES_CHANGED]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"working_hours_address": "a@b"}, "working_hours_address"),
        ({"working_days": ""}, "working_days"),
        ({"working_hours_end": "07:00"}, "working_hours_end"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_routes_are_refused_naming_the_field_and_nothing_is_saved(
    uow: UnitOfWork, staff: Staff, change: dict[str, str], field: str
) -> None:
    with pytest.raises(InvalidInputError) as raised:
        set_site_alert_routes(
            uow,
            staff.administrator,
            HARBOUR,
            {**ROUTES, **change},
            sites=CONTENT.sites_by_id,
            now=NOW,
        )
    assert raised.value.field == field
    with uow:
        assert uow.alert_routes.get(HARBOUR, "UTC") is None


def test_only_the_sites_administrators_see_or_set_its_routes_and_a_refusal_is_audited(
    uow: UnitOfWork, staff: Staff
) -> None:
    for actor, site in ((staff.nurse, HARBOUR), (staff.administrator, NORTHERN)):
        with pytest.raises(PermissionDeniedError):
            set_site_alert_routes(uow, actor, site, ROUTES, sites=CONTENT.sites_by_id, now=NOW)
    with uow:
        denied = [
            entry.actor_id
            for site in (HARBOUR, NORTHERN)
            for entry in uow.audit.for_entity(EntityType.SITE, site)
            if entry.action is AuditAction.ACCESS_DENIED
        ]
    assert sorted(denied) == sorted([staff.nurse, staff.administrator])


def test_each_step_of_an_alert_is_sent_once_and_acknowledging_stops_the_rest(
    uow: UnitOfWork, staff: Staff
) -> None:
    """The outbox over each engine: step 0 at once, step 1 after 30 minutes, then the alert
    is acknowledged and step 2 never goes."""
    set_site_alert_routes(
        uow, staff.administrator, HARBOUR, ROUTES, sites=CONTENT.sites_by_id, now=NOW
    )
    child = _child(uow, staff.nurse, HARBOUR, "Iris")
    with uow:
        alert = uow.alerts.add(Alert(child, "diary-pain-numeric", NOW))
        uow.commit()
    assert alert.id is not None
    sent: list[EmailMessage] = []
    smtp = SmtpSettings("smtp.invalid", 25, "hipcare@example.org")

    def run(minutes: int) -> int:
        return send_alert_emails(
            uow,
            sent.append,
            smtp,
            sites=CONTENT.sites_by_id,
            escalation=CONTENT.alert_escalation,
            fallback_address=None,
            clock=lambda: NOW + timedelta(minutes=minutes),
        ).sent

    assert [run(minutes) for minutes in (0, 5, 31, 35)] == [1, 0, 1, 0]
    with uow:
        uow.alerts.acknowledge(alert.id, staff.nurse, NOW + timedelta(minutes=40))
        uow.commit()
    assert run(90) == 0
    # 09:30 UTC is 20:30 in Sydney: after hours, so the on-call address comes first.
    assert [str(message["To"]) for message in sent] == [
        "night@harbour.example.org",
        "admins@harbour.example.org",
    ]
    with uow:
        emailed = uow.alert_outbox.sent_for_child(child)
    assert [(entry.alert_id, entry.step) for entry in emailed] == [(alert.id, 0), (alert.id, 1)]


def test_the_audit_log_search_filters_by_user_child_action_and_time(
    uow: UnitOfWork, staff: Staff
) -> None:
    iris = _child(uow, staff.nurse, HARBOUR, "Iris")
    _child(uow, staff.surgeon, HARBOUR, "Hana")
    _child(uow, staff.nurse, NORTHERN, "Yuki")
    everything = read_site_audit_log(uow, staff.administrator, HARBOUR, AuditFilter(), now=NOW)
    names = {entry.child_name for entry in everything.entries}
    assert names == {"Iris Tanaka", "Hana Tanaka"}
    assert {name for _, name in everything.children} == {"Iris Tanaka", "Hana Tanaka"}
    by_nurse = read_site_audit_log(
        uow, staff.administrator, HARBOUR, AuditFilter(actor_id=staff.nurse), now=NOW
    )
    assert {entry.child_name for entry in by_nurse.entries} == {"Iris Tanaka"}
    assert all(entry.entry.actor_id == staff.nurse for entry in by_nurse.entries)
    assert len({entry.actor_name for entry in by_nurse.entries}) == 1
    about_iris = read_site_audit_log(
        uow,
        staff.administrator,
        HARBOUR,
        AuditFilter(child_id=iris, action=AuditAction.CHILD_REGISTERED),
        now=NOW,
    )
    assert [entry.child_id for entry in about_iris.entries] == [iris]
    later = read_site_audit_log(
        uow, staff.administrator, HARBOUR, AuditFilter(since=NOW + timedelta(seconds=1)), now=NOW
    )
    assert later.entries == []
    reads = read_site_audit_log(
        uow,
        staff.administrator,
        HARBOUR,
        AuditFilter(action=AuditAction.AUDIT_LOG_READ),
        now=NOW,
    )
    assert len(reads.entries) == 4, "every read before this one was audited"
    with pytest.raises(PermissionDeniedError):
        read_site_audit_log(uow, staff.nurse, HARBOUR, AuditFilter(), now=NOW)
