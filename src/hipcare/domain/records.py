"""The clinical record of a service: sites, staff, children, visits, operations, audit.

These are the values the storage layer keeps and the use cases work on. They validate
themselves like every other domain value: an impossible record raises
:class:`~hipcare.domain.errors.InvalidInputError` naming the field and how to fix it, NaN and
infinity are refused, and every moment in time must be timezone-aware (it is kept in UTC).

A visit's typed-in measures are checked with the surveillance domain's own rules
(:class:`hipcare.domain.surveillance.Visit`: migration percentage 0-100 as reported, head-shaft
angle 0-180 degrees, no measures without an X-ray). The raw migration percentage may fall
below 0 or above 100; the reported value is the raw one clamped to 0-100, as a dislocated
head is conventionally MP 100% (Reimers, Acta Orthop Scand Suppl 1980;184; see
``hipcare.domain.radiograph.MigrationPercentage``).

An :class:`AuditEntry` holds ids only (who, did what, to which kind of record, which id,
when): never a name, a date of birth or a clinical value.

Pure: standard library only; times are handed in.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from hipcare.domain.checks import choices, optional_finite_number
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.gmfcs import GMFCS
from hipcare.domain.identity import AdministrativeSex, HospitalNumber
from hipcare.domain.pathway import Procedure, Sides, WeightBearing
from hipcare.domain.radiograph import Side
from hipcare.domain.surveillance import HipPair, Visit

__all__ = [
    "Alert",
    "AuditAction",
    "AuditEntry",
    "CarePlanItemState",
    "Child",
    "EntityType",
    "ExternalIdentifier",
    "FamilyContact",
    "HipMeasures",
    "OperationPlan",
    "OperationStatus",
    "Profession",
    "Role",
    "Site",
    "User",
    "VisitRecord",
    "name_search_key",
    "refuse_control_characters",
    "utc_moment",
]

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_OPAQUE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9][0-9 ()-]{2,30}")
_MAX_NAME_LENGTH = 200
_MIN_GESTATION_WEEKS = 20.0
_EARLIEST_BIRTH_DATE = date(1900, 1, 1)
"""Plausibility, not a clinical rule: an earlier birth date is a typing mistake (0001-01-01)."""
_JOINERS = frozenset("\u200c\u200d")
"""Zero-width non-joiner and joiner: format characters that Persian, Arabic and Indic names
need (ZWNJ in "محمد‌رضا"), so they stay allowed in names."""
_MAX_GESTATION_WEEKS = 45.0


# --- small checks -----------------------------------------------------------------------------


def utc_moment(value: object, field_name: str) -> datetime:
    """``value`` as a UTC datetime; a naive datetime (no time zone) is refused, not guessed."""
    if not isinstance(value, datetime):
        raise InvalidInputError(field_name, f"{value!r} is not a date and time")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInputError(
            field_name, "has no time zone; give a timezone-aware time (it is kept in UTC)"
        )
    try:
        return value.astimezone(UTC)
    except OverflowError:
        # 0001-01-01T00:00+01:00 is before the first moment a datetime holds in UTC.
        raise InvalidInputError(field_name, "is not a real date and time; check the year") from None


_MULTILINE_WHITESPACE = frozenset("\t\n\r")


def refuse_control_characters(text: str, field_name: str, *, multiline: bool = False) -> None:
    """Refuse ``text`` holding a C0 control character (U+0000-U+001F) or DEL (U+007F).

    Nobody types them; a NUL cannot even be stored in PostgreSQL text, and the others hide in
    pages and exports. Multi-line text (a diary note) may hold tabs and line breaks (a
    browser sends a textarea's line breaks as CR LF).
    """
    for char in text:
        if (char < " " or char == "\x7f") and not (multiline and char in _MULTILINE_WHITESPACE):
            raise InvalidInputError(
                field_name,
                f"holds an invisible control character (U+{ord(char):04X}); "
                "retype it without pasting",
            )


def _calendar_date(value: object, field_name: str) -> date:
    # datetime is a subclass of date: a time of day where a day is meant is a mistake.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidInputError(field_name, f"{value!r} is not a calendar date")
    return value


def _text(value: object, field_name: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(field_name, f"is empty; give {what}")
    refuse_control_characters(value, field_name)
    text = " ".join(value.split())
    if len(text) > _MAX_NAME_LENGTH:
        raise InvalidInputError(field_name, f"is longer than {_MAX_NAME_LENGTH} characters")
    return text


def _name(value: object, field_name: str, what: str) -> str:
    """A person's name: text without invisible format or separator characters (bidi
    overrides such as U+202E reorder what a clinician reads; zero-width spaces make two
    names that look the same differ), and short enough once folded for searching (a
    ligature or "ß" folds to several letters; the stored search key holds 200 a name)."""
    text = _text(value, field_name, what)
    for char in text:
        category = unicodedata.category(char)
        if (category == "Cf" and char not in _JOINERS) or category in ("Zl", "Zp"):
            raise InvalidInputError(
                field_name,
                f"holds an invisible formatting character (U+{ord(char):04X}); "
                "retype the name without pasting",
            )
    if len(name_search_key(text)) > _MAX_NAME_LENGTH:
        raise InvalidInputError(
            field_name,
            f"is longer than {_MAX_NAME_LENGTH} characters once its letters are spelled out "
            "for searching (ligatures, ß); shorten it",
        )
    return text


def _slug(value: object, field_name: str) -> str:
    if not isinstance(value, str) or not _SLUG.fullmatch(value):
        raise InvalidInputError(field_name, f"{value!r} must be an id: lower-case words and dashes")
    return value


def _record_id(value: object, field_name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInputError(field_name, f"{value!r} is not a record id (a whole number >= 1)")
    return value


def _required_id(value: object, field_name: str) -> int:
    checked = _record_id(value, field_name)
    if checked is None:
        raise InvalidInputError(field_name, "is missing; give the record id")
    return checked


def _in_range(value: float | None, low: float, high: float, field_name: str, unit: str) -> None:
    if value is not None and not low <= value <= high:
        raise InvalidInputError(field_name, f"{value:g} is outside {low:g} to {high:g} {unit}")


def _language(value: object, field_name: str) -> str:
    if not isinstance(value, str) or not _LANGUAGE.fullmatch(value):
        raise InvalidInputError(
            field_name, f"{value!r} is not a language code such as 'en', 'ar' or 'zh-Hans'"
        )
    return value


def name_search_key(text: str) -> str:
    """``text`` folded for searching names: accents dropped, case folded, spaces collapsed.

    "Nguyễn  Thị" and "nguyen thi" give the same key, so a clinician finds a child whatever
    keyboard they type on, and SQLite and PostgreSQL search the same way.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    # A control character counts as a space: no name holds one, and PostgreSQL cannot even
    # compare text with a NUL (a search for one was a 500).
    bare = "".join(
        " " if char < " " or char == "\x7f" else char
        for char in decomposed
        if not unicodedata.combining(char)
    )
    return " ".join(bare.casefold().split())


