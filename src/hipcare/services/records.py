"""Use cases on children's records: register, find, read, record a visit.

A site's worklist is in :mod:`hipcare.services.worklist`; who may do what and the audit
rows in :mod:`hipcare.services.access`; the JSON checks in :mod:`hipcare.services.json_input`.

Each use case is a plain function given a unit of work (``hipcare.services.ports``), the id
of the acting user, JSON-shaped input where there is any, and the time: ``now`` (a
timezone-aware moment, written to the audit log) and, where dates are judged, ``today``
(the clinic's calendar day). Entry points supply both; nothing here reads the clock.

Rules every use case keeps:

- **Authorisation.** A user may only touch children of the sites they belong to; recording
  measures also needs a clinician. Anything else raises
  :class:`~hipcare.services.access.PermissionDeniedError`,
  after an ``access.denied`` audit row is committed.
- **Audit.** Every read and every change of a child's record writes an audit row (who,
  what, which record, when): ids only, never names, dates of birth or clinical values.
- **Validation.** Input becomes domain values, which refuse impossible records and name
  the field at fault (:class:`~hipcare.domain.errors.InvalidInputError`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from hipcare.domain.checks import choices
from hipcare.domain.errors import HipcareError, InvalidInputError
from hipcare.domain.gmfcs import parse_gmfcs
from hipcare.domain.identity import AdministrativeSex, HospitalNumber, is_likely_duplicate
from hipcare.domain.radiograph import Side
from hipcare.domain.records import (
    AuditAction,
    Child,
    EntityType,
    FamilyContact,
    HipMeasures,
    Role,
    VisitRecord,
    name_search_key,
)
from hipcare.domain.surveillance import SurveillanceRules
from hipcare.services.access import PermissionDeniedError, child_for, deny, find_actor, write_audit
from hipcare.services.json_input import (
    json_object,
    optional_number,
    optional_text,
    parse_date,
    refuse_unknown_keys,
)
from hipcare.services.ports import UnitOfWork
from hipcare.services.radiograph import parse_film
from hipcare.services.surveillance import parse_examination
from hipcare.services.surveillance_status import (
    refresh_statuses,
)

__all__ = [
    "CHILD_KEYS",
    "CONTACT_KEYS",
    "HIP_MEASURE_KEYS",
    "MINIMUM_SEARCH_LENGTH",
    "VISIT_KEYS",
    "ChildFile",
    "LikelyDuplicateError",
    "PermissionDeniedError",
    "find_children",
    "get_child",
    "likely_duplicates",
    "parse_child",
    "parse_visit",
    "record_visit",
    "register_child",
]

CHILD_KEYS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "site",
    "preferred_language",
    "gmfcs",
    "gestation_weeks",
    "contacts",
    "administrative_sex",
    "hospital_numbers",
)
HOSPITAL_NUMBER_KEYS = ("system", "value")
CONTACT_KEYS = ("name", "relationship", "phone", "email")
VISIT_KEYS = ("visit_date", "xray", "right", "left", "film", "examination")
HIP_MEASURE_KEYS = (
    "migration_percentage_raw",
    "migration_percentage_reported",
    "acetabular_index_deg",
    "neck_shaft_angle_deg",
    "head_shaft_angle_deg",
)
MINIMUM_SEARCH_LENGTH = 2
"""Fewest letters a name search needs (a single letter would list most of a site)."""


@dataclass(frozen=True)
class ChildFile:
    """A child's record as a clinician reads it: the child and their visits, oldest first."""

    child: Child
    visits: tuple[VisitRecord, ...]


# --- JSON -> domain values ---------------------------------------------------------------------


_RECORD_PREFIXES = ("child.", "contact.", "visit.")


def _prefixed(error: InvalidInputError, prefix: str) -> InvalidInputError:
    """The domain's error with its record name swapped for the form's ``prefix``."""
    field = error.field
    for record in _RECORD_PREFIXES:
        if field.startswith(record):
            field = field.removeprefix(record)
            break
    return InvalidInputError(f"{prefix}{field}", error.problem)


