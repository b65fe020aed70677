"""Hospital numbers, administrative sex and the likely-duplicate rule (domain/identity.py)."""

from __future__ import annotations

from datetime import date

import pytest

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.identity import (
    AdministrativeSex,
    HospitalNumber,
    folded_name,
    is_likely_duplicate,
)
from hipcare.domain.records import Child

BORN = date(2021, 5, 17)


def _child(**changes: object) -> Child:
    values: dict[str, object] = {
        "given_name": "Zoë",
        "family_name": "Nguyễn",
        "date_of_birth": BORN,
        "site_id": "harbour",
    }
    values.update(changes)
    return Child(**values)  # type: ignore[arg-type]  # test helper: values are checked by Child


def test_folded_name_drops_accents_case_and_extra_spaces() -> None:
    assert folded_name("  NGUYỄN   Thị ") == folded_name("nguyen thi") == "nguyen thi"


def test_same_names_and_birth_date_with_other_case_and_accents_are_likely_duplicates() -> None:
    assert is_likely_duplicate(_child(), _child(given_name="ZOE", family_name="nguyen"))


def test_same_names_but_another_birth_date_are_not_duplicates() -> None:
    assert not is_likely_duplicate(_child(), _child(date_of_birth=date(2021, 5, 18)))


def test_a_shared_hospital_number_is_a_likely_duplicate_whatever_the_names() -> None:
    number = HospitalNumber("harbour-mrn", "H123")
    first = _child(hospital_numbers=(number,))
    other = _child(given_name="Ali", family_name="Haddad", hospital_numbers=(number,))
    assert is_likely_duplicate(first, other)


def test_children_of_different_sites_are_never_duplicates() -> None:
    assert not is_likely_duplicate(_child(), _child(site_id="northern"))


def test_a_child_defaults_to_unknown_sex_and_no_hospital_number() -> None:
    child = _child()
    assert (child.administrative_sex, child.hospital_numbers) == (AdministrativeSex.UNKNOWN, ())


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: HospitalNumber("", "1"), "hospital_number.system"),
        (lambda: HospitalNumber("mrn", " 1"), "hospital_number.value"),
        (lambda: HospitalNumber("mrn", "1\x00"), "hospital_number.value"),
        (lambda: HospitalNumber("mrn", "1" * 65), "hospital_number.value"),
        (lambda: _child(administrative_sex="F"), "child.administrative_sex"),
        (
            lambda: _child(hospital_numbers=(HospitalNumber("a", "1"), HospitalNumber("a", "1"))),
            "child.hospital_numbers",
        ),
    ],
)
def test_impossible_identities_are_refused_naming_the_field(make: object, field: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        make()  # type: ignore[operator]  # each case is a callable
    assert raised.value.field == field