# --- sites and staff --------------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    """A hospital or health service of the network; ``id`` is the slug used everywhere."""

    id: str
    name: str

    def __post_init__(self) -> None:
        _slug(self.id, "site.id")
        object.__setattr__(self, "name", _text(self.name, "site.name", "the site's name"))


class Role(StrEnum):
    """What a user does in hipcare."""

    CLINICIAN = "clinician"
    SITE_ADMINISTRATOR = "site-administrator"
    FAMILY = "family"  # a child's parent or carer, linked to their own child(ren) only


class Profession(StrEnum):
    """A clinician's profession (the people the fact sheet names around a VDRO)."""

    SURGEON = "surgeon"
    NURSE = "nurse"
    PHYSIOTHERAPIST = "physiotherapist"
    OCCUPATIONAL_THERAPIST = "occupational-therapist"


@dataclass(frozen=True)
class User:
    """A member of staff: a clinician (with a profession) or a site administrator.

    ``site_ids`` are the sites the user belongs to; a user may only touch the records of
    children of those sites. ``password_hash`` is an argon2 hash (``$argon2...``) or None;
    hipcare never stores a password itself.
    """

    email: str
    display_name: str
    role: Role
    profession: Profession | None
    site_ids: frozenset[str] = frozenset()
    password_hash: str | None = None
    id: int | None = None
    surgeon_profile: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.email, str) or not _EMAIL.fullmatch(self.email.strip()):
            raise InvalidInputError("user.email", f"{self.email!r} is not an email address")
        refuse_control_characters(self.email.strip(), "user.email")
        object.__setattr__(self, "email", self.email.strip().lower())
        object.__setattr__(
            self, "display_name", _name(self.display_name, "user.display_name", "a name to show")
        )
        if not isinstance(self.role, Role):
            raise InvalidInputError("user.role", f"{self.role!r} is not one of {choices(Role)}")
        if self.role is Role.CLINICIAN and not isinstance(self.profession, Profession):
            raise InvalidInputError(
                "user.profession", f"a clinician needs a profession: {choices(Profession)}"
            )
        if self.role is not Role.CLINICIAN and self.profession is not None:
            raise InvalidInputError("user.profession", "only a clinician has a profession")
        if isinstance(self.site_ids, str):
            raise InvalidInputError("user.site_ids", "must be a set of site ids, not one string")
        object.__setattr__(
            self,
            "site_ids",
            frozenset(_slug(site, "user.site_ids") for site in self.site_ids),
        )
        if self.password_hash is not None and (
            not isinstance(self.password_hash, str) or not self.password_hash.startswith("$argon2")
        ):
            raise InvalidInputError(
                "user.password_hash", "must be an argon2 hash ('$argon2id$...'), never a password"
            )
        _record_id(self.id, "user.id")
        if self.surgeon_profile is not None:
            _slug(self.surgeon_profile, "user.surgeon_profile")
            if self.profession is not Profession.SURGEON:
                raise InvalidInputError(
                    "user.surgeon_profile", "only a surgeon has a surgeon preference profile"
                )

    def belongs_to(self, site_id: str) -> bool:
        return site_id in self.site_ids