def parse_child(document: object, *, today: date) -> Child:
    """A child from a JSON-shaped registration form; errors name the field at fault.

    Keys: ``given_name``, ``family_name``, ``date_of_birth`` (YYYY-MM-DD, not after
    ``today``), ``site`` (site id), optional ``preferred_language`` (default "en"),
    ``gmfcs`` (I-V or "unknown"), ``gestation_weeks``, ``contacts`` (a list of objects
    with ``name``, ``relationship``, ``phone`` and/or ``email``), ``administrative_sex``
    (male, female, other or unknown, the default) and ``hospital_numbers`` (a list of
    objects with the issuing ``system`` and the ``value``).
    """
    form = json_object(
        document,
        "child",
        "must be a JSON object with given_name, family_name, date_of_birth and site",
    )
    refuse_unknown_keys(form, CHILD_KEYS, "")
    for key in ("given_name", "family_name", "date_of_birth", "site"):
        if key not in form:
            raise InvalidInputError(key, "is missing")
    born = parse_date(form["date_of_birth"], "date_of_birth")
    if born > today:
        raise InvalidInputError(
            "date_of_birth", f"{born.isoformat()} is after today ({today.isoformat()})"
        )
    raw_contacts = form.get("contacts", [])
    if not isinstance(raw_contacts, list):
        raise InvalidInputError("contacts", "must be a list of contacts")
    contacts = []
    for index, raw in enumerate(raw_contacts):
        prefix = f"contacts[{index}]."
        contact = json_object(
            raw, prefix.rstrip("."), "must be a JSON object with name, relationship, phone or email"
        )
        refuse_unknown_keys(contact, CONTACT_KEYS, prefix)
        phone = optional_text(contact.get("phone"), f"{prefix}phone")
        email = optional_text(contact.get("email"), f"{prefix}email")
        try:
            contacts.append(
                FamilyContact(
                    name=contact.get("name", ""),
                    relationship=contact.get("relationship", ""),
                    phone=phone,
                    email=email,
                )
            )
        except InvalidInputError as error:
            raise _prefixed(error, prefix) from None
    try:
        return Child(
            given_name=form["given_name"],
            family_name=form["family_name"],
            date_of_birth=born,
            site_id=form["site"],
            preferred_language=form.get("preferred_language", "en"),
            gmfcs=parse_gmfcs(form.get("gmfcs")),
            gestation_weeks=optional_number(
                form.get("gestation_weeks"), "gestation_weeks", "weeks"
            ),
            contacts=tuple(contacts),
            administrative_sex=_administrative_sex(form.get("administrative_sex", "unknown")),
            hospital_numbers=_hospital_numbers(form.get("hospital_numbers", [])),
        )
    except InvalidInputError as error:
        if error.field == "child.site_id":
            raise InvalidInputError("site", error.problem) from None
        raise _prefixed(error, "") from None


def _administrative_sex(value: object) -> AdministrativeSex:
    for sex in AdministrativeSex:
        if sex.value == value:
            return sex
    raise InvalidInputError(
        "administrative_sex", f"{value!r} is not one of {choices(AdministrativeSex)}"
    )


def _hospital_numbers(value: object) -> tuple[HospitalNumber, ...]:
    if not isinstance(value, list):
        raise InvalidInputError("hospital_numbers", "must be a list of {system, value} objects")
    numbers = []
    for index, raw in enumerate(value):
        prefix = f"hospital_numbers[{index}]."
        number = json_object(raw, prefix.rstrip("."), "must be a JSON object with system and value")
        refuse_unknown_keys(number, HOSPITAL_NUMBER_KEYS, prefix)
        try:
            numbers.append(HospitalNumber(number.get("system", ""), number.get("value", "")))
        except InvalidInputError as error:
            raise InvalidInputError(
                f"{prefix}{error.field.removeprefix('hospital_number.')}", error.problem
            ) from None
    return tuple(numbers)


def _hip(document: object, side: Side) -> HipMeasures:
    prefix = f"{side.value}."
    measures = json_object(
        document, side.value, "must be a JSON object of measures such as migration_percentage_raw"
    )
    refuse_unknown_keys(measures, HIP_MEASURE_KEYS, prefix)
    unit = {"migration_percentage_raw": "%", "migration_percentage_reported": "%"}
    values = {
        key: optional_number(measures.get(key), f"{prefix}{key}", unit.get(key, "degrees"))
        for key in HIP_MEASURE_KEYS
    }
    return HipMeasures(side=side, **values)


