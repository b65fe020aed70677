"""A site administrator merges a child registered twice into the original (issue 15), on
every storage engine: the records move, the duplicate stays read-only, both are audited."""

from __future__ import annotations

from typing import Any

import pytest
from tests.support.engines import StorageEngine
from tests.support.staff import HARBOUR, NORTHERN, NOW, TODAY, Staff

from hipcare.bootstrap import load_content
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.identity import HospitalNumber
from hipcare.domain.records import EntityType, ExternalIdentifier
from hipcare.services.access import PermissionDeniedError
from hipcare.services.child_merge import merge_child
from hipcare.services.ports import UnitOfWork
from hipcare.services.records import get_child, record_visit, register_child

CONTENT = load_content()
RULES = CONTENT.surveillance_rules


def _register(uow: UnitOfWork, actor: int, **changes: Any) -> int:
    form: dict[str, Any] = {
        "given_name": "Zoë",
        "family_name": "Nguyễn",
        "date_of_birth": "2019-05-17",
        "site": HARBOUR,
        "hospital_numbers": [{"system": "harbour-mrn", "value": "H100"}],
        "contacts": [{"name": "Lan Nguyen", "relationship": "mother", "phone": "0400 000 001"}],
        "confirm_not_duplicate": True,
    }
    form.update(changes)
    child = register_child(uow, actor, form, today=TODAY, now=NOW, rules=RULES)
    assert child.id is not None
    return child.id


def _visit(uow: UnitOfWork, actor: int, child_id: int, day: str) -> None:
    record_visit(
        uow,
        actor,
        child_id,
        {"visit_date": day, "xray": True, "right": {"migration_percentage_reported": 35}},
        today=TODAY,
        now=NOW,
        rules=RULES,
    )


def _merge(uow: UnitOfWork, actor: int, duplicate: int, original: int, **more: Any) -> Any:
    return merge_child(
        uow,
        actor,
        duplicate,
        original,
        confirm=more.get("confirm", True),
        today=TODAY,
        now=NOW,
        rules=RULES,
    )


def _pair(uow: UnitOfWork, staff: Staff) -> tuple[int, int]:
    original = _register(uow, staff.surgeon)
    duplicate = _register(
        uow,
        staff.surgeon,
        given_name="Zoe",
        hospital_numbers=[{"system": "harbour-mrn", "value": "H777"}],
        contacts=[{"name": "Minh Nguyen", "relationship": "father", "phone": "0400 000 002"}],
    )
    _visit(uow, staff.surgeon, original, "2024-03-01")
    _visit(uow, staff.surgeon, duplicate, "2025-03-01")
    with uow:
        uow.external_identifiers.add(
            ExternalIdentifier(EntityType.CHILD, duplicate, "urn:oid:1.2.3", "X-9")
        )
        uow.commit()
    return original, duplicate


def test_the_duplicates_records_move_to_the_original_and_it_stays_merged_into(
    uow: UnitOfWork, staff: Staff, storage: StorageEngine
) -> None:
    original, duplicate = _pair(uow, staff)
    merged = _merge(uow, staff.administrator, duplicate, original)
    assert merged.id == original
    assert merged.hospital_numbers == (
        HospitalNumber("harbour-mrn", "H100"),
        HospitalNumber("harbour-mrn", "H777"),
    )
    assert [contact.relationship for contact in merged.contacts] == ["mother", "father"]
    record = get_child(uow, staff.surgeon, original, now=NOW)
    assert [visit.visit_date.isoformat() for visit in record.visits] == [
        "2024-03-01",
        "2025-03-01",
    ]
    with uow:
        assert uow.external_identifiers.find(EntityType.CHILD, "urn:oid:1.2.3", "X-9") == original
        left = uow.children.get(duplicate)
    assert left is not None
    assert left.merged_into == original
    assert left.hospital_numbers == ()
    assert get_child(uow, staff.surgeon, duplicate, now=NOW).visits == ()
    merges = [row for row in storage.audit_rows() if row["action"] == "child.merged"]
    assert sorted(row["entity_id"] for row in merges) == sorted([str(original), str(duplicate)])
    assert {row["actor_id"] for row in merges} == {staff.administrator}


def test_the_merged_record_is_read_only(uow: UnitOfWork, staff: Staff) -> None:
    original, duplicate = _pair(uow, staff)
    _merge(uow, staff.administrator, duplicate, original)
    with pytest.raises(InvalidInputError) as refused:
        _visit(uow, staff.surgeon, duplicate, "2026-01-05")
    assert refused.value.field == "merged_into"
    assert f"child {original}" in refused.value.problem
    with pytest.raises(InvalidInputError) as again:
        _merge(uow, staff.administrator, duplicate, original)
    assert again.value.field == "merged_into"


def test_a_merged_record_is_no_likely_duplicate_any_more(uow: UnitOfWork, staff: Staff) -> None:
    """Registering the child a third time names the original only."""
    from hipcare.services.records import LikelyDuplicateError

    original, duplicate = _pair(uow, staff)
    _merge(uow, staff.administrator, duplicate, original)
    with pytest.raises(LikelyDuplicateError) as refused:
        _register(uow, staff.surgeon, confirm_not_duplicate=False)
    assert [child.id for child in refused.value.duplicates] == [original]


def test_only_a_site_administrator_merges_and_the_refusal_is_audited(
    uow: UnitOfWork, staff: Staff, storage: StorageEngine
) -> None:
    original, duplicate = _pair(uow, staff)
    with pytest.raises(PermissionDeniedError):
        _merge(uow, staff.surgeon, duplicate, original)
    assert storage.audit_rows()[-1]["action"] == "access.denied"
    with uow:
        assert uow.children.get(duplicate).merged_into is None  # type: ignore[union-attr] -- stored


@pytest.mark.parametrize(
    ("confirm", "field"), [(False, "confirm"), ("yes", "confirm"), (None, "confirm")]
)
def test_a_merge_must_be_confirmed_with_true(
    uow: UnitOfWork, staff: Staff, confirm: object, field: str
) -> None:
    original, duplicate = _pair(uow, staff)
    with pytest.raises(InvalidInputError) as refused:
        _merge(uow, staff.administrator, duplicate, original, confirm=confirm)
    assert refused.value.field == field


def test_children_of_two_sites_or_one_child_twice_do_not_merge(
    uow: UnitOfWork, staff: Staff
) -> None:
    original, _ = _pair(uow, staff)
    elsewhere = _register(uow, staff.nurse, site=NORTHERN)
    # The administrator belongs to Harbour only: the Northern child is refused (audited).
    with pytest.raises(PermissionDeniedError):
        _merge(uow, staff.administrator, elsewhere, original)
    with pytest.raises(InvalidInputError) as itself:
        _merge(uow, staff.administrator, original, original)
    assert itself.value.field == "original_id"