# --- children ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FamilyContact:
    """Someone the team can reach about the child: name, relationship, phone and/or email."""

    name: str
    relationship: str
    phone: str | None = None
    email: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", _name(self.name, "contact.name", "the person's name"))
        object.__setattr__(
            self,
            "relationship",
            _text(self.relationship, "contact.relationship", "who they are (mother, carer...)"),
        )
        if self.phone is None and self.email is None:
            raise InvalidInputError("contact.phone", "give a phone number or an email address")
        if self.phone is not None and (
            not isinstance(self.phone, str) or not _PHONE.fullmatch(self.phone.strip())
        ):
            raise InvalidInputError("contact.phone", f"{self.phone!r} is not a phone number")
        if self.email is not None and (
            not isinstance(self.email, str) or not _EMAIL.fullmatch(self.email.strip())
        ):
            raise InvalidInputError("contact.email", f"{self.email!r} is not an email address")


@dataclass(frozen=True)
class Child:
    """A child under the service's care, registered at one site.

    ``gmfcs`` None means the level is not recorded yet; ``gestation_weeks`` (20-45, optional)
    lets surveillance use the corrected age of a child born preterm. ``hospital_numbers`` and
    ``administrative_sex`` tell two children of one name apart (``hipcare.domain.identity``).
    """

    given_name: str
    family_name: str
    date_of_birth: date
    site_id: str
    preferred_language: str = "en"
    gmfcs: GMFCS | None = None
    gestation_weeks: float | None = None
    contacts: tuple[FamilyContact, ...] = ()
    id: int | None = None
    administrative_sex: AdministrativeSex = AdministrativeSex.UNKNOWN
    hospital_numbers: tuple[HospitalNumber, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "given_name", _name(self.given_name, "child.given_name", "the child's name")
        )
        object.__setattr__(
            self,
            "family_name",
            _name(self.family_name, "child.family_name", "the child's family name"),
        )
        _calendar_date(self.date_of_birth, "child.date_of_birth")
        if self.date_of_birth < _EARLIEST_BIRTH_DATE:
            raise InvalidInputError(
                "child.date_of_birth",
                f"{self.date_of_birth.isoformat()} is before 1900; check the year",
            )
        _slug(self.site_id, "child.site_id")
        _language(self.preferred_language, "child.preferred_language")
        if self.gmfcs is not None and not isinstance(self.gmfcs, GMFCS):
            raise InvalidInputError("child.gmfcs", f"{self.gmfcs!r} is not a GMFCS level")
        weeks = optional_finite_number(self.gestation_weeks, "child.gestation_weeks", "weeks")
        _in_range(
            weeks, _MIN_GESTATION_WEEKS, _MAX_GESTATION_WEEKS, "child.gestation_weeks", "weeks"
        )
        object.__setattr__(self, "gestation_weeks", weeks)
        contacts = tuple(self.contacts)
        for index, contact in enumerate(contacts):
            if not isinstance(contact, FamilyContact):
                raise InvalidInputError(f"child.contacts[{index}]", "is not a family contact")
        object.__setattr__(self, "contacts", contacts)
        _record_id(self.id, "child.id")
        if not isinstance(self.administrative_sex, AdministrativeSex):
            raise InvalidInputError(
                "child.administrative_sex", f"must be one of {choices(AdministrativeSex)}"
            )
        numbers = tuple(self.hospital_numbers)
        for index, number in enumerate(numbers):
            if not isinstance(number, HospitalNumber):
                raise InvalidInputError(
                    f"child.hospital_numbers[{index}]", "is not a hospital number"
                )
        if len(set(numbers)) != len(numbers):
            raise InvalidInputError("child.hospital_numbers", "lists one hospital number twice")
        object.__setattr__(self, "hospital_numbers", numbers)

    @property
    def search_key(self) -> str:
        """Both names folded for searching (see :func:`name_search_key`)."""
        return name_search_key(f"{self.given_name} {self.family_name}")