def parse_visit(
    document: object, *, child_id: int, recorded_by: int, recorded_at: datetime
) -> VisitRecord:
    """A visit from a JSON-shaped form: ``visit_date``, ``xray``, optional ``right`` /
    ``left`` measures (``HIP_MEASURE_KEYS``), ``examination`` (findings: hip pain,
    abduction per hip, pelvic obliquity, scoliosis, windswept posture) and ``film`` (the
    ``hipcare measure`` landmark document, checked with the radiograph domain)."""
    form = json_object(document, "visit", "must be a JSON object with visit_date and xray")
    refuse_unknown_keys(form, VISIT_KEYS, "")
    if "visit_date" not in form:
        raise InvalidInputError("visit_date", "is missing; write it as YYYY-MM-DD")
    if not isinstance(form.get("xray"), bool):
        raise InvalidInputError("xray", "must be true or false (was a film taken?)")
    film = form.get("film")
    if film is not None:
        parse_film(film, prefix="film.")
    hips = tuple(_hip(form[side.value], side) for side in Side if form.get(side.value) is not None)
    examination = form.get("examination")
    findings = None if examination is None else parse_examination(examination) or None
    try:
        return VisitRecord(
            child_id=child_id,
            visit_date=parse_date(form["visit_date"], "visit_date"),
            xray=form["xray"],
            recorded_by=recorded_by,
            recorded_at=recorded_at,
            hips=hips,
            film=film,
            examination=findings,
        )
    except InvalidInputError as error:
        raise _prefixed(error, "") from None


# --- use cases ---------------------------------------------------------------------------------


class LikelyDuplicateError(HipcareError):
    """The child being registered is likely one already registered at the site.

    ``duplicates`` are those children (``hipcare.domain.identity.is_likely_duplicate``);
    registering anyway needs ``"confirm_not_duplicate": true``.
    """

    def __init__(self, duplicates: Sequence[Child]) -> None:
        self.duplicates = tuple(duplicates)
        super().__init__(
            f"child: {len(self.duplicates)} child(ren) at the site may be the same child; "
            "check them, then confirm this is not a duplicate"
        )


def likely_duplicates(uow: UnitOfWork, child: Child) -> list[Child]:
    """Children of ``child``'s site who are likely ``child`` again (by id; in a unit of work)."""
    found: dict[int, Child] = {}
    for number in child.hospital_numbers:
        for other in uow.children.with_hospital_number(child.site_id, number.system, number.value):
            found[other.id or 0] = other
    for other in uow.children.born_on(child.site_id, child.date_of_birth):
        if is_likely_duplicate(child, other):
            found[other.id or 0] = other
    # A record merged into another is that other child, who is found on their own.
    return [
        found[child_id]
        for child_id in sorted(found)
        if child_id != child.id and found[child_id].merged_into is None
    ]


def _confirmation(document: object) -> tuple[object, bool]:
    """``document`` without ``confirm_not_duplicate``, and whether it was given as true."""
    if not isinstance(document, dict) or "confirm_not_duplicate" not in document:
        return document, False
    rest = dict(document)
    confirmed = rest.pop("confirm_not_duplicate")
    if not isinstance(confirmed, bool):
        raise InvalidInputError("confirm_not_duplicate", "must be true or false")
    return rest, confirmed


