"""The family's "today" page: today's steps, what is still to do, what comes next, and the
whole plan by phase; the session check, the link check and the audit in one short transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from hipcare.domain.day_of_surgery import DayOfSurgery
from hipcare.domain.pathway import CarePlan
from hipcare.domain.records import (
    Child,
    Role,
    User,
    utc_moment,
)
from hipcare.services.access import family_may_tick, find_actor
from hipcare.services.accounts import (
    SessionPolicy,
    SessionUser,
    judge_session,
    session_user_in,
    token_digest,
)
from hipcare.services.family.access import readable_child, stored_user_id
from hipcare.services.family.care_plan import plan_and_entries
from hipcare.services.operations import (
    PathwayContent,
)
from hipcare.services.pathway import DayOfSurgeryLine, PlanEntry, day_of_surgery_lines
from hipcare.services.ports import UnitOfWork
from hipcare.services.ports.content import Translator
from hipcare.services.ports.family import LinkedChild, StartedPlan

__all__ = [
    "POSTPONEMENT_BANNER_DAYS",
    "FamilyItem",
    "FamilyToday",
    "TodayAccess",
    "family_today",
    "family_today_after_access",
    "family_today_page",
    "open_family_today",
]


@dataclass(frozen=True)
class FamilyItem:
    """One plan item as the family page shows it, with its stored state."""

    entry: PlanEntry
    done: bool
    tickable: bool
    """A family-owned, one-off item: the family ticks it (recurring ones are reminders)."""

    @property
    def id(self) -> str:
        return self.entry.id


@dataclass(frozen=True)
class FamilyToday:
    """What the family sees for one child on ``today``; ``plan`` is None before the care
    team has started the pathway."""

    child: Child
    today: date
    plan: CarePlan | None
    today_items: tuple[FamilyItem, ...] = ()
    still_to_do: tuple[FamilyItem, ...] = ()
    coming_next: tuple[FamilyItem, ...] = ()
    phases: tuple[tuple[str, tuple[FamilyItem, ...]], ...] = ()
    done_count: int = 0
    total_count: int = 0
    words: Translator | None = None
    has_calendar: bool = False
    postponed: bool = False
    """The operation's date changed lately (:data:`POSTPONEMENT_BANNER_DAYS`): show a banner."""
    day_of_surgery: DayOfSurgery | None = None
    """What to do on the day (until the surgery day has passed)."""
    day_of_surgery_lines: tuple[DayOfSurgeryLine, ...] = ()
    """Its timed steps in the page's language, in time order."""
    what_to_bring: tuple[str, ...] = ()
    """Its list of things to bring, in the page's language where the catalog has it."""
    unwell: FamilyItem | None = None
    """What to do if the child is unwell, for where they are now: before the operation (the
    date may move) or after it (the red flags: call now)."""

    @property
    def to_be_confirmed(self) -> bool:
        return any(item.entry.to_be_confirmed for _, items in self.phases for item in items)

    @property
    def surgery_date(self) -> date | None:
        return None if self.plan is None else self.plan.surgery_date


_COMING_NEXT = 5
POSTPONEMENT_BANNER_DAYS = 28
"""For how many days after a postponement the family's Today page shows the banner (a
page-design choice, not a clinical rule); the email went out at the time."""


def _occurs_on(entry: PlanEntry, day: date) -> bool:
    if entry.recurrence is not None and entry.until is not None:
        return entry.date <= day <= entry.until
    return entry.date == day


def family_today(
    uow: UnitOfWork,
    actor: int | User,
    child_id: int,
    content: PathwayContent,
    words: Translator | Callable[[Child], Translator],
    *,
    today: date,
    now: datetime,
) -> FamilyToday:
    """Today's steps, what is still to do, what comes next, and the whole plan by phase.

    ``actor`` is the user's id, or the user as the session check already loaded them (saves a
    query on the busiest page); ``words`` the page's translator, or a function choosing it
    from the child (their preferred language). One unit of work, audited as a plan read.
    """
    now = utc_moment(now, "now")
    with uow:
        user = find_actor(uow, actor) if isinstance(actor, int) else actor
        linked, started = _today_reads(uow, user, child_id, now)
        _audit_plan_read(uow, user, child_id, now)
        uow.commit()
    return _today_view(linked, started, content, words, today)