# --- visits and films -------------------------------------------------------------------------


@dataclass(frozen=True)
class HipMeasures:
    """Measures of one hip typed in from one film (the patient's side).

    ``migration_percentage_raw`` may be below 0 or above 100; ``migration_percentage_reported``
    is the raw value clamped to 0-100 and is filled in from it when left out. Angles in
    degrees: acetabular index -90 to 90, neck-shaft and head-shaft angles 0 to 180.
    """

    side: Side
    migration_percentage_raw: float | None = None
    migration_percentage_reported: float | None = None
    acetabular_index_deg: float | None = None
    neck_shaft_angle_deg: float | None = None
    head_shaft_angle_deg: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.side, Side):
            raise InvalidInputError("side", f"{self.side!r} is not 'right' or 'left'")
        prefix = self.side.value
        raw = optional_finite_number(
            self.migration_percentage_raw, f"{prefix}.migration_percentage_raw", "%"
        )
        reported = optional_finite_number(
            self.migration_percentage_reported, f"{prefix}.migration_percentage_reported", "%"
        )
        if raw is not None:
            clamped = min(100.0, max(0.0, raw))
            if reported is None:
                reported = clamped
            elif abs(reported - clamped) > 1e-9:
                raise InvalidInputError(
                    f"{prefix}.migration_percentage_reported",
                    f"{reported:g} does not match the raw value {raw:g} clamped to 0-100 "
                    f"({clamped:g}); correct one of them or leave the reported value out",
                )
        _in_range(reported, 0, 100, f"{prefix}.migration_percentage_reported", "%")
        acetabular = optional_finite_number(
            self.acetabular_index_deg, f"{prefix}.acetabular_index_deg", "deg"
        )
        _in_range(acetabular, -90, 90, f"{prefix}.acetabular_index_deg", "degrees")
        neck = optional_finite_number(
            self.neck_shaft_angle_deg, f"{prefix}.neck_shaft_angle_deg", "deg"
        )
        _in_range(neck, 0, 180, f"{prefix}.neck_shaft_angle_deg", "degrees")
        head = optional_finite_number(
            self.head_shaft_angle_deg, f"{prefix}.head_shaft_angle_deg", "deg"
        )
        _in_range(head, 0, 180, f"{prefix}.head_shaft_angle_deg", "degrees")
        if all(value is None for value in (reported, acetabular, neck, head)):
            raise InvalidInputError(prefix, "has no measure; give at least one or leave it out")
        object.__setattr__(self, "migration_percentage_raw", raw)
        object.__setattr__(self, "migration_percentage_reported", reported)
        object.__setattr__(self, "acetabular_index_deg", acetabular)
        object.__setattr__(self, "neck_shaft_angle_deg", neck)
        object.__setattr__(self, "head_shaft_angle_deg", head)


