"""Postponement tells the family, over every storage engine (memory, SQLite, PostgreSQL):
one email per linked member in the child's language, no clinical detail, each sent email
audited; ticked steps that quoted the old date reopened (audited); information refused a tick,
the family's and the care team's.
"""

from __future__ import annotations

import datetime
import smtplib
from email.message import EmailMessage

import pytest
from tests.support.engines import StorageEngine
from tests.support.staff import HARBOUR, NOW, TODAY, Staff

from hipcare.bootstrap import load_content
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import Profession, Role, User
from hipcare.services.family import tick_family_item
from hipcare.services.family.postponement import tell_family_of_postponement
from hipcare.services.family.reminders import SmtpSettings
from hipcare.services.operations import (
    plan_operation,
    postpone_surgery,
    start_pathway,
    tick_care_item,
)
from hipcare.services.ports import UnitOfWork
from hipcare.services.records import register_child

CONTENT = load_content()
SMTP = SmtpSettings(host="smtp.invalid", port=25, sender="care@example.org", public_url="")


def _child_with_plan(uow: UnitOfWork, staff: Staff) -> tuple[int, int, int]:
    """A Harbour child (Vietnamese) with a started plan, its operation, and a surgeon."""
    child = register_child(
        uow,
        staff.surgeon,
        {
            "given_name": "Mai",
            "family_name": "Tran",
            "date_of_birth": "2019-08-02",
            "site": HARBOUR,
            "preferred_language": "vi",
            "gmfcs": "V",
        },
        today=TODAY,
        now=NOW,
        rules=CONTENT.surveillance_rules,
    )
    assert child.id is not None
    with uow:
        surgeon = uow.users.get(staff.surgeon)
    assert surgeon is not None
    assert surgeon.profession is Profession.SURGEON
    operation = plan_operation(
        uow,
        staff.surgeon,
        child.id,
        {
            "sides": "right",
            "procedures": ["vdro"],
            "implant": "plate",
            "surgeon_id": staff.surgeon,
            "surgery_date": (TODAY + datetime.timedelta(days=40)).isoformat(),
            "weight_bearing": "as-tolerated",
            "positioning_device": False,
        },
        CONTENT.pathway_content,
        today=TODAY,
        now=NOW,
    )
    assert operation.id is not None
    start_pathway(
        uow,
        staff.surgeon,
        child.id,
        operation.id,
        {"wheelchair_user": True, "attends_school": True, "sees_therapists": True},
        CONTENT.pathway_content,
        now=NOW,
        today=TODAY,
    )
    return child.id, operation.id, staff.surgeon


def _member(uow: UnitOfWork, email: str, child_id: int) -> int:
    with uow:
        user = uow.users.add(User(email, "Family member", Role.FAMILY, None))
        assert user.id is not None
        uow.family.link(user.id, child_id, NOW)
        uow.commit()
    return user.id


def _actions(storage: StorageEngine) -> list[str]:
    return [row["action"] for row in storage.audit_rows()]


def test_postponing_reopens_dated_ticks_and_emails_each_member_without_detail(
    storage: StorageEngine, uow: UnitOfWork, staff: Staff
) -> None:
    child_id, operation_id, surgeon = _child_with_plan(uow, staff)
    parent = _member(uow, "mai.parent@example.org", child_id)
    _member(uow, "grandma@example.org", child_id)
    for item_id in ("notify-parent-work", "arrange-family-help"):
        tick_family_item(uow, parent, child_id, item_id, CONTENT.pathway_content, now=NOW)
    states = postpone_surgery(
        uow,
        surgeon,
        child_id,
        operation_id,
        {"surgery_date": (TODAY + datetime.timedelta(days=70)).isoformat()},
        CONTENT.pathway_content,
        today=TODAY,
        now=NOW,
    )
    done = {state.item_id: state.done for state in states}
    assert done["notify-parent-work"] is False
    assert done["arrange-family-help"] is True
    assert _actions(storage).count("care-item.reopened") == 1
    with uow:
        operation = uow.operation_plans.get(operation_id)
    assert operation is not None
    assert operation.postponed_from == TODAY + datetime.timedelta(days=40)
    assert operation.postponed_at == NOW
    sent: list[EmailMessage] = []
    notice = tell_family_of_postponement(
        uow, surgeon, child_id, sent.append, SMTP, CONTENT.words, now=NOW, public_url="https://h"
    )
    assert (notice.sent, notice.failed) == (2, 0)
    assert sorted(message["To"] for message in sent) == [
        "grandma@example.org",
        "mai.parent@example.org",
    ]
    for message in sent:
        body = message.get_content()
        assert f"https://h/family/children/{child_id}" in body
        assert "Mai" not in body
        assert str(TODAY.year) not in body
        assert message["Content-Language"] == "vi"
    assert _actions(storage).count("postponement.emailed") == 2


def test_an_email_that_cannot_leave_is_counted_not_raised(
    storage: StorageEngine, uow: UnitOfWork, staff: Staff
) -> None:
    child_id, _, surgeon = _child_with_plan(uow, staff)
    _member(uow, "mai.parent@example.org", child_id)

    def down(message: EmailMessage) -> None:
        raise smtplib.SMTPServerDisconnected("down")

    notice = tell_family_of_postponement(uow, surgeon, child_id, down, SMTP, CONTENT.words, now=NOW)
    assert (notice.sent, notice.failed) == (0, 1)
    assert "postponement.emailed" not in _actions(storage)


def test_a_family_tick_on_information_is_refused_naming_the_item(
    uow: UnitOfWork, staff: Staff
) -> None:
    child_id, _, _ = _child_with_plan(uow, staff)
    parent = _member(uow, "mai.parent@example.org", child_id)
    with pytest.raises(InvalidInputError) as caught:
        tick_family_item(uow, parent, child_id, "about-this-plan", CONTENT.pathway_content, now=NOW)
    assert caught.value.field == "item_id"
    assert "about-this-plan" in caught.value.problem


def test_a_clinician_tick_on_information_is_refused_naming_the_item(
    storage: StorageEngine, uow: UnitOfWork, staff: Staff
) -> None:
    """The care team's tick refuses information as the family's does (422): it is read, never
    ticked; nothing is stored or audited as ticked."""
    child_id, operation_id, surgeon = _child_with_plan(uow, staff)
    with pytest.raises(InvalidInputError) as caught:
        tick_care_item(
            uow,
            surgeon,
            child_id,
            operation_id,
            "about-this-plan",
            CONTENT.pathway_content,
            now=NOW,
        )
    assert caught.value.field == "item_id"
    assert "about-this-plan" in caught.value.problem
    with uow:
        states = uow.care_plan_items.for_operation_plan(operation_id)
    assert not next(state for state in states if state.item_id == "about-this-plan").done
    assert "care-item.ticked" not in _actions(storage)
