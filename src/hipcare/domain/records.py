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

Visits live in ``hipcare.domain.visit_records``, operations and the care plan in
``hipcare.domain.operation_records``, the shared checks in ``hipcare.domain.record_fields``;
all are re-exported here under their names.

Pure: standard library only; times are handed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from hipcare.domain.checks import choices, optional_finite_number
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.gmfcs import GMFCS
from hipcare.domain.identity import AdministrativeSex, HospitalNumber
from hipcare.domain.operation_records import (
    PLATE_ANGLE_RANGE_DEG,
    Alert,
    CarePlanItemState,
    OperationPlan,
    OperationStatus,
)
from hipcare.domain.record_fields import (
    check_calendar_date,
    check_in_range,
    check_language,
    check_name,
    check_record_id,
    check_required_id,
    check_slug,
    check_text,
    name_search_key,
    refuse_control_characters,
    utc_moment,
)
from hipcare.domain.visit_records import HipMeasures, VisitRecord

__all__ = [
    "COMMAND_LINE_ACTOR_ID",
    "PLATE_ANGLE_RANGE_DEG",
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

_OPAQUE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9][0-9 ()-]{2,30}")
_MIN_GESTATION_WEEKS = 20.0
_EARLIEST_BIRTH_DATE = date(1900, 1, 1)
"""Plausibility, not a clinical rule: an earlier birth date is a typing mistake (0001-01-01)."""
_MAX_GESTATION_WEEKS = 45.0


