"""The whole journey of one child as a clinician's page shows it, and the staff's sites.

``child_journey`` reads the child's record through :func:`hipcare.services.records.get_child`
(so the read is authorised and audited there), judges surveillance with the engine
(:func:`hipcare.domain.surveillance.plan_surveillance`, rules from ``surveillance.toml``),
and adds the child's operation plans, care-plan progress and alerts.

``open_child_page`` is the child page's use case (ADR 10): in one short transaction it
authorises the viewer, audits the read and reads the record's version; only when the caller
has no page for that version does it read the whole journey too (films, family diary and the
staff names included), in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from hipcare.domain.errors import HipcareError, InvalidInputError
from hipcare.domain.records import (
    Alert,
    CarePlanItemState,
    Child,
    OperationPlan,
    Role,
    Site,
    VisitRecord,
)
from hipcare.domain.referral import Referral
from hipcare.domain.surveillance import (
    RuleStatus,
    SurveillancePlan,
    SurveillanceRules,
    WorklistStatus,
    plan_surveillance,
    worklist_status,
)
from hipcare.services.access import PermissionDeniedError, child_for, find_actor
from hipcare.services.accounts import (
    SessionPolicy,
    SessionUser,
    judge_session,
    token_digest,
)
from hipcare.services.ports import ChildPageQuery, UnitOfWork
from hipcare.services.ports.child_page import ChildPageHeader
from hipcare.services.ports.family import Carer, StoredDiaryEntry
from hipcare.services.radiographs import Reading, StoredFilm, record_reading, visible_readings
from hipcare.services.records import get_child
from hipcare.services.surveillance_status import surveillance_input

__all__ = [
    "DIARY_ON_CHILD_PAGE",
    "ChildFilm",
    "ChildJourney",
    "ChildPageHeader",
    "SurveillanceSummary",
    "child_journey",
    "child_page_for_session",
    "open_child_page",
    "staff_sites",
    "surveillance_summary",
]

DIARY_ON_CHILD_PAGE = 10
"""The family diary's newest entries the child page shows the care team."""


@dataclass(frozen=True)
class SurveillanceSummary:
    """The surveillance engine's answer for the child today, or why it could not answer.

    ``to_be_confirmed_by_clinical_lead`` is true when a rule used is local protocol.
    """

    plan: SurveillancePlan | None
    status: WorklistStatus | None
    problem: str | None
    to_be_confirmed_by_clinical_lead: bool


@dataclass(frozen=True)
class ChildFilm:
    """A film on the child page with the readings the viewer may see there (the record's
    measure, and all once the viewer has read it) and how many are hidden; ``record`` is the
    record's measure (the confirmed reading, else the first, provisional one) and
    ``visit_id`` the visit the film's first reading recorded."""

    film: StoredFilm
    readings: tuple[Reading, ...]
    hidden: int
    record: Reading | None = None
    visit_id: int | None = None


@dataclass(frozen=True)
class ChildJourney:
    """Everything a clinician's page about one child shows.

    ``films``, ``diary``, ``pain_descriptors`` and ``names`` (display names of the surgeons
    and of who ticked care-plan items) are filled by :func:`open_child_page` only; ``diary``
    is None where the viewer is not a clinician (the care team's diary section is theirs).
    """

    child: Child
    visits: tuple[VisitRecord, ...]
    surveillance: SurveillanceSummary
    operation_plans: tuple[OperationPlan, ...]
    care_plan_items: dict[int, tuple[CarePlanItemState, ...]]
    alerts: tuple[Alert, ...]
    today: date
    films: tuple[ChildFilm, ...] = ()
    diary: tuple[StoredDiaryEntry, ...] | None = None
    pain_descriptors: dict[str, str] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    referrals: tuple[Referral, ...] = ()
    carers: tuple[Carer, ...] = ()
    """The family members linked to the child (issue 17)."""
    message_counts: tuple[int, int] = (0, 0)
    """(messages with the family, family messages not yet read by the care team)."""


def surveillance_summary(
    child: Child,
    visits: tuple[VisitRecord, ...],
    rules: SurveillanceRules,
    today: date,
    *,
    operations: Sequence[OperationPlan],
) -> SurveillanceSummary:
    """The engine's plan for the child on ``today`` from the visits and the ``operations``
    marked done (the engine's ``hip_surgery``: an operated child is not discharged before
    skeletal maturity)."""
    try:
        plan = plan_surveillance(surveillance_input(child, visits, operations, today), rules)
    except HipcareError as error:
        return SurveillanceSummary(None, None, str(error), False)
    local = any(
        (rule := rules.by_id(rule_id)) is not None
        and rule.citation.status is RuleStatus.LOCAL_PROTOCOL
        for rule_id in plan.rule_ids
    )
    return SurveillanceSummary(plan, worklist_status(plan, today), None, local)


def child_journey(
    uow: UnitOfWork,
    actor_id: int,
    child_id: int,
    rules: SurveillanceRules,
    *,
    today: date,
    now: datetime,
) -> ChildJourney:
    """The child's record, surveillance today, operation plans, care plan and alerts.

    Raises :class:`PermissionDeniedError` when the actor is not of the child's site (audited
    by ``get_child``), and ``InvalidInputError`` (field ``child_id``) for an unknown child.
    """
    record = get_child(uow, actor_id, child_id, now=now)
    with uow:
        plans = tuple(uow.operation_plans.for_child(child_id))
        items = {
            plan.id: tuple(uow.care_plan_items.for_operation_plan(plan.id))
            for plan in plans
            if plan.id is not None
        }
        alerts = tuple(uow.alerts.for_child(child_id))
    return ChildJourney(
        child=record.child,
        visits=record.visits,
        surveillance=surveillance_summary(
            record.child, record.visits, rules, today, operations=plans
        ),
        operation_plans=plans,
        care_plan_items=items,
        alerts=alerts,
        today=today,
    )