_EXAMINATION_FIELDS = (
    "hip_pain",
    "pelvic_obliquity_deg",
    "passive_abduction_deg",
    "scoliosis",
    "windswept_posture",
)


@dataclass(frozen=True)
class VisitRecord:
    """A surveillance visit of one child: its date, whether a film was taken, the measures.

    ``film`` is the optional landmark document of the film (the ``hipcare measure`` input
    shape); the caller validates it. ``recorded_by`` is the user id of the clinician who
    typed the visit in, at ``recorded_at``.
    """

    child_id: int
    visit_date: date
    xray: bool
    recorded_by: int
    recorded_at: datetime
    hips: tuple[HipMeasures, ...] = ()
    film: Mapping[str, Any] | None = None
    examination: Mapping[str, Any] | None = None
    """Findings of the clinical examination (``hip_pain``, ``pelvic_obliquity_deg``,
    ``passive_abduction_deg`` as ``{"right", "left"}``, ``scoliosis``, ``windswept_posture``),
    checked by the surveillance domain; with or without a film."""
    id: int | None = None

    def __post_init__(self) -> None:
        _required_id(self.child_id, "visit.child_id")
        _calendar_date(self.visit_date, "visit.visit_date")
        if not isinstance(self.xray, bool):
            raise InvalidInputError("visit.xray", "must be true or false")
        _required_id(self.recorded_by, "visit.recorded_by")
        object.__setattr__(self, "recorded_at", utc_moment(self.recorded_at, "visit.recorded_at"))
        hips = tuple(self.hips)
        sides = [hip.side for hip in hips]
        if len(set(sides)) != len(sides):
            raise InvalidInputError("visit.hips", "gives the same side twice")
        object.__setattr__(self, "hips", tuple(sorted(hips, key=lambda hip: hip.side.value)))
        if not self.xray and (hips or self.film is not None):
            raise InvalidInputError(
                "visit.xray", "is false but measures or a film are given; set it to true"
            )
        if self.film is not None and not isinstance(self.film, Mapping):
            raise InvalidInputError("visit.film", "must be a film document (a JSON object)")
        if self.examination is not None:
            if not isinstance(self.examination, Mapping):
                raise InvalidInputError("visit.examination", "must be a JSON object of findings")
            unknown = sorted(set(self.examination) - set(_EXAMINATION_FIELDS))
            if unknown:
                raise InvalidInputError(
                    f"visit.examination.{unknown[0]}",
                    f"is not a finding hipcare records ({', '.join(_EXAMINATION_FIELDS)})",
                )
        _record_id(self.id, "visit.id")
        self.to_surveillance_visit()  # the surveillance domain's own checks on the measures

    def hip(self, side: Side) -> HipMeasures | None:
        return next((hip for hip in self.hips if hip.side is side), None)

    def to_surveillance_visit(self) -> Visit:
        """This visit as the surveillance engine sees it (reported MP and HSA per side)."""
        right, left = self.hip(Side.RIGHT), self.hip(Side.LEFT)
        found = self.examination or {}
        abduction = found.get("passive_abduction_deg")
        return Visit(
            pelvic_obliquity_deg=found.get("pelvic_obliquity_deg"),
            hip_pain=found.get("hip_pain"),
            passive_abduction_deg=(
                None
                if not isinstance(abduction, Mapping)
                else HipPair(right=abduction.get("right"), left=abduction.get("left"))
            ),
            scoliosis=found.get("scoliosis"),
            windswept_posture=found.get("windswept_posture"),
            date=self.visit_date,
            xray=self.xray,
            migration_percentage=HipPair(
                right=None if right is None else right.migration_percentage_reported,
                left=None if left is None else left.migration_percentage_reported,
            ),
            head_shaft_angle_deg=HipPair(
                right=None if right is None else right.head_shaft_angle_deg,
                left=None if left is None else left.head_shaft_angle_deg,
            ),
        )