def family_today_page(
    uow: UnitOfWork,
    session_token: str | None,
    child_id: int,
    content: PathwayContent,
    words: Callable[[Child], Translator],
    *,
    today: date,
    now: datetime,
    policy: SessionPolicy,
) -> tuple[SessionUser, FamilyToday] | None:
    """:func:`family_today` for the "today" page, with the session check in the same short
    transaction (session, family link and child, plan, item states, the audit row): the
    signed-in user and the view, or None when the session token is missing or not valid."""
    now = utc_moment(now, "now")
    with uow:
        found = _signed_in_and_linked(uow, session_token, child_id, now, policy)
        if found is None:
            return None
        signed, linked = found
        started = uow.family.started_plan(child_id)
        _audit_plan_read(uow, signed.user, child_id, now)
        uow.commit()
    return signed, _today_view(linked, started, content, words, today)


def _signed_in_and_linked(
    uow: UnitOfWork,
    session_token: str | None,
    child_id: int,
    now: datetime,
    policy: SessionPolicy,
) -> tuple[SessionUser, LinkedChild] | None:
    """The session (the accounts' policy: expired is None) and the linked child, read in one
    statement; anyone but linked family is refused (audited). None: not signed in."""
    if not session_token:
        return None
    digest = token_digest(session_token)
    found = uow.family.session_and_linked_child(digest, child_id)
    if found is None:
        return None
    session, user, linked = found
    if user.role is not Role.FAMILY:
        # Staff: the full session read (with site memberships), then the audited refusal.
        signed = session_user_in(uow, session_token, now=now, policy=policy)
        if signed is None:
            return None
        _linked(uow, signed.user, child_id, now)
    signed = judge_session(uow, digest, session, user, now=now, policy=policy)
    if signed is None:
        return None
    if linked is None:
        _linked(uow, signed.user, child_id, now)  # refuses, audited
        raise RuntimeError("not linked")  # pragma: no cover -- _linked just refused
    return signed, linked


@dataclass(frozen=True)
class TodayAccess:
    """A signed-in family member's view of a child's "today" page, checked and audited, with
    what a rendered copy of the page depends on in the database (the page cache's key)."""

    user: SessionUser
    child: Child
    has_calendar: bool
    record_version: int
    page_generation: int


def open_family_today(
    uow: UnitOfWork,
    session_token: str | None,
    child_id: int,
    *,
    now: datetime,
    policy: SessionPolicy,
) -> TodayAccess | None:
    """Check the session and the family link, audit the view (one ``care_plan.read`` row,
    as :func:`family_today_page`) and read the record's version, in one short transaction
    that does not read the plan: None when the session token is missing or not valid.

    The page cache keys a rendered page on what this returns; on a miss the page is built by
    :func:`family_today_after_access`. Anyone but linked family is refused (audited) here,
    before any cached copy is looked at."""
    now = utc_moment(now, "now")
    with uow:
        found = _signed_in_and_linked(uow, session_token, child_id, now, policy)
        if found is None:
            return None
        signed, linked = found
        _audit_plan_read(uow, signed.user, child_id, now)
        uow.commit()
    return TodayAccess(
        user=signed,
        child=linked.child,
        has_calendar=linked.has_calendar,
        record_version=linked.record_version,
        page_generation=linked.page_generation,
    )


def family_today_after_access(
    uow: UnitOfWork,
    access: TodayAccess,
    content: PathwayContent,
    words: Translator,
    *,
    today: date,
    now: datetime,
) -> FamilyToday:
    """The "today" view for a page :func:`open_family_today` admitted and audited (a cache
    miss): the child and plan read in one short read-only transaction, not audited again.

    Read after the version, so the view is never older than the version it is cached under."""
    now = utc_moment(now, "now")
    with uow:
        linked, started = _today_reads(uow, access.user.user, access.child.id or 0, now)
    return _today_view(linked, started, content, words, today)


