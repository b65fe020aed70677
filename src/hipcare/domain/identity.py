"""Who a child is, beyond their name: hospital numbers, administrative sex, likely duplicates.

A hospital number (MRN) is only meaningful with the system that issued it, so each carries
both (a FHIR ``Identifier``: ``system`` and ``value``); a child may hold several (a number at
each hospital, an old number kept after a merge). Administrative sex uses FHIR R4's
``AdministrativeGender`` codes (http://hl7.org/fhir/R4/valueset-administrative-gender.html).

Two registrations are *likely the same child* when they share a hospital number at the same
site, or when their family name, given name and date of birth agree once case and accents
are folded (Unicode NFKD with combining marks dropped, then ``str.casefold``): "Zoë" and
"ZOE" born on the same day at one site are one child until a person says otherwise.

Pure: standard library only.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Protocol

from hipcare.domain.errors import InvalidInputError

__all__ = [
    "AdministrativeSex",
    "HospitalNumber",
    "IdentityFacts",
    "folded_name",
    "is_likely_duplicate",
]

_MAX_SYSTEM_LENGTH = 255
_MAX_VALUE_LENGTH = 64


class AdministrativeSex(StrEnum):
    """Administrative sex, as FHIR R4 codes it (``Patient.gender``)."""

    MALE = "male"
    FEMALE = "female"
    OTHER = "other"
    UNKNOWN = "unknown"


def _identifier_text(value: object, field_name: str, limit: int, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(field_name, f"is empty; give {what}")
    if value != value.strip():
        raise InvalidInputError(field_name, "has spaces before or after it; remove them")
    for char in value:
        if char < " " or char == "\x7f":
            raise InvalidInputError(
                field_name,
                f"holds an invisible control character (U+{ord(char):04X}); "
                "retype it without pasting",
            )
    if len(value) > limit:
        raise InvalidInputError(field_name, f"is longer than {limit} characters")
    return value


@dataclass(frozen=True)
class HospitalNumber:
    """A hospital number (MRN): ``value`` as issued by ``system`` (a URI or a hospital's name)."""

    system: str
    value: str

    def __post_init__(self) -> None:
        _identifier_text(
            self.system,
            "hospital_number.system",
            _MAX_SYSTEM_LENGTH,
            "the system that issued the number (such as the hospital's name)",
        )
        _identifier_text(self.value, "hospital_number.value", _MAX_VALUE_LENGTH, "the number")


def folded_name(text: str) -> str:
    """``text`` with accents dropped (NFKD), case folded and spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.casefold().split())


class IdentityFacts(Protocol):
    """What a registration says about who the child is (``hipcare.domain.records.Child``)."""

    @property
    def site_id(self) -> str: ...

    @property
    def family_name(self) -> str: ...

    @property
    def given_name(self) -> str: ...

    @property
    def date_of_birth(self) -> date: ...

    @property
    def hospital_numbers(self) -> tuple[HospitalNumber, ...]: ...


def _shares_hospital_number(
    left: Iterable[HospitalNumber], right: Iterable[HospitalNumber]
) -> bool:
    return not set(left).isdisjoint(right)


def is_likely_duplicate(candidate: IdentityFacts, other: IdentityFacts) -> bool:
    """Whether ``other`` is likely the child ``candidate`` registers again (same site)."""
    if candidate.site_id != other.site_id:
        return False
    if _shares_hospital_number(candidate.hospital_numbers, other.hospital_numbers):
        return True
    return (
        candidate.date_of_birth == other.date_of_birth
        and folded_name(candidate.family_name) == folded_name(other.family_name)
        and folded_name(candidate.given_name) == folded_name(other.given_name)
    )
