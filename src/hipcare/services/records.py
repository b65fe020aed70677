"""Use cases on children's records: register, find, read, record a visit, a site's worklist.

Each use case is a plain function given a unit of work (``hipcare.services.ports``), the id
of the acting user, JSON-shaped input where there is any, and the time: ``now`` (a
timezone-aware moment, written to the audit log) and, where dates are judged, ``today``
(the clinic's calendar day). Entry points supply both; nothing here reads the clock.

Rules every use case keeps:

- **Authorisation.** A user may only touch children of the sites they belong to; recording
  measures also needs a clinician. Anything else raises :class:`PermissionDeniedError`,
  after an ``access.denied`` audit row is committed.
- **Audit.** Every read and every change of a child's record writes an audit row (who,
  what, which record, when): ids only, never names, dates of birth or clinical values.
- **Validation.** Input becomes domain values, which refuse impossible records and name
  the field at fault (:class:`~hipcare.domain.errors.InvalidInputError`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NoReturn

from hipcare.content.surveillance import load_surveillance_rules
from hipcare.domain.errors import HipcareError, InvalidInputError
from hipcare.domain.gmfcs import parse_gmfcs
from hipcare.domain.radiograph import Side
from hipcare.domain.records import (
    AuditAction,
    AuditEntry,
    Child,
    EntityType,
    FamilyContact,
    HipMeasures,
    Role,
    User,
    VisitRecord,
    name_search_key,
)
from hipcare.domain.surveillance import (
    RuleStatus,
    SurveillanceInput,
    SurveillanceRules,
    WorklistStatus,
    plan_surveillance,
    worklist_status,
)
from hipcare.services.ports import UnitOfWork, WorklistCounts, WorklistEntry, WorklistOrder
from hipcare.services.radiograph import parse_film
from hipcare.services.surveillance_status import (
    judge_at_site,
    judge_stale_at_site,
    refresh_statuses,
    rules_version,
)

__all__ = [
    "CHILD_KEYS",
    "CONTACT_KEYS",
    "HIP_MEASURE_KEYS",
    "MINIMUM_SEARCH_LENGTH",
    "VISIT_KEYS",
    "WORKLIST_PAGE_SIZE",
    "ChildFile",
    "PermissionDeniedError",
    "WorklistCounts",
    "WorklistEntry",
    "WorklistOrder",
    "WorklistPage",
    "find_children",
    "get_child",
    "parse_child",
    "parse_visit",
    "record_visit",
    "register_child",
    "site_worklist",
    "site_worklist_page",
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
)
CONTACT_KEYS = ("name", "relationship", "phone", "email")
VISIT_KEYS = ("visit_date", "xray", "right", "left", "film")
HIP_MEASURE_KEYS = (
    "migration_percentage_raw",
    "migration_percentage_reported",
    "acetabular_index_deg",
    "neck_shaft_angle_deg",
    "head_shaft_angle_deg",
)
MINIMUM_SEARCH_LENGTH = 2
"""Fewest letters a name search needs (a single letter would list most of a site)."""

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_WORKLIST_ORDER = (WorklistStatus.NEEDS_REFERRAL, WorklistStatus.OVERDUE, WorklistStatus.DUE)
_WORKLIST_RANK: dict[WorklistStatus | None, int] = {
    status: rank for rank, status in enumerate(_WORKLIST_ORDER)
} | {None: len(_WORKLIST_ORDER)}


class PermissionDeniedError(HipcareError):
    """The acting user may not do this: not a member of the record's site, or wrong role."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


@dataclass(frozen=True)
class ChildFile:
    """A child's record as a clinician reads it: the child and their visits, oldest first."""

    child: Child
    visits: tuple[VisitRecord, ...]


# --- JSON -> domain values ---------------------------------------------------------------------