def register_child(
    uow: UnitOfWork,
    actor_id: int,
    document: object,
    *,
    today: date,
    now: datetime,
    rules: SurveillanceRules,
) -> Child:
    """Register a child at a site the actor belongs to, as a clinician (a site administrator
    manages accounts, not records); returns the stored child (with id).

    ``rules`` (the shipped surveillance rules) give the child's first worklist status.
    A child likely registered already at the site (the same hospital number, or the same
    names and date of birth with case and accents folded) is refused with
    :class:`LikelyDuplicateError` naming them, unless the document says
    ``"confirm_not_duplicate": true``; the candidates shown are audited as listed.
    """
    document, confirmed = _confirmation(document)
    child = parse_child(document, today=today)
    with uow:
        actor = find_actor(uow, actor_id)
        if uow.sites.get(child.site_id) is None:
            raise InvalidInputError("site", f"no site {child.site_id!r} is known")
        if not actor.belongs_to(child.site_id):
            deny(
                uow,
                actor,
                EntityType.SITE,
                child.site_id,
                now,
                f"user {actor_id} does not belong to site {child.site_id!r}",
            )
        if actor.role is not Role.CLINICIAN:
            deny(
                uow,
                actor,
                EntityType.SITE,
                child.site_id,
                now,
                f"user {actor_id} is a {actor.role}; only a clinician registers a child",
            )
        duplicates = [] if confirmed else likely_duplicates(uow, child)
        if duplicates:
            for other in duplicates:
                write_audit(uow, actor, AuditAction.CHILD_LISTED, EntityType.CHILD, other.id, now)
            uow.commit()
            raise LikelyDuplicateError(duplicates)
        stored = uow.children.add(child)
        write_audit(uow, actor, AuditAction.CHILD_REGISTERED, EntityType.CHILD, stored.id, now)
        refresh_statuses(uow, [stored.id or 0], rules, today=today, now=now)
        uow.commit()
    return stored


def find_children(
    uow: UnitOfWork, actor_id: int, name: str, *, now: datetime, limit: int = 50
) -> list[Child]:
    """Children of the actor's sites whose names contain ``name`` (accents and case ignored).

    Each child listed is a read of their record and is audited.
    """
    if not isinstance(name, str):
        raise InvalidInputError("name", "must be text")
    key = name_search_key(name)
    if len(key) < MINIMUM_SEARCH_LENGTH:
        raise InvalidInputError(
            "name", f"type at least {MINIMUM_SEARCH_LENGTH} letters of the child's name"
        )
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 500:
        raise InvalidInputError("limit", "must be a whole number from 1 to 500")
    with uow:
        actor = find_actor(uow, actor_id)
        found = list(uow.children.search(key, actor.site_ids, limit))
        for child in found:
            write_audit(uow, actor, AuditAction.CHILD_LISTED, EntityType.CHILD, child.id, now)
        uow.commit()
    return found


def get_child(uow: UnitOfWork, actor_id: int, child_id: int, *, now: datetime) -> ChildFile:
    """The child's record with their visits; the read is audited."""
    with uow:
        actor = find_actor(uow, actor_id)
        child = child_for(uow, actor, child_id, now)
        visits = tuple(uow.visits.for_child(child_id))
        write_audit(uow, actor, AuditAction.CHILD_READ, EntityType.CHILD, child_id, now)
        uow.commit()
    return ChildFile(child=child, visits=visits)


def record_visit(
    uow: UnitOfWork,
    actor_id: int,
    child_id: int,
    document: object,
    *,
    today: date,
    now: datetime,
    rules: SurveillanceRules,
) -> VisitRecord:
    """Record a visit with measures typed in by a clinician of the child's site.

    The visit date must lie between the child's date of birth and ``today``.
    """
    with uow:
        actor = find_actor(uow, actor_id)
        child = child_for(uow, actor, child_id, now, for_change=True)
        if actor.role is not Role.CLINICIAN:
            deny(
                uow,
                actor,
                EntityType.CHILD,
                child_id,
                now,
                f"user {actor_id} is a {actor.role}; only a clinician records measures",
            )
        visit = parse_visit(document, child_id=child_id, recorded_by=actor_id, recorded_at=now)
        if visit.visit_date > today:
            raise InvalidInputError(
                "visit_date",
                f"{visit.visit_date.isoformat()} is in the future (today is {today.isoformat()})",
            )
        if visit.visit_date < child.date_of_birth:
            raise InvalidInputError("visit_date", "is before the child's date of birth")
        stored = uow.visits.add(visit)
        write_audit(uow, actor, AuditAction.VISIT_RECORDED, EntityType.VISIT, stored.id, now)
        refresh_statuses(uow, [child_id], rules, today=today, now=now)
        uow.commit()
    return stored
