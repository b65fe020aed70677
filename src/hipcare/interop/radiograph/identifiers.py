"""The patient and study identifiers of a film checked against the child's record.

``check_identifiers(film, child)`` compares what a DICOM file says (Patient's Name, Patient's
Birth Date, Patient ID: :class:`~hipcare.interop.radiograph.film.FilmIdentifiers`) with the
child's record and returns warnings for the clinician to confirm.

Identifiers are patient data: show them to the clinician, never write them to logs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from hipcare.domain.errors import InvalidInputError

if TYPE_CHECKING:
    from hipcare.interop.radiograph.film import FilmIdentifiers

__all__ = [
    "ChildIdentity",
    "IdentifierWarning",
    "check_identifiers",
    "child_identity_from_json",
]


@dataclass(frozen=True)
class ChildIdentity:
    """What the child's record says about who the child is (``identifier`` and
    ``hospital_numbers``: the hospital numbers the file's Patient ID may hold)."""

    given_name: str
    family_name: str
    date_of_birth: date
    identifier: str | None = None
    hospital_numbers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("given_name", "family_name"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise InvalidInputError(f"child.{name}", "must be a name (text), not empty")
        if not isinstance(self.date_of_birth, date):
            raise InvalidInputError("child.date_of_birth", "must be a date (YYYY-MM-DD)")
        if self.identifier is not None and (
            not isinstance(self.identifier, str) or not self.identifier.strip()
        ):
            raise InvalidInputError("child.identifier", "must be text, or left out")
        for number in self.hospital_numbers:
            if not isinstance(number, str) or not number.strip():
                raise InvalidInputError("child.hospital_numbers", "must be text, not empty")

    def patient_ids(self) -> tuple[str, ...]:
        """Every identifier the film's Patient ID may equal: ``identifier`` first."""
        found = [] if self.identifier is None else [self.identifier]
        found.extend(number for number in self.hospital_numbers if number not in found)
        return tuple(found)


def child_identity_from_json(document: Any) -> ChildIdentity:
    """``{"given_name", "family_name", "date_of_birth": "YYYY-MM-DD", "identifier"?}``."""
    if not isinstance(document, Mapping):
        raise InvalidInputError(
            "child", 'expected a JSON object with "given_name", "family_name", "date_of_birth"'
        )
    known = ("given_name", "family_name", "date_of_birth", "identifier")
    for key in document:
        if key not in known:
            raise InvalidInputError(f"child.{key}", f"unknown name; known: {', '.join(known)}")
    for key in known[:3]:
        if key not in document:
            raise InvalidInputError(f"child.{key}", "is missing")
    raw_date = document["date_of_birth"]
    try:
        born = date.fromisoformat(raw_date) if isinstance(raw_date, str) else None
    except ValueError:
        born = None
    if born is None:
        raise InvalidInputError("child.date_of_birth", f"expected YYYY-MM-DD, got {raw_date!r}")
    return ChildIdentity(
        given_name=document["given_name"],
        family_name=document["family_name"],
        date_of_birth=born,
        identifier=document.get("identifier"),
    )


@dataclass(frozen=True)
class IdentifierWarning:
    """One identifier of the file that does not match the child's record, or is missing."""

    attribute: str  # the DICOM keyword, e.g. "PatientBirthDate"
    problem: str


def _name_tokens(text: str) -> frozenset[str]:
    # Folded as hipcare.domain.records.name_search_key folds names (accents dropped, case
    # folded), written out here so that reading a file does not import the records model.
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    return frozenset(re.split(r"[\s^\-,.'=]+", bare)) - {""}


def _names_match(film_name: str, child: ChildIdentity) -> bool:
    wanted = _name_tokens(f"{child.given_name} {child.family_name}")
    # A PN value may hold alphabetic, ideographic and phonetic groups separated by "=".
    for group in film_name.split("="):
        found = _name_tokens(group)
        if found and (wanted <= found or found <= wanted) and len(found & wanted) >= 2:
            return True
        if found and found == wanted:
            return True
    return False


def check_identifiers(film: FilmIdentifiers, child: ChildIdentity) -> tuple[IdentifierWarning, ...]:
    """Warnings for the clinician: identifiers of the file that differ from the record.

    Names match when, accents and case aside and in any order, the record's given and
    family names are all in the file's name or the file's name parts are all in the
    record's (at least two parts in common). Dates must be equal; the Patient ID must equal
    the record's identifier or one of its hospital numbers, ignoring case and spaces. A
    missing identifier is a warning too. An empty result means nothing was found to doubt,
    not that the film is proven to be this child's.
    """
    warnings_found: list[IdentifierWarning] = []
    if film.patient_name is None:
        warnings_found.append(
            IdentifierWarning("PatientName", "the file has no patient name: confirm whose film")
        )
    elif not _names_match(film.patient_name, child):
        warnings_found.append(
            IdentifierWarning(
                "PatientName",
                f"the file's name {film.patient_name!r} does not match the record's "
                f"{child.given_name} {child.family_name!s}: confirm this is the child's film",
            )
        )
    if film.birth_date is None:
        warnings_found.append(
            IdentifierWarning(
                "PatientBirthDate", "the file has no birth date: confirm whose film it is"
            )
        )
    elif film.birth_date != child.date_of_birth:
        warnings_found.append(
            IdentifierWarning(
                "PatientBirthDate",
                f"the file's birth date {film.birth_date.isoformat()} differs from the "
                f"record's {child.date_of_birth.isoformat()}: confirm this is the child's film",
            )
        )
    known_ids = child.patient_ids()
    if known_ids:
        wanted = {"".join(known.split()).casefold() for known in known_ids}
        if film.patient_id is None:
            warnings_found.append(
                IdentifierWarning("PatientID", "the file has no patient ID: confirm whose film")
            )
        elif "".join(film.patient_id.split()).casefold() not in wanted:
            record = ", ".join(repr(known) for known in known_ids)
            warnings_found.append(
                IdentifierWarning(
                    "PatientID",
                    f"the file's patient ID {film.patient_id!r} differs from the record's "
                    f"{record}: confirm this is the child's film",
                )
            )
    return tuple(warnings_found)