def _object(value: object, field: str, expected: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidInputError(field, f"must be a JSON object {expected}")
    return value


def _refuse_unknown(document: Mapping[str, Any], known: tuple[str, ...], prefix: str) -> None:
    for key in document:
        if key not in known:
            raise InvalidInputError(
                f"{prefix}{key}", f"is not a known field; known fields: {', '.join(known)}"
            )


def _date(value: object, field: str) -> date:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise InvalidInputError(field, f"{value!r} is not a date; write it as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(field, f"{value!r} is not a real calendar date") from None


def _number(value: object, field: str, unit: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInputError(field, f"{value!r} is not a number ({unit})")
    if not math.isfinite(value):
        raise InvalidInputError(field, f"must be a finite number ({unit})")
    return float(value)


def _optional_text(value: object, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInputError(field, f"{value!r} must be text")
    return value.strip() or None


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
    ``gmfcs`` (I-V or "unknown"), ``gestation_weeks`` and ``contacts`` (a list of objects
    with ``name``, ``relationship``, ``phone`` and/or ``email``).
    """
    form = _object(document, "child", "with given_name, family_name, date_of_birth and site")
    _refuse_unknown(form, CHILD_KEYS, "")
    for key in ("given_name", "family_name", "date_of_birth", "site"):
        if key not in form:
            raise InvalidInputError(key, "is missing")
    born = _date(form["date_of_birth"], "date_of_birth")
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
        contact = _object(raw, prefix.rstrip("."), "with name, relationship, phone or email")
        _refuse_unknown(contact, CONTACT_KEYS, prefix)
        phone = _optional_text(contact.get("phone"), f"{prefix}phone")
        email = _optional_text(contact.get("email"), f"{prefix}email")
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
            gestation_weeks=_number(form.get("gestation_weeks"), "gestation_weeks", "weeks"),
            contacts=tuple(contacts),
        )
    except InvalidInputError as error:
        if error.field == "child.site_id":
            raise InvalidInputError("site", error.problem) from None
        raise _prefixed(error, "") from None


def _hip(document: object, side: Side) -> HipMeasures:
    prefix = f"{side.value}."
    measures = _object(document, side.value, "of measures such as migration_percentage_raw")
    _refuse_unknown(measures, HIP_MEASURE_KEYS, prefix)
    unit = {"migration_percentage_raw": "%", "migration_percentage_reported": "%"}
    values = {
        key: _number(measures.get(key), f"{prefix}{key}", unit.get(key, "degrees"))
        for key in HIP_MEASURE_KEYS
    }
    return HipMeasures(side=side, **values)


def parse_visit(
    document: object, *, child_id: int, recorded_by: int, recorded_at: datetime
) -> VisitRecord:
    """A visit from a JSON-shaped form: ``visit_date``, ``xray``, optional ``right`` /
    ``left`` measures (``HIP_MEASURE_KEYS``) and ``film`` (the ``hipcare measure`` landmark
    document, checked with the radiograph domain)."""
    form = _object(document, "visit", "with visit_date and xray")
    _refuse_unknown(form, VISIT_KEYS, "")
    if "visit_date" not in form:
        raise InvalidInputError("visit_date", "is missing; write it as YYYY-MM-DD")
    if not isinstance(form.get("xray"), bool):
        raise InvalidInputError("xray", "must be true or false (was a film taken?)")
    film = form.get("film")
    if film is not None:
        parse_film(film, prefix="film.")
    hips = tuple(_hip(form[side.value], side) for side in Side if form.get(side.value) is not None)
    try:
        return VisitRecord(
            child_id=child_id,
            visit_date=_date(form["visit_date"], "visit_date"),
            xray=form["xray"],
            recorded_by=recorded_by,
            recorded_at=recorded_at,
            hips=hips,
            film=film,
        )
    except InvalidInputError as error:
        raise _prefixed(error, "") from None


# --- authorisation and audit -------------------------------------------------------------------


def _actor(uow: UnitOfWork, actor_id: int) -> User:
    actor = uow.users.get(actor_id)
    if actor is None:
        raise PermissionDeniedError("actor", f"user {actor_id} is not known to hipcare")
    return actor


def _audit(
    uow: UnitOfWork,
    actor: User,
    action: AuditAction,
    entity_type: EntityType,
    entity_id: int | str | None,
    now: datetime,
) -> None:
    if actor.id is None or entity_id is None:  # pragma: no cover -- stored records have ids
        raise RuntimeError("audit rows need stored records")
    uow.audit.add(AuditEntry(actor.id, action, entity_type, str(entity_id), now))


def _deny(
    uow: UnitOfWork,
    actor: User,
    entity_type: EntityType,
    entity_id: int | str,
    now: datetime,
    problem: str,
) -> NoReturn:
    """Record the refused attempt (committed on its own), then refuse."""
    uow.rollback()
    _audit(uow, actor, AuditAction.ACCESS_DENIED, entity_type, entity_id, now)
    uow.commit()
    raise PermissionDeniedError(entity_type.value, problem)


def _child_for(uow: UnitOfWork, actor: User, child_id: int, now: datetime) -> Child:
    child = uow.children.get(child_id)
    if child is None:
        raise InvalidInputError("child_id", f"no child with id {child_id}")
    if not actor.belongs_to(child.site_id):
        _deny(
            uow,
            actor,
            EntityType.CHILD,
            child_id,
            now,
            f"user {actor.id} does not belong to the child's site",
        )
    return child


# --- use cases ---------------------------------------------------------------------------------


def register_child(
    uow: UnitOfWork, actor_id: int, document: object, *, today: date, now: datetime
) -> Child:
    """Register a child at a site the actor belongs to; returns the stored child (with id)."""
    child = parse_child(document, today=today)
    with uow:
        actor = _actor(uow, actor_id)
        if uow.sites.get(child.site_id) is None:
            raise InvalidInputError("site", f"no site {child.site_id!r} is known")
        if not actor.belongs_to(child.site_id):
            _deny(
                uow,
                actor,
                EntityType.SITE,
                child.site_id,
                now,
                f"user {actor_id} does not belong to site {child.site_id!r}",
            )
        stored = uow.children.add(child)
        _audit(uow, actor, AuditAction.CHILD_REGISTERED, EntityType.CHILD, stored.id, now)
        refresh_statuses(uow, [stored.id or 0], load_surveillance_rules(), today=today, now=now)
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
        actor = _actor(uow, actor_id)
        found = list(uow.children.search(key, actor.site_ids, limit))
        for child in found:
            _audit(uow, actor, AuditAction.CHILD_LISTED, EntityType.CHILD, child.id, now)
        uow.commit()
    return found


def get_child(uow: UnitOfWork, actor_id: int, child_id: int, *, now: datetime) -> ChildFile:
    """The child's record with their visits; the read is audited."""
    with uow:
        actor = _actor(uow, actor_id)
        child = _child_for(uow, actor, child_id, now)
        visits = tuple(uow.visits.for_child(child_id))
        _audit(uow, actor, AuditAction.CHILD_READ, EntityType.CHILD, child_id, now)
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
) -> VisitRecord:
    """Record a visit with measures typed in by a clinician of the child's site.

    The visit date must lie between the child's date of birth and ``today``.
    """
    with uow:
        actor = _actor(uow, actor_id)
        child = _child_for(uow, actor, child_id, now)
        if actor.role is not Role.CLINICIAN:
            _deny(
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
        _audit(uow, actor, AuditAction.VISIT_RECORDED, EntityType.VISIT, stored.id, now)
        refresh_statuses(uow, [child_id], load_surveillance_rules(), today=today, now=now)
        uow.commit()
    return stored


def _worklist_entry(
    child: Child, visits: list[VisitRecord], rules: SurveillanceRules, today: date
) -> WorklistEntry | None:
    """A child judged afresh for ``today`` (their stored judgement is for a later day)."""
    if child.id is None:  # pragma: no cover -- only stored children are judged
        raise RuntimeError("only a stored child is listed")
    try:
        plan = plan_surveillance(
            SurveillanceInput(
                date_of_birth=child.date_of_birth,
                gmfcs=child.gmfcs,
                today=today,
                visits=tuple(
                    visit.to_surveillance_visit() for visit in visits if visit.visit_date <= today
                ),
                gestation_weeks=child.gestation_weeks,
            ),
            rules,
        )
    except HipcareError as error:
        return WorklistEntry(
            child.id,
            child.given_name,
            child.family_name,
            child.search_key,
            status=None,
            next_review=None,
            rule_id=None,
            to_be_confirmed_by_clinical_lead=False,
            problem=str(error),
        )
    status = worklist_status(plan, today)
    if status not in _WORKLIST_ORDER:
        return None
    local = any(
        (rule := rules.by_id(rule_id)) is not None
        and rule.citation.status is RuleStatus.LOCAL_PROTOCOL
        for rule_id in plan.rule_ids
    )
    return WorklistEntry(
        child.id,
        child.given_name,
        child.family_name,
        child.search_key,
        status=status,
        next_review=plan.next_review,
        rule_id=None if plan.review is None else plan.review.rule_id,
        to_be_confirmed_by_clinical_lead=local,
        problem=None,
    )


def _worklist_rank(entry: WorklistEntry) -> tuple[int, date, str, int]:
    """Referral, overdue, due, then a child the rules could not judge; each by review date
    (none first), then name."""
    return (
        _WORKLIST_RANK[entry.status],
        entry.next_review or date.min,
        entry.search_key,
        entry.child_id,
    )


def _in_order(entries: list[WorklistEntry], order: WorklistOrder, today: date) -> None:
    """Sort ``entries`` in ``order`` as the listing query does (``WorklistOrder``)."""
    if order is WorklistOrder.REVIEW:
        entries.sort(key=lambda entry: (entry.next_review or today, *_worklist_rank(entry)))
    elif order is WorklistOrder.NAME:
        entries.sort(key=lambda entry: (entry.search_key, *_worklist_rank(entry)))
    else:
        entries.sort(key=_worklist_rank)


@dataclass(frozen=True)
class WorklistPage:
    """The first children of a site's worklist in one order (``entries``, of one status
    when asked) and how many the whole worklist holds by status (``counts``)."""

    entries: list[WorklistEntry]
    counts: WorklistCounts


WORKLIST_PAGE_SIZE = 100
"""Children a worklist page shows at first, and how many more "show more" adds."""


def _site_member(uow: UnitOfWork, actor_id: int, site_id: str, now: datetime) -> int:
    """The actor's id, once they are known to belong to the known site ``site_id``."""
    actor = _actor(uow, actor_id)
    if uow.sites.get(site_id) is None:
        raise InvalidInputError("site", f"no site {site_id!r} is known")
    if not actor.belongs_to(site_id):
        _deny(
            uow,
            actor,
            EntityType.SITE,
            site_id,
            now,
            f"user {actor_id} does not belong to site {site_id!r}",
        )
    if actor.id is None:  # pragma: no cover -- a stored actor has an id
        raise RuntimeError("audit rows need stored records")
    return actor.id


def _listed_afresh(
    uow: UnitOfWork,
    site_id: str,
    rules: SurveillanceRules,
    today: date,
    later: dict[int, tuple[Child, list[VisitRecord]]],
) -> list[WorklistEntry]:
    """The whole worklist, in status order, when some children are judged for ``today``
    alone (their stored judgement is for a later day)."""
    entries = [
        entry
        for entry in uow.surveillance_status.listed(site_id, today)
        if entry.child_id not in later
    ]
    entries.extend(
        entry
        for child, history in later.values()
        if (entry := _worklist_entry(child, history, rules, today))
    )
    entries.sort(key=_worklist_rank)
    return entries


def _audit_listed(
    uow: UnitOfWork, actor_id: int, entries: list[WorklistEntry], now: datetime
) -> None:
    uow.audit.add_for_each(
        actor_id,
        AuditAction.CHILD_LISTED,
        EntityType.CHILD,
        [str(entry.child_id) for entry in entries],
        now,
    )


def site_worklist(
    uow: UnitOfWork,
    actor_id: int,
    site_id: str,
    rules: SurveillanceRules,
    *,
    today: date,
    now: datetime,
    status: WorklistStatus | None = None,
) -> list[WorklistEntry]:
    """Children of ``site_id`` who need referral, are overdue or due for review on ``today``
    (only those of ``status`` when given).

    Judged by the surveillance engine (``hipcare.domain.surveillance``) with ``rules``:
    referral first, then overdue, then due, each by review date. A child the rules could not
    judge is listed last with the reason. Every child listed, and only they, is audited as
    read.

    The judgements are the stored ones (``hipcare.services.surveillance_status``): stale
    rows are judged again first, then the listed children come from one indexed query.
    """
    with uow:
        actor = _site_member(uow, actor_id, site_id, now)
        later = judge_stale_at_site(uow, site_id, rules, today=today, now=now)
        if later:
            entries = _listed_afresh(uow, site_id, rules, today, later)
            if status is not None:
                entries = [entry for entry in entries if entry.status is status]
        else:
            # In worklist order already (the query sorts as _worklist_rank does).
            entries = list(uow.surveillance_status.listed(site_id, today, status=status))
        _audit_listed(uow, actor, entries, now)
        uow.commit()
    return entries


def site_worklist_page(
    uow: UnitOfWork,
    actor_id: int,
    site_id: str,
    rules: SurveillanceRules,
    *,
    today: date,
    now: datetime,
    status: WorklistStatus | None = None,
    order: WorklistOrder = WorklistOrder.STATUS,
    limit: int = WORKLIST_PAGE_SIZE,
) -> WorklistPage:
    """The first ``limit`` children of :func:`site_worklist`'s list (only those of
    ``status`` when given) in ``order``, and the whole list's counts by status.

    Only the children on the page are audited as read: the counts name nobody.
    """
    if limit < 1:
        raise InvalidInputError("limit", f"must be at least 1, not {limit}")
    with uow:
        # The user and site checks, the stale check and the counts in one statement.
        opening = uow.surveillance_status.opened(actor_id, site_id, today, rules_version(rules))
        if not opening.actor_known:
            raise PermissionDeniedError("actor", f"user {actor_id} is not known to hipcare")
        if not opening.site_known:
            raise InvalidInputError("site", f"no site {site_id!r} is known")
        if not opening.actor_belongs:
            _deny(
                uow,
                _actor(uow, actor_id),
                EntityType.SITE,
                site_id,
                now,
                f"user {actor_id} does not belong to site {site_id!r}",
            )
        later = judge_at_site(uow, site_id, opening.to_judge, rules, today=today, now=now)
        if later:
            every = _listed_afresh(uow, site_id, rules, today, later)
            counts = WorklistCounts(
                needs_referral=sum(e.status is WorklistStatus.NEEDS_REFERRAL for e in every),
                overdue=sum(e.status is WorklistStatus.OVERDUE for e in every),
                due=sum(e.status is WorklistStatus.DUE for e in every),
                total=len(every),
            )
            chosen = [e for e in every if status is None or e.status is status]
            _in_order(chosen, order, today)
            entries = chosen[:limit]
        else:
            # The opening's counts were read before the stale rows were judged again.
            counts = (
                uow.surveillance_status.counted(site_id, today)
                if opening.to_judge
                else opening.counts
            )
            entries = list(
                uow.surveillance_status.listed(
                    site_id, today, status=status, order=order, limit=limit
                )
            )
        _audit_listed(uow, actor_id, entries, now)
        uow.commit()
    return WorklistPage(entries, counts)
