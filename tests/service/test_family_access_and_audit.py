"""The family side's access rules over every storage engine: memory, SQLite and PostgreSQL.

Who may read a child's family pages and diary (linked family; for the diary, staff of the
child's site too), who may write to it (linked family only), and the audit rows each leaves.
The family pages' Core reads (today, the whole plan) are tested on the databases
(tests/integration/web).
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.support.engines import StorageEngine
from tests.support.staff import HARBOUR, NOW, TODAY, Staff

from hipcare.bootstrap import load_content
from hipcare.domain.records import Role, User
from hipcare.services.access import PermissionDeniedError
from hipcare.services.family import (
    child_for_family,
    diary_entries,
    diary_photo,
    family_children,
    pain_descriptors,
    record_diary_entry,
    save_pain_descriptors,
)
from hipcare.services.ports import UnitOfWork
from hipcare.services.records import register_child

CONTENT = load_content()
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def _child(uow: UnitOfWork, staff: Staff) -> int:
    document = {
        "given_name": "Mai",
        "family_name": "Tran",
        "date_of_birth": "2019-08-02",
        "site": HARBOUR,
        "preferred_language": "vi",
        "gmfcs": "V",
        # Some tests register two children alike (issue 15 refuses a likely duplicate).
        "confirm_not_duplicate": True,
    }
    child = register_child(
        uow, staff.surgeon, document, today=TODAY, now=NOW, rules=CONTENT.surveillance_rules
    )
    assert child.id is not None
    return child.id


def _family_member(uow: UnitOfWork, email: str, *linked_to: int) -> int:
    with uow:
        user = uow.users.add(User(email, "Family member", Role.FAMILY, None))
        assert user.id is not None
        for child_id in linked_to:
            uow.family.link(user.id, child_id, NOW)
        uow.commit()
    return user.id


def _actions(storage: StorageEngine, actor_id: int) -> list[tuple[str, str]]:
    return [
        (row["action"], row["entity_id"])
        for row in storage.audit_rows()
        if row["actor_id"] == actor_id
    ]


def _diary(uow: UnitOfWork, actor: int, child_id: int, **document: Any) -> Any:
    return record_diary_entry(uow, actor, child_id, document, CONTENT.diary_rules, now=NOW)


def test_a_linked_family_member_reads_their_child_and_the_read_is_audited(
    uow: UnitOfWork, staff: Staff, storage: StorageEngine
) -> None:
    child_id = _child(uow, staff)
    parent = _family_member(uow, "parent@example.org", child_id)
    assert child_for_family(uow, parent, child_id, now=NOW).given_name == "Mai"
    assert [child.id for child in family_children(uow, parent, now=NOW)] == [child_id]
    # The list shows the child's name, so it is audited too (issue 13).
    assert _actions(storage, parent) == [
        ("child.read", str(child_id)),
        ("child.listed", str(child_id)),
    ]


def test_family_who_are_not_linked_and_staff_are_refused_the_family_pages_and_audited(
    uow: UnitOfWork, staff: Staff, storage: StorageEngine
) -> None:
    child_id = _child(uow, staff)
    stranger = _family_member(uow, "stranger@example.org")
    with pytest.raises(PermissionDeniedError, match="not your child's record"):
        child_for_family(uow, stranger, child_id, now=NOW)
    # The same refusal for a child that does not exist: a family learns nothing.
    with pytest.raises(PermissionDeniedError, match="not your child's record"):
        child_for_family(uow, stranger, child_id + 1000, now=NOW)
    with pytest.raises(PermissionDeniedError, match="may not see this child's family pages"):
        child_for_family(uow, staff.surgeon, child_id, now=NOW)
    assert family_children(uow, stranger, now=NOW) == []
    assert family_children(uow, staff.surgeon, now=NOW) == []
    assert _actions(storage, stranger) == [
        ("access.denied", str(child_id)),
        ("access.denied", str(child_id + 1000)),
    ]
    assert _actions(storage, staff.surgeon)[-1] == ("access.denied", str(child_id))


def test_a_diary_entry_past_a_threshold_raises_an_alert_and_both_are_audited(
    uow: UnitOfWork, staff: Staff, storage: StorageEngine
) -> None:
    child_id = _child(uow, staff)
    parent = _family_member(uow, "parent@example.org", child_id)
    record = _diary(uow, parent, child_id, kind="pain-numeric", pain_score=9)
    assert record.assessment.raises_alert
    assert record.entry.alert_id is not None
    assert _actions(storage, parent) == [
        ("alert.raised", str(child_id)),
        ("diary.recorded", str(child_id)),
    ]
    shown = diary_entries(uow, staff.nurse, child_id, now=NOW)
    assert [(entry.id, entry.alert_id) for entry in shown] == [
        (record.entry.id, record.entry.alert_id)
    ]
    assert _actions(storage, staff.nurse)[-1] == ("diary.read", str(child_id))


def test_only_linked_family_write_the_diary_and_only_they_and_the_site_read_it(
    uow: UnitOfWork, staff: Staff, storage: StorageEngine
) -> None:
    child_id = _child(uow, staff)
    parent = _family_member(uow, "parent@example.org", child_id)
    stranger = _family_member(uow, "stranger@example.org")
    with pytest.raises(PermissionDeniedError):
        _diary(uow, staff.surgeon, child_id, kind="pain-numeric", pain_score=2)
    with pytest.raises(PermissionDeniedError):
        _diary(uow, stranger, child_id, kind="pain-numeric", pain_score=2)
    with pytest.raises(PermissionDeniedError, match="may not see this child's family pages"):
        diary_entries(uow, staff.physiotherapist, child_id, now=NOW)  # Northern only
    assert storage.count("diary_entries") == 0
    _diary(uow, parent, child_id, kind="pain-numeric", pain_score=2)
    assert len(diary_entries(uow, parent, child_id, now=NOW)) == 1
    assert storage.count("diary_entries") == 1
    assert [action for action, _ in _actions(storage, stranger)] == ["access.denied"]


def test_a_skin_photo_is_kept_with_its_entry_for_the_family_and_the_care_team(
    uow: UnitOfWork, staff: Staff, storage: StorageEngine
) -> None:
    child_id = _child(uow, staff)
    other_child = _child(uow, staff)
    parent = _family_member(uow, "parent@example.org", child_id)
    record = record_diary_entry(
        uow,
        parent,
        child_id,
        {"kind": "skin", "skin_finding": "red-fades", "skin_where": "left hip"},
        CONTENT.diary_rules,
        now=NOW,
        photo=("image/png", PNG),
    )
    assert [entry.has_photo for entry in diary_entries(uow, parent, child_id, now=NOW)] == [True]
    assert diary_photo(uow, staff.surgeon, child_id, record.entry.id, now=NOW) == (
        "image/png",
        PNG,
    )
    with pytest.raises(PermissionDeniedError):
        diary_photo(uow, staff.physiotherapist, child_id, record.entry.id, now=NOW)
    with pytest.raises(PermissionDeniedError):
        diary_photo(uow, parent, other_child, record.entry.id, now=NOW)
    assert storage.count("diary_photos") == 1


def test_pain_descriptors_are_the_familys_own_words_replaced_as_a_whole(
    uow: UnitOfWork, staff: Staff, storage: StorageEngine
) -> None:
    child_id = _child(uow, staff)
    parent = _family_member(uow, "parent@example.org", child_id)
    save_pain_descriptors(uow, parent, child_id, {"face": "frowns", "cry": "moans"}, now=NOW)
    save_pain_descriptors(uow, parent, child_id, {"face": "grimaces"}, now=NOW)
    assert pain_descriptors(uow, staff.nurse, child_id, now=NOW) == {"face": "grimaces"}
    with pytest.raises(PermissionDeniedError):
        save_pain_descriptors(uow, staff.nurse, child_id, {"face": "frowns"}, now=NOW)
    assert storage.count("pain_descriptors") == 1
