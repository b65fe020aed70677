"""Pydantic models of the JSON API: what ``/openapi.json`` promises, and the API keeps.

Response models are built from domain values by the ``from_*`` functions; request models
only describe the shape (the services check the values and name the field at fault).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from hipcare.domain.records import AuditEntry, Child, FamilyContact, HipMeasures, User, VisitRecord
from hipcare.services.accounts import SessionUser

__all__ = [
    "API_ERRORS",
    "CLINICAL_API_ERRORS",
    "CONFLICT",
    "NOT_FOUND",
    "RECORD_ID_MAX",
    "AuditEntryOut",
    "ChildIn",
    "ChildOut",
    "ChildSummary",
    "ContactIn",
    "ContactOut",
    "Health",
    "HipMeasuresOut",
    "HospitalNumberIn",
    "HospitalNumberOut",
    "LikelyDuplicatesOut",
    "Me",
    "MergeIn",
    "MergedOut",
    "Problem",
    "RecordId",
    "SignInIn",
    "SignInOut",
    "VisitOut",
    "audit_entry_out",
    "child_out",
    "child_summary",
    "me_out",
    "parse_record_id",
    "visit_out",
]


RECORD_ID_MAX = 2**63 - 1
RecordId = Annotated[
    int, Path(ge=1, le=RECORD_ID_MAX, description="a record's id (a positive 64-bit integer)")
]
"""A record id in a path. Both databases store ids as 64-bit integers: a larger number made
the driver raise (a 500) instead of the 404/422 the schema promises (found by schemathesis)."""


def parse_record_id(text: str) -> int | None:
    """The number ``text`` spells in ASCII digits if it is 1 to ``RECORD_ID_MAX``, else None.

    For ids (and counts) read from text outside a path: ``str.isdigit`` alone admits digits
    ``int`` refuses ("²") and numbers no 64-bit column holds, and both were 500s."""
    digits = text.lstrip("0")
    if not text.isascii() or not text.isdigit() or len(digits) > len(str(RECORD_ID_MAX)):
        return None
    number = int(text)
    return number if 1 <= number <= RECORD_ID_MAX else None


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    database: Literal["ok", "unreachable"]
    dialect: str = Field(description="the database in use: sqlite or postgresql")


class Problem(BaseModel):
    """What was wrong: the field at fault (dotted path) and what to do about it."""

    field: str
    problem: str


API_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "the body could not be read as JSON"},
    401: {"model": Problem, "description": "not signed in"},
    403: {"model": Problem, "description": "not allowed, or the CSRF token is missing"},
    422: {"model": Problem, "description": "the input is not valid; `field` says where"},
}
"""The refusals every call under ``/api`` may answer (as OpenAPI ``responses``)."""
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "no such record"}
}
"""The refusal of a call that names a record (as OpenAPI ``responses``)."""
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {
        "model": Problem,
        "description": "someone else changed the record first (a tick, an acknowledgement, an "
        "edit); nothing was changed: reload and decide again",
    }
}
"""The refusal of a write that lost to another one (as OpenAPI ``responses``)."""
CLINICAL_API_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "the body could not be read as JSON"},
    401: {"model": Problem, "description": "not signed in"},
    403: {"model": Problem, "description": "not allowed, or the CSRF token is missing"},
    404: {"model": Problem, "description": "no such child or site"},
    422: {"model": Problem, "description": "the input is not valid; `field` says where"},
}
"""The refusals of the care team's calls on a child or a site (visits, worklist, operations,
dashboard)."""


class SignInIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)
    code: str | None = Field(
        default=None,
        max_length=64,
        description="the TOTP code (or a recovery code) of an account with a second factor",
    )


class Me(BaseModel):
    id: int
    email: str
    display_name: str
    role: Literal["clinician", "site-administrator", "family"]
    profession: Literal["surgeon", "nurse", "physiotherapist", "occupational-therapist"] | None
    site_ids: list[str]


class SignInOut(BaseModel):
    user: Me
    csrf_token: str = Field(description="send it in the X-CSRF-Token header of every POST")


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=200)
    relationship: str = Field(max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=320)


class HospitalNumberIn(BaseModel):
    """A hospital number (MRN) with the system (hospital) that issued it."""

    model_config = ConfigDict(extra="forbid")

    system: str = Field(max_length=255)
    value: str = Field(max_length=64)


class HospitalNumberOut(BaseModel):
    system: str
    value: str


class ChildIn(BaseModel):
    """A child to register. ``gmfcs`` is I-V or "unknown"; ``site`` is a site id."""

    model_config = ConfigDict(extra="forbid")

    given_name: str = Field(max_length=200)
    family_name: str = Field(max_length=200)
    date_of_birth: str = Field(description="YYYY-MM-DD", max_length=10)
    site: str = Field(max_length=64)
    preferred_language: Literal["en", "ar", "zh-Hans", "zh-Hant", "vi", "fa"] = "en"
    gmfcs: Literal["I", "II", "III", "IV", "V", "unknown"] | None = None
    gestation_weeks: float | None = Field(default=None, ge=20, le=45)
    contacts: list[ContactIn] = Field(default_factory=list, max_length=10)
    administrative_sex: Literal["male", "female", "other", "unknown"] = "unknown"
    hospital_numbers: list[HospitalNumberIn] = Field(default_factory=list, max_length=10)
    confirm_not_duplicate: bool = Field(
        default=False,
        description="true registers the child even though a likely duplicate exists (409)",
    )


class ContactOut(BaseModel):
    name: str
    relationship: str
    phone: str | None
    email: str | None


class ChildSummary(BaseModel):
    id: int
    given_name: str
    family_name: str
    date_of_birth: date
    site: str
    administrative_sex: Literal["male", "female", "other", "unknown"]
    hospital_numbers: list[HospitalNumberOut]


class LikelyDuplicatesOut(BaseModel):
    """Registration refused (409): these children of the site may be the same child."""

    duplicates: list[ChildSummary]


class MergeIn(BaseModel):
    """Merging a duplicate: ``confirm`` true says the site administrator means it."""

    model_config = ConfigDict(extra="forbid")

    confirm: bool = Field(
        default=False, strict=True, description="must be true: a merge is not undone by hipcare"
    )


class MergedOut(BaseModel):
    """The duplicate ``child_id`` is now merged into ``merged_into`` (read-only)."""

    child_id: int
    merged_into: int


class HipMeasuresOut(BaseModel):
    side: Literal["right", "left"]
    migration_percentage_raw: float | None
    migration_percentage_reported: float | None
    acetabular_index_deg: float | None
    neck_shaft_angle_deg: float | None
    head_shaft_angle_deg: float | None


class VisitOut(BaseModel):
    id: int
    visit_date: date
    xray: bool
    recorded_by: int
    recorded_at: datetime
    hips: list[HipMeasuresOut]
    examination: dict[str, Any] | None = None


class ChildOut(ChildSummary):
    preferred_language: str
    gmfcs: Literal["I", "II", "III", "IV", "V"] | None
    gestation_weeks: float | None
    contacts: list[ContactOut]
    visits: list[VisitOut]


class AuditEntryOut(BaseModel):
    id: int
    actor_id: int
    action: str
    entity_type: str
    entity_id: str
    at: datetime


def me_out(user: User) -> Me:
    if user.id is None:  # pragma: no cover -- a signed-in user is stored
        raise ValueError("a signed-in user has an id")
    return Me(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        role=user.role.value,
        profession=None if user.profession is None else user.profession.value,
        site_ids=sorted(user.site_ids),
    )


def _contact(contact: FamilyContact) -> ContactOut:
    return ContactOut(
        name=contact.name,
        relationship=contact.relationship,
        phone=contact.phone,
        email=contact.email,
    )


def _hip(hip: HipMeasures) -> HipMeasuresOut:
    return HipMeasuresOut(
        side=hip.side.value,
        migration_percentage_raw=hip.migration_percentage_raw,
        migration_percentage_reported=hip.migration_percentage_reported,
        acetabular_index_deg=hip.acetabular_index_deg,
        neck_shaft_angle_deg=hip.neck_shaft_angle_deg,
        head_shaft_angle_deg=hip.head_shaft_angle_deg,
    )


def visit_out(visit: VisitRecord) -> VisitOut:
    return VisitOut(
        id=visit.id or 0,
        visit_date=visit.visit_date,
        xray=visit.xray,
        recorded_by=visit.recorded_by,
        recorded_at=visit.recorded_at,
        hips=[_hip(hip) for hip in visit.hips],
        examination=None if visit.examination is None else dict(visit.examination),
    )


def child_summary(child: Child) -> ChildSummary:
    return ChildSummary(
        id=child.id or 0,
        given_name=child.given_name,
        family_name=child.family_name,
        date_of_birth=child.date_of_birth,
        site=child.site_id,
        administrative_sex=child.administrative_sex.value,
        hospital_numbers=[
            HospitalNumberOut(system=number.system, value=number.value)
            for number in child.hospital_numbers
        ],
    )


def child_out(child: Child, visits: tuple[VisitRecord, ...]) -> ChildOut:
    return ChildOut(
        **child_summary(child).model_dump(),
        preferred_language=child.preferred_language,
        gmfcs=None if child.gmfcs is None else child.gmfcs.value,
        gestation_weeks=child.gestation_weeks,
        contacts=[_contact(contact) for contact in child.contacts],
        visits=[visit_out(visit) for visit in visits],
    )


def audit_entry_out(entry: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut(
        id=entry.id or 0,
        actor_id=entry.actor_id,
        action=entry.action.value,
        entity_type=entry.entity_type.value,
        entity_id=entry.entity_id,
        at=entry.at,
    )


def signed_in_out(user: SessionUser) -> SignInOut:
    return SignInOut(user=me_out(user.user), csrf_token=user.csrf_token)