# --- sites and staff --------------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    """A hospital or health service of the network; ``id`` is the slug used everywhere."""

    id: str
    name: str

    def __post_init__(self) -> None:
        check_slug(self.id, "site.id")
        object.__setattr__(self, "name", check_text(self.name, "site.name", "the site's name"))


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
    hipcare never stores a password itself. ``deactivated_at``: when a site administrator
    deactivated the account (it cannot sign in from then on); ``second_factor``: whether a
    TOTP authenticator is set up and confirmed (its secret is stored apart, never here).
    """

    email: str
    display_name: str
    role: Role
    profession: Profession | None
    site_ids: frozenset[str] = frozenset()
    password_hash: str | None = None
    id: int | None = None
    surgeon_profile: str | None = None
    deactivated_at: datetime | None = None
    second_factor: bool = False

    def __post_init__(self) -> None:
        if self.deactivated_at is not None:
            object.__setattr__(
                self, "deactivated_at", utc_moment(self.deactivated_at, "user.deactivated_at")
            )
        if not isinstance(self.second_factor, bool):
            raise InvalidInputError("user.second_factor", "must be true or false")
        if not isinstance(self.email, str) or not _EMAIL.fullmatch(self.email.strip()):
            raise InvalidInputError("user.email", f"{self.email!r} is not an email address")
        refuse_control_characters(self.email.strip(), "user.email")
        object.__setattr__(self, "email", self.email.strip().lower())
        object.__setattr__(
            self,
            "display_name",
            check_name(self.display_name, "user.display_name", "a name to show"),
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
            frozenset(check_slug(site, "user.site_ids") for site in self.site_ids),
        )
        if self.password_hash is not None and (
            not isinstance(self.password_hash, str) or not self.password_hash.startswith("$argon2")
        ):
            raise InvalidInputError(
                "user.password_hash", "must be an argon2 hash ('$argon2id$...'), never a password"
            )
        check_record_id(self.id, "user.id")
        if self.surgeon_profile is not None:
            check_slug(self.surgeon_profile, "user.surgeon_profile")
            if self.profession is not Profession.SURGEON:
                raise InvalidInputError(
                    "user.surgeon_profile", "only a surgeon has a surgeon preference profile"
                )

    def belongs_to(self, site_id: str) -> bool:
        return site_id in self.site_ids

    @property
    def active(self) -> bool:
        """Whether the account may sign in (not deactivated)."""
        return self.deactivated_at is None


# --- children ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FamilyContact:
    """Someone the team can reach about the child: name, relationship, phone and/or email."""

    name: str
    relationship: str
    phone: str | None = None
    email: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", check_name(self.name, "contact.name", "the person's name"))
        object.__setattr__(
            self,
            "relationship",
            check_text(
                self.relationship, "contact.relationship", "who they are (mother, carer...)"
            ),
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
    ``merged_into``: the id of the child this record was found to duplicate and was merged
    into by a site administrator; the record then stays, read-only, and off the worklist.
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
    merged_into: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "given_name", check_name(self.given_name, "child.given_name", "the child's name")
        )
        check_record_id(self.merged_into, "child.merged_into")
        if self.merged_into is not None and self.merged_into == self.id:
            raise InvalidInputError("child.merged_into", "a child cannot be merged into itself")
        object.__setattr__(
            self,
            "family_name",
            check_name(self.family_name, "child.family_name", "the child's family name"),
        )
        check_calendar_date(self.date_of_birth, "child.date_of_birth")
        if self.date_of_birth < _EARLIEST_BIRTH_DATE:
            raise InvalidInputError(
                "child.date_of_birth",
                f"{self.date_of_birth.isoformat()} is before 1900; check the year",
            )
        check_slug(self.site_id, "child.site_id")
        check_language(self.preferred_language, "child.preferred_language")
        if self.gmfcs is not None and not isinstance(self.gmfcs, GMFCS):
            raise InvalidInputError("child.gmfcs", f"{self.gmfcs!r} is not a GMFCS level")
        weeks = optional_finite_number(self.gestation_weeks, "child.gestation_weeks", "weeks")
        check_in_range(
            weeks, _MIN_GESTATION_WEEKS, _MAX_GESTATION_WEEKS, "child.gestation_weeks", "weeks"
        )
        object.__setattr__(self, "gestation_weeks", weeks)
        contacts = tuple(self.contacts)
        for index, contact in enumerate(contacts):
            if not isinstance(contact, FamilyContact):
                raise InvalidInputError(f"child.contacts[{index}]", "is not a family contact")
        object.__setattr__(self, "contacts", contacts)
        check_record_id(self.id, "child.id")
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
        check_required_id(self.entity_id, "identifier.entity_id")
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


COMMAND_LINE_ACTOR_ID = 0
"""``AuditEntry.actor_id`` of a row whose actor is a command-line run (``AuditEntry.command``)."""
_COMMAND = re.compile(r"hipcare [a-z][a-z-]{0,40}")


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
    STAFF_LISTED = "staff.listed"
    STAFF_INVITED = "staff.invited"
    STAFF_UPDATED = "staff.updated"
    STAFF_DEACTIVATED = "staff.deactivated"
    STAFF_REACTIVATED = "staff.reactivated"
    PASSWORD_SET = "password.set"  # noqa: S105 -- an audit action, not a password
    PASSWORD_CHANGED = "password.changed"  # noqa: S105 -- an audit action, not a password
    PASSWORD_RESET_REQUESTED = "password.reset-requested"  # noqa: S105 -- an audit action
    PASSWORD_RESET = "password.reset"  # noqa: S105 -- an audit action, not a password
    PASSWORD_REHASHED = "password.rehashed"  # noqa: S105 -- an audit action, not a password
    SECOND_FACTOR_ENROLLED = "second-factor.enrolled"
    SECOND_FACTOR_REFUSED = "second-factor.refused"
    RECOVERY_CODE_USED = "recovery-code.used"
    CARE_ITEM_REOPENED = "care-item.reopened"
    POSTPONEMENT_EMAILED = "postponement.emailed"
    DAY_OF_SURGERY_SET = "day-of-surgery.set"
    RADIOGRAPH_CONFIRMED = "radiograph.confirmed"
    CHILD_MERGED = "child.merged"
    REGISTRY_EXPORTED = "registry.exported"
    # A word with the team (issue 17): a message posted, a thread read (family or staff).
    MESSAGE_POSTED = "message.posted"
    MESSAGES_READ = "messages.read"


class EntityType(StrEnum):
    """The kind of record an audit entry points at."""

    CHILD = "child"
    VISIT = "visit"
    SITE = "site"
    RADIOGRAPH = "radiograph"
    USER = "user"  # a staff or family account (staff administration, passwords, TOTP)


@dataclass(frozen=True)
class AuditEntry:
    """Who did what to which record, when: ids only, never names, birth dates or values.

    ``command``: a run of the command line with no hipcare user behind it (``hipcare
    report``, ``hipcare registry-export``) names its command here as the actor, and
    ``actor_id`` is then :data:`COMMAND_LINE_ACTOR_ID`.
    """

    actor_id: int
    action: AuditAction
    entity_type: EntityType
    entity_id: str
    at: datetime
    id: int | None = None
    command: str | None = None

    def __post_init__(self) -> None:
        if self.command is not None:
            if not isinstance(self.command, str) or not _COMMAND.fullmatch(self.command):
                raise InvalidInputError(
                    "audit.command", "must be a hipcare command such as 'hipcare report'"
                )
            if self.actor_id != COMMAND_LINE_ACTOR_ID:
                raise InvalidInputError(
                    "audit.actor_id", "a command-line row has no user: give COMMAND_LINE_ACTOR_ID"
                )
        else:
            check_required_id(self.actor_id, "audit.actor_id")
        if not isinstance(self.action, AuditAction):
            raise InvalidInputError("audit.action", f"must be one of {choices(AuditAction)}")
        if not isinstance(self.entity_type, EntityType):
            raise InvalidInputError("audit.entity_type", f"must be one of {choices(EntityType)}")
        if not isinstance(self.entity_id, str) or not _OPAQUE_ID.fullmatch(self.entity_id):
            raise InvalidInputError(
                "audit.entity_id", "must be a record id (letters, digits, '.', '_' or '-')"
            )
        object.__setattr__(self, "at", utc_moment(self.at, "audit.at"))
        check_record_id(self.id, "audit.id")
