"""Registration refuses a likely duplicate unless told otherwise, on every storage engine."""

from __future__ import annotations

from typing import Any

import pytest
from tests.support.engines import StorageEngine
from tests.support.staff import HARBOUR, NORTHERN, NOW, TODAY, Staff

from hipcare.bootstrap import load_content
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.identity import AdministrativeSex, HospitalNumber
from hipcare.services.ports import UnitOfWork
from hipcare.services.records import LikelyDuplicateError, get_child, register_child

CONTENT = load_content()


def _form(**changes: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "given_name": "Zoë",
        "family_name": "Nguyễn",
        "date_of_birth": "2021-05-17",
        "site": HARBOUR,
        "administrative_sex": "female",
        "hospital_numbers": [{"system": "harbour-mrn", "value": "H100"}],
    }
    form.update(changes)
    return form


def _register(uow: UnitOfWork, actor: int, **changes: Any) -> int:
    child = register_child(
        uow, actor, _form(**changes), today=TODAY, now=NOW, rules=CONTENT.surveillance_rules
    )
    assert child.id is not None
    return child.id


def test_hospital_numbers_and_sex_are_stored_with_the_child(uow: UnitOfWork, staff: Staff) -> None:
    child_id = _register(uow, staff.surgeon)
    child = get_child(uow, staff.surgeon, child_id, now=NOW).child
    assert child.administrative_sex is AdministrativeSex.FEMALE
    assert child.hospital_numbers == (HospitalNumber("harbour-mrn", "H100"),)


def test_the_same_names_and_birth_date_folded_are_refused_as_a_likely_duplicate(
    uow: UnitOfWork, staff: Staff, storage: StorageEngine
) -> None:
    first = _register(uow, staff.surgeon)
    with pytest.raises(LikelyDuplicateError) as refused:
        _register(uow, staff.surgeon, given_name="ZOE", family_name="nguyen", hospital_numbers=[])
    assert [child.id for child in refused.value.duplicates] == [first]
    assert storage.count("children") == 1
    assert [row["action"] for row in storage.audit_rows()][-1] == "child.listed"


def test_the_same_hospital_number_at_the_site_is_refused_as_a_likely_duplicate(
    uow: UnitOfWork, staff: Staff
) -> None:
    first = _register(uow, staff.surgeon)
    with pytest.raises(LikelyDuplicateError) as refused:
        _register(uow, staff.surgeon, given_name="Ali", family_name="Haddad")
    assert [child.id for child in refused.value.duplicates] == [first]


def test_confirming_it_is_not_a_duplicate_registers_the_second_child(
    uow: UnitOfWork, staff: Staff, storage: StorageEngine
) -> None:
    _register(uow, staff.surgeon)
    _register(uow, staff.surgeon, confirm_not_duplicate=True)
    assert storage.count("children") == 2


def test_a_child_of_the_same_name_at_another_site_is_not_a_duplicate(
    uow: UnitOfWork, staff: Staff, storage: StorageEngine
) -> None:
    _register(uow, staff.surgeon)
    _register(uow, staff.nurse, site=NORTHERN)
    assert storage.count("children") == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"administrative_sex": "F"}, "administrative_sex"),
        ({"hospital_numbers": [{"system": "harbour-mrn"}]}, "hospital_numbers[0].value"),
        ({"hospital_numbers": [{"value": "1", "issuer": "x"}]}, "hospital_numbers[0].issuer"),
        ({"hospital_numbers": "H1"}, "hospital_numbers"),
        ({"confirm_not_duplicate": "yes"}, "confirm_not_duplicate"),
    ],
)
def test_impossible_identity_input_is_refused_naming_the_field(
    uow: UnitOfWork, staff: Staff, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        _register(uow, staff.surgeon, **changes)
    assert refused.value.field == field