# --- operations and the care plan -------------------------------------------------------------


class OperationStatus(StrEnum):
    """Where an operation plan stands."""

    PROPOSED = "proposed"
    SCHEDULED = "scheduled"
    POSTPONED = "postponed"
    DONE = "done"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class OperationPlan:
    """A planned VDRO (with any procedures done at the same time) for one child.

    ``plate_angle_deg`` is the blade-plate angle (0-180 exclusive; whether the implant suits
    the correction is for ``hipcare osteotomy`` and the surgeon). A scheduled or done
    operation needs its ``surgery_date``. ``wheelchair_user``, ``attends_school`` and
    ``sees_therapists`` are the facts about the child the pathway needs
    (:class:`hipcare.domain.pathway.CareFacts`), kept so that postponing re-dates the same plan;
    None until the pathway is started.
    """

    child_id: int
    sides: Sides
    procedures: tuple[Procedure, ...]
    implant: str
    surgeon_id: int
    weight_bearing: WeightBearing
    positioning_device: bool
    status: OperationStatus = OperationStatus.PROPOSED
    plate_angle_deg: float | None = None
    surgery_date: date | None = None
    id: int | None = None
    wheelchair_user: bool | None = None
    attends_school: bool | None = None
    sees_therapists: bool | None = None

    def __post_init__(self) -> None:
        _required_id(self.child_id, "operation.child_id")
        for name in ("wheelchair_user", "attends_school", "sees_therapists"):
            if getattr(self, name) is not None and not isinstance(getattr(self, name), bool):
                raise InvalidInputError(f"operation.{name}", "must be true, false or not known")
        _required_id(self.surgeon_id, "operation.surgeon_id")
        if not isinstance(self.sides, Sides):
            raise InvalidInputError("operation.sides", f"must be one of {choices(Sides)}")
        procedures = tuple(self.procedures)
        if not all(isinstance(procedure, Procedure) for procedure in procedures):
            raise InvalidInputError("operation.procedures", f"each is one of {choices(Procedure)}")
        if Procedure.VDRO not in procedures:
            raise InvalidInputError("operation.procedures", "must include 'vdro'")
        if len(set(procedures)) != len(procedures):
            raise InvalidInputError("operation.procedures", "lists the same procedure twice")
        object.__setattr__(self, "procedures", procedures)
        object.__setattr__(
            self, "implant", _text(self.implant, "operation.implant", "the implant planned")
        )
        if not isinstance(self.weight_bearing, WeightBearing):
            raise InvalidInputError(
                "operation.weight_bearing", f"must be one of {choices(WeightBearing)}"
            )
        if not isinstance(self.positioning_device, bool):
            raise InvalidInputError("operation.positioning_device", "must be true or false")
        if not isinstance(self.status, OperationStatus):
            raise InvalidInputError(
                "operation.status", f"must be one of {choices(OperationStatus)}"
            )
        angle = optional_finite_number(self.plate_angle_deg, "operation.plate_angle_deg", "degrees")
        if angle is not None and not 0 < angle < 180:
            raise InvalidInputError(
                "operation.plate_angle_deg", f"{angle:g} is not an angle between 0 and 180 degrees"
            )
        object.__setattr__(self, "plate_angle_deg", angle)
        if self.surgery_date is not None:
            _calendar_date(self.surgery_date, "operation.surgery_date")
        elif self.status in (OperationStatus.SCHEDULED, OperationStatus.DONE):
            raise InvalidInputError(
                "operation.surgery_date", f"an operation that is {self.status} needs its date"
            )
        _record_id(self.id, "operation.id")