def _linked(uow: UnitOfWork, user: User, child_id: int, now: datetime) -> LinkedChild:
    """The linked child; anyone but linked family is refused (with an access.denied row)."""
    linked = (
        uow.family.linked_child(stored_user_id(user), child_id)
        if user.role is Role.FAMILY
        else None
    )
    if linked is None:
        readable_child(uow, user, child_id, now, staff_too=False)
        # Not reached: the same transaction found no link, so readable_child refused.
        raise RuntimeError("not linked")  # pragma: no cover -- unreachable, see above
    return linked


def _today_reads(
    uow: UnitOfWork, user: User, child_id: int, now: datetime
) -> tuple[LinkedChild, StartedPlan | None]:
    """The linked child and its started plan; anyone but linked family is refused (audited)."""
    return _linked(uow, user, child_id, now), uow.family.started_plan(child_id)


def _audit_plan_read(uow: UnitOfWork, user: User, child_id: int, now: datetime) -> None:
    """The plan read's audit row (``care_plan.read``), as one Core insert by the family
    repository (the ORM's add and flush cost more than the rest of the page's reads)."""
    uow.family.audit_plan_read(stored_user_id(user), child_id, now)


def _today_view(
    linked: LinkedChild,
    started: StartedPlan | None,
    content: PathwayContent,
    words: Translator | Callable[[Child], Translator],
    today: date,
) -> FamilyToday:
    child, has_calendar = linked.child, linked.has_calendar
    translator = words if isinstance(words, Translator) else words(child)
    if started is None:
        return FamilyToday(child, today, None, words=translator, has_calendar=has_calendar)
    plan, entries = plan_and_entries(child, started, content, translator)
    items = [
        FamilyItem(
            entry=entry,
            done=planned.id in started.done_ids and not planned.is_information,
            tickable=family_may_tick(planned.owner, planned.recurrence, planned.kind),
        )
        for planned, entry in zip(plan.items, entries, strict=True)
        if planned.id in started.item_ids
    ]
    tasks = [item for item in items if not item.entry.is_information]
    today_items = tuple(item for item in tasks if _occurs_on(item.entry, today))
    still = tuple(
        item for item in tasks if item.tickable and not item.done and item.entry.date < today
    )
    coming = tuple(item for item in tasks if item.entry.date > today and not item.done)
    operation = started.operation
    postponed = (
        operation.postponed_at is not None
        and (today - operation.postponed_at.date()).days <= POSTPONEMENT_BANNER_DAYS
    )
    pathway = content.pathway
    unwell_id = (
        pathway.unwell_before_surgery if today < plan.surgery_date else pathway.unwell_after_surgery
    )
    unwell = next((item for item in items if item.id == unwell_id), None)
    day = operation.day_of_surgery if today <= plan.surgery_date else None
    phases = []
    for phase in plan.phases:
        in_phase = tuple(item for item in items if item.entry.phase == phase.phase.value)
        if in_phase:
            phases.append((translator.gettext(phase.title), in_phase))
    return FamilyToday(
        child=child,
        today=today,
        plan=plan,
        today_items=today_items,
        still_to_do=still,
        coming_next=coming[:_COMING_NEXT],
        phases=tuple(phases),
        done_count=sum(1 for item in tasks if item.done),
        total_count=len(tasks),
        words=translator,
        has_calendar=has_calendar,
        postponed=postponed,
        day_of_surgery=day,
        day_of_surgery_lines=()
        if day is None
        else day_of_surgery_lines(day, plan.surgery_date, translator),
        what_to_bring=()
        if day is None
        else tuple(translator.gettext(thing) for thing in day.what_to_bring),
        unwell=unwell,
    )
