"""The care plan a family sees and ticks: the one the care team started
(:func:`hipcare.services.operations.start_pathway`), built once per process and translated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hipcare.domain.day_of_surgery import DayOfSurgery
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.pathway import CarePlan
from hipcare.domain.records import (
    AuditAction,
    CarePlanItemState,
    Child,
    EntityType,
    OperationPlan,
    OperationStatus,
    utc_moment,
)
from hipcare.services.access import (
    ConflictError,
    deny,
    family_may_tick,
    find_actor,
    refuse_information_tick,
    write_audit,
)
from hipcare.services.family.access import readable_child, stored_user_id
from hipcare.services.operations import (
    PathwayContent,
    build_care_plan,
    build_care_plan_with_profile,
)
from hipcare.services.pathway import PlanEntry, plan_entries
from hipcare.services.ports import UnitOfWork
from hipcare.services.ports.content import Translator
from hipcare.services.ports.family import StartedPlan

__all__ = [
    "audit_family_read",
    "child_care_plan",
    "day_of_surgery_of",
    "family_plan",
    "plan_and_entries",
    "started_care_plan",
    "tick_family_item",
]


def started_care_plan(
    uow: UnitOfWork, child_id: int
) -> tuple[OperationPlan, tuple[CarePlanItemState, ...]] | None:
    """The child's operation whose pathway was started (the newest), with its item states."""
    plans = [
        plan
        for plan in uow.operation_plans.for_child(child_id)
        if plan.id is not None and plan.status is not OperationStatus.CANCELLED
    ]
    for plan in sorted(plans, key=lambda plan: plan.id or 0, reverse=True):
        states = tuple(uow.care_plan_items.for_operation_plan(plan.id or 0))
        if states:
            return plan, states
    return None


def tick_family_item(
    uow: UnitOfWork,
    actor_id: int,
    child_id: int,
    item_id: str,
    content: PathwayContent,
    *,
    now: datetime,
) -> CarePlanItemState:
    """A family member ticks one of their own one-off steps in their child's care plan (the
    same stored state a clinician's tick writes; ticking one's own tick again changes nothing).

    Information (an item of kind ``information``) is refused with an
    :class:`InvalidInputError` naming ``item_id`` (422): it is read, not ticked. The care
    team's items and recurring reminders are refused (audited): the rule is
    :func:`hipcare.services.access.family_may_tick`, the one the today page shows. An item
    done by someone else already, or ticked by someone else in the same moment, raises
    :class:`~hipcare.services.access.ConflictError` and changes nothing.
    """
    now = utc_moment(now, "now")
    with uow:
        actor = find_actor(uow, actor_id)
        readable_child(uow, actor, child_id, now, staff_too=False)
        started = started_care_plan(uow, child_id)
        state = None
        if started is not None:
            state = next((s for s in started[1] if s.item_id == item_id), None)
        if state is None:
            raise InvalidInputError("item_id", f"your child's plan has no item {item_id!r}")
        refuse_information_tick(content.pathway, item_id)
        definition = next((i for i in content.pathway.items if i.id == item_id), None)
        if definition is None or not family_may_tick(definition.owner, definition.when.recurrence):
            deny(
                uow,
                actor,
                EntityType.CHILD,
                child_id,
                now,
                f"the care team ticks {item_id!r}; a family ticks only its own one-off steps",
            )
        if state.done and state.done_by == actor.id:
            return state  # the same person ticking again (a second tab): nothing changes
        done = uow.care_plan_items.mark_done(_stored_id(state), now, stored_user_id(actor))
        if done is None:
            raise ConflictError(
                "item_id", f"{item_id!r} was ticked by someone else first; nothing was changed"
            )
        write_audit(uow, actor, AuditAction.CARE_ITEM_TICKED, EntityType.CHILD, child_id, now)
        uow.commit()
    return done


def _stored_id(state: CarePlanItemState) -> int:
    if state.id is None:  # pragma: no cover -- stored items have ids
        raise RuntimeError("a stored care-plan item has an id")
    return state.id


def audit_family_read(
    uow: UnitOfWork, actor_id: int, child_id: int, action: AuditAction, *, now: datetime
) -> Child:
    """Check a family member may read the child's pages, and audit the read as ``action``."""
    with uow:
        actor = find_actor(uow, actor_id)
        child = readable_child(uow, actor, child_id, now, staff_too=False)
        write_audit(uow, actor, action, EntityType.CHILD, child_id, now)
        uow.commit()
    return child


def child_care_plan(
    uow: UnitOfWork, child: Child, content: PathwayContent
) -> tuple[CarePlan, tuple[CarePlanItemState, ...]] | None:
    """The child's personalised plan (as the care team started it) and its item states."""
    started = started_care_plan(uow, child.id or 0)
    if started is None:
        return None
    operation, states = started
    # The same plan the care team started (hipcare.services.operations builds it).
    plan = build_care_plan(uow, child, operation, content)
    return plan, states


@dataclass(frozen=True)
class _BuiltPlan:
    content: PathwayContent
    plan: CarePlan
    entries: dict[str, tuple[PlanEntry, ...]]
    """The plan's entries by language code, translated the first time a page asks."""


_PLAN_CACHE: dict[tuple[object, ...], _BuiltPlan] = {}


_PLAN_CACHE_SIZE = 512


def plan_and_entries(
    child: Child, started: StartedPlan, content: PathwayContent, words: Translator
) -> tuple[CarePlan, tuple[PlanEntry, ...]]:
    """The child's plan and its entries in one language, built once per process: a plan is a
    pure function of the stored operation, the surgeon's profile, the child's site, id and
    language and the pathway content, which make the key (the content by identity), so a
    family's requests reuse the plan and entries already built and translated."""
    key = (
        started.operation,
        started.surgeon_profile,
        child.id,
        child.site_id,
        child.preferred_language,
    )
    built = _PLAN_CACHE.get(key)
    if built is None or built.content is not content:
        if len(_PLAN_CACHE) >= _PLAN_CACHE_SIZE:
            _PLAN_CACHE.clear()
        plan = build_care_plan_with_profile(
            child, started.operation, started.surgeon_profile, content
        )
        built = _PLAN_CACHE[key] = _BuiltPlan(content, plan, {})
    entries = built.entries.get(words.code)
    if entries is None:
        entries = built.entries[words.code] = plan_entries(built.plan, words)
    return built.plan, entries


def family_plan(
    uow: UnitOfWork,
    actor_id: int,
    child_id: int,
    content: PathwayContent,
    action: AuditAction,
    *,
    now: datetime,
) -> CarePlan | None:
    """The child's plan for the booklet or the calendar, audited as ``action``."""
    now = utc_moment(now, "now")
    with uow:
        actor = find_actor(uow, actor_id)
        child = readable_child(uow, actor, child_id, now, staff_too=False)
        found = child_care_plan(uow, child, content)
        write_audit(uow, actor, action, EntityType.CHILD, child_id, now)
        uow.commit()
    return None if found is None else found[0]


def day_of_surgery_of(uow: UnitOfWork, child_id: int) -> DayOfSurgery | None:
    """The day of surgery of the child's started operation (for a page that has checked and
    audited the reader already, e.g. the booklet after :func:`family_plan`)."""
    with uow:
        started = started_care_plan(uow, child_id)
    return None if started is None else started[0].day_of_surgery