@dataclass(frozen=True)
class CarePlanItemState:
    """Whether one item of a child's care plan (a pathway item id) is done, and by whom."""

    operation_plan_id: int
    item_id: str
    due_date: date
    done_at: datetime | None = None
    done_by: int | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        _required_id(self.operation_plan_id, "care_plan_item.operation_plan_id")
        _slug(self.item_id, "care_plan_item.item_id")
        _calendar_date(self.due_date, "care_plan_item.due_date")
        if (self.done_at is None) != (self.done_by is None):
            raise InvalidInputError(
                "care_plan_item.done_by", "done_at and done_by go together: give both or neither"
            )
        if self.done_at is not None:
            object.__setattr__(self, "done_at", utc_moment(self.done_at, "care_plan_item.done_at"))
        _record_id(self.done_by, "care_plan_item.done_by")
        _record_id(self.id, "care_plan_item.id")

    @property
    def done(self) -> bool:
        return self.done_at is not None


@dataclass(frozen=True)
class Alert:
    """Something the team must see about a child (``kind`` is a code such as ``red-skin``)."""

    child_id: int
    kind: str
    raised_at: datetime
    acknowledged_by: int | None = None
    acknowledged_at: datetime | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        _required_id(self.child_id, "alert.child_id")
        _slug(self.kind, "alert.kind")
        object.__setattr__(self, "raised_at", utc_moment(self.raised_at, "alert.raised_at"))
        if (self.acknowledged_by is None) != (self.acknowledged_at is None):
            raise InvalidInputError(
                "alert.acknowledged_by",
                "acknowledged_by and acknowledged_at go together: give both or neither",
            )
        if self.acknowledged_at is not None:
            moment = utc_moment(self.acknowledged_at, "alert.acknowledged_at")
            if moment < self.raised_at:
                raise InvalidInputError("alert.acknowledged_at", "is before the alert was raised")
            object.__setattr__(self, "acknowledged_at", moment)
        _record_id(self.acknowledged_by, "alert.acknowledged_by")
        _record_id(self.id, "alert.id")


# --- identifiers from other systems ----------------------------------------------------------


@dataclass(frozen=True)
class ExternalIdentifier:
    """An identifier another system gave one of our records (a FHIR ``Identifier``).

    ``system`` is the namespace URI, ``value`` the identifier in it; one (kind, system,
    value) names at most one record, so importing the same resource again updates that record
    instead of adding a second one.
    """

    entity_type: EntityType
    entity_id: int
    system: str
    value: str

    def __post_init__(self) -> None:
        if not isinstance(self.entity_type, EntityType):
            raise InvalidInputError(
                "identifier.entity_type", f"must be one of {choices(EntityType)}"
            )
        _required_id(self.entity_id, "identifier.entity_id")
        for name, limit in (("system", 255), ("value", 255)):
            text = getattr(self, name)
            if not isinstance(text, str) or not text.strip() or text != text.strip():
                raise InvalidInputError(
                    f"identifier.{name}", "must be non-empty text without surrounding spaces"
                )
            refuse_control_characters(text, f"identifier.{name}")
            if len(text) > limit:
                raise InvalidInputError(f"identifier.{name}", f"is longer than {limit} characters")