_STAFF_ROLES = frozenset({Role.CLINICIAN, Role.SITE_ADMINISTRATOR})


def open_child_page(
    uow: UnitOfWork,
    actor_id: int,
    child_id: int,
    rules: SurveillanceRules,
    *,
    today: date,
    now: datetime,
    have_page: Callable[[ChildPageHeader], bool],
) -> tuple[ChildPageHeader, ChildJourney | None]:
    """Authorise ``actor_id`` for the child's page, audit the read (one ``child.read`` row per
    view) and return the page's header; and, unless ``have_page(header)`` says the caller
    already has the page for these versions, the whole journey, read in the same
    transaction.

    Only the care team of the child's site may open it. A refusal is audited
    (``access.denied``) and raises :class:`PermissionDeniedError`; an unknown child raises
    ``InvalidInputError`` (field ``child_id``).
    """
    with uow:
        return _open_child_page(uow, actor_id, child_id, rules, today, now, have_page)


def child_page_for_session(
    uow: UnitOfWork,
    session_token: str | None,
    child_id: int,
    rules: SurveillanceRules,
    *,
    today: date,
    now: datetime,
    policy: SessionPolicy,
    have_page: Callable[[ChildPageHeader], bool],
) -> tuple[SessionUser, ChildPageHeader, ChildJourney | None] | None:
    """:func:`open_child_page` with the session check in the same short transaction; None
    when the session token is missing, unknown or expired (the accounts' rules)."""
    if not session_token:
        return None
    digest = token_digest(session_token)
    with uow:
        found = uow.child_pages.session_and_header(digest, child_id)
        if found is None:
            return None
        session, user, header = found
        signed = judge_session(uow, digest, session, user, now=now, policy=policy)
        if signed is None or signed.user.id is None:
            return None
        header, journey = _open_child_page(
            uow, signed.user.id, child_id, rules, today, now, have_page, header=header
        )
    return signed, header, journey


def _open_child_page(
    uow: UnitOfWork,
    actor_id: int,
    child_id: int,
    rules: SurveillanceRules,
    today: date,
    now: datetime,
    have_page: Callable[[ChildPageHeader], bool],
    *,
    header: ChildPageHeader | None = None,
) -> tuple[ChildPageHeader, ChildJourney | None]:
    """``header``: read already with the session (else read here)."""
    if header is None:
        header = uow.child_pages.header(actor_id, child_id)
    if header is None or header.actor_role not in _STAFF_ROLES or not header.actor_is_member:
        # The rare paths take the record use cases' own checks, which audit a refusal.
        actor = find_actor(uow, actor_id)
        child_for(uow, actor, child_id, now)
        if actor.role not in _STAFF_ROLES:  # pragma: no cover -- no site: child_for refused
            raise PermissionDeniedError("role", "the child page is for the care team")
        # A membership added since the header was read: read it again.
        header = uow.child_pages.header(actor_id, child_id)
        if header is None:  # pragma: no cover -- child_for found the child
            raise InvalidInputError("child_id", f"no child with id {child_id}")
    uow.child_pages.audit_read(actor_id, child_id, now)
    journey = None
    if not have_page(header):
        journey = _read_journey(uow.child_pages, actor_id, header, rules, today)
    uow.commit()
    return header, journey


def _read_journey(
    query: ChildPageQuery,
    actor_id: int,
    header: ChildPageHeader,
    rules: SurveillanceRules,
    today: date,
) -> ChildJourney:
    child_id = header.child_id
    child = query.child(child_id)
    if child is None:  # pragma: no cover -- the header was read in this transaction
        raise InvalidInputError("child_id", f"no child with id {child_id}")
    visits = tuple(query.visits(child_id))
    plans, items = query.operation_plans(child_id)
    people = {plan.surgeon_id for plan in plans}
    for plan_items in items.values():
        people |= {item.done_by for item in plan_items if item.done_by is not None}
    films = []
    for film, readings in query.films(child_id):
        shown = visible_readings(readings, actor_id, keep_first=True)
        visit_id = next((item.visit_id for item in readings if item.visit_id is not None), None)
        films.append(
            ChildFilm(film, shown, len(readings) - len(shown), record_reading(readings), visit_id)
        )
        people |= {item.confirmed_by for item in shown if item.confirmed_by is not None}
    clinician = header.actor_role is Role.CLINICIAN
    return ChildJourney(
        child=child,
        visits=visits,
        surveillance=surveillance_summary(child, visits, rules, today, operations=plans),
        operation_plans=tuple(plans),
        care_plan_items=items,
        alerts=tuple(query.alerts(child_id)),
        today=today,
        films=tuple(films),
        diary=tuple(query.diary(child_id, DIARY_ON_CHILD_PAGE)) if clinician else None,
        pain_descriptors=query.pain_descriptors(child_id) if clinician else {},
        names=query.display_names(people),
        referrals=tuple(query.referrals(child_id)),
        carers=tuple(query.carers(child_id)),
        message_counts=query.message_counts(child_id),
    )


def staff_sites(uow: UnitOfWork, actor_id: int) -> list[Site]:
    """The sites the member of staff belongs to, by name."""
    with uow:
        actor = find_actor(uow, actor_id)
        sites = [site for site in uow.sites.all() if actor.belongs_to(site.id)]
    return sorted(sites, key=lambda site: site.name)