# --- audit ------------------------------------------------------------------------------------


class AuditAction(StrEnum):
    """What a user did to a record."""

    CHILD_REGISTERED = "child.registered"
    CHILD_READ = "child.read"
    CHILD_LISTED = "child.listed"
    VISIT_RECORDED = "visit.recorded"
    ACCESS_DENIED = "access.denied"
    CHILD_UPDATED = "child.updated"
    VISIT_UPDATED = "visit.updated"
    CHILD_EXPORTED = "child.exported"
    OPERATION_PLANNED = "operation.planned"
    OPERATION_POSTPONED = "operation.postponed"
    OPERATION_DONE = "operation.done"
    PATHWAY_STARTED = "pathway.started"
    CARE_ITEM_TICKED = "care-item.ticked"
    ALERT_ACKNOWLEDGED = "alert.acknowledged"
    FAMILY_INVITED = "family.invited"
    INVITATION_ACCEPTED = "invitation.accepted"
    CARE_PLAN_READ = "care-plan.read"
    DIARY_RECORDED = "diary.recorded"
    DIARY_READ = "diary.read"
    ALERT_RAISED = "alert.raised"
    CALENDAR_LINK_CHANGED = "calendar-link.changed"
    CALENDAR_READ = "calendar.read"
    REMINDER_SENT = "reminder.sent"
    RADIOGRAPH_STORED = "radiograph.stored"
    RADIOGRAPH_READ = "radiograph.read"
    RADIOGRAPH_MEASURED = "radiograph.measured"
    REFERRAL_RECORDED = "referral.recorded"
    REFERRAL_SEEN = "referral.seen"
    CARE_ITEM_UNTICKED = "care-item.unticked"
    OUTCOME_RECORDED = "outcome.recorded"
    OUTCOME_READ = "outcome.read"
    SITE_REPORT_READ = "site-report.read"
    # Single sign-on (issue 18): each is written once per site the user's access touches.
    USER_SIGNED_IN = "user.signed-in"
    USER_CREATED = "user.created"
    USER_ACCESS_CHANGED = "user.access-changed"
    PACS_SEARCHED = "pacs.searched"
    PACS_PULL_REFUSED = "pacs.pull-refused"
    ALERT_ROUTES_CHANGED = "alert-routes.changed"
    ALERT_ROUTES_READ = "alert-routes.read"
    AUDIT_LOG_READ = "audit-log.read"
    # A word with the team (issue 17): a message posted, a thread read (family or staff).
    MESSAGE_POSTED = "message.posted"
    MESSAGES_READ = "messages.read"


class EntityType(StrEnum):
    """The kind of record an audit entry points at."""

    CHILD = "child"
    VISIT = "visit"
    SITE = "site"
    RADIOGRAPH = "radiograph"


@dataclass(frozen=True)
class AuditEntry:
    """Who did what to which record, when: ids only, never names, birth dates or values."""

    actor_id: int
    action: AuditAction
    entity_type: EntityType
    entity_id: str
    at: datetime
    id: int | None = None

    def __post_init__(self) -> None:
        _required_id(self.actor_id, "audit.actor_id")
        if not isinstance(self.action, AuditAction):
            raise InvalidInputError("audit.action", f"must be one of {choices(AuditAction)}")
        if not isinstance(self.entity_type, EntityType):
            raise InvalidInputError("audit.entity_type", f"must be one of {choices(EntityType)}")
        if not isinstance(self.entity_id, str) or not _OPAQUE_ID.fullmatch(self.entity_id):
            raise InvalidInputError(
                "audit.entity_id", "must be a record id (letters, digits, '.', '_' or '-')"
            )
        object.__setattr__(self, "at", utc_moment(self.at, "audit.at"))
        _record_id(self.id, "audit.id")
